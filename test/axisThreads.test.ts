/**
 * The axes on several threads (lib/axisThreads.ts) give what one thread gives,
 * byte for byte: models, metrics, thresholds and chart pages, through the
 * library (workers from the TypeScript sources) and the CLI (its compiled
 * worker beside the bundle), and the first failing axis's error; and
 * selection (`auto`) measured on two threads before them.
 */
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { Client } from "pg";
import { defaultAxisThreads } from "../lib/pipeline/axisThreads";
import { loadConfig } from "../lib/shapes/config";
import { InputError } from "../lib/core/errors";
import { runPipeline } from "../lib/pipeline/inMemory";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-axis-threads-"));
after(() => rmSync(work, { recursive: true, force: true }));

let url = "";
const AXES = 8;

/** Axis k at sample i (SQL): a trend plus a sine, idle (exact 0) in stretches, a NULL now and then. */
function axisSql(k: number): string {
  return `case when i % ${997 + k} = 5 then null when (i / ${300 + 41 * k}) % ${4 + k} = 0 then 0::float8 else ${1 + k} + i * ${1e-6 * (k + 1)} + sin(i * ${0.002 * (k + 1)}) * ${1 + k / 2} end`;
}

before(async () => {
  url = (await sharedPostgres()).url;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const [table, rows] of [
      ["threads_small", 30_000],
      ["threads_large", 130_000],
    ] as const) {
      const axes = Array.from({ length: AXES }, (_, k) => `a${k + 1} float8`).join(", ");
      await client.query(`drop table if exists ${table}`);
      await client.query(`create table ${table} (ts float8 not null, ${axes}, dead float8)`);
      await client.query(
        `insert into ${table} select i * 0.01, ${Array.from({ length: AXES }, (_, k) => axisSql(k)).join(", ")}, 0 from generate_series(0, ${rows - 1}) as i`,
      );
      await client.query(`analyze ${table}`);
    }
  } finally {
    await client.end();
  }
});

/** A config file for `table` under `work/<name>`; returns its path. */
function writeConfig(name: string, table: string, extra: { axes?: string[]; model?: object; scoring?: object } = {}): string {
  const dir = join(work, name);
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    yaml.dump({
      database: { url_env: "MLBOX_THREADS_DB_URL" },
      data: { table, time_col: "ts", axes: extra.axes ?? Array.from({ length: AXES }, (_, k) => `a${k + 1}`), train_start: 0, train_end: 1e9 },
      registry: { root_dir: join(dir, "registry") },
      plots: { dir: join(dir, "out") },
      ...(extra.model ? { model: extra.model } : {}),
      ...(extra.scoring ? { scoring: extra.scoring } : {}),
    }),
  );
  return path;
}

/** The files a run produced that depend on the data alone: the version's artifacts (not its lineage) and the chart pages. */
function outputs(name: string): Record<string, string> {
  const version = join(work, name, "registry", "latest");
  const out = join(work, name, "out");
  const files: Record<string, string> = {};
  for (const file of ["models.json", "thresholds.json", "metrics.csv", "prep_stats.json", "selection.json"]) if (existsSync(join(version, file))) files[file] = readFileSync(join(version, file), "utf8");
  // A page's element id is unique per page drawn (a counter and random letters): the rest must match.
  for (const file of readdirSync(out).filter((f) => f.endsWith(".html"))) files[file] = readFileSync(join(out, file), "utf8").replace(/mlbox-chart-\d+-[a-z0-9]+/g, "mlbox-chart-ID");
  return files;
}

