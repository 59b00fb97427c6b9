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
 *    columns, and as columns with `?residuals=false`, each stream sending
 *    the samples after the training window (times going on past their end),
 *    then the last form once more with a sawtooth that fires an event about
 *    every 7 samples; prints requests/s, p50/p99 latency, samples/s and the
 *    CPU seconds of the service, PostgreSQL and the load generator. Traffic
 *    goes to loopback only and stops by itself.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { generateDemoData, seedDemoTables, type DemoData } from "../lib/db/demoData";
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

async function replay(work: string, url: string): Promise<{ configPath: string; data: DemoData; postmaster: number }> {
  const samples = trainSamples + replaySamples;
  let t = performance.now();
  const data = generateDemoData({ samples });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }) });
  await seedDemoTables(db, data, { tables: "wide" });
  // The server's postmaster: the parent of this session's backend (its CPU is counted with its children's).
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  const postmaster = Number(readFileSync(`/proc/${rows[0].pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
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
  return { configPath, data, postmaster };
}

/** Starts `npm run serve` on a free port; resolves with its address and a stop function. */
async function startService(configPath: string, url: string): Promise<{ address: string; pid: number; stop: () => void }> {
  // The service keeps its streams and events in the config's database, the bench's server.
  // MLBOX_BENCH_NODE_FLAGS passes flags to the service's node (e.g. `--cpu-prof --cpu-prof-dir=prof`), as in bench:select.
  const flags = (process.env.MLBOX_BENCH_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "");
  const child = spawn(process.execPath, [...flags, "--import", "tsx", join(repoRoot, "server", "main.ts"), "--config", configPath, "--port", "0"], {
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
  return { address, pid: child.pid as number, stop: () => child.kill("SIGTERM") };
}

type Form = "samples" | "columns";

/** What the bodies are made of: the demo data's samples after the training window (as a sensor sends them), or a sawtooth that fires an event about every 7 samples. */
type Source = "data" | "storm";

/**
 * The bodies of one stream, one per request, with time going forward: `count` samples of block after block of the
 * samples after training (cycling, each cycle shifted by the replayed span), or of the sawtooth (1 s apart). The
 * values' JSON text is built once per block and shared by every stream; the rest of a body after the stream's name
 * (times and values) is the same for every stream at the same step, so it is built once as bytes and shared too
 * (a small cache of the latest steps): each stream still sends its own advancing times and the service does the same
 * work, but the load generator does not eat the core the service needs.
 */
function bodies(data: DemoData, source: Source, count: number, form: Form): (stream: string) => () => Buffer {
  const first = trainSamples;
  const blocks = Math.floor((data.time.length - first) / count);
  const last = first + blocks * count - 1;
  const span = ((data.time[last] - data.time[first]) * (last - first + 1)) / Math.max(1, last - first); // the blocks' span plus one mean step
  const sawtooth = (t: number, k: number): string => ((t * (k + 3)) % 7).toFixed(3);
  const valueText = (b: number, i: number, k: number): string => (source === "data" ? String(data.values[k][first + b * count + i]) : sawtooth(i, k));
  // Per block: the axis columns (columns form) or each sample's text after its time (samples form).
  const texts = Array.from({ length: source === "data" ? blocks : 1 }, (_, b) =>
    form === "columns"
      ? data.axes.map((axis, k) => `"${axis}":[${Array.from({ length: count }, (_, i) => valueText(b, i, k)).join(",")}]`).join(",")
      : Array.from({ length: count }, (_, i) => data.axes.map((axis, k) => `,"${axis}":${valueText(b, i, k)}`).join("") + "}"),
  );
  /** A body's bytes after `{"stream":<name>,`, by its step (data) or first time (sawtooth); the oldest leave first. */
  const rests = new Map<number, Buffer>();
  const rest = (key: number, b: number, ts: (i: number) => number): Buffer => {
    let found = rests.get(key);
    if (found === undefined) {
      const times = Array.from({ length: count }, (_, i) => ts(i));
      const samples = texts[b] as string[];
      found = Buffer.from(
        form === "columns"
          ? `"columns":{"ts":[${times.join(",")}],${texts[b] as string}}}`
          : `"samples":[${times.map((t, i) => `{"ts":${t}${samples[i]}`).join(",")}]}`,
      );
      rests.set(key, found);
      if (rests.size > 64) rests.delete(rests.keys().next().value as number);
    }
    return found;
  };
  return (stream) => {
    const head = Buffer.from(`{"stream":${JSON.stringify(stream)},`);
    let n = 0;
    let sawtoothFrom = Math.floor(Date.now() / 1000) - 1e8; // in the past: the service refuses times beyond now + 1 day
    return () => {
      const b = source === "data" ? n % blocks : 0;
      const shift = source === "data" ? Math.floor(n / blocks) * span : 0;
      const from = sawtoothFrom;
      const body = Buffer.concat([head, rest(source === "data" ? n : from, b, (i) => (source === "data" ? data.time[first + b * count + i] + shift : from + i))]);
      n++;
      sawtoothFrom += count;
      return body;
    };
  };
}

async function load(address: string, data: DemoData, batch: number, connections: number, form: Form = "samples", query = "", source: Source = "data"): Promise<void> {
  let clients = 0;
  const next = bodies(data, source, batch, form);
  const cpu = cpuSeconds();
  const result = await autocannon({
    url: `${address}/v1/score${query}`,
    method: "POST",
    connections,
    duration: seconds,
    headers: { "content-type": "application/json" },
    // Each connection is one stream whose time goes forward request by request: the next body is set
    // when the previous response arrives (autocannon sends one request at a time per connection).
    setupClient: (client) => {
      const body = next(`bench-${source}-${form}${query === "" ? "" : "-quiet"}-${batch}-${clients++}`);
      const advance = (): void => {
        client.setBody(body());
      };
      advance();
      client.on("response", advance);
    },
  });
  const used = cpu();
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  const perRequest = (s: number): string => ((s * 1000) / Math.max(1, ok)).toFixed(2);
  console.log(
    `\n${batch}-sample ${form} requests${query}${source === "storm" ? " (sawtooth: an event about every 7 samples)" : ""}, ${connections} connections, ${seconds} s: ${(ok / seconds).toFixed(0)} requests/s, ` +
      `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${((ok * batch) / seconds).toFixed(0)} samples/s` +
      (bad > 0 ? ` (${bad} failed)` : ""),
  );
  console.log(
    `  CPU s (user+sys): service ${used.service.toFixed(2)}, PostgreSQL ${used.postgres.toFixed(2)}, load generator ${used.generator.toFixed(2)}; ` +
      `per request ${perRequest(used.service)} / ${perRequest(used.postgres)} / ${perRequest(used.generator)} ms; load average ${loadavg()[0].toFixed(2)}`,
  );
}

/** CPU seconds (user+sys) of a process from /proc (0 when gone). */
function processSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

/** The processes whose parent is `parent`. */
function childrenOf(parent: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]) === parent;
      } catch {
        return false;
      }
    });
}

let watched = { service: 0, postmaster: 0 };

/** Starts counting CPU seconds of the service, the PostgreSQL server (postmaster and its children) and this process; the function returns them since. */
function cpuSeconds(): () => { service: number; postgres: number; generator: number } {
  const postgres = (): number => processSeconds(watched.postmaster) + childrenOf(watched.postmaster).reduce((sum, pid) => sum + processSeconds(pid), 0);
  const service0 = processSeconds(watched.service);
  const postgres0 = postgres();
  const generator0 = process.cpuUsage();
  return () => {
    const generator = process.cpuUsage(generator0);
    return { service: processSeconds(watched.service) - service0, postgres: postgres() - postgres0, generator: (generator.user + generator.system) / 1e6 };
  };
}

async function main(): Promise<void> {
  if (!Number.isInteger(replaySamples) || replaySamples < 1) throw new Error(`replaySamples must be a whole number ≥ 1, got ${process.argv[2]}`);
  const work = mkdtempSync(join(tmpdir(), "mlbox-bench-score-"));
  const server = await startPostgres();
  try {
    const { configPath, data, postmaster } = await replay(work, server.url);
    const service = await startService(configPath, server.url);
    watched = { service: service.pid, postmaster };
    try {
      // MLBOX_BENCH_ONLY=goal loads only the goal's form (e.g. to profile the service on it alone).
      const all = process.env.MLBOX_BENCH_ONLY !== "goal";
      if (all) await load(service.address, data, 1, 16);
      if (all) await load(service.address, data, 1000, 4);
      if (all) await load(service.address, data, 1000, 4, "columns");
      // MLBOX_BENCH_CONNECTIONS sets the goal form's connections (default 4).
      await load(service.address, data, 1000, Number(process.env.MLBOX_BENCH_CONNECTIONS ?? 4), "columns", "?residuals=false"); // goal: ≥ 1M samples/s, p99 ≤ 50 ms
      if (all) await load(service.address, data, 1000, 4, "columns", "?residuals=false", "storm");
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
