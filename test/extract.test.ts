/**
 * extractColumns / extract against BOTH the real PostgreSQL 15 server and
 * PGlite. The process runs in a non-UTC zone (America/New_York) on purpose:
 * nothing in the extraction may depend on the OS time zone.
 */
process.env.TZ = "America/New_York";

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { InputError } from "../lib/core/errors";
import { extract, extractColumns } from "../lib/db/extract";
import type { ExtractOptions, ExtractProgress } from "../lib/db/extract";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds } from "../lib/core/time";
import type { DataConfig, Extraction } from "../lib/shapes/types";
import { BACKENDS, openPostgres } from "./support/databases";
import { goldenCases, loadGoldenCase, type GoldenCase } from "./support/golden";
import { sharedPostgres } from "./support/postgres";
import type { TestDatabase } from "./support/databases";

/** Fixture tables shared by the tests (fixed SQL text, no user input). */
const FIXTURES = [
  `create table wide_float (ts double precision, axis1 double precision, axis2 double precision, axis3 double precision)`,
  `insert into wide_float values (3.0, 3, 30, 300), (0.0, 0, 0, 0), (1.5, 1.5, 'NaN', null),
     (2.25, 'Infinity', '-Infinity', 2.5), (10.0, 99, 99, 99), (-1, 7, 7, 7),
     ('NaN', 8, 8, 8), ('Infinity', 9, 9, 9), ('-Infinity', 6, 6, 6), (null, 5, 5, 5)`,
  `create table wide_tz (ts timestamptz, motor_a double precision, motor_b real, spindle numeric, z_axis integer)`,
  `insert into wide_tz values
     ('2025-09-01 00:00:01.881+00', 2, 2.2, 2.25, 2),
     ('2025-09-01 00:00:00.123456+00', 1.1, 1.1, 1.1, 1),
     ('2025-08-18 19:35:02.020018+00', 3, 3.3, 3.35, 3),
     ('2025-09-01 00:59:59.999999+00', 4, 4.4, 4.45, 4),
     ('2025-09-01 01:00:00+00', 5, 5.5, 5.55, 5),
     ('infinity', 9, 9, 9, 9), ('-infinity', 0, 0, 0, 0), (null, 0, 0, 0, 0)`,
  `create table wide_naive (ts timestamp, a double precision)`,
  `insert into wide_naive values ('2025-09-01 00:00:00.5', 1), ('2025-09-01 03:00:00', 2),
     ('2025-08-31 23:59:59.999999', 0), ('2025-09-01 04:00:00', 3)`,
  `create table long_ids (ts double precision, axis_id integer, value double precision)`,
  `insert into long_ids values (0, 3, 33), (0, 5, 0.5), (0, 2, 0.2), (0, 1, 0.1),
     (1, 5, 1.5), (1, 1, 1.1),
     (2, 5, 2.5), (2, 2, 'NaN'), (2, 1, null),
     (3, 3, 3.3), (4, 1, 4.1)`,
  `create table long_dup_tz (ts timestamptz, axis_id integer, value double precision)`,
  `insert into long_dup_tz values ('2025-09-01 00:00:00+00', 1, 1), ('2025-09-01 00:00:00+00', 5, 2),
     ('2025-09-01 00:00:00+00', 5, 3), ('2025-09-01 00:00:01+00', 1, 4)`,
  `create table text_time (ts text, a double precision)`,
  `insert into text_time values ('0', 1)`,
  `create table text_axis (ts double precision, label text)`,
  `create table int_time (ts integer, a real, b bigint)`,
  `insert into int_time values (1, 1.1, 9007199254740993), (2, 0.1, 2), (3, 3.3, 3)`,
  `create table ties (ts double precision, a double precision, b double precision)`,
  `insert into ties select (i / 3)::float8, (i % 3)::float8, i::float8 from generate_series(0, 20) as i`,
  `create table idx_cols (ts double precision, "2" double precision, "1" double precision)`,
  `insert into idx_cols values (0, 2, 1), (1, 22, 11)`,
  `create schema other`,
  `create table other.only_there (ts double precision, a double precision)`,
  `insert into other.only_there values (0, 42)`,
];

async function createFixtures(db: Kysely<any>): Promise<void> {
  for (const statement of FIXTURES) await sql.raw(statement).execute(db);
}

function wide(table: string, axes: readonly string[], start: number | string, end: number | string, extra: Partial<DataConfig> = {}): DataConfig {
  return { table, time_col: "ts", axes, train_start: start, train_end: end, ...extra };
}

function long(table: string, axes: readonly number[], start: number | string, end: number | string, extra: Partial<DataConfig> = {}): DataConfig {
  return { table, time_col: "ts", axes, train_start: start, train_end: end, axis_id_col: "axis_id", value_col: "value", ...extra };
}