describe("axes on several threads", () => {
  before(() => {
    process.env.MLBOX_THREADS_DB_URL = url;
  });

  for (const [label, extra] of [
    ["lines on residuals", {}],
    ["polynomials on EWMA", { model: { type: "poly", degree: 2 }, scoring: { statistic: "ewma", ewma_alpha: 0.2 } }],
  ] as const) {
    test(`library, ${label}: 3 threads write what 1 thread writes, byte for byte`, async () => {
      const name = label.replace(/\W+/g, "-");
      const one = await runPipeline(loadConfig(writeConfig(`${name}-1`, "threads_small", extra)), { threads: 1 });
      const lines: string[] = [];
      const three = await runPipeline(loadConfig(writeConfig(`${name}-3`, "threads_small", extra)), { threads: 3, log: (line) => lines.push(line) });
      assert.ok(lines.some((line) => line.includes(`${AXES} axes in`) && line.endsWith("on 3 threads")), lines.join("\n"));
      assert.deepEqual(three.models, one.models);
      assert.deepEqual(three.metrics, one.metrics);
      assert.deepEqual(three.thresholds, one.thresholds);
      assert.equal(three.chartFiles.length, 2 * AXES);
      const [a, b] = [outputs(`${name}-1`), outputs(`${name}-3`)];
      assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
      for (const file of Object.keys(a)) assert.equal(b[file], a[file], `${file} differs between 1 and 3 threads`);
    });
  }

  test("library, model auto + statistic auto: selection on 2 threads, then the axes, write what 1 thread writes, byte for byte", async () => {
    const extra = { model: { type: "auto" }, scoring: { statistic: "auto" } };
    const one = await runPipeline(loadConfig(writeConfig("auto-1", "threads_small", extra)), { threads: 1 });
    const lines: string[] = [];
    const two = await runPipeline(loadConfig(writeConfig("auto-2", "threads_small", extra)), { threads: 2, log: (line) => lines.push(line) });
    assert.ok(lines.some((line) => /s on 2 threads\)$/.test(line) && !line.includes("axes in")), `selection ran on 2 threads:\n${lines.join("\n")}`);
    assert.deepEqual(two.selection, one.selection);
    assert.deepEqual(two.models, one.models);
    assert.deepEqual(two.thresholds, one.thresholds);
    const [a, b] = [outputs("auto-1"), outputs("auto-2")];
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    assert.ok("selection.json" in a, "selection.json written");
    for (const file of Object.keys(a)) assert.equal(b[file], a[file], `${file} differs between 1 and 2 threads`);
  });

  test("an axis without usable samples fails as on one thread, whichever thread ran it; nothing is registered", async () => {
    const axes = [...Array.from({ length: AXES }, (_, k) => `a${k + 1}`), "dead"];
    const messages: string[] = [];
    for (const threads of [1, 3]) {
      const name = `dead-${threads}`;
      await assert.rejects(runPipeline(loadConfig(writeConfig(name, "threads_small", { axes })), { threads }), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        messages.push(error.message);
        return true;
      });
      const artifacts = join(work, name, "registry");
      assert.deepEqual(existsSync(artifacts) ? readdirSync(artifacts).filter((f) => /^v\d+$/.test(f)) : [], [], "no version registered");
    }
    assert.equal(messages[1], messages[0]);
    assert.match(messages[0], /axis "dead" has no usable samples/);
  });

  test("a process whose only work left is a worker's axes waits for them (the worker keeps it alive while it works)", () => {
    // This thread finishes its axes long before a worker started from the TypeScript sources has even
    // loaded; with nothing else pending, the process must still wait for the worker's answer.
    const script = join(work, "alive.ts");
    writeFileSync(
      script,
      [
        `import { loadConfig } from ${JSON.stringify(join(ROOT, "lib", "shapes", "config"))};`,
        `import { runPipeline } from ${JSON.stringify(join(ROOT, "lib", "pipeline", "inMemory"))};`,
        `void runPipeline(loadConfig(${JSON.stringify(writeConfig("alive", "threads_small", { axes: ["a1", "a2"] }))}), { threads: 2 })`,
        `  .then((run) => console.log(JSON.stringify({ version: run.version, threads: run.threads })));`,
      ].join("\n"),
    );
    const run = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env: { ...process.env, MLBOX_THREADS_DB_URL: url }, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { version: "v1", threads: 2 });
  });

  test("the CLI runs a million values on one thread per core with its compiled worker, and writes what 1 thread writes", async () => {
    const expected = defaultAxisThreads(130_000, AXES);
    assert.equal(expected, Math.min(availableParallelism(), AXES));
    const env = { ...process.env, MLBOX_THREADS_DB_URL: url };
    const run = runCli(["--config", writeConfig("cli", "threads_large")], { env });
    assert.equal(run.status, 0, run.stderr);
    if (expected > 1) assert.match(run.stdout, new RegExp(`${AXES} axes in [0-9.]+ s on ${expected} threads`));
    else assert.doesNotMatch(run.stdout, /threads/);
    await runPipeline(loadConfig(writeConfig("cli-1", "threads_large")), { threads: 1 });
    const [a, b] = [outputs("cli-1"), outputs("cli")];
    for (const file of Object.keys(a)) assert.equal(b[file], a[file], `${file} differs between the CLI and 1 thread`);
  });
});
