/**
 * Clock time on chart x axes: charts compute with `time_s` (seconds since a
 * version's `time0`), and people read UTC clock time. This file turns seconds
 * into what a plotly x axis shows — ISO UTC text on a `date` axis when the
 * time column is a timestamp, the column's own seconds (labelled so) when it
 * is float seconds, plain `time_s` when no clock is known — and formats a
 * single instant the same way for tables.
 */
import type { TimeType } from "../shapes/types";

/**
 * Where `time_s = 0` is and what the time column holds: `prep_stats.json`'s `time0` and `time_type`
 * (a `PrepStats` fits). Both keys are optional in the type so that a version's `prepStats` passes as
 * it is in a notebook too (tslab compiles without strict null checks, where zod's inferred keys are
 * optional); a clock missing either is no clock (`time_s`).
 */
export interface ChartClock {
  readonly time0?: number;
  readonly time_type?: TimeType;
}

/** The x axis a chart's time becomes: its values, title and plotly axis type. */
export interface TimeAxis {
  readonly title: string;
  readonly type: "date" | "linear";
  /** Converts seconds since `time0` (or `time_s` when no clock) to x values. */
  readonly x: (timeS: ArrayLike<number>) => (number | string)[];
  /** One instant in seconds since `time0` as an x value. */
  readonly at: (timeS: number) => number | string;
}

/**
 * Epoch seconds as ISO-8601 UTC text with millisecond precision (`2022-10-18T06:44:31.000Z`), for
 * charts and tables; non-finite seconds give "".
 *
 * @example
 * import { isoUtc } from "mlbox";
 * isoUtc(1666075471); // "2022-10-18T06:44:31.000Z"
 */
export function isoUtc(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) return "";
  return new Date(Math.round(epochSeconds * 1000)).toISOString();
}

/**
 * The x axis for times in seconds since `clock.time0`: a `date` axis of ISO UTC strings for
 * `timestamp`/`timestamptz` columns ("time (UTC)"), the time column's own float seconds for `float`
 * columns ("time (s, as the time column holds it)"), and `time_s` itself when `clock` is undefined.
 *
 * @example
 * import { timeAxis } from "mlbox";
 * timeAxis({ time0: 1666075471, time_type: "timestamptz" }).x([0, 60]); // ["2022-10-18T06:44:31.000Z", "2022-10-18T06:45:31.000Z"]
 */
export function timeAxis(clock: ChartClock | undefined): TimeAxis {
  const time0 = clock?.time0;
  if (clock === undefined || typeof time0 !== "number" || clock.time_type === undefined) {
    return { title: "time_s (s since the model's start)", type: "linear", x: (t) => Array.from(t), at: (t) => t };
  }
  if (clock.time_type === "float") {
    const at = (t: number): number => t + time0;
    return { title: "time (s, as the time column holds it)", type: "linear", x: (t) => Array.from(t, at), at };
  }
  const at = (t: number): string => isoUtc(t + time0);
  return { title: "time (UTC)", type: "date", x: (t) => Array.from(t, at), at };
}

/**
 * One instant of a time column as a table shows it: ISO UTC text for timestamps, the number itself
 * for float seconds.
 *
 * @example
 * import { clockValue } from "mlbox";
 * clockValue(1666075471, "timestamptz"); // "2022-10-18T06:44:31.000Z"
 */
export function clockValue(epochSeconds: number, timeType: TimeType): number | string {
  return timeType === "float" ? epochSeconds : isoUtc(epochSeconds);
}
