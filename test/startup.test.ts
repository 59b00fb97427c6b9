/**
 * The CLI never loads danfo (nor TensorFlow.js, which danfo brings): not for
 * --help, not for a pipeline run, not for the registry commands, whether it
 * runs from its bundle (`npm start`) or from the TypeScript sources. A
 * preload fails the process on any such load.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { ROOT, runCli, type CliRun } from "./support/cli";
import { sharedPostgres, type TestPostgres } from "./support/postgres";

const PRELOAD = join(ROOT, "test", "support", "forbid-danfo.cjs");
const TSX = pathToFileURL(require.resolve("tsx")).href;
const work = mkdtempSync(join(tmpdir(), "mlbox-startup-"));
let server: TestPostgres;
let configPath: string;

/** The two ways the CLI starts: its bundle (what `npm start` runs) and its sources through tsx. */
const ENTRIES: Record<string, (args: readonly string[]) => CliRun> = {
  bundle: (args) => runCli(args, { cwd: work, env: env(), nodeOptions: ["--require", PRELOAD] }),
  sources: (args) => {
    const run = spawnSync(process.execPath, ["--require", PRELOAD, "--import", TSX, join(ROOT, "cli", "main.ts"), ...args], {
      cwd: work,
      env: env(),
      encoding: "utf8",
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  },
};

function env(): NodeJS.ProcessEnv {
  return { ...process.env, STARTUP_DB_URL: server.url };
}

before(async () => {
  server = await sharedPostgres();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: server.url, max: 1 }) }) });
  try {
    await sql`create table startup_wide (ts double precision, axis1 double precision, axis2 double precision)`.execute(db);
    await sql`insert into startup_wide select i, 5 + 0.01 * i + (i % 7) / 10.0, case when i % 3 = 0 then 0 else 2 + (i % 5) / 10.0 end
      from generate_series(0, 99) as i`.execute(db);
  } finally {
    await db.destroy();
  }
  configPath = join(work, "config.yaml");
  writeFileSync(
    configPath,
    yaml.dump({
      database: { url_env: "STARTUP_DB_URL" },
      data: { table: "startup_wide", time_col: "ts", axes: ["axis1", "axis2"], train_start: 0, train_end: 1000 },
      registry: { root_dir: join(work, "registry") },
      plots: { enabled: true, dir: join(work, "out") },
    }),
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

test("the preload does stop danfojs-node and TensorFlow.js from loading", () => {
  for (const name of ["danfojs-node", "@tensorflow/tfjs"]) {
    const run = spawnSync(process.execPath, ["--require", PRELOAD, "-e", `require(${JSON.stringify(name)})`], { cwd: ROOT, encoding: "utf8" });
    assert.notEqual(run.status, 0, name);
    assert.match(run.stderr, new RegExp(`forbidden module loaded: ${name}`));
  }
});

for (const [entry, cli] of Object.entries(ENTRIES)) {
  describe(`the CLI from its ${entry} loads no danfo`, () => {
    test("--help", () => {
      const run = cli(["--help"]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /registry list/);
    });

    test("run, then registry list and registry show", () => {
      const pipeline = cli(["run", "--config", configPath, "--quiet"]);
      assert.equal(pipeline.status, 0, pipeline.stderr);
      assert.match(pipeline.stdout, /Artifacts: /);
      const list = cli(["registry", "list", "--config", configPath]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /v1/);
      const show = cli(["registry", "show", "latest", "--config", configPath]);
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, /axis2/);
    });
  });
}

test("a run from the bundle does not compile Node's fetch (pg's Cloudflare probe is left out of the bundle)", () => {
  const preload = join(ROOT, "test", "support", "report-undici.cjs");
  const probe = spawnSync(process.execPath, ["--require", preload, "-e", "new Response(null)"], { encoding: "utf8" });
  assert.match(probe.stderr, /undici loaded/, "the preload sees a Response being constructed");
  const run = runCli(["run", "--config", configPath, "--quiet"], { cwd: work, env: env(), nodeOptions: ["--require", preload] });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /undici loaded/);
});

test("npm start rebuilds the bundle when a source is newer, so edits never run stale code", () => {
  const clone = join(work, "clone");
  mkdirSync(clone);
  for (const entry of ["cli", "lib", "tsconfig.json"]) cpSync(join(ROOT, entry), join(clone, entry), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
  const start = (): string => {
    const run = spawnSync(process.execPath, [join(clone, "cli", "start.js"), "--help"], { cwd: work, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  };
  assert.match(start(), /^ML Box: train/);
  const main = join(clone, "cli", "main.ts");
  writeFileSync(main, readFileSync(main, "utf8").replace("ML Box: train", "ML Box (edited): train"));
  const later = new Date(Date.now() + 5000);
  utimesSync(main, later, later); // newer than the bundle even on coarse file-system clocks
  assert.match(start(), /^ML Box \(edited\): train/);
});
