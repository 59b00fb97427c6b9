/**
 * `npm start -- score --follow` against a real PostgreSQL server while rows arrive: the follower is
 * killed with SIGKILL and restarted several times and the server is restarted once; in the end the
 * events table holds exactly what one replay of the same rows writes — nothing lost, nothing twice.
 * On the embedded database, the follower leaves it usable by other processes between polls, and survives
 * kill -9 at random points (mid-poll included) with events equal to an independent one-pass computation.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { openEmbeddedDatabase } from "../lib/db/embedded";
import { ensureEmbeddedDatabase } from "../lib/db/embeddedSeed";
import { epochSecondsToIso, isoToEpochSeconds } from "../lib/core/time";
import { ROOT, runCli } from "./support/cli";
import { startPostgres, type TestPostgres } from "./support/postgres";
import { referenceEvents, type ReferenceAxis } from "./support/scoreReference";
import { seededRandom } from "../lib/stats/seededRandom";

const work = mkdtempSync(join(tmpdir(), "mlbox-score-follow-"));
after(() => rmSync(work, { recursive: true, force: true }));
const TSX = pathToFileURL(require.resolve("tsx")).href;
const TRAIN_END = "2022-10-18T06:00:00Z";

interface Follower {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

function follow(configPath: string, env: NodeJS.ProcessEnv): Follower {
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), "score", "--follow", "--config", configPath], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` is true, polling every 200 ms, up to `seconds`. */
async function waitFor(what: string, seconds: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // the database may be restarting
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function writeConfig(name: string, extra: string): string {
  const path = join(work, `${name}.yaml`);
  const text = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8")
    .replace("url_env: DB_URL", "url_env: FOLLOW_DB_URL")
    .replace("embedded_dir: .mlbox/pglite", `embedded_dir: ${join(work, "pglite")}`)
    .replace("enabled: true", "enabled: false");
  writeFileSync(path, `${text}\n${extra}`);
  return path;
}

const EVENT_COLUMNS = sql`model_version, stream, axis, level, started_at::text as started_at, fired_at::text as fired_at, ended_at::text as ended_at, samples, peak_residual, threshold`;

/** A Kysely over the test server, session time zone UTC. */
async function openServer(url: string): Promise<Kysely<any>> {
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }) });
  await sql`set time zone 'UTC'`.execute(db);
  return db;
}

