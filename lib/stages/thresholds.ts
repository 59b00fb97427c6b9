/**
 * The thresholds stage: calibrates per axis the alert level MinC and the
 * error level MaxC (percentiles of the positive residuals, or of the
 * configured statistic, after trimming the largest) and the sustain steps
 * `T_long_steps`/`T_short_steps` (from the run lengths above each level),
 * then summarises the runs. `calibrateThresholds` takes the DataFrame from
 * `predict`, `calibrateColumns` is its typed core.
 */
import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { predictionFromDataFrame } from "./predict";
import { pythonFloatRepr } from "../core/pythonFloat";
import { recordedStatistic, statisticColumn, statisticSpec, type StatisticOptions, type StatisticSpec } from "../model/statistic";
import { percentileSorted, quantileSorted, rankView, roundHalfEven, sortedView } from "../stats";
import type { AxisThresholds, Prediction, ThresholdPolicy } from "../shapes/types";

/** Smallest sampling interval used to turn seconds into steps (avoids dividing by 0). */
const MIN_DT_SECONDS = 1e-9;

/**
 * Lengths of the runs of consecutive rows whose residual is ≥ `threshold`,
 * in row (time) order. NaN never reaches a threshold, so it ends a run.
 */
export function runLengths(residual: Float64Array, threshold: number): Int32Array {
  const runs: number[] = [];
  let length = 0;
  for (let i = 0; i < residual.length; i++) {
    if (residual[i] >= threshold) {
      length++;
    } else if (length > 0) {
      runs.push(length);
      length = 0;
    }
  }
  if (length > 0) runs.push(length);
  return Int32Array.from(runs);
}

/** `[runLengths(residual, first), runLengths(residual, second)]` in one pass over the column. */
function runLengthsOfBoth(residual: Float64Array, first: number, second: number): [Int32Array, Int32Array] {
  const runs: [number[], number[]] = [[], []];
  let a = 0;
  let b = 0;
  for (let i = 0; i < residual.length; i++) {
    const value = residual[i];
    if (value >= first) a++;
    else if (a > 0) {
      runs[0].push(a);
      a = 0;
    }
    if (value >= second) b++;
    else if (b > 0) {
      runs[1].push(b);
      b = 0;
    }
  }
  if (a > 0) runs[0].push(a);
  if (b > 0) runs[1].push(b);
  return [Int32Array.from(runs[0]), Int32Array.from(runs[1])];
}

/** `max(1, round_half_even(seconds / max(dt, 1e-9)))`: a duration in sampling steps. */
export function secondsToSteps(seconds: number, dtSeconds: number): number {
  return Math.max(1, roundHalfEven(seconds / Math.max(dtSeconds, MIN_DT_SECONDS)));
}

/** `max(default steps, ceil(quantile(runs, q)))`, or the default steps when there are no runs. */
function sustainSteps(runs: Int32Array, quantile: number, defaultSteps: number): number {
  if (runs.length === 0) return defaultSteps;
  const sorted = Float64Array.from(runs).sort();
  return Math.max(defaultSteps, Math.ceil(quantileSorted(sorted, quantile)));
}

/** Where a float64's high 32-bit word sits in a Uint32Array over it (platform byte order). */
const HIGH_WORD = new Uint32Array(new Float64Array([1]).buffer)[1] === 0x3ff00000 ? 1 : 0;

/**
 * How the positive values of `residual` spread over buckets of their top 16
 * bits (sign bit 0, so 15 bits of key; 4 mantissa bits: about 16 buckets per
 * power of two): positive doubles order like their bit patterns, so bucket
 * order is value order. One pass; `count` is the number of positive values.
 */
export function positiveHistogram(residual: Float64Array): { readonly buckets: Int32Array; readonly count: number } {
  const words = new Uint32Array(residual.buffer, residual.byteOffset, residual.length * 2);
  const buckets = new Int32Array(1 << 15);
  let count = 0;
  for (let i = 0; i < residual.length; i++) {
    if (residual[i] > 0) {
      buckets[words[2 * i + HIGH_WORD] >>> 16]++;
      count++;
    }
  }
  return { buckets, count };
}

