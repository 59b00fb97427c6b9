/**
 * Moving over from the Python pipeline: its config.yaml, comments and
 * `prep.resample_seconds: null` included, runs unchanged with a
 * `postgresql+psycopg2://` URL in `.env`, against a real PostgreSQL server,
 * and gives the golden case's numbers.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../lib/shapes/config";
import { connect } from "../lib/db/connect";
import { assertGoldenVersion, goldenCases, loadGoldenCase } from "./support/golden";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const FIXTURE = join(__dirname, "fixtures", "python-config", "config.yaml");
const work = mkdtempSync(join(tmpdir(), "mlbox-python-config-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("the Python pipeline's config.yaml runs unchanged and matches the golden numbers", async () => {
  const golden = goldenCases().find((c) => c.name === "wide_timestamptz");
  assert.ok(golden, "golden case wide_timestamptz");
  const source = readFileSync(FIXTURE, "utf8");
  assert.match(source, /^\s*resample_seconds: null\s+# keep raw cadence; set an integer to resample in seconds$/m);

  const configPath = join(work, "config.yaml");
  copyFileSync(FIXTURE, configPath);
  const server = new URL((await sharedPostgres()).url);
  const password = decodeURIComponent(server.password);
  const psycopg = `postgresql+psycopg2://${server.username}:${server.password}@${server.host}${server.pathname}`;
  writeFileSync(join(work, ".env"), `# local secrets, never committed\nDB_URL=${psycopg}\n`);

  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "America/New_York" };
  delete env.DB_URL;
  const saved = process.env.DB_URL;
  delete process.env.DB_URL;
  try {
    const config = loadConfig(configPath); // loads .env into this process, as the CLI will
    assert.equal(config.prep.resample_seconds ?? null, null);
    const db = await connect(config.database);
    try {
      await loadGoldenCase(db, golden, config.data.table);
    } finally {
      await db.destroy();
    }
  } finally {
    if (saved === undefined) delete process.env.DB_URL;
    else process.env.DB_URL = saved;
  }

  const run = runCli(["--config", "config.yaml"], { cwd: work, env });
  assert.equal(run.status, 0, `CLI failed:\n${run.stdout}\n${run.stderr}`);
  assert.equal(readFileSync(configPath, "utf8"), source, "the config is used unchanged");
  assertGoldenVersion(golden, join(work, "ModelRegistry", "artifacts", "latest"), run.stdout);
  assert.ok(existsSync(join(work, "out")) && readdirSync(join(work, "out")).length > 0, "charts written to out/");
  assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), "the password is never printed");
});