test("follow on PostgreSQL survives kill -9 and a server restart: events equal one replay, none lost or doubled", async () => {
  const server: TestPostgres = await startPostgres();
  after(() => server.stop());
  const env: NodeJS.ProcessEnv = { ...process.env, FOLLOW_DB_URL: server.url, TZ: "Europe/Lisbon" };
  let db = await openServer(server.url);
  try {
    const data = generateDemoData();
    await seedDemoTables(db, data, { tables: "wide" });
    await sql`delete from stream_samples_wide where ts >= ${TRAIN_END}::timestamptz`.execute(db);
    const configPath = writeConfig("follow", "scoring:\n  poll_seconds: 0.2\n");
    assert.equal(runCli(["--config", configPath, "--quiet"], { env }).status, 0);

    // The rows after the training window arrive in 16 chunks while the follower runs.
    const first = data.time.findIndex((t) => t >= isoToEpochSeconds(TRAIN_END));
    const chunks = 16;
    const size = Math.ceil((data.time.length - first) / chunks);
    let follower = follow(configPath, env);
    let throughRestart: Follower | undefined;
    let kills = 0;
    for (let c = 0; c < chunks; c++) {
      const from = first + c * size;
      const to = Math.min(data.time.length, from + size);
      const ts = Array.from(data.time.subarray(from, to), (t) => epochSecondsToIso(t, "timestamptz"));
      const columns = data.values.map((column) => sql`${Array.from(column.subarray(from, to))}::float8[]`);
      await sql`insert into stream_samples_wide (ts, ${sql.join(data.axes.map((a) => sql.id(a)))})
        select * from unnest(${ts}::timestamptz[], ${sql.join(columns)})`.execute(db);
      await sleep(150 + ((c * 397) % 500));
      if (c === 2 || c === 6 || c === 13) {
        // The follower that lived through the server restart reconnects first (its backoff is 1 + 2 + 4 s on a loaded machine).
        if (follower === throughRestart) await waitFor("the follower to reconnect after the restart", 90, () => /reconnected after/.test(follower.output.stderr));
        follower.child.kill("SIGKILL");
        assert.equal(await follower.exited, null, follower.output.stderr);
        kills++;
        follower = follow(configPath, env);
      }
      if (c === 10) {
        throughRestart = follower;
        await waitFor("the follower to start", 60, () => follower.output.stderr.includes("following"));
        await db.destroy();
        // Down until the follower has seen it down (a poll failed), not for a fixed time a loaded machine may not poll in.
        const failedBefore = (follower.output.stderr.match(/poll failed/g) ?? []).length;
        await server.restart(() => waitFor("the follower to see the server down", 90, () => (follower.output.stderr.match(/poll failed/g) ?? []).length > failedBefore));
        db = await openServer(server.url);
      }
    }
    const last = isoToEpochSeconds(epochSecondsToIso(data.time[data.time.length - 1], "timestamptz"));
    await waitFor("the follower to reach the last row", 90, async () => {
      const { rows } = await sql<{ p: number }>`select extract(epoch from position)::float8 as p from mlbox_events_checkpoints`.execute(db);
      return rows.length === 1 && Math.abs(Number(rows[0].p) - last) < 1e-4;
    });
    follower.child.kill("SIGTERM");
    assert.equal(await follower.exited, 0, follower.output.stderr);
    assert.equal(kills, 3);
    assert.ok(throughRestart !== undefined);
    assert.match(throughRestart.output.stderr, /poll failed \(.*\); reconnecting in 1 s/);
    assert.match(throughRestart.output.stderr, /reconnected after \d+ failed attempts?/);

    // One replay of the same rows into another table is the reference.
    const replayConfig = writeConfig("replay", "scoring:\n  events_table: replay_events\n");
    const replay = runCli(["score", "--config", replayConfig], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const followed = (await sql`select ${EVENT_COLUMNS} from mlbox_events order by axis, level, started_at`.execute(db)).rows;
    const replayed = (await sql`select ${EVENT_COLUMNS} from replay_events order by axis, level, started_at`.execute(db)).rows;
    assert.equal(replayed.length, 61);
    assert.deepEqual(followed, replayed);
  } finally {
    await db.destroy().catch(() => undefined);
  }
});

test("follow on the embedded database leaves it usable by other commands between polls, and resumes after a restart", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FOLLOW_DB_URL;
  const dir = join(work, "pglite");
  const data = generateDemoData();
  const later = "2022-10-18T08:00:00Z";
  // The embedded database holds the rows up to 08:00; the rest arrives while the follower runs.
  await ensureEmbeddedDatabase(dir, async (db) => {
    await seedDemoTables(db, data, { tables: "wide" });
    await sql`delete from stream_samples_wide where ts >= ${later}::timestamptz`.execute(db);
  });
  const configPath = writeConfig("embedded", "scoring:\n  poll_seconds: 0.5\n");
  assert.equal(runCli(["--config", configPath, "--quiet"], { env }).status, 0);
  let follower = follow(configPath, env);
  // Brief, like the follower's polls: each waits for the other instead of failing.
  const checkpoint = async (): Promise<number | null> => {
    await sleep(1000);
    const db = await openEmbeddedDatabase(dir, "FOLLOW_DB_URL", { brief: true });
    try {
      const { rows } = await sql<{ p: number }>`select extract(epoch from position)::float8 as p from mlbox_events_checkpoints`.execute(db);
      return rows.length === 1 ? Number(rows[0].p) : null;
    } catch {
      return null; // no checkpoint table yet
    } finally {
      await db.destroy();
    }
  };
  const lastBefore = isoToEpochSeconds(epochSecondsToIso(data.time[data.time.findIndex((t) => t >= isoToEpochSeconds(later)) - 1], "timestamptz"));
  try {
    await waitFor("the first poll", 120, async () => Math.abs(((await checkpoint()) ?? 0) - lastBefore) < 1e-4);
  } catch (error) {
    follower.child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}; follower stderr: ${follower.output.stderr}`);
  }

  // Another command reading the database while the follower runs: it waits for a poll, never fails.
  const replay = runCli(["score", "--config", writeConfig("embedded-replay", "scoring:\n  events_table: replay_events\n")], { env });
  assert.equal(replay.status, 0, replay.stderr);

  const first = data.time.findIndex((t) => t >= isoToEpochSeconds(later));
  const half = Math.floor((first + data.time.length) / 2);
  for (const [from, to] of [[first, half], [half, data.time.length]]) {
    const db = await openEmbeddedDatabase(dir);
    try {
      const ts = Array.from(data.time.subarray(from, to), (t) => epochSecondsToIso(t, "timestamptz"));
      const columns = data.values.map((column) => sql`${Array.from(column.subarray(from, to))}::float8[]`);
      await sql`insert into stream_samples_wide (ts, ${sql.join(data.axes.map((a) => sql.id(a)))})
        select * from unnest(${ts}::timestamptz[], ${sql.join(columns)})`.execute(db);
    } finally {
      await db.destroy();
    }
    if (from === first) {
      // (kill -9 is exercised on PostgreSQL above; PGlite's own recovery from a killed writer is not ML Box's.)
      await sleep(1500);
      follower.child.kill("SIGTERM");
      assert.equal(await follower.exited, 0, follower.output.stderr);
      follower = follow(configPath, env);
    }
  }
  const last = isoToEpochSeconds(epochSecondsToIso(data.time[data.time.length - 1], "timestamptz"));
  try {
    await waitFor("the follower to reach the last row", 180, async () => Math.abs(((await checkpoint()) ?? 0) - last) < 1e-4);
  } catch (error) {
    follower.child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}; follower stderr: ${follower.output.stderr}`);
  }
  follower.child.kill("SIGTERM");
  assert.equal(await follower.exited, 0, follower.output.stderr);

  const again = runCli(["score", "--config", writeConfig("embedded-replay", "scoring:\n  events_table: replay_events\n")], { env });
  assert.equal(again.status, 0, again.stderr);
  const db = await openEmbeddedDatabase(dir);
  try {
    const followed = (await sql`select ${EVENT_COLUMNS} from mlbox_events order by axis, level, started_at`.execute(db)).rows;
    const replayed = (await sql`select ${EVENT_COLUMNS} from replay_events order by axis, level, started_at`.execute(db)).rows;
    assert.equal(replayed.length, 61);
    assert.deepEqual(followed, replayed);
  } finally {
    await db.destroy();
  }
});


