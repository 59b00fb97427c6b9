import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { numericColumn, rawColumn } from "./frame";
import { isoToEpochSeconds } from "../core/time";
import type { TimeType } from "./types";

/** A DataFrame time column read back as seconds, with the type it was stored as. */
export interface TimeColumn {
  readonly seconds: Float64Array;
  readonly timeType: TimeType;
}

/**
 * Reads a DataFrame time column as seconds: numbers are float seconds; ISO
 * strings (as `extract` writes timestamps) become epoch seconds exactly
 * (`timestamptz` when they carry a zone, else `timestamp`).
 */
export function timeColumnSeconds(frame: dfd.DataFrame, column: string, stage: string): TimeColumn {
  const raw = rawColumn(frame, column, stage);
  const seconds = new Float64Array(raw.length);
  let timeType: TimeType = "float";
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i];
    if (typeof value === "number") {
      seconds[i] = value;
    } else if (typeof value === "string") {
      seconds[i] = isoToEpochSeconds(value);
      timeType = /(Z|[+-]\d\d(:?\d\d)?)$/.test(value.trim()) ? "timestamptz" : "timestamp";
    } else {
      throw new InputError(`${stage}: time column "${column}" has a missing or non-time value at row ${i}`);
    }
  }
  return { seconds, timeType };
}

/** Time (in seconds) and axis columns of a DataFrame, as typed arrays. */
export interface FrameColumns {
  /** The time column in seconds. */
  readonly time: Float64Array;
  readonly timeType: TimeType;
  readonly axes: readonly string[];
  readonly values: readonly Float64Array[];
}

/**
 * The typed columns of an extracted DataFrame: `timeCol` converted to
 * seconds (ISO timestamps → exact epoch seconds) and every other column as
 * numbers (NaN where missing).
 */
export function frameColumns(frame: dfd.DataFrame, timeCol: string, stage = "frameColumns"): FrameColumns {
  const { seconds, timeType } = timeColumnSeconds(frame, timeCol, stage);
  const axes = frame.columns.filter((column) => column !== timeCol);
  return { time: seconds, timeType, axes, values: axes.map((axis) => numericColumn(frame, axis, stage)) };
}
