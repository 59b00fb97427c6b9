/**
 * The interval order statistics of the in-database thresholds on a plain WIDE
 * table (lib/inDatabase/rankIntervals.ts) read exactly the values a full sort
 * reads, at every rank, whatever the sample suggested: ranges from a sample
 * that misses (so ranks fall in the gaps between ranges), ties exactly on the
 * range bounds, no sample at all (one interval), every value equal, a single
 * value, +Infinity above the finite values, and rows left out (NaN, zero,
 * negative, NULL), through a real PostgreSQL server and PGlite.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { GRID, rangeCountsSql, rangesOfGrid, rankIntervals, sampleRanges, valuesAtRanksByInterval, wantedFractions, type ValueRange } from "../lib/inDatabase/rankIntervals";
import type { SqlWindow } from "../lib/inDatabase/window";
import { num } from "../lib/inDatabase/sqlParts";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import type { LinearModelSet } from "../lib/shapes/types";
import { BACKENDS, type TestDatabase } from "./support/databases";

/** Per axis: its values (a flat line at 0, so each residual is the value). */
const VALUES: number[][] = [
  [...Array.from({ length: 600 }, (_, j) => (j % 37) / 8), ...Array.from({ length: 50 }, () => 3 / 8), 1e-300, 9, 9, Infinity, Infinity, NaN, 0, -1],
  Array.from({ length: 77 }, () => 2.5),
  [0.75, 0, -3, NaN],
];
const ROWS = Math.max(...VALUES.map((values) => values.length));
const MODELS: LinearModelSet = { type: "linear", models: VALUES.map((_, i) => ({ axis: `a${i}`, coef: 0, intercept: 0, samples_used: 1 })) };
/** Ranges per axis: a sample far off (axis 0: every rank lands in a gap or on a bound), none, and a sample's. */
const RANGES: ValueRange[][] = [
  [{ lo: 1 / 8, hi: 3 / 8 }, { lo: 2, hi: 2 }, { lo: 4, hi: null }],
  [],
  rangesOfGrid(Array.from({ length: GRID + 1 }, () => 0.75), 1, wantedFractions(DEFAULT_THRESHOLD_POLICY)),
];

function wideWindow(): SqlWindow {
  const rows = Array.from({ length: ROWS }, (_, t) => sql`(${sql.lit(t)}::float8, ${sql.join(VALUES.map((values) => (t < values.length ? sql`${String(values[t])}::float8` : sql`null::float8`)))})`);
  const columns = VALUES.map((_, i) => sql.id(`c${i}`));
  return {
    axes: VALUES.map((_, i) => `a${i}`),
    keys: VALUES.map((_, i) => i),
    fence: sql``,
    plain: true,
    wide: sql`select * from (values ${sql.join(rows)}) as w(t, ${sql.join(columns)})`,
  } as unknown as SqlWindow;
}

for (const backend of BACKENDS) {
  describe(`interval ranks equal a full sort on ${backend.name}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await backend.open();
    });
    after(async () => {
      await database.db.destroy();
    });

    test("every rank: a missing sample's gaps, ties on range bounds, no sample, all-equal values, one value, +Infinity; NaN/zero/negative/NULL left out", async () => {
      const window = wideWindow();
      const q = (i: number) => sql.id(`q${i}`);
      const { rows: [row] } = await sql<Record<string, unknown>>`
        select ${sql.join(VALUES.map((_, i) => sql.join([sql`count(${q(i)}) as ${sql.id(`n${i}`)}`, sql`count(*) filter (where ${q(i)} = 'Infinity'::float8) as ${sql.id(`inf${i}`)}`, ...rangeCountsSql(sql`${q(i)}`, RANGES[i], `r${i}_`)])))}
        from (select ${sql.join(VALUES.map((_, i) => sql`case when ${sql.id(`c${i}`)} > 0 and ${sql.id(`c${i}`)} <> 'NaN'::float8 then ${sql.id(`c${i}`)} end as ${q(i)}`))} from (${window.wide}) as w) as s`.execute(database.db);
      const intervals = VALUES.map((_, i) => rankIntervals(RANGES[i], row, `r${i}_`, num(row[`n${i}`]) - num(row[`inf${i}`])));
      assert.ok(intervals[0].length >= 5, "axis 0 has gaps between its ranges");
      const sorted = VALUES.map((values) => values.filter((v) => v > 0 && !Number.isNaN(v)).sort((a, b) => a - b));
      sorted.forEach((values, i) => assert.equal(intervals[i].reduce((sum, { count }) => sum + count, 0), values.filter((v) => v < Infinity).length, `axis ${i}: the intervals partition the finite positives`));
      const wanted = new Map(sorted.map((values, i) => [i, values.map((_, rank) => rank)]));
      const got = await valuesAtRanksByInterval(database.db, window, 0, MODELS, intervals, wanted);
      sorted.forEach((values, i) => {
        assert.equal(got.get(i)?.size, values.length, `axis ${i}: every rank read`);
        values.forEach((want, rank) => assert.equal(got.get(i)?.get(rank), want, `axis ${i} rank ${rank}`));
      });
      assert.deepEqual([...(got.get(2) ?? [])], [[0, 0.75]]);
    });

    test("sampleRanges: sorted, disjoint ranges around the wanted fractions, from the server's sample; none without positives", async () => {
      const fractions = [0, 0.98, 0.735, 0.931];
      const grid = Array.from({ length: GRID + 1 }, (_, g) => g * 10);
      const ranges = rangesOfGrid(grid, 10_000, fractions);
      assert.equal(ranges[0].lo, null, "the smallest value: from 0");
      ranges.forEach((range, j) => {
        if (j > 0) assert.ok((ranges[j - 1].hi as number) < (range.lo as number), JSON.stringify(ranges));
      });
      for (const f of fractions.slice(1)) {
        assert.ok(ranges.some(({ lo, hi }) => (lo ?? 0) < f * GRID * 10 && f * GRID * 10 < (hi ?? Infinity)), `${f} inside a range: ${JSON.stringify(ranges)}`);
      }
      assert.deepEqual(rangesOfGrid(grid, 0, fractions), []);
      // The whole (small) window is the sample: axis 0's ranges bound values it holds; axis 1 (all equal) and 2 (one value) likewise.
      const sampled = await sampleRanges(database.db, { ...wideWindow(), wideSample: () => wideWindow().wide } as SqlWindow, 0, MODELS, ROWS, fractions);
      assert.equal(sampled.length, 3);
      sampled.forEach((axisRanges, i) => {
        const finite = VALUES[i].filter((v) => v > 0 && v < Infinity);
        assert.ok(axisRanges.length >= 1, `axis ${i}: ${JSON.stringify(axisRanges)}`);
        for (const { lo, hi } of axisRanges) {
          if (lo !== null) assert.ok(finite.includes(lo), `axis ${i} lo ${lo}`);
          if (hi !== null) assert.ok(finite.includes(hi), `axis ${i} hi ${hi}`);
        }
      });
    });
  });
}
