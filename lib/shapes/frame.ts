import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";

let danfo: typeof dfd | undefined;

/**
 * The danfojs-node module, loaded on first use. Loading it takes about a
 * second (it brings TensorFlow.js), so only the DataFrame wrappers ask for it
 * and the CLI, which runs the typed cores, never does. Every other file
 * imports danfo types only (`import type`).
 */
export function danfoModule(): typeof dfd {
  danfo ??= require("danfojs-node") as typeof dfd;
  return danfo;
}

/** A column for {@link toDataFrame}: numbers (typed or not) or strings. */
export type FrameColumn = Float64Array | readonly number[] | readonly string[];

/**
 * Builds a danfo DataFrame from named columns in the given order; every
 * DataFrame ML Box returns is built here. Columns must have equal lengths.
 * Number columns get danfo's dtype `float32` (danfo's name for JS numbers,
 * no precision is lost) and string columns `string`. (danfo cannot hold zero
 * rows, so neither can this.)
 */
export function toDataFrame(columns: ReadonlyArray<readonly [string, FrameColumn]>): dfd.DataFrame {
  const rows = columns.length === 0 ? 0 : columns[0][1].length;
  for (const [name, values] of columns) {
    if (values.length !== rows) throw new Error(`toDataFrame: column "${name}" has ${values.length} rows, expected ${rows}`);
  }
  // Rows, not an object {name: values}: an object lists integer-like keys
  // ("0", "2", "10") first, and danfo would then label its values in that
  // order with the names given, swapping the columns.
  const data = Array.from({ length: rows }, (_, i) => columns.map(([, values]) => values[i]));
  return new (danfoModule().DataFrame)(data, {
    columns: columns.map(([name]) => name),
    dtypes: columns.map(([, values]) => (typeof values[0] === "string" ? "string" : "float32")),
  });
}

/** Throws an InputError naming `column`, the stage and the columns that exist, when `frame` lacks it. */
export function requireColumns(frame: dfd.DataFrame, columns: readonly string[], stage: string): void {
  const present = new Set(frame.columns);
  for (const column of columns) {
    if (!present.has(column)) {
      throw new InputError(`${stage}: column "${column}" not found in the DataFrame (columns: ${frame.columns.join(", ")})`);
    }
  }
}

/**
 * One numeric column of `frame` as a Float64Array; null, undefined and
 * non-numeric entries become NaN.
 */
export function numericColumn(frame: dfd.DataFrame, column: string, stage: string): Float64Array {
  requireColumns(frame, [column], stage);
  const values = frame.column(column).values as ArrayLike<unknown>;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out[i] = typeof value === "number" ? value : NaN;
  }
  return out;
}

/** The raw values of one column of `frame` (numbers or strings). */
export function rawColumn(frame: dfd.DataFrame, column: string, stage: string): ArrayLike<unknown> {
  requireColumns(frame, [column], stage);
  return frame.column(column).values as ArrayLike<unknown>;
}
