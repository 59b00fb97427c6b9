/**
 * seedDemoTables on PostgreSQL and PGlite: the WIDE and LONG demo tables with their indexes, read back
 * bit-exact, replaced only when asked. The generator itself: demoData.unit.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { extractColumns } from "../lib/db/extract";
import { BACKENDS } from "./support/databases";
import type { TestDatabase } from "./support/databases";

for (const backend of BACKENDS) {
  describe(`seedDemoTables on ${backend.name}`, () => {
    let t: TestDatabase;
    const data = generateDemoData({ samples: 3_000, seed: 7 });
    before(async () => {
      t = await backend.open();
      await seedDemoTables(t.db, data, { batchSamples: 1_000 });
    });
    after(async () => {
      await t?.db.destroy();
    });

    test("creates WIDE and LONG tables with their indexes", async () => {
      const counts = await sql<{ w: string | number; l: string | number }>`
        select (select count(*) from stream_samples_wide) as w, (select count(*) from stream_samples) as l`.execute(t.db);
      assert.equal(Number(counts.rows[0].w), 3_000);
      assert.equal(Number(counts.rows[0].l), 24_000);
      const indexes = await sql<{ indexdef: string }>`
        select indexdef from pg_indexes where tablename in ('stream_samples', 'stream_samples_wide') order by indexname`.execute(t.db);
      const defs = indexes.rows.map((r) => r.indexdef.replace(/ USING btree/, ""));
      assert.ok(defs.some((d) => /stream_samples_wide .*\(ts\)/.test(d)), defs.join("; "));
      assert.ok(defs.some((d) => /stream_samples .*\(ts\)/.test(d)), defs.join("; "));
      assert.ok(defs.some((d) => /stream_samples .*\(axis_id, ts\)/.test(d)), defs.join("; "));
    });

    test("WIDE and LONG extract back bit-exact", async () => {
      const window = { time_col: "ts", train_start: "2022-10-01T00:00Z", train_end: "2022-11-01T00:00Z" };
      const wide = await extractColumns(t.db, { ...window, table: "stream_samples_wide", axes: data.axes });
      assert.deepEqual(Array.from(wide.time), Array.from(data.time));
      wide.values.forEach((column, k) => assert.deepEqual(Array.from(column), Array.from(data.values[k]), data.axes[k]));
      const long = await extractColumns(t.db, { ...window, table: "stream_samples", axes: [8, 1], axis_id_col: "axis_id", value_col: "value" });
      assert.deepEqual(long.axes, ["axis8", "axis1"]);
      assert.deepEqual(Array.from(long.time), Array.from(data.time));
      assert.deepEqual(Array.from(long.values[0]), Array.from(data.values[7]));
      assert.deepEqual(Array.from(long.values[1]), Array.from(data.values[0]));
    });

    test("replace drops and reloads; without it an existing table is an error", async () => {
      const other = generateDemoData({ samples: 10, seed: 99 });
      await assert.rejects(seedDemoTables(t.db, other, { tables: "wide" }), /already exists/);
      await seedDemoTables(t.db, other, { tables: "wide", wideTable: "demo_copy" });
      await seedDemoTables(t.db, other, { tables: "wide", wideTable: "demo_copy", replace: true });
      const { rows } = await sql<{ n: string | number }>`select count(*) as n from demo_copy`.execute(t.db);
      assert.equal(Number(rows[0].n), 10);
      const { rows: longRows } = await sql<{ n: string | number }>`select count(*) as n from stream_samples`.execute(t.db);
      assert.equal(Number(longRows[0].n), 24_000, "LONG untouched by tables: wide");
    });
  });
}
