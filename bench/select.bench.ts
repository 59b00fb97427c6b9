/**
 * Selection benchmark: `npm run bench:select -- [repeats] [runs]`.
 *
 * Loads the real robot export (test/fixtures/RMBR4-2_export_test.csv, 39,672 rows × 8 axes) into a
 * throw-away PostgreSQL server and repeats it `repeats` times (default 20: 793,440 rows), each copy
 * shifted in time by the export's span plus one step, into one wide table (index on the time, analyzed).
 * Then runs the whole CLI (`node cli/start.js --config … --quiet`, charts off, with the environment
 * `npm start` sets: cli/startEnv.ts) in fresh processes:
 * `model.type: linear`, then `model.type: auto` + `scoring.statistic: auto`, `runs` times each
 * (default 1; the fastest run's times and the highest peak of all runs count), and prints for each its
 * wall time, its peak RSS (the child's own `maxRSS`, written at its exit by a preloaded hook) against the in-memory budget
 * `rows × (axes + 1) × 8 bytes + 250 MB`, and the ratios to the linear run and to the floor: reading
 * the same rows in the same order with a binary `COPY … TO STDOUT` and discarding them (the better of
 * two reads, one before and one after the runs). Goal: auto + auto within 5× the linear run.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import * as yaml from "js-yaml";
import { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { startPostgres } from "../test/support/postgres";
import { startEnv } from "../cli/startEnv";

const repeats = Number(process.argv[2] ?? 20);
const runs = Number(process.argv[3] ?? 1);
// MLBOX_BENCH_LOG=1 prints each run's log (its stage times) instead of running it --quiet.
const showLog = process.env.MLBOX_BENCH_LOG === "1";
const AXES = Array.from({ length: 8 }, (_, k) => `axis_${k + 1}`);
const EXPORT = join(__dirname, "..", "test", "fixtures", "RMBR4-2_export_test.csv");
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (since: number): number => (performance.now() - since) / 1000;

/** The export into `robot_export`, then `repeats` shifted copies of it into `robot` (wide: ts + the 8 axes). */
async function generate(client: Client): Promise<number> {
  await client.query("set time zone 'UTC'");
  await client.query(`create temp table robot_export (trait text, ${AXES.map((a) => `${a} float8`).join(", ")}, recorded_at timestamptz)`);
  await pipeline(createReadStream(EXPORT), client.query(copyFrom("copy robot_export from stdin (format csv, header true)")));
  // Each copy starts one median step after the previous one ends: time keeps increasing, the data repeats.
  await client.query(`create table robot (ts timestamptz not null, ${AXES.map((a) => `${a} float8`).join(", ")})`);
  await client.query(
    `insert into robot select e.recorded_at + r * ((select max(recorded_at) - min(recorded_at) from robot_export) + interval '1.891 seconds'), ${AXES.map((a) => `e.${a}`).join(", ")}
     from robot_export e, generate_series(0, ${repeats - 1}) as r order by 1`,
  );
  await client.query("create index on robot (ts)");
  await client.query("analyze robot");
  const { rows } = await client.query<{ n: string }>("select count(*) as n from robot");
  return Number(rows[0].n);
}

/** Seconds to stream the window's rows with binary COPY, discarding them. */
async function copyFloor(client: Client, select: string): Promise<number> {
  const started = performance.now();
  for await (const _chunk of client.query(copyTo(`copy (${select}) to stdout (format binary)`))) {
    // discarded
  }
  return seconds(started);
}

