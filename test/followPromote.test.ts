/**
 * `score --follow` and `score` against a real PostgreSQL server use the
 * version `production` names: registering v2 while the follower runs changes
 * nothing it scores; `registry promote v2` switches it at the next poll with
 * no run in progress (logged), and the rows after that are scored by v2.
 * Killed with SIGKILL and restarted after another promotion, it resumes on
 * the version of its checkpoint and switches the same way, scoring no row
 * twice. A plain replay says which version it used. Run under a non-UTC TZ.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, test } from "node:test";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { promoteAlias, registerModel, type RegisterOptions } from "../lib/registry";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-follow-promote-"));
after(() => rmSync(work, { recursive: true, force: true }));
const TSX = pathToFileURL(require.resolve("tsx")).href;
const AXES = ["axis1", "axis2"];
const TABLE = "follow_promote";
const EVENTS = "follow_promote_events";

/** Lines y = 0 (residual = value); alert at ≥ `minC` for 3 samples, error at ≥ 2 for 2. */
function version(rootDir: string, minC: number): RegisterOptions {
  return {
    rootDir,
    versionTag: "auto",
    models: { type: "linear", models: AXES.map((axis) => ({ axis, coef: 0, intercept: 0, samples_used: 10 })) },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
    thresholds: Object.fromEntries(AXES.map((axis) => [axis, { MinC: minC, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "test" } }])),
    metrics: AXES.map((axis) => ({ axis, r2: 1, mae: 0, rmse: 0 })),
    meta: {
      data: { table: TABLE, time_col: "ts", time_type: "float", layout: "wide", axes: AXES, train_start: 0, train_end: 10 },
      prep: { interpolate: false },
      rows: { raw: 10, train: 10 },
      lineage: { config_path: "/c.yaml", config_sha256: "a".repeat(64), data_fingerprint: "b".repeat(64), database: "test", git_commit: null },
    },
  };
}

/** 50 rows from `start`: axis1 at 1.5 for 5 of every 10 samples (an alert of v1 and v2 alike), the batch ending on zeros. */
async function insertBatch(db: Kysely<any>, start: number): Promise<void> {
  const ts = Array.from({ length: 50 }, (_, i) => start + i);
  const axis1 = ts.map((_, i) => (i % 10 < 5 ? 1.5 : 0));
  await sql`insert into ${sql.id(TABLE)} (ts, axis1, axis2) select * from unnest(${ts}::float8[], ${axis1}::float8[], ${ts.map(() => 0)}::float8[])`.execute(db);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what: string, check: () => Promise<boolean> | boolean, output: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${output()}`);
}

test("follow and replay score with production: a registration changes nothing, a promotion switches the follower at a poll boundary", async () => {
  const pg = await sharedPostgres();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: pg.url, max: 1 }) }) });
  let child: ChildProcess | undefined;
  try {
    for (const name of [TABLE, EVENTS, `${EVENTS}_checkpoints`, "follow_promote_replay", "follow_promote_replay_checkpoints"]) await sql`drop table if exists ${sql.id(name)}`.execute(db);
    await sql`create table ${sql.id(TABLE)} (ts float8 primary key, axis1 float8, axis2 float8)`.execute(db);
    const root = join(work, "registry");
    await registerModel(version(root, 1));
    const config = (events: string) => {
      const path = join(work, `${events}.yaml`);
      writeFileSync(
        path,
        `database:\n  url_env: FOLLOW_PROMOTE_DB_URL\ndata:\n  table: ${TABLE}\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\nscoring:\n  events_table: ${events}\n  poll_seconds: 0.2\n`,
      );
      return path;
    };
    const followConfig = config(EVENTS);
    const env = { ...process.env, FOLLOW_PROMOTE_DB_URL: pg.url, TZ: "America/New_York" };
    const position = async (version: string): Promise<number | null> => {
      const found = await sql<{ position: number }>`select position from ${sql.id(`${EVENTS}_checkpoints`)} where model_version = ${version}`.execute(db).catch(() => ({ rows: [] as { position: number }[] }));
      return found.rows.length === 0 ? null : Number(found.rows[0].position);
    };
    const eventVersions = async (): Promise<Record<string, string>> => {
      const { rows } = await sql<{ started_at: number; model_version: string }>`select started_at, model_version from ${sql.id(EVENTS)} where level = 'alert' and ended_at is not null order by started_at`.execute(db);
      return Object.fromEntries(rows.map((row) => [String(row.started_at), row.model_version]));
    };

    await insertBatch(db, 10);
    child = spawn(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), "score", "--follow", "--config", followConfig], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const log = () => stderr;
    await waitFor("v1 to score the first batch", async () => (await position("v1")) === 59, log);
    assert.match(stderr, /following follow_promote with model v1 \(production\)/);

    // v2 is registered (the newest, `latest`) but not promoted: the follower keeps scoring with v1.
    await registerModel(version(root, 1.2));
    await insertBatch(db, 60);
    await waitFor("v1 to score the second batch", async () => (await position("v1")) === 109, log);
    assert.equal(await position("v2"), null, "v2 scored nothing");
    assert.doesNotMatch(stderr, /is now v2/);
    const replay = runCli(["score", "--config", config("follow_promote_replay")], { env });
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /^Model: v1 \(production\) {2}Stream: follow_promote$/m);

    // Promoted: the follower switches at the next poll (no run in progress at a batch's end) and scores the next rows with v2.
    await promoteAlias(root, "v2");
    await waitFor("the follower to switch", () => /model: production is now v2 \(was v1\); switched after 109/.test(stderr), log);
    await insertBatch(db, 110);
    await waitFor("v2 to score the third batch", async () => (await position("v2")) === 159, log);
    assert.equal(await position("v1"), 109, "v1 stopped where v2 began");
    const versions = await eventVersions();
    assert.deepEqual(
      Object.entries(versions).map(([start, v]) => `${start}:${v}`),
      [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((t) => `${t}:v1`).concat([110, 120, 130, 140, 150].map((t) => `${t}:v2`)),
    );
    const after = runCli(["score", "--config", config("follow_promote_replay")], { env });
    assert.equal(after.status, 0, after.stderr);
    assert.match(after.stdout, /^Model: v2 \(production\) {2}Stream: follow_promote$/m);
    const pinned = runCli(["score", "--version", "v1", "--config", config("follow_promote_replay")], { env });
    assert.match(pinned.stdout, /^Model: v1 {2}Stream: follow_promote$/m);

    // kill -9, then v3 is registered and promoted while the follower is down: restarted, it resumes on v2 at 159 and switches there.
    const killed = new Promise((resolve) => child?.on("exit", resolve));
    child.kill("SIGKILL");
    await killed;
    await registerModel(version(root, 1.1));
    await promoteAlias(root, "latest");
    child = spawn(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), "score", "--follow", "--config", followConfig], { env, stdio: ["ignore", "pipe", "pipe"] });
    stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor("the restarted follower to switch", () => /model: production is now v3 \(was v2\); switched after 159/.test(stderr), log);
    assert.match(stderr, /the checkpoint of follow_promote is of v2: resuming on v2/);
    assert.doesNotMatch(stderr, /late rows/);
    await insertBatch(db, 160);
    await waitFor("v3 to score the fourth batch", async () => (await position("v3")) === 209, log);
    assert.deepEqual(
      Object.entries(await eventVersions()).filter(([, v]) => v === "v3").map(([start]) => Number(start)),
      [160, 170, 180, 190, 200],
      "v3 scored only the rows after the switch",
    );
  } finally {
    child?.kill("SIGTERM");
    await db.destroy();
  }
});
