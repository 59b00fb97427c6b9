/**
 * Pipeline benchmark: `npm run bench -- [samples] [layout]`.
 *
 * Generates `samples` (default 100,000) synthetic 8-axis samples into a
 * throw-away PostgreSQL server, runs the whole pipeline (charts included) and
 * prints each stage's wall time, the process's peak RSS, and the ratio of
 * the whole run to reading the same rows out of the database alone (a plain
 * `select … where … order by ts` through `pg`, rows as objects).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Client, Pool } from "pg";
import { loadConfig } from "../lib/config";
import { generateDemoData, seedDemoTables } from "../lib/demoData";
import { epochSecondsToIso } from "../lib/time";
import { runPipeline } from "../lib/pipeline";
import { startPostgres } from "../test/support/postgres";

const samples = Number(process.argv[2] ?? 100_000);
const layout = (process.argv[3] ?? "wide") as "wide" | "long";
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  if (!Number.isInteger(samples) || samples < 2) throw new Error(`samples must be a whole number ≥ 2, got ${process.argv[2]}`);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-"));
  const server = await startPostgres();
  try {
    let t = performance.now();
    const data = generateDemoData({ samples });
    const seedDb = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: server.url, max: 1 }) }) });
    await seedDemoTables(seedDb, data, { tables: layout });
    await seedDb.destroy();
    console.log(`seeded ${samples} samples × 8 axes (${layout}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const table = layout === "wide" ? "stream_samples_wide" : "stream_samples";
    const start = epochSecondsToIso(data.time[0], "timestamptz");
    const end = epochSecondsToIso(data.time[samples - 1] + 1, "timestamptz");
    const configPath = join(work, "config.yaml");
    writeFileSync(
      configPath,
      yaml.dump({
        database: { url_env: "MLBOX_BENCH_DB_URL" },
        data:
          layout === "wide"
            ? { table, time_col: "ts", axes: data.axes, train_start: start, train_end: end }
            : { table, time_col: "ts", axes: data.axisIds, axis_id_col: "axis_id", value_col: "value", train_start: start, train_end: end },
        registry: { root_dir: join(work, "registry") },
        plots: { dir: join(work, "out") },
      }),
    );
    process.env.MLBOX_BENCH_DB_URL = server.url;

    // The pipeline runs in a fresh process, so its peak RSS excludes generating and seeding the data.
    const child = spawnSync(process.execPath, ["--import", pathToFileURL(require.resolve("tsx")).href, __filename, "--run", configPath], {
      env: process.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`pipeline run failed (exit ${child.status})`);
    const run = JSON.parse(child.stdout) as RunReport;

    // Baseline: the same rows read through pg alone.
    const client = new Client({ connectionString: server.url });
    client.on("error", (error) => console.error("baseline client:", error.message));
    await client.connect();
    t = performance.now();
    const query = sql`select * from ${sql.table(table)} where ts >= ${start} and ts < ${end} order by ts`.compile(seedDb);
    const baseline = await client.query(query.sql, [...query.parameters]);
    const readSeconds = (performance.now() - t) / 1000;
    await client.end();
    console.log(`baseline: read ${baseline.rowCount} rows with pg in ${readSeconds.toFixed(2)} s`);

    console.log("\nstage          seconds");
    for (const [stage, seconds] of Object.entries(run.stageSeconds)) console.log(`${stage.padEnd(14)} ${seconds.toFixed(3)}`);
    console.log(`${"total".padEnd(14)} ${run.totalSeconds.toFixed(3)}`);
    console.log(`\nrows ${run.rows}, peak RSS of the pipeline process ${mib(run.peakRssBytes)}`);
    console.log(`whole run / database read alone = ${(run.totalSeconds / readSeconds).toFixed(2)}`);
  } finally {
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
