/**
 * In-database training benchmark (not a test):
 * `npx tsx bench/inDatabase.bench.ts [millions of samples, comma-separated] [axes] [--floor]`,
 * e.g. `npx tsx bench/inDatabase.bench.ts 5,20,50 8`.
 *
 * Starts a throw-away PostgreSQL 15 server, generates the largest window
 * server-side with `generate_series` into one WIDE table (timestamptz, 100 Hz,
 * `axes` float8 columns with a trend, noise, spikes and idle zeros), then for
 * each window size (the first N samples) runs the whole pipeline with
 * `compute.mode: database` (charts included) in a fresh process and reports
 * its wall time and the client process's peak RSS. `--floor` also times
 * reading the same rows with `psql`'s binary `COPY … TO STDOUT` (to /dev/null).
 * Every run also reports the server's CPU seconds (user + sys of the
 * postmaster's reaped children, i.e. its backends and parallel workers), the
 * figure to compare on a shared machine; `--queries` lists each query's
 * duration from the server log (`log_min_duration_statement = 0`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import * as yaml from "js-yaml";
import { Client } from "pg";
import { loadConfig } from "../lib/shapes/config";
import { runPipeline } from "../lib/pipeline/inMemory";
import { startPostgres } from "../test/support/postgres";

const START = "2025-01-01T00:00:00Z";
const STEP_SECONDS = 0.01;

/** CPU seconds (user + sys) of the postmaster's reaped children: its backends and parallel workers, once they exit. */
function serverCpuSeconds(postmasterPid: number): number {
  const fields = readFileSync(`/proc/${postmasterPid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime (fields 16, 17) in clock ticks (USER_HZ 100)
}

/** `duration: … ms  statement: …` lines of a server log, each statement on one line. */
function loggedQueries(log: string): string[] {
  const entries = log.split(/\n(?=\d{4}-\d\d-\d\d )/);
  return entries.flatMap((entry) => {
    const match = /duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): ([\s\S]*)/.exec(entry);
    return match ? [`${(Number(match[1]) / 1000).toFixed(2).padStart(7)} s  ${match[2].replace(/\s+/g, " ").slice(0, 240)}`] : [];
  });
}

function windowEnd(samples: number): string {
  return new Date(Date.parse(START) + samples * STEP_SECONDS * 1000).toISOString();
}

async function main(): Promise<void> {
  const windows = (process.argv[2] ?? "5,20,50").split(",").map((m) => Math.round(Number(m) * 1e6));
  const axes = Number(process.argv[3] ?? 8);
  const floor = process.argv.includes("--floor");
  const queries = process.argv.includes("--queries");
  if (windows.some((n) => !(n >= 2)) || !(axes >= 1)) throw new Error("usage: inDatabase.bench.ts <millions,…> [axes] [--floor]");
  const largest = Math.max(...windows);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-indb-"));
  const server = await startPostgres();
  const client = new Client({ connectionString: server.url });
  await client.connect();
  try {
    // Server memory for sorts; the client's is what this measures.
    await client.query("alter database postgres set work_mem = '256MB'");
    const names = Array.from({ length: axes }, (_, k) => `axis${k + 1}`);
    await client.query(`create unlogged table bench_wide (ts timestamptz not null, ${names.map((n) => `${n} double precision`).join(", ")})`);
    let t = performance.now();
    const value = (k: number): string =>
      `case when i % 50 < 3 then 0 when i % 100003 = ${k} then 40 else ${3 + k} + i * 1e-8 * ${k} + sin(i * 0.0007 * ${k}) * 2 + ((i * 7919 + ${k * 104729}) % 1000) / 1000.0 - 0.5 end`;
    await client.query(
      `insert into bench_wide select timestamptz '${START}' + i * interval '${STEP_SECONDS * 1000} milliseconds', ${names.map((_, k) => value(k + 1)).join(", ")}
       from generate_series(0::int8, ${largest - 1}) as i`,
    );
    await client.query("analyze bench_wide");
    const generation = (performance.now() - t) / 1000;
    const { rows: size } = await client.query("select pg_size_pretty(pg_total_relation_size('bench_wide')) as s");
    console.log(`generated ${largest} samples × ${axes} axes server-side (generate_series) in ${generation.toFixed(1)} s; table ${size[0].s}`);

    const { rows: dirs } = await client.query("select current_setting('data_directory') as d");
    const dataDir = dirs[0].d as string;
    const postmasterPid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const serverLog = join(dirname(dataDir), "server.log");
    if (queries) await client.query("alter database postgres set log_min_duration_statement = 0");
    console.log("\nsamples      run (s)  server CPU (s)  client peak RSS  floor COPY (s)  stages");
    for (const samples of windows) {
      const configPath = join(work, `w${samples}.yaml`);
      writeFileSync(
        configPath,
        yaml.dump({
          database: { url_env: "MLBOX_BENCH_DB_URL" },
          data: { table: "bench_wide", time_col: "ts", axes: names, train_start: START, train_end: windowEnd(samples) },
          registry: { root_dir: join(work, "registry") },
          plots: { dir: join(work, "out") },
          compute: { mode: "database" },
        }),
      );
      const cpuBefore = serverCpuSeconds(postmasterPid);
      const logBefore = readFileSync(serverLog, "utf8").length;
      const child = spawnSync(process.execPath, ["--import", pathToFileURL(require.resolve("tsx")).href, __filename, "--run", configPath], {
        env: { ...process.env, MLBOX_BENCH_DB_URL: server.url },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`pipeline run failed (exit ${child.status})`);
      const run = JSON.parse(child.stdout) as RunReport;
      await new Promise((resolve) => setTimeout(resolve, 200)); // the run's backend exits after the client disconnects
      const serverCpu = serverCpuSeconds(postmasterPid) - cpuBefore;
      if (queries) console.log(loggedQueries(readFileSync(serverLog, "utf8").slice(logBefore)).join("\n"));
      let floorText = "-";
      if (floor) {
        t = performance.now();
        const url = new URL(server.url);
        const copy = spawnSync(
          "/usr/lib/postgresql/15/bin/psql",
          ["-h", url.hostname, "-p", url.port, "-U", decodeURIComponent(url.username), "-d", "postgres", "-q", "-c",
            `\\copy (select * from bench_wide where ts >= '${START}' and ts < '${windowEnd(samples)}' order by ts) to '/dev/null' with (format binary)`],
          { env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) }, stdio: ["ignore", "ignore", "inherit"] },
        );
        if (copy.status !== 0) throw new Error("psql COPY failed");
        floorText = ((performance.now() - t) / 1000).toFixed(1);
      }
      const stages = Object.entries(run.stageSeconds).map(([stage, s]) => `${stage} ${s.toFixed(1)}`).join(", ");
      console.log(`${String(run.rows).padEnd(12)} ${run.totalSeconds.toFixed(1).padStart(7)}  ${serverCpu.toFixed(1).padStart(14)}  ${`${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`.padStart(15)}  ${floorText.padStart(14)}  ${stages}`);
    }
  } finally {
    await client.end();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

interface RunReport {
  readonly rows: number;
  readonly totalSeconds: number;
  readonly peakRssBytes: number;
  readonly stageSeconds: Readonly<Record<string, number>>;
}

/** Child mode: run the pipeline once and print a RunReport as JSON. */
async function runOnce(configPath: string): Promise<void> {
  const started = performance.now();
  const result = await runPipeline(loadConfig(configPath));
  const report: RunReport = {
    rows: result.rawShape[0],
    totalSeconds: (performance.now() - started) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    stageSeconds: result.stageSeconds,
  };
  process.stdout.write(JSON.stringify(report));
}

(process.argv[2] === "--run" ? runOnce(process.argv[3]) : main()).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
