/**
 * The in-database path, unchanged, on a sharded deployment made of plain
 * PostgreSQL machinery: a coordinator whose table is partitioned (LONG by axis
 * id, WIDE by time range) with every partition a `postgres_fdw` foreign table
 * on another server. Three throw-away PostgreSQL 15 servers on 127.0.0.1.
 * With `enable_partitionwise_aggregate`, the per-axis aggregates of a LONG
 * table run on the shards (EXPLAIN VERBOSE shows them in the Remote SQL), and
 * every result equals the single-server one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import { Client, Pool } from "pg";
import { setSessionUtc } from "../lib/db/sessionUtc";
import { trainInDatabase, type DatabaseTrainingResult } from "../lib/pipeline/inDatabase";
import type { Config, DataConfig } from "../lib/shapes/types";
import { testConfig } from "./support/databases";
import { goldenCases, loadGoldenCase, type GoldenCase } from "./support/golden";
import { startPostgres, type TestPostgres } from "./support/postgres";

const CASES = goldenCases();
const LONG = CASES.find((c) => c.name === "long_ids") as GoldenCase;
const WIDE = CASES.find((c) => c.name === "wide_timestamptz") as GoldenCase;
/** LONG: axis ids per shard. WIDE: the time where shard B starts. */
const LONG_SHARDS = [[1, 2], [5]];
const WIDE_SPLIT = "2025-09-01T00:30:00Z";

function kysely(url: string, queries?: CompiledQuery[]): Kysely<any> {
  return new Kysely<any>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 2 }), onCreateConnection: setSessionUtc }),
    log: (event) => {
      if (event.level === "query") queries?.push(event.query);
    },
  });
}

function configFor(golden: GoldenCase, table: string): Config {
  const base = testConfig({ data: { ...(golden.config.data as unknown as DataConfig), table } });
  return { ...base, thresholds: { ...base.thresholds, ...(golden.config.thresholds as object) } };
}

/** Every number of two runs, as [what, value] pairs. */
function numbers(result: DatabaseTrainingResult): Array<[string, number]> {
  const out: Array<[string, number]> = [["rows", result.profile.rows], ["dt", result.prepStats.dt_seconds], ["time0", result.prepStats.time0]];
  for (const m of result.models.models) out.push([`${m.axis} coef`, m.coef], [`${m.axis} intercept`, m.intercept], [`${m.axis} samples`, m.samples_used]);
  for (const m of result.metrics) out.push([`${m.axis} r2`, m.r2], [`${m.axis} mae`, m.mae], [`${m.axis} rmse`, m.rmse]);
  for (const [axis, t] of Object.entries(result.thresholds)) out.push([`${axis} MinC`, t.MinC], [`${axis} MaxC`, t.MaxC], [`${axis} T_long`, t.T_long_steps], [`${axis} T_short`, t.T_short_steps]);
  for (const a of result.profile.axes) out.push([`${a.axis} count`, a.count], [`${a.axis} mean`, a.mean], [`${a.axis} min`, a.min], [`${a.axis} max`, a.max]);
  return out;
}