/** One CLI run in a fresh process: wall seconds and the child's peak RSS in bytes. */
function cliRun(work: string, configPath: string, url: string): { seconds: number; cpuSeconds: number; peakRssBytes: number } {
  const hook = join(work, "max-rss.js");
  const out = join(work, "max-rss.txt");
  writeFileSync(hook, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify({ rss: process.resourceUsage().maxRSS * 1024, cpu: process.cpuUsage() })));\n`);
  const started = performance.now();
  // MLBOX_BENCH_NODE_FLAGS passes flags to the CLI's node (e.g. `--cpu-prof --cpu-prof-dir=prof`).
  const flags = (process.env.MLBOX_BENCH_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
  const run = spawnSync(process.execPath, [...flags, "--require", hook, join(__dirname, "..", "cli", "start.js"), "--config", configPath, ...(showLog ? [] : ["--quiet"])], {
    env: { ...process.env, ...startEnv(), MLBOX_BENCH_DB_URL: url },
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  const wall = seconds(started);
  if (showLog) console.log(run.stdout);
  if (run.status !== 0) throw new Error(`CLI run failed (exit ${run.status}): ${run.stderr}`);
  const usage = JSON.parse(readFileSync(out, "utf8")) as { rss: number; cpu: { user: number; system: number } };
  return { seconds: wall, cpuSeconds: (usage.cpu.user + usage.cpu.system) / 1e6, peakRssBytes: usage.rss };
}

async function main(): Promise<void> {
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a whole number ≥ 1, got ${process.argv[2]}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a whole number ≥ 1, got ${process.argv[3]}`);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-select-"));
  const server = await startPostgres();
  const client = new Client({ connectionString: server.url });
  client.on("error", (error) => console.error("floor client:", error.message));
  try {
    await client.connect();
    let started = performance.now();
    const rows = await generate(client);
    console.log(`generated ${rows.toLocaleString("en-US")} rows × ${AXES.length} axes (the robot export × ${repeats}) in PostgreSQL in ${seconds(started).toFixed(1)} s`);
    const [start, end] = ["2022-01-01T00:00:00Z", "2100-01-01T00:00:00Z"];
    const select = `select ts, ${AXES.join(", ")} from robot where ts >= '${start}' and ts < '${end}' order by ts`;
    const config = (name: string, model: string, statistic: string): string => {
      const path = join(work, `${name}.yaml`);
      writeFileSync(
        path,
        yaml.dump({
          database: { url_env: "MLBOX_BENCH_DB_URL" },
          data: { table: "robot", time_col: "ts", axes: AXES, train_start: start, train_end: end },
          model: { type: model },
          scoring: { statistic },
          registry: { root_dir: join(work, `registry-${name}`) },
          plots: { enabled: false, dir: join(work, "out") },
        }),
      );
      return path;
    };
    // The CLI rebuilds its bundle when lib/ or cli/ changed: do that now, not inside the first timed run.
    const bundle = require("../cli/bundle") as { isStale: () => boolean; buildOrExit: () => void };
    if (bundle.isStale()) bundle.buildOrExit();
    const floorBefore = await copyFloor(client, select);
    // The fastest run's times, the highest peak of all runs: memory must stay in the budget every time.
    const best = (path: string) => {
      const all = Array.from({ length: runs }, () => cliRun(work, path, server.url));
      if (runs > 1) console.log(`  ${path.replace(/.*\//, "")}: ${all.map((run) => `${run.seconds.toFixed(2)} s ${mib(run.peakRssBytes)}`).join(", ")}`);
      const fastest = all.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      return { ...fastest, peakRssBytes: Math.max(...all.map((run) => run.peakRssBytes)) };
    };
    const linear = best(config("linear", "linear", "residual"));
    const auto = best(config("auto", "auto", "auto"));
    const floorAfter = await copyFloor(client, select);
    const floor = Math.min(floorBefore, floorAfter);
    const budget = rows * (AXES.length + 1) * 8 + 250e6;
    console.log(`floor: binary COPY of the window in ${floorBefore.toFixed(2)} s before and ${floorAfter.toFixed(2)} s after the runs`);
    console.log(`budget: ${mib(budget)} (rows × ${AXES.length + 1} columns × 8 bytes + 250 MB)\n`);
    console.log("run (whole CLI, charts off)      wall s   cpu s  peak RSS       / linear  / floor");
    for (const [name, run] of [["model linear", linear], ["model auto + statistic auto", auto]] as const) {
      console.log(
        `${name.padEnd(32)} ${run.seconds.toFixed(2).padStart(6)}  ${run.cpuSeconds.toFixed(2).padStart(6)}  ${mib(run.peakRssBytes).padStart(8)} ${run.peakRssBytes <= budget ? "ok  " : "OVER"}  ${(run.seconds / linear.seconds).toFixed(2).padStart(7)}  ${(run.seconds / floor).toFixed(2).padStart(6)}`,
      );
    }
    console.log(
      `\nauto + auto / linear = ${(auto.seconds / linear.seconds).toFixed(2)} wall, ${(auto.cpuSeconds / linear.cpuSeconds).toFixed(2)} cpu (goal ≤ 5); peak RSS ${auto.peakRssBytes <= budget ? "within" : "OVER"} the budget`,
    );
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
