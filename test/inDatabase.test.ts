/**
 * `compute.mode: database`: every stage as SQL equals the in-memory path (to a
 * relative 1e-9; integers and methods exactly) on every golden case and on
 * edge cases (timestamp without zone, LONG timestamptz, NaN/±Infinity/NULL,
 * missing LONG rows, real columns), through a real PostgreSQL server and the
 * embedded PGlite database; the pipeline registers the same files either way;
 * `auto` picks by the planner's size estimate.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { profileColumns } from "../lib/stages/analyze";
import { DEFAULT_MODEL_CONFIG, loadConfig } from "../lib/shapes/config";
import { ensureEmbeddedDatabase } from "../lib/db/embeddedSeed";
import { InputError } from "../lib/core/errors";
import { evaluateColumns } from "../lib/stages/evaluate";
import { extractColumns } from "../lib/db/extract";
import { chooseComputeMode, trainInDatabase } from "../lib/pipeline/inDatabase";
import { runPipeline } from "../lib/pipeline/inMemory";
import { predictColumns } from "../lib/stages/predict";
import { prepareColumns } from "../lib/stages/prepare";
import { calibrateColumns } from "../lib/stages/thresholds";
import { trainColumns } from "../lib/stages/train";
import { isLinearModel } from "../lib/model/trendModel";
import type { Config, DataConfig } from "../lib/shapes/types";
import { runCli } from "./support/cli";
import { BACKENDS, testConfig, type TestDatabase } from "./support/databases";
import { goldenCases, loadGoldenCase } from "./support/golden";
import { sharedPostgres } from "./support/postgres";

const CASES = goldenCases();
const TOLERANCE = 1e-9;
/** Worst relative difference seen per backend, reported at the end. */
const worst: Record<string, { relative: number; what: string }> = {};