describe("in-database training on a coordinator with postgres_fdw shards", () => {
  let coordinator: TestPostgres;
  const shards: TestPostgres[] = [];
  let db: Kysely<any>;
  const queries: CompiledQuery[] = [];

  before(async () => {
    coordinator = await startPostgres();
    shards.push(await startPostgres(), await startPostgres());
    // Each shard holds its part of the data in an ordinary table.
    for (const [s, shard] of shards.entries()) {
      const shardDb = kysely(shard.url);
      await loadGoldenCase(shardDb, LONG, "long_part");
      await sql`delete from long_part where axis_id <> all(${LONG_SHARDS[s]}::int[])`.execute(shardDb);
      await loadGoldenCase(shardDb, WIDE, "wide_part");
      await (s === 0 ? sql`delete from wide_part where ts >= ${WIDE_SPLIT}::timestamptz` : sql`delete from wide_part where ts < ${WIDE_SPLIT}::timestamptz`).execute(shardDb);
      await sql`analyze`.execute(shardDb);
      await shardDb.destroy();
    }
    db = kysely(coordinator.url, queries);
    // The single-server reference tables, on the coordinator itself.
    await loadGoldenCase(db, LONG, "single_long");
    await loadGoldenCase(db, WIDE, "single_wide");
    await sql`create extension postgres_fdw`.execute(db);
    for (const [s, shard] of shards.entries()) {
      const url = new URL(shard.url);
      const name = sql.id(`shard_${s}`);
      // fdw_tuple_cost as PostgreSQL 17's default: 15's 0.01 makes shipping rows look free.
      await sql`create server ${name} foreign data wrapper postgres_fdw options (host '127.0.0.1', port ${sql.lit(String(shard.port))}, dbname 'postgres', fdw_tuple_cost '0.2')`.execute(db);
      await sql`create user mapping for current_user server ${name} options (user ${sql.lit(decodeURIComponent(url.username))}, password ${sql.lit(decodeURIComponent(url.password))})`.execute(db);
    }
    await sql`create table sharded_long (ts double precision not null, axis_id integer not null, value double precision) partition by list (axis_id)`.execute(db);
    await sql`create table sharded_wide (ts timestamptz not null, motor_a double precision, motor_b double precision, spindle double precision, z_axis double precision) partition by range (ts)`.execute(db);
    for (const [s] of shards.entries()) {
      const server = sql.id(`shard_${s}`);
      await sql`create foreign table ${sql.id(`sharded_long_${s}`)} partition of sharded_long for values in (${sql.join(LONG_SHARDS[s].map((id) => sql.lit(id)))}) server ${server} options (table_name 'long_part')`.execute(db);
      const range = s === 0 ? sql`from (minvalue) to (${sql.lit(WIDE_SPLIT)})` : sql`from (${sql.lit(WIDE_SPLIT)}) to (maxvalue)`;
      await sql`create foreign table ${sql.id(`sharded_wide_${s}`)} partition of sharded_wide for values ${range} server ${server} options (table_name 'wide_part')`.execute(db);
    }
    await sql`analyze sharded_long, sharded_wide, single_long, single_wide`.execute(db);
    // How a deployment turns it on: for the database (or role), so every session of the pipeline has it.
    await sql`alter database postgres set enable_partitionwise_aggregate = on`.execute(db);
    await db.destroy();
    db = kysely(coordinator.url, queries);
  });

  after(async () => {
    await db?.destroy();
    await Promise.all([coordinator, ...shards].filter(Boolean).map((server) => server.stop()));
  });

  for (const [layout, golden, sharded, single] of [
    ["LONG partitioned by axis id", LONG, "sharded_long", "single_long"],
    ["WIDE partitioned by time range", WIDE, "sharded_wide", "single_wide"],
  ] as const) {
    test(`${layout}: results equal the single-server ones`, async () => {
      const reference = await trainInDatabase(db, configFor(golden, single));
      const distributed = await trainInDatabase(db, configFor(golden, sharded));
      const got = numbers(distributed);
      numbers(reference).forEach(([what, want], i) => {
        const value = got[i][1];
        const relative = value === want ? 0 : Math.abs(value - want) / Math.abs(want);
        assert.ok(relative <= 1e-12, `${layout} ${what}: sharded ${value}, single ${want}`);
      });
      assert.equal(distributed.thresholds[Object.keys(golden.expected.thresholds)[0]].T_long_steps, Object.values(golden.expected.thresholds)[0].T_long_steps);
    });
  }

  test("LONG: the per-axis aggregates run on the shards (EXPLAIN VERBOSE shows them in the Remote SQL)", async () => {
    queries.length = 0;
    await trainInDatabase(db, configFor(LONG, "sharded_long"));
    const fit = queries.find((q) => q.sql.includes("regr_sxy"));
    assert.ok(fit, "the fit query ran");
    const client = new Client({ connectionString: coordinator.url });
    await client.connect();
    try {
      // The metrics are grouped by axis too: also aggregated on the shards.
      for (const marker of ["sum(abs(p - y))"]) {
        const query = queries.find((q) => q.sql.includes(marker));
        assert.ok(query, `a query with ${marker} ran`);
        const { rows } = await client.query(`explain (verbose, costs off) ${query.sql}`, query.parameters as unknown[]);
        const plan = rows.map((r) => r["QUERY PLAN"] as string).join("\n");
        assert.equal((plan.match(/Relations: Aggregate on/g) ?? []).length, 2, plan);
      }
      const { rows } = await client.query(`explain (verbose, costs off) ${fit.sql}`, fit.parameters as unknown[]);
      const plan = rows.map((r) => r["QUERY PLAN"] as string).join("\n");
      const remote = plan.split("\n").filter((line) => line.includes("Remote SQL:"));
      assert.equal(remote.length, 2, `one remote query per shard:\n${plan}`);
      for (const line of remote) {
        assert.match(line, /regr_sxy\(/, `aggregate not pushed down:\n${plan}`);
        assert.match(line, /GROUP BY/, plan);
      }
      assert.equal((plan.match(/Relations: Aggregate on/g) ?? []).length, 2, plan);
      assert.doesNotMatch(plan, /HashAggregate|GroupAggregate/, `no aggregation left on the coordinator:\n${plan}`);
      // Control: without partitionwise aggregation the shards only ship rows.
      await client.query("set enable_partitionwise_aggregate = off");
      const { rows: local } = await client.query(`explain (verbose, costs off) ${fit.sql}`, fit.parameters as unknown[]);
      const localPlan = local.map((r) => r["QUERY PLAN"] as string).join("\n");
      assert.doesNotMatch(localPlan, /Remote SQL: SELECT .*regr_sxy/, localPlan);
      console.log(`# pushed-down plan:\n${plan.split("\n").map((line) => `#   ${line.slice(0, 160)}`).join("\n")}`);
    } finally {
      await client.end();
    }
  });
});
