/**
 * SKAB's metrics in TypeScript, with no dependencies: the point-wise binary scores (F1, false-alarm and
 * missed-alarm rates) and the NAB changepoint score (Lavin & Ahmad 2015) as SKAB computes them in
 * `core/metrics.py` (`chp_score` with `metric="binary"` and `metric="nab"`, `window_width="60s"`,
 * `anomaly_window_destination="righter"`, the defaults `clear_anomalies_mode=True`,
 * `intersection_mode="cut right window"`, `scale_func="improved"`, `scale_koef=1`).
 *
 * Conventions, as in the Python code: a label or prediction is positive when it equals 1 (`=== 1`;
 * NaN and every other value are negative); times are numbers in seconds, non-decreasing within an
 * experiment; experiments are pooled by summing counts (binary) or scores (NAB) before the ratios.
 * Nothing is rounded here (SKAB rounds its printed figures to 2 decimals).
 */

/** Point-wise confusion counts. */
export interface Confusion {
  /** labelled 1 and predicted 1 */
  tp: number;
  /** labelled 0 (not 1) and predicted 1 */
  fp: number;
  /** labelled 1 and predicted 0 (not 1) */
  fn: number;
  /** labelled 0 and predicted 0 */
  tn: number;
}

/**
 * Point-wise confusion counts of one experiment (SKAB's `confusion_matrix`): a row is positive when its
 * value is exactly 1.
 *
 * @example
 * confusion([0, 1, 1, 0], [0, 1, 0, 1]); // { tp: 1, fp: 1, fn: 1, tn: 1 }
 */
export function confusion(truth: ArrayLike<number>, prediction: ArrayLike<number>): Confusion {
  if (truth.length !== prediction.length) {
    throw new Error(`confusion: ${truth.length} labels but ${prediction.length} predictions`);
  }
  const counts: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] === 1;
    const p = prediction[i] === 1;
    if (t && p) counts.tp++;
    else if (p) counts.fp++;
    else if (t) counts.fn++;
    else counts.tn++;
  }
  return counts;
}

/**
 * The sum of several confusion counts (pooling experiments, as SKAB does before the ratios).
 *
 * @example
 * addConfusion([{ tp: 1, fp: 0, fn: 2, tn: 3 }, { tp: 1, fp: 1, fn: 0, tn: 0 }]); // { tp: 2, fp: 1, fn: 2, tn: 3 }
 */
export function addConfusion(parts: readonly Confusion[]): Confusion {
  const total: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const c of parts) {
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
    total.tn += c.tn;
  }
  return total;
}

/** SKAB's outlier-detection scores. */
export interface BinaryScores {
  /** `TP / (TP + (FN + FP) / 2)`; NaN when there is neither a positive label nor a positive prediction */
  f1: number;
  /** false-alarm rate, percent: `100 · FP / (FP + TN)`; NaN without negative labels */
  far: number;
  /** missed-alarm rate, percent: `100 · FN / (FN + TP)`; NaN without positive labels */
  mar: number;
}

/**
 * F1, FAR % and MAR % of (pooled) confusion counts, unrounded (SKAB's `metric="binary"` rounds to 2 decimals).
 *
 * @example
 * binaryScores({ tp: 3, fp: 1, fn: 1, tn: 5 }); // { f1: 0.75, far: 16.666…, mar: 25 }
 */
export function binaryScores(c: Confusion): BinaryScores {
  return {
    f1: c.tp / (c.tp + (c.fn + c.fp) / 2),
    far: (c.fp / (c.fp + c.tn)) * 100,
    mar: (c.fn / (c.fn + c.tp)) * 100,
  };
}

/** One experiment's labels and predictions, row by row. */
export interface LabelledPrediction {
  /** the `anomaly` column of the scored rows */
  truth: ArrayLike<number>;
  /** the detector's point prediction (1 = anomalous) on the same rows */
  prediction: ArrayLike<number>;
}

