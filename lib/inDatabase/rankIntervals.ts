/**
 * Exact order statistics of a plain WIDE table's positive residuals without
 * unpivoting it: a random sample of rows (ordered by the server) says
 * roughly where each wanted rank's value lies; the evaluate pass counts, per
 * axis, the positive finite residuals below and up to each such value range,
 * so the ranges and the gaps between them partition the positives with known
 * counts; one more pass orders only the intervals holding a wanted rank
 * (`percentile_disc` with a FILTER per axis and interval). A sample that
 * misses only makes a gap's interval larger: the values are exact either way.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { LinearModelSet, ThresholdPolicy } from "../shapes/types";
import { num } from "./sqlParts";
import type { SqlWindow } from "./window";

/** Rows sampled at random (server-side) for the value ranges. */
export const SAMPLE_ROWS = 100_000;

/** Fractions of the sampled positive residuals read back per axis: 0, 1/GRID, …, 1. */
export const GRID = 1000;

/** Standard deviations of a sample quantile's rank each range reaches on either side. */
const MARGIN_SD = 5;

/** A closed value range `[lo, hi]` of positive finite residuals; `lo` null: from 0 (exclusive), `hi` null: up to +Infinity (exclusive). */
export interface ValueRange {
  readonly lo: number | null;
  readonly hi: number | null;
}

/** One stretch of an axis's ascending positive finite residuals: its bounds, the rows below it and in it. */
export interface RankInterval {
  /** Lower bound and whether it is included; null: above 0. */
  readonly lower: { readonly value: number; readonly inclusive: boolean } | null;
  /** Upper bound and whether it is included; null: below +Infinity. */
  readonly upper: { readonly value: number; readonly inclusive: boolean } | null;
  readonly below: number;
  readonly count: number;
}

/**
 * The fractions of the positive residuals the thresholds read (`databaseThresholds`): the smallest, the
 * trimmed top and the two percentiles of the trimmed ones.
 */
export function wantedFractions(policy: ThresholdPolicy): number[] {
  const keep = policy.trim_top_ratio > 0 ? 1 - policy.trim_top_ratio : 1;
  return [0, keep, keep * (policy.minc_percentile / 100), keep * (policy.maxc_percentile / 100)];
}

/**
 * Value ranges (sorted, disjoint) likely to hold the values at `fractions` of
 * the ascending positive finite residuals, from the same residuals of a
 * random sample: their count `m` and `grid[g]`, the value at fraction
 * g/`steps` of them. Each range reaches {@link MARGIN_SD} standard deviations
 * of the sample quantile's rank either side, widened to the grid.
 * @example
 * rangesOfGrid([1, 2, 3], 3, [0.5], 2); // [{ lo: null, hi: null }]
 */
export function rangesOfGrid(grid: readonly number[], m: number, fractions: readonly number[], steps = GRID): ValueRange[] {
  if (!(m > 0) || grid.length !== steps + 1) return [];
  const ranges = fractions.map((f): ValueRange => {
    const margin = MARGIN_SD * Math.sqrt((f * (1 - f)) / m) + 3 / m;
    const from = Math.floor((f - margin) * steps);
    const to = Math.ceil((f + margin) * steps);
    return { lo: from <= 0 ? null : grid[from], hi: to >= steps ? null : grid[to] };
  });
  ranges.sort((a, b) => (a.lo ?? -Infinity) - (b.lo ?? -Infinity));
  const merged: ValueRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.hi === null || (range.lo ?? -Infinity) <= last.hi)) {
      merged[merged.length - 1] = { lo: last.lo, hi: last.hi === null || range.hi === null ? null : Math.max(last.hi, range.hi) };
    } else merged.push(range);
  }
  return merged;
}

/**
 * Per axis, the value ranges of {@link rangesOfGrid} from a random sample of
 * about {@link SAMPLE_ROWS} rows of a plain WIDE window of `rows` rows, drawn
 * and ordered by the server: only the grid's values travel.
 */
export async function sampleRanges(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  rows: number,
  fractions: readonly number[],
): Promise<ValueRange[][]> {
  const sampled = window.wideSample;
  if (sampled === undefined) return window.axes.map(() => []);
  const grid = Array.from({ length: GRID + 1 }, (_, g) => g / GRID);
  const q = (i: number): RawBuilder<unknown> => sql.id(`q${i}`);
  const positives = window.axes.map((_, i) => {
    const { coef, intercept } = models.models[i];
    const r = sql`(${sql.id(`c${i}`)} - (((t - ${time0}::float8) * ${coef}::float8) + ${intercept}::float8))`;
    return sql`case when ${r} > 0 and ${r} < 'Infinity'::float8 then ${r} end as ${q(i)}`;
  });
  const { rows: [row] } = await sql<Record<string, unknown>>`
    select ${sql.join(window.axes.map((_, i) => sql`count(${q(i)}) as ${sql.id(`m${i}`)}, percentile_disc(${grid}::float8[]) within group (order by ${q(i)}) as ${sql.id(`g${i}`)}`))}
    from (select ${sql.join(positives)} from (${sampled(Math.min(1, SAMPLE_ROWS / Math.max(1, rows)))}) as w ${window.fence}) as s`.execute(db);
  return window.axes.map((_, i) => {
    const values = row?.[`g${i}`];
    return Array.isArray(values) ? rangesOfGrid(values.map(num), num(row[`m${i}`]), fractions) : [];
  });
}

