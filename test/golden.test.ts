/**
 * Parity with the Python reference pipeline: every golden case runs through
 * the CLI (a real process, exit code and registry files) against a real
 * PostgreSQL server and against the embedded PGlite database. Floats must
 * match to a relative 1e-9, integers exactly. PostgreSQL runs are made under
 * a non-UTC TZ, since timestamps bite.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { connect } from "../lib/connect";
import { loadConfig } from "../lib/config";
import { goldenCases, goldenConfigYaml, loadGoldenCase, type GoldenCase } from "./support/golden";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const CASES = goldenCases();

function assertClose(actual: number, expected: number, what: string): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  const relative = actual === expected ? 0 : Math.abs(actual - expected) / scale;
  assert.ok(relative <= 1e-9, `${what}: got ${actual}, expected ${expected} (relative error ${relative})`);
}

/** Runs the CLI and checks the version it registered against the case's expected.json. */
function runAndCompare(golden: GoldenCase, configPath: string, env: NodeJS.ProcessEnv): void {
  const run = runCli(["--config", configPath], { env });
  assert.equal(run.status, 0, `CLI failed for ${golden.name}:\n${run.stdout}\n${run.stderr}`);
  const root = loadConfig(configPath).registry.root_dir;
  const dir = join(root, "latest");
  const expected = golden.expected;

  const thresholds = JSON.parse(readFileSync(join(dir, "thresholds.json"), "utf8"));
  assert.deepEqual(Object.keys(thresholds), Object.keys(expected.thresholds));
  for (const [axis, want] of Object.entries(expected.thresholds)) {
    const got = thresholds[axis];
    assertClose(got.MinC, want.MinC, `${golden.name} ${axis} MinC`);
    assertClose(got.MaxC, want.MaxC, `${golden.name} ${axis} MaxC`);
    assertClose(got.dt_seconds, want.dt_seconds, `${golden.name} ${axis} dt_seconds`);
    assert.equal(got.T_long_steps, want.T_long_steps, `${golden.name} ${axis} T_long_steps`);
    assert.equal(got.T_short_steps, want.T_short_steps, `${golden.name} ${axis} T_short_steps`);
    assert.equal(got.meta.method, want.method, `${golden.name} ${axis} method`);
  }

  const [header, ...rows] = readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n");
  assert.deepEqual(header.split(",").slice(0, 4), ["axis", "r2", "mae", "rmse"]);
  assert.equal(rows.length, expected.metrics.length);
  expected.metrics.forEach((want, i) => {
    const [axis, r2, mae, rmse] = rows[i].split(",");
    assert.equal(axis, want.axis);
    assertClose(Number(r2), want.r2, `${golden.name} ${axis} r2`);
    assertClose(Number(mae), want.mae, `${golden.name} ${axis} mae`);
    assertClose(Number(rmse), want.rmse, `${golden.name} ${axis} rmse`);
  });

  const prep = JSON.parse(readFileSync(join(dir, "prep_stats.json"), "utf8"));
  assertClose(prep.time0, expected.time0, `${golden.name} time0`);
  const meta = yaml.load(readFileSync(join(dir, "meta.yaml"), "utf8")) as { rows: { raw: number; train: number } };
  const columns = expected.raw_shape[1];
  assert.deepEqual([meta.rows.raw, columns], expected.raw_shape, `${golden.name} raw_shape`);
  assert.deepEqual([meta.rows.train, columns], expected.train_shape, `${golden.name} train_shape`);
  assert.match(run.stdout, new RegExp(`Raw shape: \\(${expected.raw_shape.join(", ")}\\)`));
}

for (const backend of ["postgres", "embedded"] as const) {
  describe(`golden parity via the CLI on ${backend === "postgres" ? "a real PostgreSQL server" : "the embedded database"}`, () => {
    const work = mkdtempSync(join(tmpdir(), `mlbox-golden-${backend}-`));
    const embeddedDir = join(work, "pglite");
    const env: NodeJS.ProcessEnv = { ...process.env, TZ: backend === "postgres" ? "America/New_York" : "UTC" };
    delete env.GOLDEN_DB_URL;

    before(async () => {
      const configs = CASES.map((golden) => {
        const path = join(work, `${golden.name}.yaml`);
        writeFileSync(
          path,
          goldenConfigYaml(golden, `golden_${golden.name}`, {
            urlEnv: "GOLDEN_DB_URL",
            embeddedDir,
            rootDir: join(work, "registry", golden.name),
            plotsDir: join(work, "out"),
          }),
        );
        return path;
      });
      if (backend === "postgres") env.GOLDEN_DB_URL = (await sharedPostgres()).url;
      const saved = process.env.GOLDEN_DB_URL;
      if (env.GOLDEN_DB_URL) process.env.GOLDEN_DB_URL = env.GOLDEN_DB_URL;
      else delete process.env.GOLDEN_DB_URL;
      const db = await connect(loadConfig(configs[0]));
      try {
        for (const golden of CASES) await loadGoldenCase(db, golden, `golden_${golden.name}`);
      } finally {
        await db.destroy();
        if (saved === undefined) delete process.env.GOLDEN_DB_URL;
        else process.env.GOLDEN_DB_URL = saved;
      }
    });
    after(() => rmSync(work, { recursive: true, force: true }));

    for (const golden of CASES) {
      test(golden.name, () => runAndCompare(golden, join(work, `${golden.name}.yaml`), env));
    }
  });
}
