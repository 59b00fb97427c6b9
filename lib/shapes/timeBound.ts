/**
 * One window bound (`data.train_start`, `data.train_end`, `score --from`/`--to`)
 * read for the type of the time column: a number of seconds for a float
 * column, ISO-8601 text for `timestamp`/`timestamptz`, normalised to UTC
 * with microseconds (a zone offset is applied here, since PostgreSQL would
 * ignore it for `timestamp`).
 */
import { InputError } from "../core/errors";
import { epochSecondsToIso, isoToEpochSeconds } from "../core/time";
import type { TimeType } from "./types";

/** A parsed window bound. */
export interface TimeBound {
  /** Seconds: float seconds as given, or epoch seconds (pandas-exact) of the timestamp. */
  readonly seconds: number;
  /**
   * Normalised text: the number's shortest round-trip form (PostgreSQL's
   * float8 input reads back the same double), or UTC ISO-8601 with 6
   * fractional digits (`Z` for `timestamptz`, none for `timestamp`).
   */
  readonly text: string;
}

/**
 * Parses a window bound for a time column of `timeType`.
 * @param value a finite number of seconds (float column), or ISO-8601 text or a
 *   Date (an unquoted YAML timestamp) for a `timestamp`/`timestamptz` column
 * @param key the config key or option named in a message (`data.train_start`, `--from`)
 * @param timeType the time column's type
 * @param timeCol the time column, named in a message
 * @returns the bound in seconds and as normalised text
 * @throws InputError naming `key` and `timeCol` when the value does not fit the column
 * @example
 * parseTimeBound("2025-09-01T02:00:00+02:00", "data.train_start", "timestamp", "ts");
 * // { seconds: 1756684800, text: "2025-09-01T00:00:00.000000" }
 * parseTimeBound(12.5, "data.train_end", "float", "t"); // { seconds: 12.5, text: "12.5" }
 */
export function parseTimeBound(value: unknown, key: string, timeType: TimeType, timeCol: string): TimeBound {
  if (timeType === "float") {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InputError(`${key} must be a finite number of seconds because column "${timeCol}" holds float seconds, got ${JSON.stringify(value)}`);
    }
    return { seconds: value, text: String(value) };
  }
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Date && !Number.isNaN(value.getTime())) text = value.toISOString();
  else {
    throw new InputError(`${key} must be an ISO-8601 timestamp string because column "${timeCol}" is ${timeType}, got ${JSON.stringify(value)}`);
  }
  let seconds: number;
  try {
    seconds = isoToEpochSeconds(text);
  } catch (error) {
    throw new InputError(`${key}: ${(error as Error).message}`);
  }
  return { seconds, text: epochSecondsToIso(seconds, timeType) };
}
