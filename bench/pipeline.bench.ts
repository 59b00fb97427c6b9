/**
 * Pipeline benchmark: `npm run bench -- [samples] [layout]`.
 *
 * Generates `samples` (default 1,000,000) synthetic 8-axis samples at 100 Hz
 * inside a throw-away PostgreSQL server (one `insert … select` over
 * `generate_series`: sine-like currents with idle zeros, then an index on
 * `ts` and `analyze`), then runs the whole CLI pipeline (charts included) in
 * a fresh process (this file bundled like the CLI, with the environment `npm start` sets: cli/startEnv.ts) and prints each stage's wall time and that process's peak RSS
 * against the budget `rows × (axes + 1) × 8 bytes + 250 MB`; then times the CLI itself twice
 * (`node cli/start.js`, as `npm start` runs it) and prints the better run's ratio to the floor: reading
 * the same rows in the same order with a binary `COPY … TO STDOUT` and discarding them (the better of
 * two reads, one before and one after the runs).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { loadConfig } from "../lib/shapes/config";
import { runPipeline } from "../lib/pipeline/inMemory";
import { startPostgres } from "../test/support/postgres";
import { startEnv } from "../cli/startEnv";

const samples = Number(process.argv[2] ?? 1_000_000);
const layout = (process.argv[3] ?? "wide") as "wide" | "long";
const AXES = 8;
const START = "2025-01-01T00:00:00Z";
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (since: number): number => (performance.now() - since) / 1000;

/** One axis's value at sample `i` (SQL): a slow trend plus a sine, idle (exact 0) in one of every few stretches. */
function axisSql(k: number): string {
  return `case when (i / ${500 + 37 * k}) % ${5 + k} = 0 then 0::float8 else ${1 + k * 0.5} + i * ${1e-7 * (k + 1)} + sin(i * ${0.001 * (k + 1)}) * ${2 + k} end`;
}

async function generate(client: Client, table: string): Promise<void> {
  const time = `timestamptz '${START}' + i * interval '10 milliseconds'`;
  if (layout === "wide") {
    const axes = Array.from({ length: AXES }, (_, k) => `axis${k + 1} float8`).join(", ");
    await client.query(`create table ${table} (ts timestamptz not null, ${axes})`);
    await client.query(`insert into ${table} select ${time}, ${Array.from({ length: AXES }, (_, k) => axisSql(k)).join(", ")} from generate_series(0, ${samples - 1}) as i`);
  } else {
    await client.query(`create table ${table} (ts timestamptz not null, axis_id integer not null, value float8)`);
    const values = Array.from({ length: AXES }, (_, k) => axisSql(k)).join(", ");
    await client.query(
      `insert into ${table} select ${time}, a, (array[${values}])[a] from generate_series(0, ${samples - 1}) as i, generate_series(1, ${AXES}) as a`,
    );
  }
  await client.query(`create index on ${table} (ts)`);
  await client.query(`analyze ${table}`);
}

/** Seconds to stream the window's rows with binary COPY, discarding them. */
async function copyFloor(client: Client, select: string): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of client.query(copyTo(`copy (${select}) to stdout (format binary)`))) bytes += (chunk as Buffer).length;
  return { seconds: seconds(started), bytes };
}

