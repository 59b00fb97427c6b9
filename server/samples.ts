/**
 * Reading the samples of a `POST /v1/score` body into the scorer's columns,
 * refusing what would poison a stream: a time that is not a finite number, is
 * before 1970 (negative seconds) or beyond the time horizon (now + a stated
 * number of seconds), and a value that is not a finite number (`1e400` parses
 * to Infinity). Each refusal is an InputError naming the sample and field.
 */
import { InputError } from "../lib/core/errors";
import { didYouMean } from "../lib/core/schema";
import { isoToEpochSeconds } from "../lib/core/time";
import type { ScoreBatch, ScoringModel } from "../lib/scoring/score";

/** Longest echoed piece of a client's value in an error message. */
const ECHO_CHARS = 60;

/** A client's value for a message: JSON, cut to {@link ECHO_CHARS} characters. */
export function echo(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return "a number beyond the double range";
  const text = JSON.stringify(value) ?? "nothing";
  return text.length <= ECHO_CHARS ? text : `${text.slice(0, ECHO_CHARS)}… (${text.length} characters)`;
}

/** Bounds a sample's time must fall in, in seconds. */
export interface TimeHorizon {
  /** Latest accepted time: now + this many seconds. */
  readonly maxFutureSeconds: number;
  /** The clock, in epoch seconds (tests pass their own). */
  readonly now?: () => number;
}

/**
 * The samples of a request as a scorer batch, naming the first bad sample.
 *
 * @example
 * const batch = readSamples(model, [{ ts: 1700000000, axis1: 0.5 }], { maxFutureSeconds: 86_400 });
 * @throws InputError for a sample that is not an object, a missing, non-finite, negative or far-future time,
 *   an unknown axis, or a value that is neither a finite number nor null.
 */
export function readSamples(model: ScoringModel, samples: readonly unknown[], horizon: TimeHorizon): ScoreBatch {
  const n = samples.length;
  const time = new Float64Array(n);
  const values = model.axes.map(() => new Float64Array(n).fill(NaN));
  const column = new Map(model.axes.map((axis, a) => [axis, a] as const));
  const latest = (horizon.now ?? (() => Date.now() / 1000))() + horizon.maxFutureSeconds;
  for (let i = 0; i < n; i++) {
    const sample = samples[i];
    if (typeof sample !== "object" || sample === null || Array.isArray(sample)) {
      throw new InputError(`samples[${i}] must be an object {"ts": …, "<axis>": value}`);
    }
    const record = sample as Record<string, unknown>;
    const ts = record.ts;
    let seconds: number;
    if (typeof ts === "number" && Number.isFinite(ts)) seconds = ts;
    else if (typeof ts === "string" && model.timeType !== "float") seconds = isoToEpochSeconds(ts);
    else {
      const want = model.timeType === "float" ? "a number of seconds" : "an ISO-8601 timestamp or epoch seconds";
      throw new InputError(`samples[${i}].ts must be ${want}, got ${echo(ts)}`);
    }
    if (!(seconds >= 0)) throw new InputError(`samples[${i}].ts is before 1970 (${echo(ts)}): times must be at or after 0 s (1970-01-01T00:00:00Z)`);
    if (seconds > latest) {
      throw new InputError(
        `samples[${i}].ts is more than ${horizon.maxFutureSeconds} s after now (${echo(ts)}): the service refuses times beyond that horizon, so one bad clock cannot block its stream`,
      );
    }
    time[i] = seconds;
    for (const key in record) {
      if (key === "ts") continue;
      const a = column.get(key);
      if (a === undefined) {
        throw new InputError(`samples[${i}]: unknown axis ${echo(key)} (model ${model.version} axes: ${model.axes.join(", ")})${didYouMean(key, model.axes)}`);
      }
      const value = record[key];
      if (typeof value === "number" && Number.isFinite(value)) values[a][i] = value;
      else if (typeof value === "number") throw new InputError(`samples[${i}].${key} must be a finite number, got ${echo(value)}`);
      else if (value !== null) throw new InputError(`samples[${i}].${key} must be a number or null, got ${echo(value)}`);
    }
  }
  return { time, values };
}