/** A small seeded PRNG (mulberry32), so a failing schedule of kills can be replayed. */
const random = seededRandom;

test("follow on the embedded database survives kill -9 at random points, mid-poll included: events equal a one-pass computation", async () => {
  const seed = Number(process.env.FOLLOW_KILL_SEED ?? Date.now() % 100_000);
  const next = random(seed);
  const started = Date.now();
  const log: string[] = [];
  const note = (line: string): void => {
    log.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s ${line}`);
  };
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "Asia/Kolkata" };
  delete env.FOLLOW_DB_URL;
  const dir = join(work, "pglite-kill");
  const registry = join(work, "registry-kill");
  const marker = join(`${dir}.lock`, "brief");
  const data = generateDemoData();
  await ensureEmbeddedDatabase(dir, async (db) => {
    await seedDemoTables(db, data, { tables: "wide" });
    await sql`delete from stream_samples_wide where ts >= ${TRAIN_END}::timestamptz`.execute(db);
  });
  const configPath = writeConfig("embedded-kill", "scoring:\n  poll_seconds: 0.2\n");
  writeFileSync(configPath, readFileSync(configPath, "utf8").replace(`embedded_dir: ${join(work, "pglite")}`, `embedded_dir: ${dir}`).replace("root_dir: ModelRegistry/artifacts", `root_dir: ${registry}`));
  const trained = runCli(["--config", configPath, "--quiet"], { env });
  assert.equal(trained.status, 0, trained.stderr);
  note("trained");

  const followers: Follower[] = [];
  const start = (): Follower => {
    const f = follow(configPath, env);
    followers.push(f);
    note(`follower ${followers.length} started (pid ${f.child.pid})`);
    return f;
  };
  const fail = (error: unknown): never => {
    for (const f of followers) f.child.kill("SIGKILL");
    const stderr = followers.map((f, i) => `--- follower ${i + 1} (pid ${f.child.pid}) ---\n${f.output.stderr}`).join("\n");
    throw new Error(`${(error as Error).message} (seed ${seed})\n${log.join("\n")}\n${stderr}`);
  };
  /** True while the follower `f` holds the database (its pid is in the lock's brief marker). */
  const holding = (f: Follower): boolean => {
    try {
      return existsSync(marker) && readFileSync(marker, "utf8") === String(f.child.pid);
    } catch {
      return false;
    }
  };

  // The rows after the training window arrive in chunks; after some, the follower is killed: mid-poll
  // (0–1.5 s after it took the database: opening it, reading, scoring, committing or closing), or at a
  // random moment, which may be between polls.
  const first = data.time.findIndex((t) => t >= isoToEpochSeconds(TRAIN_END));
  const chunks = 10;
  const size = Math.ceil((data.time.length - first) / chunks);
  let kills = 0;
  let midPoll = 0;
  let follower: Follower;
  try {
    // The first follower starts while another process holds the database for good: it retries, it does not exit.
    const holder = await openEmbeddedDatabase(dir, "FOLLOW_DB_URL");
    try {
      follower = start();
      await waitFor("the follower to find the database busy", 120, () => follower.child.exitCode !== null || /poll failed \(.* is in use by another ML Box process/.test(follower.output.stderr));
      assert.equal(follower.child.exitCode, null, follower.output.stderr);
    } finally {
      await holder.destroy();
    }
    note("the first follower waited for another process");
    for (let c = 0; c < chunks; c++) {
      const from = first + c * size;
      const to = Math.min(data.time.length, from + size);
      const db = await openEmbeddedDatabase(dir, "FOLLOW_DB_URL", { brief: true });
      try {
        const ts = Array.from(data.time.subarray(from, to), (t) => epochSecondsToIso(t, "timestamptz"));
        const columns = data.values.map((column) => sql`${Array.from(column.subarray(from, to))}::float8[]`);
        await sql`insert into stream_samples_wide (ts, ${sql.join(data.axes.map((a) => sql.id(a)))})
          select * from unnest(${ts}::timestamptz[], ${sql.join(columns)})`.execute(db);
      } finally {
        await db.destroy();
      }
      note(`chunk ${c + 1}/${chunks} inserted`);
      if (c === chunks - 1) continue;
      if (c === 0) {
        // At least one kill lands while the follower holds the database (opening, reading, scoring, committing
        // or closing it): killed as soon as it takes it, retried until one does (a killed holder leaves its marker).
        for (let attempt = 0; attempt < 10 && midPoll === 0; attempt++) {
          await waitFor(`follower ${followers.length} to take the database`, 120, () => holding(follower) || follower.child.exitCode !== null);
          if (follower.child.exitCode !== null) throw new Error(`follower ${followers.length} exited with ${follower.child.exitCode}`);
          follower.child.kill("SIGKILL");
          assert.equal(await follower.exited, null, follower.output.stderr);
          kills++;
          if (holding(follower)) midPoll++;
          note(`kill -9 follower ${followers.length}${holding(follower) ? " while it holds the database" : ""}`);
          follower = start();
        }
        continue;
      }
      if (next() < 0.3) continue;
      if (next() < 0.7) {
        await waitFor(`follower ${followers.length} to take the database`, 120, () => holding(follower) || follower.child.exitCode !== null);
        if (follower.child.exitCode !== null) throw new Error(`follower ${followers.length} exited with ${follower.child.exitCode}`);
        await sleep(Math.floor(next() * 1500));
      } else {
        await sleep(Math.floor(next() * 3000));
      }
      follower.child.kill("SIGKILL");
      assert.equal(await follower.exited, null, follower.output.stderr);
      kills++;
      // A follower killed while it holds the database leaves its pid in the lock's marker.
      if (holding(follower)) midPoll++;
      note(`kill -9 follower ${followers.length}${holding(follower) ? " while it holds the database" : ""}`);
      follower = start();
    }
    const last = isoToEpochSeconds(epochSecondsToIso(data.time[data.time.length - 1], "timestamptz"));
    await waitFor("the follower to reach the last row", 180, async () => {
      if (follower.child.exitCode !== null) throw new Error(`follower exited with ${follower.child.exitCode}`);
      await sleep(1000);
      const db = await openEmbeddedDatabase(dir, "FOLLOW_DB_URL", { brief: true });
      try {
        const { rows } = await sql<{ p: number }>`select extract(epoch from position)::float8 as p from mlbox_events_checkpoints`.execute(db);
        return rows.length === 1 && Math.abs(Number(rows[0].p) - last) < 1e-4;
      } finally {
        await db.destroy();
      }
    }).catch(() => {
      throw new Error(`timed out waiting for the follower to reach the last row`);
    });
    note("the follower reached the last row");
    follower.child.kill("SIGTERM");
    assert.equal(await follower.exited, 0, follower.output.stderr);
    assert.ok(kills >= 3 && midPoll >= 1, `${kills} kills, ${midPoll} mid-poll: another seed`);
  } catch (error) {
    fail(error);
  }

  // The reference: every row after the training window scored in one pass, whole arrays at once.
  const latest = join(registry, "latest");
  const models = JSON.parse(readFileSync(join(latest, "models.json"), "utf8"));
  const thresholds = JSON.parse(readFileSync(join(latest, "thresholds.json"), "utf8"));
  const prep = JSON.parse(readFileSync(join(latest, "prep_stats.json"), "utf8"));
  const axes: ReferenceAxis[] = data.axes.map((axis) => ({ axis, coef: models.axes[axis].coef, intercept: models.axes[axis].intercept, ...thresholds[axis] }));
  const time = Float64Array.from(data.time.subarray(first), (t) => isoToEpochSeconds(epochSecondsToIso(t, "timestamptz")));
  const iso = (t: number | null): string | null => (t === null ? null : epochSecondsToIso(t, "timestamptz"));
  const expected = referenceEvents(time, data.values.map((column) => column.subarray(first)), axes, prep.time0).map((e) => ({
    model_version: "v1",
    stream: "stream_samples_wide",
    axis: e.axis,
    level: e.level,
    started_at: iso(e.started_at),
    fired_at: iso(e.fired_at),
    ended_at: iso(e.ended_at),
    samples: e.samples,
    peak_residual: e.peak_residual,
    threshold: e.threshold,
  }));
  const db = await openEmbeddedDatabase(dir);
  try {
    const text = (column: string) => sql`to_char(${sql.id(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    const { rows } = await sql<Record<string, unknown>>`select model_version, stream, axis, level, ${text("started_at")} as started_at,
      ${text("fired_at")} as fired_at, ${text("ended_at")} as ended_at, samples, peak_residual, threshold
      from mlbox_events order by axis, level, started_at`.execute(db);
    assert.equal(expected.length, 61);
    assert.deepEqual(rows, expected, `seed ${seed}\n${log.join("\n")}`);
  } finally {
    await db.destroy();
  }
  console.log(`embedded kill -9: seed ${seed}, ${kills} kills (${midPoll} mid-poll), ${((Date.now() - started) / 1000).toFixed(1)} s\n${log.join("\n")}`);
});

test("follow with scoring.statistic ewma on PostgreSQL: restarts after kill -9 continue the EWMA from the checkpoint, events equal one replay", async () => {
  const server: TestPostgres = await startPostgres();
  after(() => server.stop());
  const env: NodeJS.ProcessEnv = { ...process.env, FOLLOW_DB_URL: server.url };
  const db = await openServer(server.url);
  try {
    const data = generateDemoData();
    await seedDemoTables(db, data, { tables: "wide" });
    await sql`delete from stream_samples_wide where ts >= ${TRAIN_END}::timestamptz`.execute(db);
    const smoothed = (name: string, extra: string): string => {
      const path = writeConfig(name, `scoring:\n  statistic: ewma\n  ewma_alpha: 0.02\n${extra}`);
      writeFileSync(path, readFileSync(path, "utf8").replace("root_dir: ModelRegistry/artifacts", `root_dir: ${join(work, "ewma-registry")}`));
      return path;
    };
    const configPath = smoothed("follow-ewma", "  poll_seconds: 0.2\n");
    assert.equal(runCli(["--config", configPath, "--quiet"], { env }).status, 0);
    const thresholds = JSON.parse(readFileSync(join(work, "ewma-registry", "latest", "thresholds.json"), "utf8"));
    assert.deepEqual(thresholds.axis1.statistic, { type: "ewma", alpha: 0.02 });

    const first = data.time.findIndex((t) => t >= isoToEpochSeconds(TRAIN_END));
    const chunks = 6;
    const size = Math.ceil((data.time.length - first) / chunks);
    let follower = follow(configPath, env);
    const position = async (): Promise<number | null> => {
      const { rows } = await sql<{ p: number }>`select extract(epoch from position)::float8 as p from mlbox_events_checkpoints`.execute(db);
      return rows.length === 1 ? Number(rows[0].p) : null;
    };
    for (let c = 0; c < chunks; c++) {
      const from = first + c * size;
      const to = Math.min(data.time.length, from + size);
      const ts = Array.from(data.time.subarray(from, to), (t) => epochSecondsToIso(t, "timestamptz"));
      const columns = data.values.map((column) => sql`${Array.from(column.subarray(from, to))}::float8[]`);
      await sql`insert into stream_samples_wide (ts, ${sql.join(data.axes.map((a) => sql.id(a)))})
        select * from unnest(${ts}::timestamptz[], ${sql.join(columns)})`.execute(db);
      if (c === 1 || c === 3) {
        // Killed once the chunk is checkpointed: the restarted follower must carry on from the saved EWMA.
        const last = isoToEpochSeconds(ts[ts.length - 1]);
        await waitFor(`chunk ${c} to be scored`, 60, async () => Math.abs(((await position()) ?? 0) - last) < 1e-4);
        follower.child.kill("SIGKILL");
        assert.equal(await follower.exited, null, follower.output.stderr);
        follower = follow(configPath, env);
      }
    }
    const last = isoToEpochSeconds(epochSecondsToIso(data.time[data.time.length - 1], "timestamptz"));
    await waitFor("the follower to reach the last row", 90, async () => Math.abs(((await position()) ?? 0) - last) < 1e-4);
    follower.child.kill("SIGTERM");
    assert.equal(await follower.exited, 0, follower.output.stderr);
    const { rows: states } = await sql<{ state: { statistics: (number | null)[] } }>`select state from mlbox_events_checkpoints`.execute(db);
    assert.equal(states[0].state.statistics.length, 8);
    assert.ok(states[0].state.statistics.every((value) => typeof value === "number"), JSON.stringify(states[0].state.statistics));

    const replay = runCli(["score", "--config", smoothed("replay-ewma", "  events_table: replay_events\n")], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const followed = (await sql`select ${EVENT_COLUMNS} from mlbox_events order by axis, level, started_at`.execute(db)).rows;
    const replayed = (await sql`select ${EVENT_COLUMNS} from replay_events order by axis, level, started_at`.execute(db)).rows;
    assert.ok(replayed.length >= 8, `${replayed.length} events`);
    assert.deepEqual(followed, replayed);
  } finally {
    await db.destroy().catch(() => undefined);
  }
});
