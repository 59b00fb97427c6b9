/**
 * The analyze stage: profiles an extracted window before anything is fitted —
 * row count, sampling interval (`dt_seconds`, the median time step), first
 * and last time, and per axis the count, missing values, share of exact
 * zeros (idle samples), min, max and mean; plus the sampling gaps notebook
 * 01 shows. `analyze` takes the DataFrame from `extract`, `profileColumns`
 * is its typed core.
 */
import type * as dfd from "danfojs-node";
import { isIdleSample } from "../core/idleSample";
import { medianSorted, rankView } from "../stats";
import { frameColumns } from "../shapes/timeColumn";

/** Profile of one axis over the extracted window. */
export interface AxisProfile {
  readonly axis: string;
  /** Non-NaN values. */
  readonly count: number;
  readonly nan_count: number;
  /** Share of all rows that are idle (exactly 0, see `isIdleSample`). */
  readonly zero_fraction: number;
  /** Over non-NaN values; NaN when there are none. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** What {@link analyze} reports about an extracted window. */
export interface Profile {
  readonly rows: number;
  /** Median of consecutive time differences in seconds; 0 when fewer than 2 rows. */
  readonly dt_seconds: number;
  /** First and last time in seconds (epoch seconds for timestamps); NaN when empty. */
  readonly first_time: number;
  readonly last_time: number;
  readonly axes: readonly AxisProfile[];
}

/** Differences between consecutive times (length n − 1; empty for fewer than 2 rows). */
export function timeSteps(time: Float64Array): Float64Array {
  return time.subarray(1).map((t, i) => t - time[i]);
}

/**
 * Median of the {@link timeSteps} of ascending `time` (NaN steps left out); 0 when there is none.
 * `scratch` (default: a new column) is at least `time.length − 1` long and is overwritten.
 */
export function medianTimeStep(time: Float64Array, scratch?: Float64Array): number {
  // One scratch column, and the middle ranks selected rather than every step sorted.
  const steps = scratch ?? new Float64Array(Math.max(0, time.length - 1));
  let count = 0;
  for (let i = 1; i < time.length; i++) {
    const step = time[i] - time[i - 1];
    if (!Number.isNaN(step)) steps[count++] = step;
  }
  return count === 0 ? 0 : medianSorted(rankView(steps.subarray(0, count)));
}

/** A gap in the sampling: a step longer than expected. */
export interface SamplingGap {
  /** Row index of the sample after the gap. */
  readonly row: number;
  /** Time of the sample before the gap (seconds, as extracted). */
  readonly after_time: number;
  /** Length of the step in seconds. */
  readonly step_seconds: number;
  /** The step in multiples of `dt_seconds`. */
  readonly step_dt: number;
}

/**
 * Steps longer than `factor × dtSeconds`, longest first, at most `limit` of them.
 *
 * @param time ascending times in seconds
 * @param dtSeconds the median step ({@link Profile.dt_seconds})
 * @param options `factor` (default 3), `limit` (default 20)
 */
export function samplingGaps(
  time: Float64Array,
  dtSeconds: number,
  options: { readonly factor?: number; readonly limit?: number } = {},
): SamplingGap[] {
  const { factor = 3, limit = 20 } = options;
  if (!(dtSeconds > 0)) return [];
  const gaps: SamplingGap[] = [];
  timeSteps(time).forEach((step, i) => {
    if (step > factor * dtSeconds) gaps.push({ row: i + 1, after_time: time[i], step_seconds: step, step_dt: step / dtSeconds });
  });
  return gaps.sort((a, b) => b.step_seconds - a.step_seconds).slice(0, limit);
}

/** Profile of one axis column (see {@link AxisProfile}). */
export function profileAxis(axis: string, values: Float64Array): AxisProfile {
  let count = 0, zeros = 0, sum = 0;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isNaN(value)) continue;
    count++;
    if (isIdleSample(value)) zeros++;
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return {
    axis,
    count,
    nan_count: values.length - count,
    zero_fraction: values.length === 0 ? 0 : zeros / values.length,
    min: count === 0 ? NaN : min,
    max: count === 0 ? NaN : max,
    mean: count === 0 ? NaN : sum / count,
  };
}

/**
 * Typed core of {@link analyze}; `scratch` as in {@link medianTimeStep} (default: a new column).
 *
 * @example
 * import { profileColumns } from "mlbox";
 * const time = Float64Array.of(0, 2, 4, 6, 8); // seconds
 * const profile = profileColumns(time, ["a"], [Float64Array.of(1, 0, NaN, 4, 5)]);
 * [profile.dt_seconds, profile.axes[0].nan_count, profile.axes[0].zero_fraction]; // [2, 1, 0.2]
 */
export function profileColumns(time: Float64Array, axes: readonly string[], values: readonly Float64Array[], scratch?: Float64Array): Profile {
  return {
    rows: time.length,
    dt_seconds: medianTimeStep(time, scratch),
    first_time: time.length > 0 ? time[0] : NaN,
    last_time: time.length > 0 ? time[time.length - 1] : NaN,
    axes: axes.map((axis, index) => profileAxis(axis, values[index])),
  };
}

/**
 * Profiles an extracted window: row count, sampling interval `dt_seconds`
 * (median of consecutive time differences in seconds, 0 for fewer than 2
 * rows), first/last time, and per axis the count, NaN count, zero fraction,
 * min, max and mean. Every column other than `timeCol` is treated as an axis.
 *
 * @param frame The DataFrame from `extract`: `[timeCol, ...axes]`.
 * @param timeCol The time column's name (float seconds, or ISO timestamps).
 *
 * @example
 * import { analyze, extractWindow, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const profile = analyze(raw, config.data.time_col);
 * [profile.rows, profile.dt_seconds]; // rows, and the median sampling interval in seconds
 */
export function analyze(frame: dfd.DataFrame, timeCol: string): Profile {
  const { time, axes, values } = frameColumns(frame, timeCol, "analyze");
  return profileColumns(time, axes, values);
}
