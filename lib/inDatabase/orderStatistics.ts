/**
 * Order statistics in SQL without sorting a whole column into JavaScript:
 * the values at given ranks of each axis, fetched with `percentile_disc` at
 * exact ranks, in a sparse array that medianSorted/quantileSorted read as if
 * it were the sorted column, so the results are bit-exact.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { indexOfKey, num } from "./sqlParts";
import type { SqlWindow } from "./window";

/**
 * Values at the given 0-based ranks of each axis's ascending `(k, v)` relation,
 * whose axis `i` has `counts[i]` rows: `percentile_disc` at `(rank + ½) / count`
 * is exactly the value at `rank` (one sort per axis, no window function).
 * @returns per axis index, rank → value
 */
export async function valuesAtRanks(
  db: Kysely<any>,
  window: SqlWindow,
  relation: RawBuilder<unknown>,
  wanted: ReadonlyMap<number, readonly number[]>,
  counts: readonly number[],
): Promise<Map<number, Map<number, number>>> {
  const out = new Map<number, Map<number, number>>();
  const ranks = new Map<number, number[]>();
  for (const [index, list] of wanted) {
    out.set(index, new Map());
    const unique = [...new Set(list)].filter((rank) => rank >= 0 && rank < counts[index]);
    if (unique.length > 0) ranks.set(index, unique);
  }
  if (ranks.size === 0) return out;
  const fractions = sql`(case k ${sql.join(
    [...ranks].map(([index, list]) => sql`when ${sql.lit(window.keys[index])} then ${list.map((rank) => (rank + 0.5) / counts[index])}::float8[]`),
    sql` `,
  )} end)`;
  const { rows } = await sql<{ k: unknown; v: unknown[] }>`
    select k, percentile_disc(${fractions}) within group (order by v) as v
    from (${relation}) as r where k in (${sql.join([...ranks.keys()].map((index) => sql.lit(window.keys[index])))})
    group by k`.execute(db);
  const index = indexOfKey(window);
  for (const row of rows) {
    const i = index.get(num(row.k)) as number;
    (ranks.get(i) ?? []).forEach((rank, j) => out.get(i)?.set(rank, num(row.v[j])));
  }
  return out;
}

/** An ArrayLike of length `n` holding only the fetched ranks (enough for medianSorted/quantileSorted). */
export function sparseSorted(n: number, values: ReadonlyMap<number, number> | undefined): ArrayLike<number> {
  const array: Record<number, number> & { length: number } = { length: n };
  for (const [rank, value] of values ?? []) array[rank] = value;
  return array;
}

/** The ranks `quantileSorted(sorted of length n, q)` reads. */
export function quantileRanks(n: number, qs: readonly number[]): number[] {
  if (n === 0) return [];
  const ranks = [0, n - 1];
  for (const q of qs) {
    const below = Math.floor((n - 1) * q);
    if (below >= 0 && below < n) ranks.push(below);
    if (below + 1 < n && below + 1 >= 0) ranks.push(below + 1);
  }
  return ranks;
}

/**
 * Values at the given 0-based ranks of the ascending values that `counts`
 * (`[value, how many]`, ascending by value) describe.
 * @example
 * valuesAtRanksOfCounts([[1, 3], [4, 1]], [0, 3]); // Map { 0 → 1, 3 → 4 }
 */
export function valuesAtRanksOfCounts(counts: readonly (readonly [number, number])[], ranks: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  const wanted = [...new Set(ranks)].sort((a, b) => a - b);
  let below = 0;
  let next = 0;
  for (const [value, count] of counts) {
    while (next < wanted.length && wanted[next] < below + count) out.set(wanted[next++], value);
    below += count;
  }
  return out;
}
