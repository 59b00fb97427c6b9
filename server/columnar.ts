/**
 * Reading a columnar `POST /v1/score` body — `{ "stream": …, "columns": { "ts": [...], "<axis>": [...] } }` —
 * into the scorer's columns in one pass per column, under the same rules as the `samples` form
 * (server/samples.ts): times finite, at or after 1970 and within the horizon; values finite numbers or
 * null; an axis left out is missing on every row. A gateway forwarding a fleet's data sends arrays, not
 * one object per sample, and the service copies each array straight into a Float64Array.
 */
import { InputError } from "../lib/core/errors";
import { didYouMean } from "../lib/core/schema";
import { isoToEpochSeconds } from "../lib/core/time";
import type { ScoreBatch, ScoringModel } from "../lib/scoring/score";
import { echo, type TimeHorizon } from "./samples";

/**
 * Columns may come as Float64Arrays, from the body reader (server/columnarBody.ts): times finite, values finite
 * or NaN for null, so only the time bounds are left to check.
 */

/** The rows of a columnar body: the length of its `ts` array (for the request's sample limits). */
export function columnarRows(columns: Readonly<Record<string, unknown>>): number {
  const ts = columns.ts;
  if (ts instanceof Float64Array) return ts.length;
  if (!Array.isArray(ts)) throw new InputError(`columns.ts must be an array of times, got ${echo(ts)}`);
  return ts.length;
}

/**
 * The columns of a request as a scorer batch, naming the first bad value as `columns.<name>[i]`.
 *
 * @example
 * const batch = readColumns(model, { ts: [1700000000, 1700000001], axis1: [0.5, null] }, { maxFutureSeconds: 86_400 });
 * batch.values[0]; // Float64Array [0.5, NaN]
 * @throws InputError for a missing or empty `ts`, a column of another length, an unknown axis, a bad time
 *   or a value that is neither a finite number nor null.
 */
export function readColumns(model: ScoringModel, columns: Readonly<Record<string, unknown>>, horizon: TimeHorizon): ScoreBatch {
  const n = columnarRows(columns);
  if (n === 0) throw new InputError("columns.ts must hold at least one time");
  const ts = columns.ts as ArrayLike<unknown>;
  const latest = (horizon.now ?? (() => Date.now() / 1000))() + horizon.maxFutureSeconds;
  const time = ts instanceof Float64Array ? ts : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const raw = ts[i];
    let seconds: number;
    if (typeof raw === "number" && Number.isFinite(raw)) seconds = raw;
    else if (typeof raw === "string" && model.timeType !== "float") seconds = isoToEpochSeconds(raw);
    else {
      const want = model.timeType === "float" ? "a number of seconds" : "an ISO-8601 timestamp or epoch seconds";
      throw new InputError(`columns.ts[${i}] must be ${want}, got ${echo(raw)}`);
    }
    if (!(seconds >= 0)) throw new InputError(`columns.ts[${i}] is before 1970 (${echo(raw)}): times must be at or after 0 s (1970-01-01T00:00:00Z)`);
    if (seconds > latest) {
      throw new InputError(
        `columns.ts[${i}] is more than ${horizon.maxFutureSeconds} s after now (${echo(raw)}): the service refuses times beyond that horizon, so one bad clock cannot block its stream`,
      );
    }
    time[i] = seconds;
  }
  const index = new Map(model.axes.map((axis, a) => [axis, a] as const));
  const values: (Float64Array | undefined)[] = model.axes.map(() => undefined);
  for (const key of Object.keys(columns)) {
    if (key === "ts") continue;
    const a = index.get(key);
    if (a === undefined) {
      throw new InputError(`columns: unknown axis ${echo(key)} (model ${model.version} axes: ${model.axes.join(", ")})${didYouMean(key, model.axes)}`);
    }
    const column = columns[key];
    if (column instanceof Float64Array) {
      if (column.length !== n) throw new InputError(`columns.${key} has ${column.length} values, columns.ts ${n}: every column needs one value per time`);
      values[a] = column;
      continue;
    }
    if (!Array.isArray(column)) throw new InputError(`columns.${key} must be an array of numbers or nulls, got ${echo(column)}`);
    if (column.length !== n) throw new InputError(`columns.${key} has ${column.length} values, columns.ts ${n}: every column needs one value per time`);
    const into = (values[a] = new Float64Array(n).fill(NaN));
    for (let i = 0; i < n; i++) {
      const value: unknown = column[i];
      if (typeof value === "number" && Number.isFinite(value)) into[i] = value;
      else if (typeof value === "number") throw new InputError(`columns.${key}[${i}] must be a finite number, got ${echo(value)}`);
      else if (value !== null) throw new InputError(`columns.${key}[${i}] must be a number or null, got ${echo(value)}`);
    }
  }
  return { time, values: values.map((column) => column ?? new Float64Array(n).fill(NaN)) };
}
