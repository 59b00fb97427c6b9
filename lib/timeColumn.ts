import * as dfd from "danfojs-node";
import { InputError } from "./errors";
import { rawColumn } from "./frame";
import { isoToEpochSeconds } from "./time";
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