/** Asserts an InputError whose one-line message contains every `parts` and not the password. */
async function rejectsInput(promise: Promise<unknown>, parts: readonly string[], secret: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" should contain "${part}"`);
    assert.ok(!error.message.includes("\n"), "one line");
    if (secret) assert.ok(!error.message.includes(secret), "never the password");
    return true;
  });
}

function same(actual: Float64Array, expected: readonly number[]): void {
  assert.deepEqual(Array.from(actual), expected); // deepEqual treats NaN as equal to NaN
}

test("the process runs in a non-UTC zone, so zone bugs would show", () => {
  assert.equal(new Date(Date.UTC(2025, 0, 1)).getTimezoneOffset(), 300);
});

for (const backend of BACKENDS) {
  describe(`extract on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
      await createFixtures(t.db);
    });
    after(async () => {
      await t?.db.destroy();
    });

    test("WIDE float seconds: window [start, end), ordered by time, NaN/±Infinity/NULL", async () => {
      const x = await extractColumns(t.db, wide("wide_float", ["axis1", "axis2", "axis3"], 0, 10));
      assert.equal(x.layout, "wide");
      assert.equal(x.timeType, "float");
      assert.equal(x.timeCol, "ts");
      assert.deepEqual(x.axes, ["axis1", "axis2", "axis3"]);
      same(x.time, [0, 1.5, 2.25, 3]);
      same(x.values[0], [0, 1.5, Infinity, 3]);
      same(x.values[1], [0, NaN, -Infinity, 30]);
      same(x.values[2], [0, NaN, 2.5, 300]);
      assert.ok(x.time instanceof Float64Array && x.values.every((v) => v instanceof Float64Array));
    });

    test("WIDE keeps the configured axis order and subset", async () => {
      const x = await extractColumns(t.db, wide("wide_float", ["axis3", "axis1"], 1.5, 3));
      assert.deepEqual(x.axes, ["axis3", "axis1"]);
      same(x.time, [1.5, 2.25]);
      same(x.values[0], [NaN, 2.5]);
      same(x.values[1], [1.5, Infinity]);
    });

    test("WIDE timestamptz keeps PostgreSQL's microseconds, pandas-exact", async () => {
      const x = await extractColumns(t.db, wide("wide_tz", ["motor_a", "motor_b", "spindle", "z_axis"], "2025-09-01T00:00:00Z", "2025-09-01T01:00:00Z"));
      assert.equal(x.timeType, "timestamptz");
      same(x.time, [1756684800.123456, isoToEpochSeconds("2025-09-01T00:00:01.881Z"), isoToEpochSeconds("2025-09-01T00:59:59.999999Z")]);
      same(x.values[0], [1.1, 2, 4]);
      same(x.values[1], [1.1, 2.2, 4.4]); // real read as its shortest text, like psycopg2
      same(x.values[2], [1.1, 2.25, 4.45]); // numeric
      same(x.values[3], [1, 2, 4]); // integer
      const byDate = await extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-09-01", "2025-09-02"));
      same(byDate.time, [...x.time, 1756688400]); // a date alone is midnight UTC: the whole day
      const august = await extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-08-18 19:35:02.020018", "2025-08-18T19:35:02.020019Z"));
      same(august.time, [1755545702.0200179]); // pandas: int64 ns / 1e9 (not µs / 1e6 = ...020018)
    });

    test("2,000 random microsecond timestamps (1950-2200) come back pandas-exact, timestamptz and timestamp", async () => {
      let state = 99;
      const texts: string[] = [];
      for (let i = 0; i < 2_000; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const micros = -631152000000000 + Math.floor((state / 2 ** 32) * 7.9e15) + (i % 1_000_000); // 1950..2200
        texts.push(epochSecondsToIso(microsToSeconds(micros), "timestamptz"));
      }
      const literal = `{${texts.join(",")}}`;
      await sql`create table random_us (ts timestamptz, naive timestamp, v double precision)`.execute(t.db);
      await sql`insert into random_us select x, x at time zone 'UTC', 1 from unnest(${literal}::timestamptz[]) as x`.execute(t.db);
      const expected = texts.map(isoToEpochSeconds).sort((a, b) => a - b);
      const tz = await extractColumns(t.db, wide("random_us", ["v"], "1900-01-01T00:00Z", "2300-01-01T00:00Z"));
      same(tz.time, expected);
      const naive = await extractColumns(t.db, { ...wide("random_us", ["v"], "1900-01-01T00:00", "2300-01-01T00:00"), time_col: "naive" });
      assert.equal(naive.timeType, "timestamp");
      same(naive.time, expected);
    });

    test("works inside a caller's transaction", async () => {
      const x = await t.db.transaction().execute((trx) => extractColumns(trx, wide("wide_float", ["axis1"], 0, 2)));
      same(x.values[0], [0, 1.5]);
    });

    test("timestamptz bounds with zone offsets compare instants", async () => {
      // 02:00+02:00 is 00:00Z: the row at 00:00:00.123456Z is inside.
      const x = await extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-09-01T02:00:00+02:00", "2025-09-01T00:00:01-00:00"));
      same(x.values[0], [1]);
    });

    test("naive timestamp is UTC wall time whatever the session and OS zone", async () => {
      const config = wide("wide_naive", ["a"], "2025-09-01T00:00:00", "2025-09-01T04:00:00");
      const expected = [isoToEpochSeconds("2025-09-01T00:00:00.5"), isoToEpochSeconds("2025-09-01T03:00:00")];
      const x = await extractColumns(t.db, config);
      assert.equal(x.timeType, "timestamp");
      same(x.time, expected);
      same(x.values[0], [1, 2]);
      // Same result in a session whose TimeZone is not UTC.
      const inNewYork = await t.db.connection().execute(async (conn) => {
        await sql`set time zone 'America/New_York'`.execute(conn);
        try {
          return await extractColumns(conn, config);
        } finally {
          await sql`set time zone 'UTC'`.execute(conn);
        }
      });
      same(inNewYork.time, expected);
      // A bound with an offset means that instant's UTC wall time (PostgreSQL alone would drop the offset).
      const shifted = await extractColumns(t.db, wide("wide_naive", ["a"], "2025-09-01T02:00:00+02:00", "2025-09-01T03:00:00.000001+00:00"));
      same(shifted.values[0], [1, 2]);
    });

    test("LONG with non-contiguous ids 1, 2, 5: axis<id> columns, missing → NaN, other ids ignored", async () => {
      const x = await extractColumns(t.db, long("long_ids", [1, 2, 5], 0, 4));
      assert.equal(x.layout, "long");
      assert.deepEqual(x.axes, ["axis1", "axis2", "axis5"]);
      same(x.time, [0, 1, 2]); // ts 3 only has id 3, which is not configured
      same(x.values[0], [0.1, 1.1, NaN]); // NULL → NaN
      same(x.values[1], [0.2, NaN, NaN]); // missing at ts 1, NaN at ts 2
      same(x.values[2], [0.5, 1.5, 2.5]);
    });

    test("LONG output follows the configured id order", async () => {
      const x = await extractColumns(t.db, long("long_ids", [5, 1], 0, 10));
      assert.deepEqual(x.axes, ["axis5", "axis1"]);
      same(x.time, [0, 1, 2, 4]);
      same(x.values[0], [0.5, 1.5, 2.5, NaN]);
      same(x.values[1], [0.1, 1.1, NaN, 4.1]);
    });

    test("LONG duplicate (ts, axis_id) → InputError naming it", async () => {
      await rejectsInput(
        extractColumns(t.db, long("long_dup_tz", [1, 5], "2025-09-01T00:00Z", "2025-09-02T00:00Z")),
        ['duplicate (ts, axis_id) = (2025-09-01T00:00:00.000000Z, 5) in table "long_dup_tz"'],
        t.secret,
      );
    });

    test("LONG axis id without rows in the window → InputError naming it", async () => {
      await rejectsInput(extractColumns(t.db, long("long_ids", [1, 7], 0, 4)), ["axis id 7", "data.axes[1]", '"long_ids"'], t.secret);
    });

    test("ties in time: every row exactly once, time non-decreasing", async () => {
      const x = await extractColumns(t.db, wide("ties", ["a", "b"], 0, 100));
      assert.equal(x.time.length, 21);
      for (let i = 1; i < x.time.length; i++) assert.ok(x.time[i - 1] <= x.time[i], "ordered by time");
      assert.deepEqual(Array.from(x.values[1]).sort((p, q) => p - q), Array.from({ length: 21 }, (_, i) => i), "every row exactly once");
      for (let i = 0; i < 21; i++) assert.equal(x.time[i], Math.floor(x.values[1][i] / 3), "each row's values stay together");
    });

    test("columns named like query aliases (r, k0, k1, ts, value, data, …) keep time order and values", async () => {
      // The pre-streaming extraction paged with `… as r, … as k0 … order by "r"`: a time column named r
      // sorted pages by the packed bytes (negative times last) and returned rows out of order.
      await sql`create table aliases (r double precision, k0 double precision, k1 double precision, k2 double precision, ts double precision, value double precision, data double precision, s double precision, n double precision, lo double precision, hi double precision)`.execute(t.db);
      await sql`insert into aliases select i, -i, 2 * i, 3 * i, 4 * i, 5 * i, 6 * i, 7 * i, 8 * i, 9 * i, 10 * i from unnest(array[2, -3, 0, 1, -1, -2, 3]::float8[]) as i`.execute(t.db);
      const axes = ["k0", "k1", "k2", "ts", "value", "data", "s", "n", "lo", "hi"];
      // chunkRows was the page size of the pre-streaming extraction; the streamed one has no pages and ignores it.
      const paged: ExtractOptions & { readonly chunkRows?: number } = { chunkRows: 2 };
      const x = await extractColumns(t.db, { ...wide("aliases", axes, -10, 10), time_col: "r" }, paged);
      same(x.time, [-3, -2, -1, 0, 1, 2, 3]);
      axes.forEach((axis, k) => same(x.values[k], [-3, -2, -1, 0, 1, 2, 3].map((i) => (k === 0 ? -i : (k + 1) * i))));
      await sql`create table aliases_long (r double precision, k0 integer, k1 double precision)`.execute(t.db);
      await sql`insert into aliases_long select i, a, i * 10 + a from unnest(array[2, -3, 0, 1, -1, -2, 3]::float8[]) as i, unnest(array[1, 2]) as a`.execute(t.db);
      const y = await extractColumns(t.db, { table: "aliases_long", time_col: "r", axes: [2, 1], axis_id_col: "k0", value_col: "k1", train_start: -10, train_end: 10 }, paged);
      same(y.time, [-3, -2, -1, 0, 1, 2, 3]);
      same(y.values[0], [-28, -18, -8, 2, 12, 22, 32]);
      same(y.values[1], [-29, -19, -9, 1, 11, 21, 31]);
    });

    test("progress: onProgress ends with one done report counting every database row", async () => {
      const reports: ExtractProgress[] = [];
      await extractColumns(t.db, long("long_ids", [1, 2, 5], 0, 4), { onProgress: (p) => reports.push(p) });
      assert.equal(reports.at(-1)?.done, true);
      assert.equal(reports.at(-1)?.rows, 8); // ids 1, 2, 5 at ts 0..2
      assert.equal(reports.filter((p) => p.done).length, 1);
    });

    test("integer time column with float bounds; real and bigint values", async () => {
      const x = await extractColumns(t.db, wide("int_time", ["a", "b"], 0.5, 2.5));
      assert.equal(x.timeType, "float");
      same(x.time, [1, 2]);
      same(x.values[0], [1.1, 0.1]);
      same(x.values[1], [9007199254740992, 2]); // bigint → nearest double, like Python float()
    });

    test("data.schema selects the schema; a table elsewhere gets a hint", async () => {
      const x = await extractColumns(t.db, wide("only_there", ["a"], -1, 1, { schema: "other" }));
      same(x.values[0], [42]);
      await rejectsInput(extractColumns(t.db, wide("only_there", ["a"], -1, 1)), ['table "only_there" not found', 'schema "other"', "data.schema"], t.secret);
      await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1"], 0, 1, { schema: "other" })), ['table "wide_float" not found', 'schema "other"'], t.secret);
    });

    test("without data.schema the search_path order decides", async () => {
      await sql`create schema ${sql.id("s,1")}`.execute(t.db);
      await sql`create table ${sql.id("s,1", "only_there")} (ts double precision, a double precision)`.execute(t.db);
      await sql`insert into ${sql.id("s,1", "only_there")} values (0, 7)`.execute(t.db);
      const x = await t.db.connection().execute(async (conn) => {
        await sql`set search_path to ${sql.id("s,1")}, other, public`.execute(conn);
        try {
          return await extractColumns(conn, wide("only_there", ["a"], -1, 1));
        } finally {
          await sql`reset search_path`.execute(conn);
        }
      });
      same(x.values[0], [7]);
    });

    test("extract(): DataFrame [time_col, ...axes] with ISO strings for timestamps", async () => {
      const tz = await extract(t.db, wide("wide_tz", ["motor_a", "z_axis"], "2025-09-01T00:00:00Z", "2025-09-01T01:00:00Z"));
      assert.deepEqual(tz.columns, ["ts", "motor_a", "z_axis"]);
      assert.deepEqual(tz.shape, [3, 3]);
      assert.deepEqual(tz.column("ts").values, ["2025-09-01T00:00:00.123456Z", "2025-09-01T00:00:01.881000Z", "2025-09-01T00:59:59.999999Z"]);
      assert.deepEqual(tz.column("motor_a").values, [1.1, 2, 4]);
      const naive = await extract(t.db, wide("wide_naive", ["a"], "2025-09-01T00:00", "2025-09-01T04:00"));
      assert.deepEqual(naive.column("ts").values, ["2025-09-01T00:00:00.500000", "2025-09-01T03:00:00.000000"]);
      const float = await extract(t.db, wide("wide_float", ["axis2"], 0, 10));
      assert.deepEqual(float.column("ts").values, [0, 1.5, 2.25, 3]);
      assert.ok(Number.isNaN((float.column("axis2").values as number[])[1]));
      const longDf = await extract(t.db, long("long_ids", [5, 1], 0, 4));
      assert.deepEqual(longDf.columns, ["ts", "axis5", "axis1"]);
      const indexLike = await extract(t.db, wide("idx_cols", ["2", "1"], 0, 5));
      assert.deepEqual(indexLike.columns, ["ts", "2", "1"]);
      assert.deepEqual(indexLike.column("2").values, [2, 22]);
      assert.deepEqual(indexLike.column("1").values, [1, 11]);
    });

    describe("InputErrors name what to fix and never the password", () => {
      test("missing table, with a suggestion", async () => {
        await rejectsInput(extractColumns(t.db, wide("wide_flaot", ["axis1"], 0, 1)), ['table "wide_flaot" not found', 'did you mean "wide_float"'], t.secret);
        await rejectsInput(extractColumns(t.db, wide("x", ["axis1"], 0, 1)), ['table "x" not found'], t.secret);
      });

      test("missing column lists the table's columns", async () => {
        await rejectsInput(
          extractColumns(t.db, wide("wide_float", ["axis1", "axis9"], 0, 1)),
          ['column "axis9" not found in table "wide_float" (columns: ts, axis1, axis2, axis3)', "data.axes[1]"],
          t.secret,
        );
        await rejectsInput(extractColumns(t.db, { ...wide("wide_float", ["axis1"], 0, 1), time_col: "time" }), ['column "time" not found', "data.time_col"], t.secret);
        await rejectsInput(extractColumns(t.db, long("long_ids", [1], 0, 1, { value_col: "val" })), ['column "val" not found in table "long_ids"', "data.value_col"], t.secret);
        await rejectsInput(extractColumns(t.db, long("long_ids", [1], 0, 1, { axis_id_col: "axis" })), ['column "axis" not found', "data.axis_id_col"], t.secret);
      });

      test("axes: mixed, LONG without axis_id_col/value_col, duplicates, non-numeric columns", async () => {
        await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1", 2 as unknown as string], 0, 1)), ["data.axes", "mixes"], t.secret);
        const { axis_id_col: _a, ...noIdCol } = long("long_ids", [1, 2], 0, 1);
        await rejectsInput(extractColumns(t.db, noIdCol), ["data.axis_id_col"], t.secret);
        const { value_col: _v, ...noValueCol } = long("long_ids", [1, 2], 0, 1);
        await rejectsInput(extractColumns(t.db, noValueCol), ["data.value_col"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1", "axis1"], 0, 1)), ["data.axes[1]", "axis1"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_float", [], 0, 1)), ["data.axes"], t.secret);
        await rejectsInput(extractColumns(t.db, long("long_ids", [1.5], 0, 1)), ["data.axes[0]", "1.5"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("text_axis", ["label"], 0, 1)), ['column "label"', "text", "data.axes[0]"], t.secret);
      });

      test("time column of another type", async () => {
        await rejectsInput(extractColumns(t.db, wide("text_time", ["a"], 0, 1)), ['column "ts" of table "text_time" has type text', "data.time_col"], t.secret);
      });

      test("bounds of the wrong type name the key", async () => {
        await rejectsInput(extractColumns(t.db, wide("wide_tz", ["z_axis"], 1756684800, "2025-09-02T00:00Z")), ["data.train_start", "ISO-8601"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-09-01T00:00Z", 1756771200)), ["data.train_end"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1"], "0", 10)), ["data.train_start", "number"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1"], 0, Number.POSITIVE_INFINITY)), ["data.train_end"], t.secret);
        await rejectsInput(extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-09-01T25:00", "2025-09-02T00:00Z")), ["data.train_start", '"2025-09-01T25:00"'], t.secret);
      });

      test("train_start >= train_end compares parsed values", async () => {
        await rejectsInput(extractColumns(t.db, wide("wide_float", ["axis1"], 5, 5)), ["data.train_start (5) must be before data.train_end (5)"], t.secret);
        await rejectsInput(
          extractColumns(t.db, wide("wide_tz", ["z_axis"], "2025-09-01T00:00:00Z", "2025-09-01T01:00:00+02:00")),
          ["data.train_start (2025-09-01T00:00:00.000000Z) must be before data.train_end (2025-08-31T23:00:00.000000Z)"],
          t.secret,
        );
      });

      test("empty window names the table, the window and the table's span", async () => {
        await rejectsInput(
          extractColumns(t.db, wide("wide_float", ["axis1"], 100, 200)),
          ['no rows in table "wide_float" with ts in [100, 200)', "spans -1 to 10", "data.train_start"],
          t.secret,
        );
        await rejectsInput(
          extractColumns(t.db, wide("wide_tz", ["z_axis"], "2024-01-01T00:00Z", "2024-02-01T00:00Z")),
          ['no rows in table "wide_tz" with ts in [2024-01-01T00:00:00.000000Z, 2024-02-01T00:00:00.000000Z)', "spans 2025-08-18T19:35:02.020018Z to 2025-09-01T01:00:00.000000Z"],
          t.secret,
        );
        await rejectsInput(extractColumns(t.db, long("long_ids", [7], 0, 4)), ['no rows in table "long_ids" with axis_id in (7)'], t.secret);
      });
    });
  });
}

/** Asserts two extractions are equal bit for bit (NaN equals NaN; -0 is not 0). */
function sameExtraction(actual: Extraction, expected: Extraction, label: string): void {
  assert.equal(actual.timeType, expected.timeType, label);
  assert.equal(actual.layout, expected.layout, label);
  assert.deepEqual(actual.axes, expected.axes, label);
  assert.deepStrictEqual(Array.from(actual.time), Array.from(expected.time), `${label}: time`);
  actual.values.forEach((column, k) => assert.deepStrictEqual(Array.from(column), Array.from(expected.values[k]), `${label}: ${actual.axes[k]}`));
}

/**
 * A timestamptz golden table as `timestamp` (UTC wall time) too, so every
 * case runs with float, timestamptz and timestamp time columns.
 */
async function naiveCopy(db: Kysely<any>, table: string): Promise<string> {
  const naive = `${table}_naive`;
  await sql`drop table if exists ${sql.table(naive)}`.execute(db);
  await sql`create table ${sql.table(naive)} as select * from ${sql.table(table)}`.execute(db);
  await sql`alter table ${sql.table(naive)} alter column ts type timestamp using ts at time zone 'UTC'`.execute(db);
  return naive;
}

/** Config bounds for a timestamp column: the golden bounds' instants as zone-less UTC text. */
function naiveBound(bound: unknown): string {
  return epochSecondsToIso(isoToEpochSeconds(String(bound)), "timestamp");
}

/** Seconds of a config bound: a number, or ISO-8601 text. */
function boundSeconds(bound: unknown): number {
  return typeof bound === "number" ? bound : isoToEpochSeconds(String(bound));
}

/**
 * What extracting `data` from a golden case's table must give, computed from
 * the case's CSV alone: rows in `[train_start, train_end)` in time order, LONG
 * pivoted to the configured ids (NaN where an id has no row at a time).
 */
function goldenExtraction(golden: GoldenCase, data: DataConfig, timeType: Extraction["timeType"]): Extraction {
  const start = boundSeconds(data.train_start);
  const end = boundSeconds(data.train_end);
  const seconds = (text: string): number => (golden.timeType === "float" ? Number(text) : isoToEpochSeconds(text));
  const value = (text: string): number => (text === "" ? Number.NaN : Number(text));
  const inWindow = golden.rows.filter((row) => seconds(row[0]) >= start && seconds(row[0]) < end);
  if (golden.layout === "wide") {
    const sorted = [...inWindow].sort((a, b) => seconds(a[0]) - seconds(b[0]));
    const columns = (data.axes as string[]).map((axis) => golden.header.indexOf(axis));
    return {
      timeCol: data.time_col,
      timeType,
      layout: "wide",
      axes: data.axes as string[],
      time: Float64Array.from(sorted, (row) => seconds(row[0])),
      values: columns.map((c) => Float64Array.from(sorted, (row) => value(row[c]))),
    };
  }
  const ids = data.axes as number[];
  const byTime = new Map<number, Map<number, number>>();
  for (const row of inWindow) {
    const id = Number(row[1]);
    if (!ids.includes(id)) continue;
    const t = seconds(row[0]);
    if (!byTime.has(t)) byTime.set(t, new Map());
    byTime.get(t)!.set(id, value(row[2]));
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return {
    timeCol: data.time_col,
    timeType,
    layout: "long",
    axes: ids.map((id) => `axis${id}`),
    time: Float64Array.from(times),
    values: ids.map((id) => Float64Array.from(times, (t) => byTime.get(t)!.get(id) ?? Number.NaN)),
  };
}

/**
 * What extracting `data` must give, read the plain way: one ordinary query
 * (values as float8 text, timestamps as integer microseconds), row by row,
 * LONG pivoted in JS. No COPY, no binary decoding.
 */
async function rowByRowExtraction(db: Kysely<any>, data: DataConfig, timeType: Extraction["timeType"]): Promise<Extraction> {
  const time = sql.id(data.time_col);
  const t = timeType === "float" ? sql`${time}::float8::text` : sql`(extract(epoch from ${time}) * 1000000)::int8::text`;
  const cast = sql.raw(timeType === "float" ? "float8" : timeType);
  const where = sql`${time} >= cast(${data.train_start} as ${cast}) and ${time} < cast(${data.train_end} as ${cast})`;
  const toSeconds = (text: string): number => (timeType === "float" ? Number(text) : microsToSeconds(Number(text)));
  const value = (text: string | null): number => (text === null ? Number.NaN : Number(text));
  const table = sql.id(data.table);
  if (typeof data.axes[0] === "string") {
    const axes = data.axes as string[];
    const { rows } = await sql<Record<string, string | null>>`select ${t} as t, ${sql.join(axes.map((axis, k) => sql`${sql.id(axis)}::float8::text as ${sql.id(`v${k}`)}`))}
      from ${table} where ${where} order by ${time}`.execute(db);
    return {
      timeCol: data.time_col,
      timeType,
      layout: "wide",
      axes,
      time: Float64Array.from(rows, (row) => toSeconds(row.t as string)),
      values: axes.map((_, k) => Float64Array.from(rows, (row) => value(row[`v${k}`]))),
    };
  }
  const ids = data.axes as number[];
  const { rows } = await sql<{ t: string; id: number; v: string | null }>`select ${t} as t, ${sql.id(data.axis_id_col as string)}::int as id, ${sql.id(data.value_col as string)}::float8::text as v
    from ${table} where ${where} and ${sql.id(data.axis_id_col as string)} in (${sql.join(ids)}) order by ${time}`.execute(db);
  const times: number[] = [];
  const cells = new Map<string, number>();
  for (const row of rows) {
    const seconds = toSeconds(row.t);
    if (times.length === 0 || times[times.length - 1] !== seconds) times.push(seconds);
    cells.set(`${times.length - 1}:${row.id}`, value(row.v));
  }
  return {
    timeCol: data.time_col,
    timeType,
    layout: "long",
    axes: ids.map((id) => `axis${id}`),
    time: Float64Array.from(times),
    values: ids.map((id) => Float64Array.from(times, (_, i) => cells.get(`${i}:${id}`) ?? Number.NaN)),
  };
}

for (const backend of BACKENDS) {
  describe(`streamed extraction equals the golden data and a row-by-row read on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
    });
    after(async () => {
      await t?.db.destroy();
    });

    for (const golden of goldenCases()) {
      test(`golden case ${golden.name} (${golden.layout}, ${golden.timeType}${golden.timeType === "timestamptz" ? " and timestamp" : ""})`, async () => {
        const table = `golden_${golden.name}`;
        await loadGoldenCase(t.db, golden, table);
        const data = { table, ...golden.config.data } as unknown as DataConfig;
        const configs: [string, DataConfig][] = [[golden.timeType, data]];
        if (golden.timeType === "timestamptz") {
          const naive = await naiveCopy(t.db, table);
          configs.push(["timestamp", { ...data, table: naive, train_start: naiveBound(data.train_start), train_end: naiveBound(data.train_end) }]);
        }
        for (const [label, config] of configs) {
          const streamed = await extractColumns(t.db, config);
          assert.ok(streamed.time.length > 0);
          const timeType = label as Extraction["timeType"];
          sameExtraction(streamed, goldenExtraction(golden, config, timeType), `${golden.name} ${label}`);
          sameExtraction(streamed, await rowByRowExtraction(t.db, config, timeType), `${golden.name} ${label} row by row`);
        }
      });
    }

    test("windows many network chunks long: WIDE and LONG × float, timestamp, timestamptz (NULL, NaN, ±Infinity, missing axes)", async () => {
      // 60,000 samples × 8 axes: ~6 MB of COPY data in WIDE, 480,000 rows in LONG; a network chunk is 64 KiB.
      await sql`create table big_wide as
        select i * 0.01 as tf, timestamptz '2025-09-01 00:00:00+00' + i * interval '10 ms' + (i % 7) * interval '1 microsecond' as tz,
          ${sql.join(
            Array.from({ length: 8 }, (_, k) =>
              sql.raw(`case when i % ${97 + k} = 0 then null when i % ${389 + k} = 0 then 'NaN'::float8 when i % 5003 = ${k} then 'Infinity'::float8 else sin(i * ${k + 1} * 0.001) * 100 + ${k} end as a${k + 1}`),
            ),
          )}
        from generate_series(0, 59999) as i`.execute(t.db);
      await sql`alter table big_wide add column tn timestamp`.execute(t.db);
      await sql`update big_wide set tn = tz at time zone 'UTC'`.execute(t.db);
      // LONG: one row per sample and axis, some (sample, axis) rows missing, rows stored in shuffled order.
      await sql`create table big_long as
        select w.tf, w.tz, w.tn, a.id as axis_id, (array[w.a1, w.a2, w.a3, w.a4, w.a5, w.a6, w.a7, w.a8])[a.id] as value
        from big_wide w, generate_series(1, 8) as a(id)
        where (w.tf * 100)::int8 % (50 + a.id) <> 3
        order by md5(w.tf::text || a.id::text)`.execute(t.db);
      const axes = Array.from({ length: 8 }, (_, k) => `a${k + 1}`);
      const windows: [Extraction["timeType"], string, number | string, number | string][] = [
        ["float", "tf", 5, 595],
        ["timestamptz", "tz", "2025-09-01T00:00:02.5Z", "2025-09-01T00:09:57Z"],
        ["timestamp", "tn", "2025-09-01T00:00:02.5", "2025-09-01T00:09:57"],
      ];
      for (const [label, timeCol, start, end] of windows) {
        const wideConfig = { ...wide("big_wide", axes, start, end), time_col: timeCol };
        const longConfig = { ...long("big_long", [8, 1, 2, 3, 4, 5, 6, 7], start, end), time_col: timeCol };
        for (const [layout, config] of [["wide", wideConfig], ["long", longConfig]] as const) {
          const streamed = await extractColumns(t.db, config);
          assert.ok(streamed.time.length > 55_000, `${layout} ${label}: ${streamed.time.length} rows`);
          sameExtraction(streamed, await rowByRowExtraction(t.db, config, label), `${layout} ${label}`);
        }
      }
    });

    test("an error many network chunks into the COPY rejects naming it, and the next extraction reads the table", async () => {
      // Row 50,000 of 60,000 does not fit a float8: the server fails mid-stream (PostgreSQL: an ErrorResponse after ~1 MB of CopyData).
      await sql`create table late_overflow as
        select i::float8 as ts, case when i = 50000 then 1e400::numeric else i::numeric end as a from generate_series(0, 59999) as i`.execute(t.db);
      await assert.rejects(extractColumns(t.db, wide("late_overflow", ["a"], 0, 60000)), /out of range/);
      const before = await extractColumns(t.db, wide("late_overflow", ["a"], 0, 50000));
      assert.equal(before.time.length, 50000);
      assert.equal(before.values[0][49999], 49999);
    });
  });
}

