/**
 * Exact order statistics of the positive residuals without sorting them
 * all: the evaluate pass also counts them per (axis, value bucket), the
 * counts say which bucket holds each wanted rank, and only those buckets'
 * rows are ordered (`percentile_disc` within the bucket). The bucket of a
 * value is `least(B − 1, greatest(0, floor(v · scale)))`: a composition of
 * correctly rounded, non-decreasing float8 operations, so it never decreases
 * as `v` grows and every bucket is a contiguous stretch of the sorted values
 * (ties, wherever they fall, share one bucket). The scale only decides how
 * evenly the values spread; any scale gives the same, exact values.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { LinearModel } from "../shapes/types";
import { indexOfKey, num, perAxis } from "./sqlParts";
import type { SqlWindow } from "./window";

/** Value buckets per axis of the positive-residual histogram. */
export const RESIDUAL_BUCKETS = 4096;

/** Counts of one axis's positive residuals: finite ones per bucket, and the +Infinity ones (the top ranks). */
export interface ResidualHistogram {
  readonly buckets: ReadonlyMap<number, number>;
  readonly infinite: number;
}

/** `v` is positive and finite (PostgreSQL sorts NaN above +Infinity, so `< 'Infinity'` leaves it out). */
export const POSITIVE_FINITE = (v: RawBuilder<unknown>): RawBuilder<unknown> => sql`(${v} > 0 and ${v} < 'Infinity'::float8)`;

/**
 * The bucket scale of each axis: {@link RESIDUAL_BUCKETS} over an upper bound
 * of its positive residuals (largest finite value minus the line's lowest
 * point on the window), 0 when there is none (one bucket).
 * @example
 * bucketScales([{ finiteMax: 10 }], [{ axis: "a", coef: 1, intercept: 0, samples_used: 2 }], 4); // [4096 / 10]
 */
export function bucketScales(
  profiles: readonly { readonly finiteMax: number }[],
  models: readonly LinearModel[],
  span: number,
): number[] {
  return profiles.map(({ finiteMax }, i) => {
    const { coef, intercept } = models[i];
    const high = finiteMax - Math.min(intercept, span * coef + intercept);
    const scale = RESIDUAL_BUCKETS / high;
    return Number.isFinite(high) && high > 0 && Number.isFinite(scale) ? scale : 0;
  });
}

/**
 * The bucket of a positive finite residual `v` (the same expression in every query that uses it).
 * @example
 * sql`select k, ${bucketSql(window, scales, sql`v`)} as b, count(*) from (${positives}) as r group by 1, 2`;
 */
export function bucketSql(window: SqlWindow, scales: readonly number[], v: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`least(${sql.lit(RESIDUAL_BUCKETS - 1)}, greatest(0, floor(${v} * ${perAxis(window, (i) => sql`${scales[i]}::float8`)})))::int`;
}

/**
 * Values at the given 0-based ranks of each axis's ascending positive
 * residuals, from `relation` `(k, v)` of the positive residuals, with their
 * histograms: ranks at or above the finite count are +Infinity; each other
 * rank is read inside its bucket (one query, only the buckets holding a
 * wanted rank ordered).
 * @returns per axis index, rank → value
 * @example
 * const ranked = await valuesAtRanksByBucket(db, window, positives, evaluation.scales, evaluation.histograms, new Map([[0, [0, 41, 42]]]));
 * ranked.get(0)?.get(41); // the 42nd smallest positive residual of the first axis
 */
export async function valuesAtRanksByBucket(
  db: Kysely<any>,
  window: SqlWindow,
  relation: RawBuilder<unknown>,
  scales: readonly number[],
  histograms: readonly ResidualHistogram[],
  wanted: ReadonlyMap<number, readonly number[]>,
): Promise<Map<number, Map<number, number>>> {
  const out = new Map<number, Map<number, number>>();
  /** Per axis: bucket → [rows below it, its count, the wanted ranks in it]. */
  const located = new Map<number, Map<number, { below: number; count: number; ranks: number[] }>>();
  for (const [index, list] of wanted) {
    const values = new Map<number, number>();
    out.set(index, values);
    const { buckets, infinite } = histograms[index];
    const keys = [...buckets.keys()].sort((a, b) => a - b);
    const finite = keys.reduce((sum, key) => sum + (buckets.get(key) as number), 0);
    const total = finite + infinite;
    const byBucket = new Map<number, { below: number; count: number; ranks: number[] }>();
    for (const rank of new Set(list)) {
      if (!(rank >= 0 && rank < total)) continue;
      if (rank >= finite) {
        values.set(rank, Infinity);
        continue;
      }
      let below = 0;
      for (const key of keys) {
        const count = buckets.get(key) as number;
        if (rank < below + count) {
          const entry = byBucket.get(key) ?? { below, count, ranks: [] };
          entry.ranks.push(rank);
          byBucket.set(key, entry);
          break;
        }
        below += count;
      }
    }
    if (byBucket.size > 0) located.set(index, byBucket);
  }
  if (located.size === 0) return out;
  const pairs = [...located].flatMap(([index, byBucket]) => [...byBucket].map(([bucket, entry]) => ({ index, bucket, ...entry })));
  const key = (index: number, bucket: number): RawBuilder<unknown> => sql`(k = ${sql.lit(window.keys[index])} and b = ${sql.lit(bucket)})`;
  const fractions = sql`(case ${sql.join(
    pairs.map(({ index, bucket, below, count, ranks }) => sql`when ${key(index, bucket)} then ${ranks.map((rank) => (rank - below + 0.5) / count)}::float8[]`),
    sql` `,
  )} end)`;
  // The bucket computed once per row (fenced), then kept when it is one of its axis's wanted buckets.
  const wantedBuckets = sql`(case k ${sql.join(
    [...located].map(([index, byBucket]) => sql`when ${sql.lit(window.keys[index])} then ${[...byBucket.keys()]}::int[]`),
    sql` `,
  )} end)`;
  const { rows } = await sql<{ k: unknown; b: unknown; v: unknown[] }>`
    select k, b, percentile_disc(${fractions}) within group (order by v) as v
    from (select k, v, ${bucketSql(window, scales, sql`v`)} as b from (${relation}) as r where ${POSITIVE_FINITE(sql`v`)} ${window.fence}) as s
    where b = any(${wantedBuckets})
    group by k, b`.execute(db);
  const indexOf = indexOfKey(window);
  for (const row of rows) {
    const index = indexOf.get(num(row.k)) as number;
    const entry = located.get(index)?.get(num(row.b));
    entry?.ranks.forEach((rank, j) => out.get(index)?.set(rank, num(row.v[j])));
  }
  return out;
}
