/**
 * SQL fragments the in-database stages share: the finite and not-NaN row
 * filters (PostgreSQL sorts NaN above +Infinity, so NaN is excluded
 * explicitly), a per-axis `case` over the window's keys, the predicted value
 * in the in-memory operation order, and reading numbers back.
 */
import { sql, type RawBuilder } from "kysely";
import type { LinearModelSet } from "../shapes/types";
import type { SqlWindow } from "./window";

/** `y` is finite (neither ±Infinity nor NaN). */
export const FINITE = (y: RawBuilder<unknown>): RawBuilder<unknown> => sql`(${y} > '-Infinity'::float8 and ${y} < 'Infinity'::float8)`;

/** `y` is not NaN. */
export const NOT_NAN = (y: RawBuilder<unknown>): RawBuilder<unknown> => sql`(${y} <> 'NaN'::float8)`;

/** A number from a result row; NULL (or absent) reads as NaN. */
export const num = (value: unknown): number => (value === null || value === undefined ? NaN : Number(value));

/** `case k when <key> then <value> … end` over the window's axes. */
export function perAxis(window: SqlWindow, value: (index: number) => RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(case k ${sql.join(window.keys.map((key, i) => sql`when ${sql.lit(key)} then ${value(i)}`), sql` `)} end)`;
}

/** `predicted` of each row: `(t − time0)·coef + intercept`, in the in-memory operation order. */
export function predictedSql(window: SqlWindow, time0: number, models: LinearModelSet): RawBuilder<unknown> {
  return perAxis(window, (i) => sql`((t - ${time0}::float8) * ${models.models[i].coef}::float8) + ${models.models[i].intercept}::float8`);
}

/** Axis index of each group key. */
export function indexOfKey(window: SqlWindow): Map<number, number> {
  return new Map(window.keys.map((key, i) => [key, i]));
}
