import * as dfd from "danfojs-node";
import { InputError } from "./errors";

/** A column for {@link toDataFrame}: numbers (typed or not) or strings. */
export type FrameColumn = Float64Array | readonly number[] | readonly string[];

/**
 * Builds a danfo DataFrame from named columns in the given order. Columns
 * must have equal lengths. (danfo cannot hold zero rows, so neither can this.)
 */
export function toDataFrame(columns: ReadonlyArray<readonly [string, FrameColumn]>): dfd.DataFrame {
  const data: Record<string, unknown[]> = {};
  for (const [name, values] of columns) data[name] = Array.from(values as ArrayLike<unknown>);
  return new dfd.DataFrame(data, { columns: columns.map(([name]) => name) });
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
