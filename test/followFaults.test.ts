/**
 * Issue 16, finding 8, on a real PostgreSQL server and a real full disk (a
 * 64 KiB tmpfs, mounted here as root): `score --follow --events` on a disk
 * that fills stops with one line naming the file, tears no line, and loses
 * no event — after space is freed, a restart writes what the failed poll did
 * not commit, so the file holds every event of the table, and the table
 * equals one replay. A replay on a full disk names the file and leaves no
 * temp file. A followed stream whose checkpoints or events table was dropped
 * is refused (exit 2, one line) instead of re-emitting or silently starting
 * over. `scoring.on_bad_row: skip` scores past a duplicated time, reporting
 * the row once. Waits are on rows, exits and log lines, never fixed sleeps.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { seededRandom } from "../lib/stats/seededRandom";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-follow-faults-"));
const disk = join(work, "disk");
const TSX = pathToFileURL(require.resolve("tsx")).href;
const TRAIN_END = 600;
const LAST = 2399;
let url: string;

after(() => {
  spawnSync("umount", [disk]);
  rmSync(work, { recursive: true, force: true });
});

/** One row per second; after train_end an anomaly every 40 s (many events). */
function rows(): number[][] {
  const random = seededRandom(8);
  return Array.from({ length: LAST + 1 }, (_, t) => {
    const bump = t >= TRAIN_END && t % 40 >= 30 ? 9 : 0;
    return [t, 0.01 * t + (random() - 0.5) + bump, 5 - 0.002 * t + (random() - 0.5) * 0.4 + bump];
  });
}

async function query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

async function createTable(table: string, data: number[][]): Promise<void> {
  await query(`drop table if exists ${table}`);
  await query(`create table ${table} (ts double precision, a double precision, b double precision)`);
  for (let from = 0; from < data.length; from += 500) {
    const part = data.slice(from, from + 500);
    await query(`insert into ${table} values ${part.map((_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(", ")}`, part.flat());
  }
}

function writeConfig(name: string, table: string, extra = ""): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `database:\n  url_env: FAULTS_DB_URL\ndata:\n  table: ${table}\n  axes: [a, b]\n  train_start: 0\n  train_end: ${TRAIN_END}\n` +
      `registry:\n  root_dir: ${join(work, "registry")}\nplots:\n  enabled: false\nscoring:\n  events_table: ${name}_events\n  poll_seconds: 0.05\n${extra}`,
  );
  return path;
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, FAULTS_DB_URL: url });

/** `score --follow` as a process: output, and its exit. */
function follow(config: string, args: string[] = []) {
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), "score", "--follow", "--config", config, ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

/** Resolves once the follower's checkpoint of `name` is at the last row (checked as the follower writes it). */
async function untilCheckpointAtEnd(name: string, exited: Promise<number | null>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const found = await query(`select state->>'lastTime' as last from ${name}_events_checkpoints`).catch(() => ({ rows: [] as { last: string }[] }));
    if (found.rows.some((row: { last: string }) => Number(row.last) === LAST)) return;
    if (done) throw new Error(`the follower of ${name} exited before reaching the last row`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Event keys with their final state: closed events by (axis, level, started_at). */
function keyed(events: readonly Record<string, unknown>[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of events) {
    const key = `${String(e.axis)}/${String(e.level)}/${Number(e.started_at)}`;
    const value = JSON.stringify([Number(e.fired_at), e.ended_at === null ? null : Number(e.ended_at), Number(e.samples), Number(e.peak_residual)]);
    // A closed report wins over the open one.
    if (!map.has(key) || e.ended_at !== null) map.set(key, value);
  }
  return map;
}

before(async () => {
  url = (await sharedPostgres()).url;
  await createTable("faults_feed", rows());
  const trained = runCli(["--config", writeConfig("train", "faults_feed"), "--quiet"], { env: env() });
  assert.equal(trained.status, 0, trained.stderr);
  mkdirSync(disk, { recursive: true });
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], { encoding: "utf8" });
  assert.equal(mounted.status, 0, `mount a 64 KiB tmpfs (needs root): ${mounted.stderr}`);
});

