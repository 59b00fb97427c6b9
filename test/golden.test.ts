/**
 * Parity with the Python reference pipeline: every golden case runs through
 * the CLI (a real process, exit code and registry files) against a real
 * PostgreSQL server and against the embedded PGlite database. Floats must
 * match to a relative 1e-9, integers exactly. PostgreSQL runs are made under
 * a non-UTC TZ, since timestamps bite.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { assertGoldenVersion, goldenCases, goldenConfigYaml, loadGoldenCase, type GoldenCase } from "./support/golden";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const CASES = goldenCases();

/** Runs the CLI and checks the version it registered against the case's expected.json. */
function runAndCompare(golden: GoldenCase, configPath: string, env: NodeJS.ProcessEnv): void {
  const run = runCli(["--config", configPath], { env });
  assert.equal(run.status, 0, `CLI failed for ${golden.name}:\n${run.stdout}\n${run.stderr}`);
  assertGoldenVersion(golden, join(loadConfig(configPath).registry.root_dir, "latest"), run.stdout);
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
      const db = await connect(loadConfig(configs[0]).database);
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