function relativeDifference(actual: number, expected: number): number {
  if (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return 0;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
}

function close(backend: string, actual: number, expected: number, what: string): void {
  const relative = relativeDifference(actual, expected);
  if (!worst[backend] || relative > worst[backend].relative) worst[backend] = { relative, what };
  assert.ok(relative <= TOLERANCE, `${what}: database ${actual}, memory ${expected} (relative ${relative})`);
}

function configFor(data: DataConfig, thresholds: Record<string, unknown> = {}): Config {
  const base = testConfig({ data });
  return { ...base, thresholds: { ...base.thresholds, ...thresholds }, plots: { enabled: true, dir: "/nonexistent" } };
}

/** The in-memory stages, as runPipeline calls them. */
async function inMemory(db: Kysely<any>, config: Config) {
  const { time, axes, values, timeType, timeCol } = await extractColumns(db, config.data);
  const profile = profileColumns(time, axes, values);
  const { columns, stats } = prepareColumns(time, axes, values, { timeCol, timeType, dtSeconds: profile.dt_seconds });
  const models = trainColumns(columns.timeS, axes, columns.values);
  const prediction = predictColumns(columns.timeS, models, columns.values);
  return { profile, stats, models, prediction, metrics: evaluateColumns(prediction), thresholds: calibrateColumns(prediction, profile.dt_seconds, config.thresholds) };
}

/** Runs both paths on `config` and compares every number. */
async function compareBothPaths(database: TestDatabase, config: Config, label: string): Promise<void> {
  const memory = await inMemory(database.db, config);
  const inDb = await trainInDatabase(database.db, config);
  const b = database.name;
  assert.equal(inDb.profile.rows, memory.profile.rows, `${label} rows`);
  close(b, inDb.profile.dt_seconds, memory.profile.dt_seconds, `${label} dt_seconds`);
  close(b, inDb.prepStats.time0, memory.stats.time0, `${label} time0`);
  assert.equal(inDb.prepStats.time_type, memory.stats.time_type);
  memory.profile.axes.forEach((want, i) => {
    const got = inDb.profile.axes[i];
    assert.equal(got.axis, want.axis);
    assert.equal(got.count, want.count, `${label} ${want.axis} count`);
    assert.equal(got.nan_count, want.nan_count, `${label} ${want.axis} nan_count`);
    close(b, got.zero_fraction, want.zero_fraction, `${label} ${want.axis} zero_fraction`);
    for (const key of ["min", "max", "mean"] as const) close(b, got[key], want[key], `${label} ${want.axis} ${key}`);
  });
  memory.models.models.forEach((want, i) => {
    const got = inDb.models.models[i];
    assert.ok(isLinearModel(want), `${label} ${want.axis}: the in-memory fit is a line`);
    assert.equal(got.samples_used, want.samples_used, `${label} ${want.axis} samples_used`);
    close(b, got.coef, want.coef, `${label} ${want.axis} coef`);
    close(b, got.intercept, want.intercept, `${label} ${want.axis} intercept`);
  });
  memory.metrics.forEach((want, i) => {
    for (const key of ["r2", "mae", "rmse"] as const) close(b, inDb.metrics[i][key], want[key], `${label} ${want.axis} ${key}`);
  });
  for (const [axis, want] of Object.entries(memory.thresholds)) {
    const got = inDb.thresholds[axis];
    close(b, got.MinC, want.MinC, `${label} ${axis} MinC`);
    close(b, got.MaxC, want.MaxC, `${label} ${axis} MaxC`);
    assert.equal(got.T_long_steps, want.T_long_steps, `${label} ${axis} T_long_steps`);
    assert.equal(got.T_short_steps, want.T_short_steps, `${label} ${axis} T_short_steps`);
    assert.equal(got.meta.method, want.meta.method, `${label} ${axis} method`);
  }
  // Decimated chart series keep each axis's extremes and stay small.
  const series = inDb.chartSeries;
  assert.ok(series.timeS.length > 0 && series.timeS.length <= 5 * 300 * series.axes.length);
  memory.prediction.axes.forEach((axis, i) => {
    const finite = (values: Float64Array) => Array.from(values).filter((v) => Number.isFinite(v) && v !== 0);
    const all = finite(memory.prediction.actual[i]);
    const shown = finite(series.actual[i]);
    assert.equal(Math.max(...shown), Math.max(...all), `${label} ${axis}: the largest value is charted`);
    assert.equal(Math.min(...shown), Math.min(...all), `${label} ${axis}: the smallest value is charted`);
    const residuals = Array.from(series.residual[i]).filter(Number.isFinite);
    close(b, Math.max(...residuals), Math.max(...Array.from(memory.prediction.residual[i]).filter(Number.isFinite)), `${label} ${axis} largest residual charted`);
  });
}

/** Extra tables covering what the golden cases do not. */
async function loadEdgeCases(db: Kysely<any>): Promise<Array<{ label: string; data: DataConfig; thresholds?: Record<string, unknown> }>> {
  await loadGoldenCase(db, CASES.find((c) => c.name === "wide_timestamptz")!, "edge_ts");
  await sql`alter table edge_ts alter column ts type timestamp using (ts at time zone 'UTC')`.execute(db);
  await sql`drop table if exists edge_long_tz`.execute(db);
  await sql`create table edge_long_tz as
    select ts, 1 as axis_id, motor_a as value from edge_ts union all select ts, 2, motor_b from edge_ts where extract(second from ts) > 7`.execute(db);
  await sql`alter table edge_long_tz alter column ts type timestamptz using (ts at time zone 'UTC')`.execute(db);
  // Beyond 2038 the epoch is converted through numeric instead of float8.
  await sql`drop table if exists edge_far`.execute(db);
  await sql`create table edge_far as select ts + interval '200 years 3 days 0.000001 seconds' as ts, motor_b, z_axis from edge_ts`.execute(db);
  // NaN, ±Infinity, NULL, exact zeros, a real column; LONG rows missing at some times (runs must break there).
  await sql`drop table if exists edge_wide`.execute(db);
  await sql`create table edge_wide as
    select i * 0.37 + (i % 3) * 0.01 as t,
      case when i % 97 = 5 then 'NaN'::float8 when i % 89 = 7 then 'Infinity'::float8 when i % 83 = 3 then null
           when i % 13 = 0 then 0 else 5 + i * 0.01 + sin(i) * 3 end as a,
      (4 + cos(i * 0.3) * 2)::real as b
    from generate_series(0, 2999) as i`.execute(db);
  await sql`drop table if exists edge_long`.execute(db);
  await sql`create table edge_long as
    select i * 0.5 as t, k as id, case when i % 31 = 0 then null else k + sin(i * k) * 2 + i * 0.001 end as v
    from generate_series(0, 1999) as i, generate_series(1, 3) as k where (i + k) % 7 <> 0`.execute(db);
  // One positive residual (18 at t = 2; the zeros, left out of the fit, and NaN rows are not positive), read by bucket.
  await sql`drop table if exists edge_one`.execute(db);
  await sql`create table edge_one as
    select i::float8 as t, case i when 1 then 10 when 2 then 40 when 3 then 16 when 7 then 'NaN'::float8 else 0 end as one
    from generate_series(0, 199) as i`.execute(db);
  // 40 axes: the WIDE run pass packs 62 level flags per int8 mask, so the flags of axes 27 and up sit in bits 54–61 of
  // the first mask (not exact as JavaScript numbers) and axes 31 and up in a second mask.
  const many = Array.from({ length: 40 }, (_, k) => `m${k}`);
  await sql`drop table if exists edge_many`.execute(db);
  await sql.raw(`create table edge_many as select i::float8 as t, ${many
    .map((name, k) => `sin(i * ${(0.02 + 0.013 * k).toFixed(3)}) * 3 + ((i * ${k + 7}) % 11) * 0.05 + i * 0.01 + 10 as ${name}`)
    .join(", ")} from generate_series(0, 1999) as i`).execute(db);
  // The same rows stored out of time order: the scan-order passes (time step, run lengths) must notice and sort.
  await sql`drop table if exists edge_shuffled`.execute(db);
  await sql`create table edge_shuffled as select * from edge_many order by md5(t::text)`.execute(db);
  return [
    { label: "40 axes stored out of time order", data: { table: "edge_shuffled", time_col: "t", axes: many, train_start: 0, train_end: 1e6 }, thresholds: { alert_seconds_default: 0, error_seconds_default: 0 } },
    { label: "40 axes (two flag masks)", data: { table: "edge_many", time_col: "t", axes: many, train_start: 0, train_end: 1e6 }, thresholds: { alert_seconds_default: 0, error_seconds_default: 0 } },
    { label: "one positive residual", data: { table: "edge_one", time_col: "t", axes: ["one"], train_start: 0, train_end: 1e6 }, thresholds: { min_pos_for_trim: 0 } },
    { label: "timestamp", data: { table: "edge_ts", time_col: "ts", axes: ["motor_a", "spindle"], train_start: "2025-09-01T00:00:00", train_end: "2025-09-01T01:00:00" } },
    { label: "long timestamptz", data: { table: "edge_long_tz", time_col: "ts", axes: [2, 1], axis_id_col: "axis_id", value_col: "value", train_start: "2025-09-01T00:00:00Z", train_end: "2025-09-02T00:00:00Z" } },
    { label: "timestamp in 2225", data: { table: "edge_far", time_col: "ts", axes: ["z_axis", "motor_b"], train_start: "2225-09-01T00:00:00", train_end: "2225-09-10T00:00:00" } },
    { label: "wide NaN/Inf/NULL/real", data: { table: "edge_wide", time_col: "t", axes: ["a", "b"], train_start: 0, train_end: 1e6 } },
    { label: "long with gaps", data: { table: "edge_long", time_col: "t", axes: [1, 2, 3], axis_id_col: "id", value_col: "v", train_start: 10, train_end: 900 } },
    { label: "wide MAD fallback", data: { table: "edge_wide", time_col: "t", axes: ["a", "b"], train_start: 0, train_end: 1e6 }, thresholds: { min_pos_for_trim: 2000, alert_quantile: 0.37, error_quantile: 1 } },
  ];
}

for (const backend of BACKENDS) {
  describe(`in-database training equals the in-memory path on ${backend.name}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await backend.open();
      for (const golden of CASES) await loadGoldenCase(database.db, golden, `indb_${golden.name}`);
    });
    after(async () => {
      await database.db.destroy();
      if (worst[backend.name]) console.log(`# ${backend.name}: worst relative difference ${worst[backend.name].relative.toExponential(2)} (${worst[backend.name].what})`);
    });

    for (const golden of CASES) {
      test(`golden ${golden.name}`, async () => {
        const config = configFor({ table: `indb_${golden.name}`, ...golden.config.data } as unknown as DataConfig, golden.config.thresholds);
        await compareBothPaths(database, config, golden.name);
        // And against the Python reference itself.
        const result = await trainInDatabase(database.db, config);
        for (const [axis, want] of Object.entries(golden.expected.thresholds)) {
          assert.ok(relativeDifference(result.thresholds[axis].MinC, want.MinC) <= TOLERANCE, `${golden.name} ${axis} MinC vs reference`);
          assert.equal(result.thresholds[axis].T_long_steps, want.T_long_steps);
        }
        golden.expected.metrics.forEach((want, i) => assert.ok(relativeDifference(result.metrics[i].rmse, want.rmse) <= TOLERANCE));
      });
    }

    test("edge cases: 40 axes (also stored out of time order), one positive residual, timestamp (float8 and numeric epoch), LONG timestamptz, NaN/±Infinity/NULL, real, missing LONG rows, MAD fallback", async () => {
      const edges = await loadEdgeCases(database.db);
      for (const edge of edges) await compareBothPaths(database, configFor(edge.data, edge.thresholds), edge.label);
      // The single positive residual is both levels (read from its bucket, not a default).
      const one = edges.find((edge) => edge.label === "one positive residual")!;
      const { thresholds } = await trainInDatabase(database.db, configFor(one.data, one.thresholds));
      assert.ok(Math.abs(thresholds.one.MinC - 18) < 1e-9 && Math.abs(thresholds.one.MaxC - 18) < 1e-9, JSON.stringify(thresholds.one));
    });

    test("bad input: an empty window and interpolation are one-line InputErrors", async () => {
      const data = { table: "indb_wide_float_basic", time_col: "ts", axes: ["axis1"], train_start: 1e9, train_end: 2e9 };
      await assert.rejects(trainInDatabase(database.db, configFor(data)), (e: unknown) => e instanceof InputError && /no rows in table "indb_wide_float_basic"/.test(e.message));
      await assert.rejects(trainInDatabase(database.db, configFor({ ...data, axes: ["nope"] })), (e: unknown) => e instanceof InputError && /column "nope" not found .*data\.axes\[0\]/.test(e.message));
      const interpolating = { ...configFor(data), prep: { interpolate: true } };
      await assert.rejects(trainInDatabase(database.db, interpolating), (e: unknown) => e instanceof InputError && /prep\.interpolate/.test(e.message));
    });

    test("a LONG table with a duplicated (time, axis id) is rejected with the in-memory extractor's message", async () => {
      await sql`drop table if exists indb_dup`.execute(database.db);
      // 70 ids: the check's bit masks hold 63 ids each, so the duplicate of id 66 is in the second one.
      await sql`create table indb_dup as select i * 0.5 as t, k as id, sin(i + k) + 2 as v from generate_series(0, 99) as i, generate_series(1, 70) as k`.execute(database.db);
      const ids = Array.from({ length: 70 }, (_, k) => k + 1);
      const data: DataConfig = { table: "indb_dup", time_col: "t", axes: ids, axis_id_col: "id", value_col: "v", train_start: 0, train_end: 1e6 };
      const rejected = async (expected: string): Promise<void> => {
        const message = (error: unknown) => (error instanceof InputError ? error.message : String(error));
        const memory = await extractColumns(database.db, data).then(() => "accepted", message);
        const inDb = await trainInDatabase(database.db, configFor(data)).then(() => "accepted", message);
        assert.equal(memory, expected);
        assert.equal(inDb, expected);
      };
      await trainInDatabase(database.db, configFor(data)); // no duplicate yet
      await sql`insert into indb_dup values (21.5, 66, 1), (30, 2, 5)`.execute(database.db);
      await rejected(`duplicate (t, id) = (21.5, 66) in table "indb_dup": each time may hold one value per axis id`);
      // Timestamps are named as the time column holds them; outside the configured axes a duplicate does not matter.
      await sql`drop table if exists indb_dup_ts`.execute(database.db);
      await sql`create table indb_dup_ts as select timestamptz '2025-09-01 00:00:00+00' + i * interval '1.5 s' as ts, k as axis, cos(i * k) as value
        from generate_series(0, 99) as i, generate_series(1, 3) as k`.execute(database.db);
      await sql`insert into indb_dup_ts values ('2025-09-01 00:00:03.000001+00', 9, 0), ('2025-09-01 00:00:03.000001+00', 9, 1), ('2025-09-01 00:01:30+00', 2, 7)`.execute(database.db);
      Object.assign(data, { table: "indb_dup_ts", time_col: "ts", axes: [1, 2, 3], axis_id_col: "axis", value_col: "value", train_start: "2025-09-01T00:00:00Z", train_end: "2025-09-02T00:00:00Z" });
      await rejected(`duplicate (ts, axis) = (2025-09-01T00:01:30.000000Z, 2) in table "indb_dup_ts": each time may hold one value per axis id`);
    });

    test("compute.mode auto picks by the planner's estimate of the window", async () => {
      await sql`drop table if exists indb_big`.execute(database.db);
      await sql`create table indb_big as select i::float8 as t, sin(i) as a, cos(i) as b from generate_series(1, 200000) as i`.execute(database.db);
      await sql`analyze indb_big`.execute(database.db);
      const data = { table: "indb_big", time_col: "t", axes: ["a", "b"], train_start: 0, train_end: 1e9 };
      const small = await chooseComputeMode(database.db, { ...configFor(data), compute: { mode: "auto", memory_budget_mb: 1 } });
      assert.equal(small.mode, "database", small.reason);
      assert.match(small.reason, /≈ 5 MB .* > compute\.memory_budget_mb 1/);
      assert.equal((await chooseComputeMode(database.db, { ...configFor(data), compute: { mode: "auto", memory_budget_mb: 1024 } })).mode, "memory");
      assert.equal((await chooseComputeMode(database.db, { ...configFor(data), compute: { mode: "database", memory_budget_mb: 1024 } })).mode, "database");

      // Lines only in the database: another model.type is refused, given or picked by auto; memory still works.
      const poly = { ...configFor(data), model: { ...DEFAULT_MODEL_CONFIG, type: "poly" as const } };
      const refused = (pattern: RegExp) => (e: unknown) => e instanceof InputError && !e.message.includes("\n") && pattern.test(e.message);
      await assert.rejects(
        chooseComputeMode(database.db, { ...poly, compute: { mode: "database", memory_budget_mb: 1024 } }),
        refused(/^compute\.mode database supports model\.type linear and scoring\.statistic residual; got model\.type poly: set compute\.mode memory$/),
      );
      await assert.rejects(
        chooseComputeMode(database.db, { ...poly, compute: { mode: "auto", memory_budget_mb: 1 } }),
        refused(/got model\.type poly \(compute\.mode auto picked database: window ≈ 5 MB > compute\.memory_budget_mb 1\)/),
      );
      await assert.rejects(trainInDatabase(database.db, poly), refused(/model\.type poly/));
      assert.equal((await chooseComputeMode(database.db, { ...poly, compute: { mode: "auto", memory_budget_mb: 1024 } })).mode, "memory");
    });
  });
}