describe("memory while streaming (real PostgreSQL, measured in a child process)", () => {
  test("reading a window hundreds of chunks long stays near its raw column bytes", async () => {
    const server = await sharedPostgres();
    const setup = await openPostgres();
    const rows = 2_000_000;
    try {
      await sql`create table memory_wide as
        select i * 0.001 as ts, sin(i * 0.001) as a1, cos(i * 0.002) as a2, (i % 1000)::float8 as a3, sqrt(i::float8) as a4
        from generate_series(1, ${rows}) as i`.execute(setup.db);
      await sql`analyze memory_wide`.execute(setup.db); // as autovacuum would: the planner's estimate sizes the columns
    } finally {
      await setup.db.destroy();
    }
    const data: DataConfig = { table: "memory_wide", time_col: "ts", axes: ["a1", "a2", "a3", "a4"], train_start: 0, train_end: 1e9 };
    const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(__dirname, "support", "extractMemory.ts")], {
      // Not NODE_TEST_CONTEXT: the child is a plain program, not a test file reporting to this runner.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, MLBOX_MEMORY_DB_URL: server.url, MLBOX_MEMORY_DATA: JSON.stringify(data) },
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout) as { rows: number; extraBytes: number };
    assert.equal(report.rows, rows);
    const rawBytes = rows * 5 * 8; // 80 MB of Float64Array columns
    // Live memory: the columns (with doubling slack) plus the chunks in flight, about 240 MiB here;
    // the pre-streaming read held the window several times over (packed, base64 text, decoded) and
    // measured about 470 MiB the same way, failing this.
    assert.ok(report.extraBytes <= 3 * rawBytes + 64 * 2 ** 20, `grew by ${(report.extraBytes / 2 ** 20).toFixed(0)} MiB for ${(rawBytes / 2 ** 20).toFixed(0)} MiB of columns: ${child.stdout}`);
  });
});