/**
 * Pooled binary scores over experiments (SKAB's `chp_score(true, prediction, metric="binary")` on lists):
 * confusion counts summed over all experiments, then F1/FAR/MAR, together with the pooled counts.
 *
 * @example
 * pooledBinaryScores([{ truth: [0, 1], prediction: [0, 1] }, { truth: [0, 1], prediction: [1, 1] }]);
 * // { tp: 2, fp: 1, fn: 0, tn: 1, f1: 0.8, far: 50, mar: 0 }
 */
export function pooledBinaryScores(experiments: readonly LabelledPrediction[]): Confusion & BinaryScores {
  const total = addConfusion(experiments.map((e) => confusion(e.truth, e.prediction)));
  return { ...total, ...binaryScores(total) };
}

/**
 * Predicted changepoints from a point prediction, as SKAB's notebooks derive them:
 * `abs(prediction.diff())` with the first row set to the first prediction — 1 where the prediction
 * switches (on or off), and on the first row when it starts on. NaN predictions count as 0.
 *
 * @example
 * changepointsOf([1, 1, 0, 0, 1]); // [1, 0, 1, 0, 1]
 */
export function changepointsOf(prediction: ArrayLike<number>): number[] {
  const out = new Array<number>(prediction.length);
  let previous = 0;
  for (let i = 0; i < prediction.length; i++) {
    const current = prediction[i] === 1 ? 1 : 0;
    out[i] = i === 0 ? current : Math.abs(current - previous);
    previous = current;
  }
  return out;
}

/** A NAB application profile: the weights of a detection, a false positive and a missed changepoint. */
export interface NabProfile {
  /** weight of a detection at the window's left edge (`A_tp`) */
  aTp: number;
  /** weight of a false positive (`A_fp`, negative) */
  aFp: number;
  /** weight of a missed changepoint (`A_fn`, negative) */
  aFn: number;
}

/** The three profile names, in SKAB's order. */
export type NabProfileName = "standard" | "lowFP" | "lowFN";

/**
 * SKAB's default `table_of_coef`: Standard (1, −0.11, −1), LowFP (1, −0.22, −1), LowFN (1, −0.11, −2)
 * for (`A_tp`, `A_fp`, `A_fn`); `A_tn` (1) is not used by the score.
 *
 * @example
 * NAB_PROFILES.lowFP.aFp; // -0.22
 */
export const NAB_PROFILES: Readonly<Record<NabProfileName, Readonly<NabProfile>>> = Object.freeze({
  standard: Object.freeze({ aTp: 1, aFp: -0.11, aFn: -1 }),
  lowFP: Object.freeze({ aTp: 1, aFp: -0.22, aFn: -1 }),
  lowFN: Object.freeze({ aTp: 1, aFp: -0.11, aFn: -2 }),
});

/** A scoring window `[left, right]` in seconds, both ends included. */
export type Window = readonly [left: number, right: number];

/**
 * The NAB scoring windows of one experiment (`single_detecting_boundaries`, `"righter"`): for each true
 * changepoint at time `t` the window `[t, t + windowSeconds]`; where a window reaches the next one's start
 * (`right >= next.left`), the next window starts at this one's right end ("cut right window").
 *
 * @example
 * nabWindows([0, 1, 2, 3], [0, 1, 0, 1], 60); // [[1, 61], [61, 63]]
 */
export function nabWindows(times: ArrayLike<number>, trueChangepoints: ArrayLike<number>, windowSeconds = 60): Window[] {
  if (times.length !== trueChangepoints.length) {
    throw new Error(`nabWindows: ${times.length} times but ${trueChangepoints.length} changepoint labels`);
  }
  const windows: [number, number][] = [];
  for (let i = 0; i < times.length; i++) {
    if (trueChangepoints[i] === 1) windows.push([times[i], times[i] + windowSeconds]);
  }
  for (let i = 0; i + 1 < windows.length; i++) {
    if (windows[i][1] >= windows[i + 1][0]) windows[i + 1][0] = windows[i][1];
  }
  return windows;
}