describe("runPipeline with compute.mode: database (embedded database)", () => {
  const work = mkdtempSync(join(tmpdir(), "mlbox-indb-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  test("registers the same files with the same numbers as the in-memory path, and draws the charts", async () => {
    const golden = CASES.find((c) => c.name === "long_ids")!;
    const write = (mode: string): string => {
      const path = join(work, `${mode}.yaml`);
      writeFileSync(path, [
        `database: { url_env: MLBOX_INDB_UNSET_URL, embedded_dir: ${join(work, "pglite")} }`,
        `data: ${JSON.stringify({ table: "golden_long", ...golden.config.data })}`,
        `registry: { root_dir: ${join(work, mode, "registry")} }`,
        `plots: { dir: ${join(work, mode, "out")} }`,
        `compute: { mode: ${mode} }`,
      ].join("\n"));
      return path;
    };
    delete process.env.MLBOX_INDB_UNSET_URL;
    const memoryConfig = loadConfig(write("memory"));
    const databaseConfig = loadConfig(write("database"));
    const { connect } = await import("../lib/db/connect");
    const db = await connect(memoryConfig.database);
    await loadGoldenCase(db, golden, "golden_long");
    await db.destroy();

    const lines: string[] = [];
    const memory = await runPipeline(memoryConfig);
    const inDb = await runPipeline(databaseConfig, { log: (line) => lines.push(line) });
    assert.match(lines.join("\n"), /compute in database \(compute\.mode: database\)/);
    assert.deepEqual(readdirSync(inDb.versionDir).sort(), readdirSync(memory.versionDir).sort());
    assert.deepEqual(inDb.rawShape, memory.rawShape);
    const thresholds = (dir: string) => JSON.parse(readFileSync(join(dir, "thresholds.json"), "utf8"));
    const [got, want] = [thresholds(inDb.versionDir), thresholds(memory.versionDir)];
    for (const axis of Object.keys(want)) {
      assert.ok(relativeDifference(got[axis].MaxC, want[axis].MaxC) <= TOLERANCE);
      assert.equal(got[axis].T_long_steps, want[axis].T_long_steps);
    }
    const meta = readFileSync(join(inDb.versionDir, "meta.yaml"), "utf8");
    assert.match(meta, /data_fingerprint: sql:[0-9a-f]{64}/);
    assert.match(meta, new RegExp(`raw: ${golden.expected.raw_shape[0]}\\n`));
    assert.deepEqual(inDb.chartFiles.map((f) => f.slice(f.lastIndexOf("/"))), memory.chartFiles.map((f) => f.slice(f.lastIndexOf("/"))));
    const page = readFileSync(inDb.chartFiles[0], "utf8");
    assert.match(page, /"name":"data"/);
  });

  test("CLI: a LONG table with a duplicated (time, axis id) exits 2 naming it, and registers nothing (PostgreSQL and embedded)", async () => {
    const load = async (db: Kysely<any>): Promise<void> => {
      await sql`drop table if exists cli_dup`.execute(db);
      await sql`create table cli_dup as select i * 2.0 as t, k as axis_id, sin(i * k) + 3 as value from generate_series(0, 4999) as i, generate_series(1, 4) as k`.execute(db);
      await sql`insert into cli_dup values (7000, 3, 1)`.execute(db);
    };
    const server = await sharedPostgres();
    const pool = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: server.url, max: 1 }) }) });
    await load(pool);
    await pool.destroy();
    await ensureEmbeddedDatabase(join(work, "cli-dup-pglite"), load);
    for (const backend of ["postgres", "embedded"]) {
      const path = join(work, `cli-dup-${backend}.yaml`);
      const registry = join(work, `cli-dup-${backend}`, "registry");
      writeFileSync(path, [
        `database: { url_env: MLBOX_INDB_DUP_URL, embedded_dir: ${join(work, "cli-dup-pglite")} }`,
        `data: { table: cli_dup, time_col: t, axes: [1, 2, 3, 4], axis_id_col: axis_id, value_col: value, train_start: 0, train_end: 1.0e6 }`,
        `registry: { root_dir: ${registry} }`,
        "plots: { enabled: false }",
        "compute: { mode: database }",
      ].join("\n"));
      const env: NodeJS.ProcessEnv = { ...process.env, MLBOX_INDB_DUP_URL: backend === "postgres" ? server.url : "" };
      const run = runCli(["--config", path], { env });
      assert.equal(run.status, 2, `${backend}: ${run.stderr}`);
      assert.match(run.stderr, /compute in database \(compute\.mode: database\)|duplicate/);
      assert.match(run.stderr, /duplicate \(t, axis_id\) = \(7000, 3\) in table "cli_dup": each time may hold one value per axis id/);
      assert.equal(run.stderr.trim().split("\n").filter((line) => /duplicate/.test(line)).length, 1, run.stderr);
      assert.ok(!existsSync(registry) || readdirSync(registry).length === 0, `${backend}: nothing registered, got ${existsSync(registry) ? readdirSync(registry).join(", ") : ""}`);
    }
  });

  test("config: compute.mode must be auto, memory or database", () => {
    const path = join(work, "bad.yaml");
    writeFileSync(path, "data: { table: t, axes: [a], train_start: 0, train_end: 1 }\ncompute: { mode: gpu }\n");
    assert.throws(() => loadConfig(path), (e: unknown) => e instanceof InputError && /compute\.mode must be one of "auto", "memory", "database", got "gpu"/.test(e.message));
    writeFileSync(path, "data: { table: t, axes: [a], train_start: 0, train_end: 1 }\n");
    assert.deepEqual(loadConfig(path).compute, { mode: "auto", memory_budget_mb: 1024 });
  });
});