/** The ranks (0-based, ascending) `percentileSorted` reads for percentile `p` of `n` values. */
export function percentileRanks(n: number, p: number): number[] {
  const virtualIndex = (n - 1) * (p / 100);
  const below = Math.min(n - 1, Math.max(0, Math.floor(virtualIndex)));
  return [below, Math.min(n - 1, below + 1)];
}

/**
 * The positive values of `residual` seen in ascending order, as an ArrayLike
 * of the smallest `length` for `percentileSorted`, without a copy of them all:
 * reading a rank copies only its bucket ({@link positiveHistogram}), whose
 * ranks are then selected ({@link rankView}). The buckets of the ranks in
 * `expected` are copied up front in one pass; any other rank read opens its
 * bucket then.
 */
export function positiveRanks(residual: Float64Array, histogram: ReturnType<typeof positiveHistogram>, length: number, expected: readonly number[]): ArrayLike<number> {
  const { buckets, count } = histogram;
  const words = new Uint32Array(residual.buffer, residual.byteOffset, residual.length * 2);
  // through[b]: how many values buckets 0..b hold (ascending), so a rank's bucket is a binary search.
  const through = new Float64Array(buckets.length);
  for (let b = 0, sum = 0; b < buckets.length; b++) through[b] = sum += buckets[b];
  /** The bucket holding rank `r` (the first whose running count exceeds it), and how many values the buckets before it hold. */
  const locate = (r: number): { bucket: number; below: number } => {
    let lo = 0;
    let hi = buckets.length - 1;
    while (lo < hi) {
      const middle = (lo + hi) >>> 1;
      if (through[middle] > r) hi = middle;
      else lo = middle + 1;
    }
    return { bucket: lo, below: lo === 0 ? 0 : through[lo - 1] };
  };
  const opened = new Map<number, ArrayLike<number>>();
  /** Copies the positive values of `wanted` buckets in one pass over the column. */
  const open = (wanted: readonly number[]): void => {
    const slot = new Int32Array(buckets.length).fill(-1);
    const copies = wanted.map((bucket, k) => {
      slot[bucket] = k;
      return new Float64Array(buckets[bucket]);
    });
    const filled = new Int32Array(wanted.length);
    for (let i = 0; i < residual.length; i++) {
      if (!(residual[i] > 0)) continue;
      const k = slot[words[2 * i + HIGH_WORD] >>> 16];
      if (k >= 0) copies[k][filled[k]++] = residual[i];
    }
    wanted.forEach((bucket, k) => opened.set(bucket, rankView(copies[k])));
  };
  const inRange = expected.filter((r) => r >= 0 && r < Math.min(length, count));
  if (inRange.length > 0) open([...new Set(inRange.map((r) => locate(r).bucket))]);
  const rank = (r: number): number => {
    const { bucket, below } = locate(r);
    if (!opened.has(bucket)) open([bucket]);
    return (opened.get(bucket) as ArrayLike<number>)[r - below];
  };
  return sortedView(Math.min(length, count), rank);
}

/** MinC/MaxC from the positive residuals, and the method's name. */
function residualLevels(residual: Float64Array, policy: ThresholdPolicy): { MinC: number; MaxC: number; method: string } {
  const histogram = positiveHistogram(residual);
  const n = histogram.count;
  if (n > 0 && n < policy.min_pos_for_trim && policy.use_mad_fallback) {
    const positive = new Float64Array(n);
    for (let i = 0, at = 0; at < n; i++) if (residual[i] > 0) positive[at++] = residual[i];
    // simple-statistics' median and MAD average the two middle values, as numpy's median does.
    // Loaded here, for the few windows that need it: it weighs about 6 MiB.
    const ss = require("simple-statistics") as typeof import("simple-statistics");
    const values = Array.from(positive.sort());
    const center = ss.median(values);
    const mad = ss.medianAbsoluteDeviation(values);
    return { MinC: center + 2 * mad, MaxC: center + 3 * mad, method: "median+MAD" };
  }
  let kept = n;
  if (n >= policy.min_pos_for_trim && policy.trim_top_ratio > 0) kept = Math.min(n, Math.max(1, Math.floor(n * (1 - policy.trim_top_ratio))));
  // The percentiles read a few ranks of the sorted positive values (the smallest `kept`): find those, sort nothing.
  const percentiles = [policy.minc_percentile, policy.maxc_percentile];
  const sorted = positiveRanks(residual, histogram, kept, kept === 0 ? [] : percentiles.flatMap((p) => percentileRanks(kept, p)));
  const level = (p: number): number => (kept === 0 ? 0 : percentileSorted(sorted, p));
  return {
    MinC: level(policy.minc_percentile),
    MaxC: level(policy.maxc_percentile),
    method: `trim_top=${pythonFloatRepr(policy.trim_top_ratio)}`,
  };
}

