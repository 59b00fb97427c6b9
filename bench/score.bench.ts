/**
 * Scoring benchmark: `npm run bench:score -- [replaySamples] [seconds]`.
 *
 * 1. Replay: generates a training window plus `replaySamples` (default
 *    1,000,000) later samples × 8 axes into a throw-away PostgreSQL server,
 *    trains on the window with the CLI, then times the whole CLI replay
 *    (`score`, from train_end to the last row, events into the database)
 *    against reading the same rows alone (`\copy (select …) to /dev/null`
 *    with psql, binary).
 * 2. HTTP: starts `npm run serve` on that registry (127.0.0.1, a child
 *    process) and loads it with autocannon for `seconds` (default 10) each:
 *    1-sample requests, then 1,000-sample batches as sample objects, as
 *    columns, and as columns with `?residuals=false`; prints requests/s,
 *    p50/p99 latency and samples/s. Traffic goes to loopback only and stops
 *    by itself.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { epochSecondsToIso } from "../lib/core/time";
import { startPostgres } from "../test/support/postgres";

const replaySamples = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 10);
const trainSamples = 100_000;
const repoRoot = resolve(__dirname, "..");
const cli = [process.execPath, "--import", "tsx", join(repoRoot, "cli", "main.ts")];

function timed(command: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const child = spawnSync(command[0], command.slice(1), { env, cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (child.status !== 0) throw new Error(`${command.join(" ")} failed (exit ${child.status}): ${child.stderr}`);
  return (performance.now() - started) / 1000;
}

async function replay(work: string, url: string): Promise<string> {
  const samples = trainSamples + replaySamples;
  let t = performance.now();
  const data = generateDemoData({ samples });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }) });
  await seedDemoTables(db, data, { tables: "wide" });
  await db.destroy();
  console.log(`seeded ${samples} samples × 8 axes in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const trainEnd = epochSecondsToIso(data.time[trainSamples], "timestamptz");
  const configPath = join(work, "config.yaml");
  writeFileSync(
    configPath,
    yaml.dump({
      database: { url_env: "MLBOX_BENCH_DB_URL" },
      data: { table: "stream_samples_wide", time_col: "ts", axes: data.axes, train_start: epochSecondsToIso(data.time[0], "timestamptz"), train_end: trainEnd },
      registry: { root_dir: join(work, "registry") },
      plots: { enabled: false },
    }),
  );
  const env = { ...process.env, MLBOX_BENCH_DB_URL: url };
  t = performance.now();
  timed([...cli, "--config", configPath, "--quiet"], env);
  console.log(`trained on ${trainSamples} samples in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const scoreSeconds = timed([...cli, "score", "--config", configPath], env);
  const copy = `\\copy (select * from stream_samples_wide where ts >= '${trainEnd}' order by ts) to '/dev/null' with (format binary)`;
  const floorSeconds = timed(["psql", url, "-q", "-c", copy], env);
  console.log(`\nreplay of ${replaySamples} samples × 8 axes: whole CLI run ${scoreSeconds.toFixed(2)} s`);
  console.log(`floor (psql \\copy of the same rows, binary): ${floorSeconds.toFixed(2)} s`);
  console.log(`replay / floor = ${(scoreSeconds / floorSeconds).toFixed(2)} (goal ≤ 2)`);
  return configPath;
}

/** Starts `npm run serve` on a free port; resolves with its address and a stop function. */
async function startService(configPath: string, url: string): Promise<{ address: string; stop: () => void }> {
  // The service keeps its streams and events in the config's database, the bench's server.
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "server", "main.ts"), "--config", configPath, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, MLBOX_BENCH_DB_URL: url },
  });
  let output = "";
  const address = await new Promise<string>((resolveAddress, reject) => {
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const found = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found) resolveAddress(found[1]);
    });
  });
  return { address, stop: () => child.kill("SIGTERM") };
}

type Form = "samples" | "columns";

/** A JSON body of `count` samples of stream `stream` starting at time `from` (1 s apart), as sample objects or columns. */
function body(stream: string, from: number, count: number, form: Form): string {
  const value = (t: number, k: number): string => ((t * (k + 3)) % 7).toFixed(3);
  if (form === "columns") {
    const ts = Array.from({ length: count }, (_, i) => from + i);
    const axes = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => `"axis${k}":[${ts.map((t) => value(t, k)).join(",")}]`);
    return `{"stream":${JSON.stringify(stream)},"columns":{"ts":[${ts.join(",")}],${axes.join(",")}}}`;
  }
  const samples: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = from + i;
    samples.push(`{"ts":${t},"axis1":${value(t, 1)},"axis2":${value(t, 2)},"axis3":${value(t, 3)},"axis4":${value(t, 4)},"axis5":${value(t, 5)},"axis6":${value(t, 6)},"axis7":${value(t, 7)},"axis8":${value(t, 8)}}`);
  }
  return `{"stream":${JSON.stringify(stream)},"samples":[${samples.join(",")}]}`;
}

async function load(address: string, batch: number, connections: number, form: Form = "samples", query = ""): Promise<void> {
  let clients = 0;
  const result = await autocannon({
    url: `${address}/v1/score${query}`,
    method: "POST",
    connections,
    duration: seconds,
    headers: { "content-type": "application/json" },
    // Each connection is one stream whose time goes forward request by request: the next body is set
    // when the previous response arrives (autocannon sends one request at a time per connection).
    setupClient: (client) => {
      const stream = `bench-${form}${query === "" ? "" : "-quiet"}-${batch}-${clients++}`;
      let next = Math.floor(Date.now() / 1000) - 1e8; // in the past: the service refuses times beyond now + 1 day
      const advance = (): void => {
        client.setBody(body(stream, next, batch, form));
        next += batch;
      };
      advance();
      client.on("response", advance);
    },
  });
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  console.log(
    `\n${batch}-sample ${form} requests${query}, ${connections} connections, ${seconds} s: ${(ok / seconds).toFixed(0)} requests/s, ` +
      `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${((ok * batch) / seconds).toFixed(0)} samples/s` +
      (bad > 0 ? ` (${bad} failed)` : ""),
  );
}

async function main(): Promise<void> {
  if (!Number.isInteger(replaySamples) || replaySamples < 1) throw new Error(`replaySamples must be a whole number ≥ 1, got ${process.argv[2]}`);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-score-"));
  const server = await startPostgres();
  try {
    const configPath = await replay(work, server.url);
    const service = await startService(configPath, server.url);
    try {
      await load(service.address, 1, 16);
      await load(service.address, 1000, 4);
      await load(service.address, 1000, 4, "columns");
      await load(service.address, 1000, 4, "columns", "?residuals=false"); // goal: ≥ 1M samples/s, p99 ≤ 50 ms
    } finally {
      service.stop();
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
