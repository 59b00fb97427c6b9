import type * as dfd from "danfojs-node";
import { medianSorted } from "./stats";
import { frameColumns } from "./timeColumn";

/** Profile of one axis over the extracted window. */
export interface AxisProfile {
  readonly axis: string;
  /** Non-NaN values. */
  readonly count: number;
  readonly nan_count: number;
  /** Share of all rows that are exactly 0 (idle samples). */
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

/** Median of consecutive differences of ascending `time`; 0 for fewer than 2 rows. */
export function medianTimeStep(time: Float64Array): number {
  if (time.length < 2) return 0;
  const steps = new Float64Array(time.length - 1);
  let count = 0;
  for (let i = 1; i < time.length; i++) {
    const step = time[i] - time[i - 1];
    if (!Number.isNaN(step)) steps[count++] = step;
  }
  return count === 0 ? 0 : medianSorted(steps.subarray(0, count).sort());
}

/** Profile of one axis column (see {@link AxisProfile}). */
export function profileAxis(axis: string, values: Float64Array): AxisProfile {
  let count = 0, zeros = 0, sum = 0;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isNaN(value)) continue;
    count++;
    if (value === 0) zeros++;
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

/** Typed core of {@link analyze}. */
export function profileColumns(time: Float64Array, axes: readonly string[], values: readonly Float64Array[]): Profile {
  return {
    rows: time.length,
    dt_seconds: medianTimeStep(time),
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
 */
export function analyze(frame: dfd.DataFrame, timeCol: string): Profile {
  const { time, axes, values } = frameColumns(frame, timeCol, "analyze");
  return profileColumns(time, axes, values);
}