/**
 * Calibrates one axis from its residuals (actual − predicted, every row in
 * time order) exactly as the Python pipeline does; the same policy code
 * calibrates a smoothed statistic when given its values instead (see
 * {@link calibrateColumns}):
 * - `pos` = residuals > 0. With `0 < len(pos) < min_pos_for_trim` and
 *   `use_mad_fallback`: `MinC = median + 2·MAD`, `MaxC = median + 3·MAD`
 *   (MAD = median absolute deviation from the median, unscaled; method
 *   `median+MAD`).
 * - Otherwise, with `len(pos) ≥ min_pos_for_trim` and `trim_top_ratio > 0`,
 *   keep the smallest `max(1, floor(n·(1 − trim_top_ratio)))`; MinC/MaxC are
 *   numpy linear percentiles `minc_percentile`/`maxc_percentile` of what is
 *   kept (0 when nothing is; method `trim_top=<ratio>`).
 * - `T_long_steps = max(steps(alert_seconds_default), ceil(quantile(alert runs, alert_quantile)))`
 *   where alert runs are runs of residual ≥ MinC, `steps(s) = max(1, round_half_even(s / dt))`;
 *   `T_short_steps` likewise with residual ≥ MaxC and the error values. No runs → the default.
 */
export function calibrateAxis(residual: Float64Array, dtSeconds: number, policy: ThresholdPolicy): AxisThresholds {
  const { MinC, MaxC, method } = residualLevels(residual, policy);
  const [alertRuns, errorRuns] = runLengthsOfBoth(residual, MinC, MaxC);
  return {
    MinC,
    MaxC,
    T_long_steps: sustainSteps(alertRuns, policy.alert_quantile, secondsToSteps(policy.alert_seconds_default, dtSeconds)),
    T_short_steps: sustainSteps(errorRuns, policy.error_quantile, secondsToSteps(policy.error_seconds_default, dtSeconds)),
    dt_seconds: dtSeconds,
    policy,
    meta: { method },
  };
}

/**
 * The values of statistic `spec` for axis `i` of a prediction over its whole window, from a
 * fresh state (the residuals themselves for `residual`); a gap larger than `maxGapSeconds`
 * (default null: none) between consecutive rows resets the state, as the scorer does.
 */
export function axisStatistic(prediction: Prediction, i: number, spec: StatisticSpec, maxGapSeconds: number | null = null): Float64Array {
  return statisticColumn(spec, prediction.residual[i], NaN, { timeS: prediction.timeS, maxGapSeconds }).values;
}

/**
 * Typed core of {@link calibrateThresholds}. Per axis: the statistic of `options`
 * (`statisticSpec`, default residual) over the window, then {@link calibrateAxis} on its
 * values; a non-residual statistic is recorded as the axis's `statistic`.
 *
 * @example
 * import { DEFAULT_THRESHOLD_POLICY, calibrateColumns, predictColumns, trainColumns } from "mlbox";
 * const timeS = Float64Array.from({ length: 200 }, (_, i) => i); // one sample a second
 * const values = [timeS.map((t) => 2 + 0.01 * t + Math.sin(t))];
 * const prediction = predictColumns(timeS, trainColumns(timeS, ["a"], values), values);
 * calibrateColumns(prediction, 1, DEFAULT_THRESHOLD_POLICY).a; // { MinC, MaxC, T_long_steps, T_short_steps, … }
 */
