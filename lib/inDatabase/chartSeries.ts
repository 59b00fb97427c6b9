/**
 * The chart series of the in-database path, decimated in SQL: per time slice
 * and axis the extreme values and residuals, so the charts show what the
 * in-memory ones show without fetching the window.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { LinearModelSet, Prediction } from "../shapes/types";
import { FINITE, indexOfKey, num, predictedSql } from "./sqlParts";
import type { SqlWindow } from "./window";
import type { WindowSummary } from "./windowSummary";

/** Time buckets per axis for the chart series. */
export const CHART_BUCKETS = 300;

/**
 * Chart series decimated in SQL: the window's time span is cut into
 * `buckets` equal slices and each axis keeps per slice the lowest and the
 * highest finite non-zero value (drawn at the slice's first and last time),
 * the lowest and highest residual likewise, and one exact zero if there is
 * any, so spikes stay visible (like `decimateMinMax` in lib/charts.ts, by time
 * instead of row position, with plain min/max aggregates). The result is a
 * {@link Prediction} over the union of those times, NaN where a series has no
 * point, ready for `writeChartFiles`.
 */
export async function databaseChartSeries(
  db: Kysely<any>,
  window: SqlWindow,
  summary: WindowSummary,
  models: LinearModelSet,
  buckets = CHART_BUCKETS,
): Promise<Prediction> {
  const index = indexOfKey(window);
  const finite = (y: RawBuilder<unknown>): RawBuilder<unknown> => FINITE(y);
  if (window.wide !== undefined) {
    // WIDE: every axis's extremes per slice in one pass over the table's rows (no unpivot), each axis its columns.
    const columns = window.axes.map((_, i) => {
      const y = sql.id(`c${i}`);
      const { coef, intercept } = models.models[i];
      return sql`case when ${finite(sql`${y}`)} then ${y} end as ${sql.id(`f${i}`)},
        case when ${finite(sql`${y}`)} then ${y} - (((t - ${summary.firstTime}::float8) * ${coef}::float8) + ${intercept}::float8) end as ${sql.id(`r${i}`)}`;
    });
    const { rows } = await sql<Record<string, unknown>>`
      select ${sql.join(wideChartAggregates(window.axes.length, (name, i) => sql.id(`${name === "y" ? "c" : name}${i}`)))}
      from (select w.*, ${sql.join(columns)} from (${window.wide}) as w ${window.fence}) as s group by ${chartBucketSql(summary, buckets)}`.execute(db);
    return wideChartSeries(window, summary, models, rows);
  }
  const actualAt = window.axes.map(() => new Map<number, number>());
  const residualAt = window.axes.map(() => new Map<number, number>());
  const { rows } = await sql<Record<string, unknown>>`
    select k, min(t) as first, max(t) as last,
      min(y) filter (where ${finite(sql`y`)} and y <> 0) as lo, max(y) filter (where ${finite(sql`y`)} and y <> 0) as hi,
      min(r) filter (where ${finite(sql`y`)}) as rlo, max(r) filter (where ${finite(sql`y`)}) as rhi, max(t) filter (where y = 0) as zero
    from (select k, t, y, y - ${predictedSql(window, summary.firstTime, models)} as r, ${chartBucketSql(summary, buckets)} as b from (${window.rows}) as s ${window.fence}) as s
    group by k, b`.execute(db);
  for (const row of rows) {
    const i = index.get(num(row.k)) as number;
    put(actualAt[i], row.first, row.lo);
    put(actualAt[i], row.last, row.hi);
    put(actualAt[i], row.zero, row.zero === null ? null : 0);
    put(residualAt[i], row.first, row.rlo);
    put(residualAt[i], row.last, row.rhi);
  }
  return seriesOf(window, summary, models, actualAt, residualAt);
}

/** The time slice of `t` (`group by` expression): {@link CHART_BUCKETS} equal slices of the window's span. */
export function chartBucketSql(summary: WindowSummary, buckets = CHART_BUCKETS): RawBuilder<unknown> {
  const span = summary.lastTime - summary.firstTime;
  return span > 0 ? sql`least(${buckets - 1}::int, floor((t - ${summary.firstTime}::float8) * ${buckets}::float8 / ${span}::float8)::int)` : sql`0`;
}

/**
 * The WIDE chart aggregates per time slice, over per-row columns `t`, `y<i>` (the value), `f<i>` (the value where
 * finite, else NULL) and `r<i>` (the residual where the value is finite), named by `column`.
 */
export function wideChartAggregates(axes: number, column: (name: "y" | "f" | "r", i: number) => RawBuilder<unknown>): RawBuilder<unknown>[] {
  return [
    sql`min(t) as first, max(t) as last`,
    ...Array.from({ length: axes }, (_, i) => {
      const [y, f, r] = [column("y", i), column("f", i), column("r", i)];
      return sql`min(${f}) filter (where ${f} <> 0) as ${sql.id(`lo${i}`)}, max(${f}) filter (where ${f} <> 0) as ${sql.id(`hi${i}`)},
        min(${r}) as ${sql.id(`rlo${i}`)}, max(${r}) as ${sql.id(`rhi${i}`)}, max(t) filter (where ${y} = 0) as ${sql.id(`zero${i}`)}`;
    }),
  ];
}

/** The chart series from the rows of {@link wideChartAggregates} (one per time slice). */
export function wideChartSeries(window: SqlWindow, summary: WindowSummary, models: LinearModelSet, rows: readonly Record<string, unknown>[]): Prediction {
  const actualAt = window.axes.map(() => new Map<number, number>());
  const residualAt = window.axes.map(() => new Map<number, number>());
  for (const row of rows) {
    window.axes.forEach((_, i) => {
      const zero = row[`zero${i}`];
      put(actualAt[i], row.first, row[`lo${i}`]);
      put(actualAt[i], row.last, row[`hi${i}`]);
      put(actualAt[i], zero, zero === null ? null : 0);
      put(residualAt[i], row.first, row[`rlo${i}`]);
      put(residualAt[i], row.last, row[`rhi${i}`]);
    });
  }
  return seriesOf(window, summary, models, actualAt, residualAt);
}

/** Keeps the first value seen at each time. */
function put(map: Map<number, number>, t: unknown, value: unknown): void {
  if (t !== null && value !== null && value !== undefined && !map.has(num(t))) map.set(num(t), num(value));
}

/** A {@link Prediction} over the union of the points' times, NaN where a series has none. */
function seriesOf(window: SqlWindow, summary: WindowSummary, models: LinearModelSet, actualAt: Map<number, number>[], residualAt: Map<number, number>[]): Prediction {
  const times = Float64Array.from(new Set([...actualAt, ...residualAt].flatMap((map) => [...map.keys()]))).sort();
  const timeS = times.map((t) => t - summary.firstTime);
  return {
    timeS,
    axes: window.axes,
    actual: actualAt.map((map) => times.map((t) => map.get(t) ?? NaN)),
    predicted: models.models.map(({ coef, intercept }) => timeS.map((x) => x * coef + intercept)),
    residual: residualAt.map((map) => times.map((t) => map.get(t) ?? NaN)),
  };
}