test("follow --events on a disk that fills: one line naming the file, no torn line, no event lost after a restart", async () => {
  const config = writeConfig("full", "faults_feed");
  const file = join(disk, "follow.jsonl");
  // Leave about 6 KiB: a few polls' events fit, then the disk is full.
  writeFileSync(join(disk, "filler"), Buffer.alloc(58 * 1024));
  const first = follow(config, ["--events", file]);
  const code = await first.exited;
  assert.equal(code, 1, first.output.stderr);
  const errors = first.output.stderr.split("\n").filter((line) => line.startsWith("error:"));
  assert.equal(errors.length, 1, first.output.stderr);
  assert.match(errors[0], new RegExp(`cannot write the events file "${file.replace(/[/.]/g, "\\$&")}" \\(ENOSPC: the disk is full\\): no line was torn`));
  const text = readFileSync(file, "utf8");
  assert.ok(text === "" || text.endsWith("\n"), "the file ends with a whole line");
  for (const line of text.split("\n").filter(Boolean)) JSON.parse(line);

  rmSync(join(disk, "filler"));
  const second = follow(config, ["--events", file]);
  await untilCheckpointAtEnd("full", second.exited);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited, 0, second.output.stderr);
  const fileEvents = readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const table = (await query("select * from full_events")).rows as Record<string, unknown>[];
  assert.ok(table.length > 20, `many events (${table.length})`);
  assert.deepEqual(keyed(fileEvents), keyed(table), "the file holds every event of the table, in its final state");

  const replayFile = join(work, "replay.jsonl");
  const replay = runCli(["score", "--config", config, "--events", replayFile], { env: env() });
  assert.equal(replay.status, 0, replay.stderr);
  const replayed = readFileSync(replayFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(keyed(table), keyed(replayed), "the table equals one replay");
});

test("a replay on a full disk names the events file and leaves no temp file", () => {
  const config = writeConfig("replayfull", "faults_feed");
  const free = statfsSync(disk);
  writeFileSync(join(disk, "filler"), Buffer.alloc(Math.max(0, free.bavail * free.bsize - 1024)));
  const file = join(disk, "replay.jsonl");
  const run = runCli(["score", "--config", config, "--events", file], { env: env() });
  rmSync(join(disk, "filler"));
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`^error: cannot write the events file "${file.replace(/[/.]/g, "\\$&")}" \\(ENOSPC: the disk is full\\)`));
  assert.deepEqual(readdirSync(disk).filter((name) => name.includes(".tmp-")), []);
  assert.equal(existsSync(file), false);
});

test("a followed stream whose checkpoints or events table was dropped is refused, exit 2, one line", async () => {
  const config = writeConfig("dropped", "faults_feed");
  const first = follow(config);
  await untilCheckpointAtEnd("dropped", first.exited);
  first.child.kill("SIGTERM");
  assert.equal(await first.exited, 0, first.output.stderr);

  await query("alter table dropped_events_checkpoints rename to dropped_kept");
  let run = follow(config);
  assert.equal(await run.exited, 2, run.output.stderr);
  assert.match(run.output.stderr, /^error: table "dropped_events_checkpoints" is missing but "dropped_events" holds \d+ events of model v\d+, stream "faults_feed": the follower's position is lost/m);
  assert.equal(run.output.stdout, "", "no event re-emitted");

  await query("alter table dropped_kept rename to dropped_events_checkpoints");
  await query("alter table dropped_events rename to dropped_events_kept");
  run = follow(config);
  assert.equal(await run.exited, 2, run.output.stderr);
  assert.match(run.output.stderr, /^error: table "dropped_events" is missing but "dropped_events_checkpoints" has a checkpoint of model v\d+, stream "faults_feed": its events are lost/m);
  const recreated = await query("select to_regclass('dropped_events') is not null as present");
  assert.equal(recreated.rows[0].present, false, "no empty events table created");
});

test("scoring.on_bad_row: skip scores past a duplicated time and reports the row once; stop refuses it", async () => {
  const data = rows();
  data.splice(1000, 0, [data[1000][0], 7, 7]); // a second row at t = 1000
  await createTable("faults_dupes", data);
  const stop = follow(writeConfig("dupstop", "faults_dupes"));
  assert.equal(await stop.exited, 2, stop.output.stderr);
  assert.match(stop.output.stderr, /duplicates the previous sample at 1000/);

  const skip = follow(writeConfig("dupskip", "faults_dupes", "  on_bad_row: skip\n"));
  await untilCheckpointAtEnd("dupskip", skip.exited);
  skip.child.kill("SIGTERM");
  assert.equal(await skip.exited, 0, skip.output.stderr);
  const reports = skip.output.stderr.split("\n").filter((line) => line.startsWith("skipped row"));
  assert.deepEqual(reports, ["skipped row of faults_dupes at 1000: it duplicates the previous sample at 1000 (scoring.on_bad_row: skip; left unscored)"]);
  const table = (await query("select * from dupskip_events")).rows as Record<string, unknown>[];
  const replayFile = join(work, "dupskip.jsonl");
  const replay = runCli(["score", "--config", writeConfig("dupskip", "faults_dupes", "  on_bad_row: skip\n"), "--events", replayFile], { env: env() });
  assert.equal(replay.status, 0, replay.stderr);
  assert.match(replay.stderr, /skipped row of faults_dupes at 1000: it duplicates the previous sample/);
  const replayed = readFileSync(replayFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(keyed(table), keyed(replayed));
});
