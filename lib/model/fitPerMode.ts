import { fitLinear } from "./fitLinear";
import { FitWorkspace } from "./fitWorkspace";
import { usableSamples } from "./leastSquares";
import type { ModeModel, PerModeModel } from "../shapes/types";

/** Lloyd iterations stop here at the latest (they normally converge much sooner). */
const MAX_ITERATIONS = 100;

/**
 * Index of the mode whose line at `timeS` is nearest `value` (the lower index
 * on a tie), or −1 when `value` is not finite.
 */
export function nearestMode(modes: readonly ModeModel[], timeS: number, value: number): number {
  let best = -1;
  let bestDistance = Infinity;
  for (let m = 0; m < modes.length; m++) {
    const distance = Math.abs(value - (timeS * modes[m].coef + modes[m].intercept));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = m;
    }
  }
  return best;
}

/**
 * Value of a per-mode trend for a sample: the line of {@link nearestMode}
 * (`timeS * coef + intercept`); NaN when `value` is not finite.
 */
export function perModeValue(model: PerModeModel, timeS: number, value: number): number {
  const m = nearestMode(model.modes, timeS, value);
  return m < 0 ? NaN : timeS * model.modes[m].coef + model.modes[m].intercept;
}

/**
 * {@link perModeValue} of every sample (`timeS[i]`, `values[i]`), into `into`: the same operations
 * ({@link nearestMode}'s first strictly nearest line), the modes' numbers read once.
 *
 * @example
 * perModeColumn(model, timeS, values, new Float64Array(timeS.length));
 */
export function perModeColumn(model: PerModeModel, timeS: Float64Array, values: Float64Array, into: Float64Array): Float64Array {
  const coef = Float64Array.from(model.modes, (mode) => mode.coef);
  const intercept = Float64Array.from(model.modes, (mode) => mode.intercept);
  const k = coef.length;
  for (let i = 0; i < timeS.length; i++) {
    const t = timeS[i];
    const value = values[i];
    let best = -1;
    let bestDistance = Infinity;
    for (let m = 0; m < k; m++) {
      const distance = Math.abs(value - (t * coef[m] + intercept[m]));
      if (distance < bestDistance) {
        bestDistance = distance;
        best = m;
      }
    }
    into[i] = best < 0 ? NaN : t * coef[best] + intercept[best];
  }
  return into;
}

/**
 * One trend per operating mode. Levels: 1-D k-means (k = `modes`) on the
 * usable values (idle zeros and non-finite values left out), started at the
 * sorted values' quantiles (j + 0.5)/k, then Lloyd's iterations (each value
 * to the nearest level — a value at or below the midpoint of two adjacent
 * levels to the lower one —, each level to the mean of its values, a level
 * left without values dropped) until no value changes level (at most 100
 * iterations); deterministic. Each mode then gets its own line
 * ({@link fitLinear}) on the samples of its level; `level` is the k-means
 * mean. Prediction assigns a sample to the mode whose line at its time is
 * nearest its value ({@link perModeValue}).
 *
 * @param modes 2..8 (`model.modes`, default 3)
 * @param workspace Where the work columns come from and go back to (one per training: the axes reuse them).
 * @throws InputError when the axis has no usable sample.
 * @example
 * fitPerMode("axis_1", timeS, values, 3); // { type: "per_mode", modes: [{ level, coef, intercept, samples_used }, …], … }
 */
export function fitPerMode(axis: string, timeS: Float64Array, values: Float64Array, modes: number, workspace = new FitWorkspace()): PerModeModel {
  const { timeS: t, values: y } = usableSamples(axis, timeS, values, workspace);
  const n = y.length;
  // In 1-D every level owns a contiguous range of the sorted values: ranges by binary search, means by prefix sums.
  const sorted = workspace.take(n);
  sorted.set(y);
  sorted.sort();
  const prefix = workspace.take(n + 1);
  prefix[0] = 0;
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];
  let levels = Array.from({ length: modes }, (_, j) => sorted[Math.min(n - 1, Math.floor(((j + 0.5) * n) / modes))]);
  let cuts: number[] = [];
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    // cuts[m]: how many sorted values belong to levels 0..m.
    const next = levels.map((level, m) => (m === levels.length - 1 ? n : countAtMost(sorted, (level + levels[m + 1]) / 2)));
    if (next.length === cuts.length && next.every((cut, m) => cut === cuts[m])) break;
    cuts = next;
    const kept: number[] = [];
    const keptCuts: number[] = [];
    cuts.forEach((cut, m) => {
      const from = m === 0 ? 0 : cuts[m - 1];
      if (cut > from) {
        kept.push((prefix[cut] - prefix[from]) / (cut - from));
        keptCuts.push(cut);
      }
    });
    levels = kept;
    cuts = keptCuts;
  }
  const midpoints = Float64Array.from(levels.slice(1), (level, m) => (levels[m] + level) / 2);
  // Each sample's level (0..k−1, in a byte: k ≤ 8), then each level's samples in row order, counted first.
  const label = new Uint8Array(n);
  const counts = new Int32Array(levels.length);
  for (let i = 0; i < n; i++) {
    const value = y[i];
    let m = 0;
    while (m < midpoints.length && value > midpoints[m]) m++;
    label[i] = m;
    counts[m]++;
  }
  workspace.give(sorted, prefix);
  const fitted: ModeModel[] = levels.map((level, m) => {
    const memberT = workspace.take(counts[m]);
    const memberY = workspace.take(counts[m]);
    for (let i = 0, k = 0; i < n; i++) {
      if (label[i] !== m) continue;
      memberT[k] = t[i];
      memberY[k] = y[i];
      k++;
    }
    const line = fitLinear(axis, memberT, memberY);
    workspace.give(memberT, memberY);
    return { level, coef: line.coef, intercept: line.intercept, samples_used: line.samples_used };
  });
  workspace.give(t, y);
  return { axis, type: "per_mode", modes: fitted, samples_used: n };
}

/** How many of the ascending `sorted` values are ≤ `limit`. */
function countAtMost(sorted: Float64Array, limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] <= limit) low = middle + 1;
    else high = middle;
  }
  return low;
}