/**
 * `q < lo` / `q <= hi` counts of every range (aliases `<prefix>b<j>`, `<prefix>u<j>`), for the evaluate pass, over
 * `q`: the residual where it is positive and not NaN, else NULL (+Infinity is above every finite bound).
 */
export function rangeCountsSql(q: RawBuilder<unknown>, ranges: readonly ValueRange[], prefix: string): RawBuilder<unknown>[] {
  return ranges.flatMap(({ lo, hi }, j) => [
    ...(lo === null ? [] : [sql`count(*) filter (where ${q} < ${lo}::float8) as ${sql.id(`${prefix}b${j}`)}`]),
    ...(hi === null ? [] : [sql`count(*) filter (where ${q} <= ${hi}::float8) as ${sql.id(`${prefix}u${j}`)}`]),
  ]);
}

/**
 * The intervals (ranges and the gaps between them) partitioning an axis's `finite` positive finite residuals,
 * with the counts {@link rangeCountsSql} returned (`row`, aliases with `prefix`).
 */
export function rankIntervals(ranges: readonly ValueRange[], row: Readonly<Record<string, unknown>>, prefix: string, finite: number): RankInterval[] {
  const out: RankInterval[] = [];
  let after: { value: number; upTo: number } | null = null; // the previous range's top
  ranges.forEach(({ lo, hi }, j) => {
    const below = lo === null ? 0 : num(row[`${prefix}b${j}`]);
    const upTo = hi === null ? finite : num(row[`${prefix}u${j}`]);
    if (lo !== null) {
      out.push({ lower: after === null ? null : { value: after.value, inclusive: false }, upper: { value: lo, inclusive: false }, below: after?.upTo ?? 0, count: below - (after?.upTo ?? 0) });
    }
    out.push({ lower: lo === null ? null : { value: lo, inclusive: true }, upper: hi === null ? null : { value: hi, inclusive: true }, below, count: upTo - below });
    after = hi === null ? null : { value: hi, upTo };
  });
  const last = after as { value: number; upTo: number } | null;
  if (ranges.length === 0) out.push({ lower: null, upper: null, below: 0, count: finite });
  else if (last !== null) out.push({ lower: { value: last.value, inclusive: false }, upper: null, below: last.upTo, count: finite - last.upTo });
  return out;
}

/** `r` lies in the interval (and is positive and finite). */
function inInterval(r: RawBuilder<unknown>, { lower, upper }: RankInterval): RawBuilder<unknown> {
  const low = lower === null ? sql`${r} > 0` : lower.inclusive ? sql`${r} >= ${lower.value}::float8` : sql`${r} > ${lower.value}::float8`;
  const high = upper === null ? sql`${r} < 'Infinity'::float8` : upper.inclusive ? sql`${r} <= ${upper.value}::float8` : sql`${r} < ${upper.value}::float8`;
  return sql`(${low} and ${high})`;
}

/**
 * Values at the given 0-based ranks of each axis's ascending positive
 * residuals of a plain WIDE window, from its intervals (ranks at or above the
 * finite count are +Infinity): one pass over the table's rows, ordering only
 * the rows of the intervals holding a wanted rank.
 * @returns per axis index, rank → value
 */
export async function valuesAtRanksByInterval(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  intervals: readonly (readonly RankInterval[])[],
  wanted: ReadonlyMap<number, readonly number[]>,
): Promise<Map<number, Map<number, number>>> {
  const out = new Map<number, Map<number, number>>();
  const fetches: { index: number; interval: RankInterval; ranks: number[] }[] = [];
  for (const [index, list] of wanted) {
    const values = new Map<number, number>();
    out.set(index, values);
    const finite = intervals[index].reduce((sum, { count }) => sum + count, 0);
    const byInterval = new Map<RankInterval, number[]>();
    for (const rank of new Set(list)) {
      if (!(rank >= 0)) continue;
      if (rank >= finite) {
        values.set(rank, Infinity); // NaN-free ranks past the finite ones: +Infinity, when there are that many positives
        continue;
      }
      const interval = intervals[index].find(({ below, count }) => below <= rank && rank < below + count) as RankInterval;
      byInterval.set(interval, [...(byInterval.get(interval) ?? []), rank]);
    }
    for (const [interval, ranks] of byInterval) fetches.push({ index, interval, ranks });
  }
  if (fetches.length === 0) return out;
  const residuals = window.axes.map((_, i) => {
    const { coef, intercept } = models.models[i];
    return sql`${sql.id(`c${i}`)} - (((t - ${time0}::float8) * ${coef}::float8) + ${intercept}::float8) as ${sql.id(`r${i}`)}`;
  });
  const aggregates = fetches.map(({ index, interval, ranks }, n) => {
    const r = sql.id(`r${index}`);
    const fractions = ranks.map((rank) => (rank - interval.below + 0.5) / interval.count);
    return sql`percentile_disc(${fractions}::float8[]) within group (order by ${r}) filter (where ${inInterval(sql`${r}`, interval)}) as ${sql.id(`v${n}`)}`;
  });
  const { rows: [row] } = await sql<Record<string, unknown[] | null>>`
    select ${sql.join(aggregates)} from (select ${sql.join(residuals)} from (${window.wide}) as w ${window.fence}) as s`.execute(db);
  fetches.forEach(({ index, ranks }, n) => ranks.forEach((rank, j) => out.get(index)?.set(rank, num(row[`v${n}`]?.[j]))));
  return out;
}