async function main(): Promise<void> {
  if (!Number.isInteger(samples) || samples < 2) throw new Error(`samples must be a whole number ≥ 2, got ${process.argv[2]}`);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-"));
  const server = await startPostgres();
  const client = new Client({ connectionString: server.url });
  client.on("error", (error) => console.error("floor client:", error.message));
  try {
    await client.connect();
    const table = `bench_${layout}`;
    let started = performance.now();
    await generate(client, table);
    console.log(`generated ${samples.toLocaleString("en-US")} samples × ${AXES} axes (${layout}) in PostgreSQL in ${seconds(started).toFixed(1)} s`);

    const axisIds = Array.from({ length: AXES }, (_, k) => k + 1);
    const end = "2100-01-01T00:00:00Z";
    const configPath = join(work, "config.yaml");
    writeFileSync(
      configPath,
      yaml.dump({
        database: { url_env: "MLBOX_BENCH_DB_URL" },
        data:
          layout === "wide"
            ? { table, time_col: "ts", axes: axisIds.map((id) => `axis${id}`), train_start: START, train_end: end }
            : { table, time_col: "ts", axes: axisIds, axis_id_col: "axis_id", value_col: "value", train_start: START, train_end: end },
        registry: { root_dir: join(work, "registry") },
        plots: { dir: join(work, "out") },
      }),
    );
    const columns = layout === "wide" ? `ts, ${axisIds.map((id) => `axis${id}`).join(", ")}` : "ts, axis_id, value";
    const select = `select ${columns} from ${table} where ts >= '${START}' and ts < '${end}' order by ts`;

    const floorBefore = await copyFloor(client, select);
    // The pipeline runs in a fresh process, so its peak RSS is its own.
    started = performance.now();
    // MLBOX_BENCH_NODE_FLAGS passes flags to the child (e.g. `--cpu-prof --cpu-prof-dir=prof`).
    const flags = (process.env.MLBOX_BENCH_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
    const child = spawnSync(process.execPath, [...flags, childScript(work), "--run", configPath], {
      env: { ...process.env, ...startEnv(), MLBOX_BENCH_DB_URL: server.url, NODE_PATH: join(__dirname, "..", "node_modules") },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 20,
    });
    const processSeconds = seconds(started);
    if (child.status !== 0) throw new Error(`pipeline run failed (exit ${child.status})`);
    const run = JSON.parse(child.stdout) as RunReport;
    // The whole CLI as users run it (`npm start` without npm's own start-up), twice: the better run against the better floor.
    const cliSeconds = [cliRun(configPath, server.url), cliRun(configPath, server.url)];
    const floorAfter = await copyFloor(client, select);
    const floor = Math.min(floorBefore.seconds, floorAfter.seconds);
    console.log(`floor: binary COPY of the same ${mib(floorBefore.bytes)} in ${floorBefore.seconds.toFixed(2)} s before and ${floorAfter.seconds.toFixed(2)} s after the runs`);

    console.log("\nstage          seconds");
    for (const [stage, value] of Object.entries(run.stageSeconds)) console.log(`${stage.padEnd(14)} ${value.toFixed(3)}`);
    console.log(`(train to charts: seconds summed over the axes; on ${run.threads} thread${run.threads === 1 ? "" : "s"} they took ${run.axesSeconds.toFixed(3)} s)`);
    console.log(`${"pipeline".padEnd(14)} ${run.totalSeconds.toFixed(3)}`);
    console.log(`${"process".padEnd(14)} ${processSeconds.toFixed(3)}  (this benchmark's child: node start, module loading, pipeline, exit)`);
    const budget = run.rows * (AXES + 1) * 8 + 250e6;
    console.log(`\nrows ${run.rows.toLocaleString("en-US")}; peak RSS ${mib(run.peakRssBytes)} (budget ${mib(budget)}: ${run.peakRssBytes <= budget ? "within" : "OVER"})`);
    console.log(`pipeline / floor = ${(run.totalSeconds / floor).toFixed(2)}; child process / floor = ${(processSeconds / floor).toFixed(2)}`);
    const cli = Math.min(...cliSeconds);
    console.log(`whole CLI run (node cli/start.js, charts included): ${cliSeconds.map((s) => `${s.toFixed(2)} s`).join(", ")}; best / floor = ${(cli / floor).toFixed(2)} (goal ≤ 2)`);
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Seconds of one whole CLI run on `configPath` (`node cli/start.js --config … --quiet` with `npm start`'s environment, as `npm start` runs it). */
function cliRun(configPath: string, url: string): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(__dirname, "..", "cli", "start.js"), "--config", configPath, "--quiet"], {
    env: { ...process.env, ...startEnv(), MLBOX_BENCH_DB_URL: url },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`CLI run failed (exit ${run.status}): ${run.stderr}`);
  return seconds(started);
}

/**
 * This file bundled as the CLI is (cli/bundle.js), with the axis worker
 * beside it as the CLI has it, so the measured process starts and runs like
 * `npm start` does, without transpiling TypeScript on the fly.
 */
function childScript(work: string): string {
  const outfile = join(work, "pipeline.bench.js");
  // Required here, not imported: the measured child is this file too, and should not load esbuild.
  const { buildFile } = require("../cli/bundle") as { buildFile: (entry: string, outfile: string) => void };
  buildFile(__filename, outfile);
  buildFile(join(__dirname, "..", "lib", "pipeline", "axisWorker.ts"), join(work, "axisWorker.js"));
  return outfile;
}

interface RunReport {
  readonly rows: number;
  readonly totalSeconds: number;
  readonly peakRssBytes: number;
  readonly stageSeconds: Readonly<Record<string, number>>;
  readonly threads: number;
  readonly axesSeconds: number;
}

/**
 * Child mode: run the pipeline once and print a RunReport as JSON. With
 * MLBOX_BENCH_MEMORY=1 it also prints, on stderr, the process's memory at each
 * stage's log line (and every 100 ms while extraction waits for rows).
 */
async function runOnce(configPath: string): Promise<void> {
  const started = performance.now();
  const traced = process.env.MLBOX_BENCH_MEMORY === "1";
  const trace = (what: string): void => {
    const usage = process.memoryUsage();
    const maxRss = process.resourceUsage().maxRSS * 1024;
    console.error(
      `${seconds(started).toFixed(2).padStart(6)} s  rss ${mib(usage.rss).padStart(8)} (max ${mib(maxRss).padStart(8)})  heap ${mib(usage.heapUsed).padStart(7)}  arrayBuffers ${mib(usage.arrayBuffers).padStart(8)}  ${what}`,
    );
  };
  const sampler = traced ? setInterval(() => trace("(waiting)"), 100) : undefined;
  const log = traced ? (line: string) => trace(line.trim().slice(0, 60)) : undefined;
  const result = await runPipeline(loadConfig(configPath), { log }).finally(() => clearInterval(sampler));
  if (traced) trace("done");
  const report: RunReport = {
    rows: result.rawShape[0],
    totalSeconds: seconds(started),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    stageSeconds: result.stageSeconds,
    threads: result.threads,
    axesSeconds: result.axesSeconds,
  };
  process.stdout.write(JSON.stringify(report));
}

(process.argv[2] === "--run" ? runOnce(process.argv[3]) : main()).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
