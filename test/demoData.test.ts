import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { extractColumns } from "../lib/db/extract";
import { isoToEpochSeconds } from "../lib/core/time";
import { BACKENDS } from "./support/databases";
import type { TestDatabase } from "./support/databases";

function digest(data: ReturnType<typeof generateDemoData>): string {
  const hash = createHash("sha256");
  hash.update(Buffer.from(data.micros.buffer));
  hash.update(Buffer.from(data.time.buffer));
  for (const column of data.values) hash.update(Buffer.from(column.buffer));
  return hash.digest("hex");
}

describe("generateDemoData", () => {
  const data = generateDemoData();

  test("is deterministic: pinned hash and values", () => {
    assert.equal(digest(data), "e4c5915d7fec35b9196db01f92abde0067cb9040b674df331d0aaab600c04bf1");
    assert.equal(digest(generateDemoData()), digest(data));
    assert.equal(data.micros[1], 1666008001894000);
    assert.equal(data.values[1][9], 1.98);
    assert.equal(data.values[1][20000], 16.59);
    assert.notEqual(digest(generateDemoData({ seed: 1 })), digest(data), "the seed matters");
  });

  test("shapes: 40,000 samples × 8 axes as Float64Arrays", () => {
    assert.deepEqual(data.axes, ["axis1", "axis2", "axis3", "axis4", "axis5", "axis6", "axis7", "axis8"]);
    assert.deepEqual(data.axisIds, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(data.time.length, 40_000);
    assert.equal(data.values.length, 8);
    for (const column of [data.micros, data.time, ...data.values]) {
      assert.ok(column instanceof Float64Array);
      assert.equal(column.length, 40_000);
    }
    assert.equal(generateDemoData({ samples: 123 }).values[7].length, 123);
  });

  test("time: starts 2022-10-17T12:00:00Z, whole ms, increasing, ~1.891 s median", () => {
    assert.equal(data.time[0], isoToEpochSeconds("2022-10-17T12:00:00Z"));
    const steps: number[] = [];
    for (let i = 1; i < data.micros.length; i++) {
      assert.equal(data.micros[i] % 1000, 0);
      steps.push(data.micros[i] - data.micros[i - 1]);
    }
    assert.ok(steps.every((s) => s > 0));
    steps.sort((a, b) => a - b);
    const median = steps[steps.length >> 1] / 1e6;
    assert.ok(Math.abs(median - 1.891) < 0.005, `median step ${median}`);
    assert.ok(steps[0] >= 1_800_000 && steps[steps.length - 1] > 4_000_000, "jitter and occasional gaps");
  });

  test("~65% exact zeros, idle periods shared by all axes", () => {
    let zeros = 0;
    let idleRows = 0;
    for (let i = 0; i < data.time.length; i++) {
      let idle = true;
      for (const column of data.values) {
        if (column[i] === 0) zeros++;
        else idle = false;
      }
      if (idle) idleRows++;
    }
    const zeroShare = zeros / (8 * data.time.length);
    assert.ok(zeroShare > 0.6 && zeroShare < 0.7, `zero share ${zeroShare}`);
    assert.ok(idleRows / data.time.length > 0.6, "most zeros are whole idle rows");
    for (const column of data.values) assert.ok(column.every((v) => v >= 0 && Number.isFinite(v)));
  });

  test("slow upward drift and sustained positive fault bursts", () => {
    const mean = (column: Float64Array, from: number, to: number): number => {
      let sum = 0;
      let n = 0;
      for (let i = from; i < to; i++) if (column[i] !== 0) (sum += column[i]), n++;
      return sum / n;
    };
    const axisMean = data.values.map((column) => mean(column, 0, column.length));
    data.values.forEach((column, k) => assert.ok(mean(column, 32_000, 40_000) > mean(column, 0, 8_000), `axis${k + 1} drifts up`));
    let bursts = 0;
    data.values.forEach((column, k) => {
      let run = 0;
      for (const v of column) {
        if (v > 2.5 * axisMean[k]) run++;
        else {
          if (run >= 4) bursts++;
          run = 0;
        }
      }
    });
    assert.ok(bursts >= 5, `bursts ${bursts}`);
  });
});

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
