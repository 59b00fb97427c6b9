/**
 * The bucketed order statistics of the in-database thresholds
 * (lib/inDatabase/residualHistogram.ts) read exactly the values a full sort
 * reads, at every rank, on the cases the bucketing itself introduces: ties
 * exactly at bucket edges, the top value clamped into the last bucket, every
 * value equal, a single value, +Infinity above the finite values, and rows the
 * histogram must leave out (NaN, zero, negative), through a real PostgreSQL
 * server and PGlite.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql, type RawBuilder } from "kysely";
import { RESIDUAL_BUCKETS, POSITIVE_FINITE, bucketSql, valuesAtRanksByBucket, type ResidualHistogram } from "../lib/inDatabase/residualHistogram";
import type { SqlWindow } from "../lib/inDatabase/window";
import { num } from "../lib/inDatabase/sqlParts";
import { BACKENDS, type TestDatabase } from "./support/databases";

/** Per axis key: the values of `(k, v)` (positive residuals and the rows to leave out). */
const VALUES: Record<number, number[]> = {
  // Scale 512: every multiple of 1/512 is a bucket edge; many ties sit exactly on edges; 8 · 512 = 4096 clamps to the last bucket.
  0: [
    ...Array.from({ length: 600 }, (_, j) => (j % 37) / 512),
    ...Array.from({ length: 50 }, () => 3 / 512),
    ...Array.from({ length: 40 }, (_, j) => 8 - j / 512),
    8, 8, 8, 1e-300, Infinity, Infinity, NaN, 0, -1,
  ],
  // Every value equal.
  1: Array.from({ length: 77 }, () => 2.5),
  // One positive value (and rows left out).
  2: [0.75, 0, -3, NaN],
};
const SCALES = [RESIDUAL_BUCKETS / 8, 1e6, 3];

function relation(): RawBuilder<unknown> {
  const rows = Object.entries(VALUES).flatMap(([k, values]) => values.map((v) => sql`(${sql.lit(Number(k))}, ${String(v)}::float8)`));
  return sql`select k, v from (values ${sql.join(rows)}) as r(k, v)`;
}

const WINDOW = { keys: [0, 1, 2], fence: sql`` } as unknown as SqlWindow;

for (const backend of BACKENDS) {
  describe(`bucketed ranks equal a full sort on ${backend.name}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await backend.open();
    });
    after(async () => {
      await database.db.destroy();
    });

    test("every rank of ties at bucket edges, a clamped top value, all-equal values, one value, +Infinity; NaN/zero/negative left out", async () => {
      const { rows } = await sql<{ k: unknown; b: unknown; n: unknown; inf: unknown }>`
        select k, case when ${POSITIVE_FINITE(sql`v`)} then ${bucketSql(WINDOW, SCALES, sql`v`)} end as b,
          count(*) filter (where ${POSITIVE_FINITE(sql`v`)}) as n, count(*) filter (where v = 'Infinity'::float8) as inf
        from (${relation()}) as r group by 1, 2`.execute(database.db);
      const histograms: ResidualHistogram[] = WINDOW.keys.map((k) => {
        const mine = rows.filter((row) => num(row.k) === k);
        return {
          buckets: new Map(mine.filter((row) => row.b !== null).map((row) => [num(row.b), num(row.n)])),
          infinite: mine.reduce((sum, row) => sum + num(row.inf), 0),
        };
      });
      // The clamp: 8 · 512 lands in the last bucket with the values just below it.
      assert.ok((histograms[0].buckets.get(RESIDUAL_BUCKETS - 1) ?? 0) >= 4, JSON.stringify([...histograms[0].buckets]));
      const sorted = WINDOW.keys.map((k) => VALUES[k].filter((v) => v > 0 && !Number.isNaN(v)).sort((a, b) => a - b));
      const wanted = new Map(sorted.map((values, i) => [i, values.map((_, rank) => rank)]));
      const got = await valuesAtRanksByBucket(database.db, WINDOW, relation(), SCALES, histograms, wanted);
      sorted.forEach((values, i) => {
        assert.equal(got.get(i)?.size, values.length, `axis ${i}: every rank read`);
        values.forEach((want, rank) => assert.equal(got.get(i)?.get(rank), want, `axis ${i} rank ${rank}`));
      });
      assert.deepEqual([...(got.get(2) ?? [])], [[0, 0.75]]);
    });
  });
}