/** A true changepoint's window that holds at least one predicted changepoint. */
export interface WindowDetection {
  /** index of the window (of the true changepoint) */
  window: number;
  left: number;
  /** time of the first predicted changepoint inside the window */
  detected: number;
  right: number;
}

/** How one experiment's predicted changepoints fall on its windows (`extract_cp_confusion_matrix`). */
export interface ChangepointMatch {
  /** windows with a prediction inside (`TPs`) */
  detections: WindowDetection[];
  /** times of the predicted changepoints outside every window (`FPs`) */
  falsePositives: number[];
  /** indices of the windows without a prediction (`FNs`, the missed changepoints) */
  missed: number[];
}

/**
 * Matches predicted changepoints (value 1) with windows: a window's detection is its first prediction with
 * `left <= time <= right`; predictions before the first window, strictly between two windows or after the
 * last are false positives (one at a shared edge of two cut windows counts in both and is no false positive).
 * Without windows every prediction is a false positive.
 *
 * @example
 * matchChangepoints([[1, 61]], [0, 1, 2, 70], [1, 0, 1, 1]);
 * // { detections: [{ window: 0, left: 1, detected: 2, right: 61 }], falsePositives: [0, 70], missed: [] }
 */
export function matchChangepoints(
  windows: readonly Window[],
  times: ArrayLike<number>,
  predictedChangepoints: ArrayLike<number>,
): ChangepointMatch {
  if (times.length !== predictedChangepoints.length) {
    throw new Error(`matchChangepoints: ${times.length} times but ${predictedChangepoints.length} predictions`);
  }
  const predicted: number[] = [];
  for (let i = 0; i < times.length; i++) if (predictedChangepoints[i] === 1) predicted.push(times[i]);
  predicted.sort((a, b) => a - b);
  const match: ChangepointMatch = { detections: [], falsePositives: [], missed: [] };
  if (windows.length === 0) {
    match.falsePositives.push(...predicted);
    return match;
  }
  for (const t of predicted) if (t < windows[0][0]) match.falsePositives.push(t);
  for (let w = 0; w < windows.length; w++) {
    const [left, right] = windows[w];
    const inside = predicted.find((t) => t >= left && t <= right);
    if (inside === undefined) match.missed.push(w);
    else match.detections.push({ window: w, left, detected: inside, right });
    if (w + 1 < windows.length) {
      const nextLeft = windows[w + 1][0];
      for (const t of predicted) if (t > right && t < nextLeft) match.falsePositives.push(t);
    }
  }
  const lastRight = windows[windows.length - 1][1];
  for (const t of predicted) if (t > lastRight) match.falsePositives.push(t);
  return match;
}

/**
 * SKAB's "improved" NAB scaling (`my_scale`, `clear_anomalies_mode=True`, 1000 steps): the weight of a
 * detection at `detected` in `[left, right]`, from `aTp` at the left edge falling along a tanh to `aFp` at
 * the right: with `x = linspace(−π/2, π/2, 1000)`,
 * `y = (aTp − aFp)/2 · −tanh(koef·x)/tanh(π·koef/2) + (aTp − aFp)/2 + aFp`, taken at
 * `event = trunc((detected − left)/(right − left) · 1000)`, capped at 999.
 *
 * @example
 * nabDetectionWeight(0, 0, 60, 1, -0.11); // 1 (detected at the changepoint)
 * nabDetectionWeight(0, 30, 60, 1, -0.11); // ≈ 0.4443 (halfway: event 500)
 */