export function calibrateColumns(
  prediction: Prediction,
  dtSeconds: number,
  policy: ThresholdPolicy,
  options: StatisticOptions = {},
): Readonly<Record<string, AxisThresholds>> {
  if (!Number.isFinite(dtSeconds) || dtSeconds < 0) {
    throw new InputError(`calibrateThresholds: dtSeconds must be a finite number ≥ 0, got ${dtSeconds}`);
  }
  const out: Record<string, AxisThresholds> = {};
  prediction.axes.forEach((axis, i) => {
    const spec = statisticSpec(options, prediction.residual[i], prediction.actual[i]);
    const calibrated = calibrateAxis(axisStatistic(prediction, i, spec, options.max_gap_seconds ?? null), dtSeconds, policy);
    out[axis] = spec.type === "residual" ? calibrated : { ...calibrated, statistic: spec };
  });
  return out;
}

/**
 * Calibrates per-axis residual thresholds (MinC alert level, MaxC error
 * level) and sustain times (T_long/T_short in sampling steps) from a
 * prediction; see {@link calibrateAxis} for the exact rules.
 *
 * @param prediction The DataFrame from `predict` (`<axis>_res` columns, time order).
 * @param axes The axes to calibrate, in order.
 * @param dtSeconds The sampling interval (`analyze(...).dt_seconds`).
 * @param policy The `thresholds:` block of the config.
 * @param options The statistic to calibrate on: pass `config.scoring` (`statistic`, `ewma_alpha`,
 *   `cusum_k`, `max_gap_seconds`); default: the residual.
 *
 * @example
 * import { analyze, calibrateThresholds, extractWindow, loadConfig, predict, prepare, resolveConfigPath, train } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const axes = prepared.frame.columns.slice(1);
 * const predicted = predict(prepared.frame, train(prepared.frame, axes));
 * const thresholds = calibrateThresholds(predicted, axes, analyze(raw, config.data.time_col).dt_seconds, config.thresholds, config.scoring);
 * thresholds[axes[0]]; // MinC, MaxC, T_long_steps, T_short_steps, the policy they came from
 */
export function calibrateThresholds(
  prediction: dfd.DataFrame,
  axes: readonly string[],
  dtSeconds: number,
  policy: ThresholdPolicy,
  options: StatisticOptions = {},
): Readonly<Record<string, AxisThresholds>> {
  return calibrateColumns(predictionFromDataFrame(prediction, axes, "calibrateThresholds"), dtSeconds, policy, options);
}

/**
 * Run-length summary per axis: how many runs of the calibrated statistic (the
 * residual unless thresholds record another) ≥ MinC (alert) and ≥ MaxC (error)
 * the window has, the longest of each, the calibrated sustain steps, and how
 * many runs last at least that long (`alerts`, `errors`: what the model would
 * have raised on its own training window).
 *
 * @param options `max_gap_seconds` (default null) as calibration had it.
 */
export function runLengthSummary(
  prediction: Prediction,
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: { readonly max_gap_seconds?: number | null } = {},
): {
  axis: string;
  alert_runs: number;
  longest_alert: number;
  T_long_steps: number;
  alerts: number;
  error_runs: number;
  longest_error: number;
  T_short_steps: number;
  errors: number;
}[] {
  return prediction.axes.flatMap((axis, i) => {
    const t = thresholds[axis];
    if (!t) return [];
    const values = axisStatistic(prediction, i, recordedStatistic(t), options.max_gap_seconds ?? null);
    const alert = runLengths(values, t.MinC);
    const error = runLengths(values, t.MaxC);
    const longest = (runs: Int32Array): number => runs.reduce((m, r) => Math.max(m, r), 0);
    return [
      {
        axis,
        alert_runs: alert.length,
        longest_alert: longest(alert),
        T_long_steps: t.T_long_steps,
        alerts: alert.filter((r) => r >= t.T_long_steps).length,
        error_runs: error.length,
        longest_error: longest(error),
        T_short_steps: t.T_short_steps,
        errors: error.filter((r) => r >= t.T_short_steps).length,
      },
    ];
  });
}
