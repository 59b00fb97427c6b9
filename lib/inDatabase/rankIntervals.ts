/**
 * Exact order statistics of a plain WIDE table's positive residuals without
 * unpivoting it: a random sample of rows (taken by the train pass) says
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

/** Numbers (rows × (axes + 1)) the train pass samples at random for the value ranges: about 44k rows of 8 axes. */
export const SAMPLE_NUMBERS = 400_000;

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

/** Sampling probability for a window of `rows` rows and `axes` axes (at most {@link SAMPLE_NUMBERS} numbers expected). */
export function sampleFraction(rows: number, axes: number): number {
  const wanted = Math.max(1000, Math.floor(SAMPLE_NUMBERS / (axes + 1)));
  return rows <= wanted ? 1 : wanted / rows;
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
 * random sample (`sorted`, ascending): each reaches {@link MARGIN_SD}
 * standard deviations of the sample quantile's rank either side.
 * @example
 * sampleRanges([1, 2, 3, 4], [0]); // [{ lo: null, hi: 4 }]
 */
export function sampleRanges(sorted: readonly number[], fractions: readonly number[]): ValueRange[] {
  const m = sorted.length;
  if (m === 0) return [];
  const ranges = fractions.map((f): ValueRange => {
    const center = f * m;
    const margin = MARGIN_SD * Math.sqrt(m * f * (1 - f)) + 3;
    const from = Math.floor(center - margin);
    const to = Math.ceil(center + margin);
    return { lo: from <= 0 ? null : sorted[from], hi: to >= m - 1 ? null : sorted[to] };
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

/** Ascending positive finite residuals of axis `i` in the sampled rows `[t, y0, y1, …]`. */
export function sampleResiduals(sample: readonly (readonly (number | null)[])[], i: number, time0: number, models: LinearModelSet): number[] {
  const { coef, intercept } = models.models[i];
  const out: number[] = [];
  for (const row of sample) {
    const t = row[0];
    const y = row[i + 1];
    if (t === null || y === null) continue;
    const r = y - ((t - time0) * coef + intercept);
    if (r > 0 && r < Infinity) out.push(r);
  }
  return out.sort((a, b) => a - b);
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