export function nabDetectionWeight(left: number, detected: number, right: number, aTp: number, aFp: number, koef = 1): number {
  const detalization = 1000;
  let event = Math.trunc(((detected - left) / (right - left)) * detalization);
  if (event >= detalization) event = detalization - 1;
  // numpy.linspace: start + i·step, the last point set to stop exactly
  const start = -Math.PI / 2;
  const stop = Math.PI / 2;
  const step = (stop - start) / (detalization - 1);
  const x = event === detalization - 1 ? stop : event * step + start;
  const half = (aTp - aFp) / 2;
  return ((half * -1 * Math.tanh(koef * x)) / Math.tanh((Math.PI * koef) / 2)) + half + aFp;
}

/** One experiment's scored rows for the changepoint score. */
export interface ChangepointExperiment {
  /** time of each row in seconds, non-decreasing */
  times: ArrayLike<number>;
  /** the `changepoint` column (1 = a true changepoint) */
  trueChangepoints: ArrayLike<number>;
  /** predicted changepoints (1 = predicted), e.g. `changepointsOf(prediction)` */
  predictedChangepoints: ArrayLike<number>;
}

/** The NAB score of a set of experiments. */
export interface NabResult {
  /** NAB score per profile, `100 · (S − S_null)/(S_perfect − S_null)` over the pooled sums */
  standard: number;
  lowFP: number;
  lowFN: number;
  /** true changepoints without a prediction in their window, over all experiments */
  missed: number;
  /** predicted changepoints outside every window, over all experiments */
  falsePositives: number;
  /** true changepoints (windows), over all experiments */
  changepoints: number;
}

/**
 * The NAB score as SKAB's `chp_score(true_cp, predicted_cp, metric="nab", window_width="60s",
 * anomaly_window_destination="righter")`, with the missed changepoints and false positives its
 * `metric="average_time"` reports. Per experiment and profile:
 * `S = aFp·#FP + aFn·#missed + Σ nabDetectionWeight(...)`, `S_perfect = #windows·aTp`,
 * `S_null = #windows·aFn`; the three are summed over experiments before the ratio, unrounded
 * (NaN when there is no true changepoint at all, where Python divides by zero).
 *
 * @example
 * nabScore([{ times: [0, 1, 2], trueChangepoints: [0, 1, 0], predictedChangepoints: [0, 1, 0] }]);
 * // { standard: 100, lowFP: 100, lowFN: 100, missed: 0, falsePositives: 0, changepoints: 1 }
 */
export function nabScore(experiments: readonly ChangepointExperiment[], windowSeconds = 60): NabResult {
  const names: NabProfileName[] = ["standard", "lowFP", "lowFN"];
  const score = { standard: 0, lowFP: 0, lowFN: 0 };
  const perfect = { standard: 0, lowFP: 0, lowFN: 0 };
  const nul = { standard: 0, lowFP: 0, lowFN: 0 };
  let missed = 0;
  let falsePositives = 0;
  let changepoints = 0;
  for (const e of experiments) {
    for (let i = 1; i < e.times.length; i++) {
      if (!(e.times[i] >= e.times[i - 1])) throw new Error(`nabScore: times are not sorted at row ${i}`);
    }
    const windows = nabWindows(e.times, e.trueChangepoints, windowSeconds);
    const match = matchChangepoints(windows, e.times, e.predictedChangepoints);
    missed += match.missed.length;
    falsePositives += match.falsePositives.length;
    changepoints += windows.length;
    for (const name of names) {
      const p = NAB_PROFILES[name];
      let s = p.aFp * match.falsePositives.length + p.aFn * match.missed.length;
      for (const d of match.detections) s += nabDetectionWeight(d.left, d.detected, d.right, p.aTp, p.aFp);
      score[name] += s;
      perfect[name] += windows.length * p.aTp;
      nul[name] += windows.length * p.aFn;
    }
  }
  const ratio = (name: NabProfileName): number =>
    changepoints === 0 ? NaN : (100 * (score[name] - nul[name])) / (perfect[name] - nul[name]);
  return { standard: ratio("standard"), lowFP: ratio("lowFP"), lowFN: ratio("lowFN"), missed, falsePositives, changepoints };
}
