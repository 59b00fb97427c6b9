/**
 * Issue 16, finding 3: a training window too small to estimate the model
 * (1 row: no sampling interval; 2 rows: a line through both, no residual
 * spread) is refused with one line and exit 2, and nothing is registered,
 * in memory and in the database; a version whose sustain steps or dt do not
 * fit scoring (5e9 steps, dt 0 s) is refused when read, naming the key.
 * Real PostgreSQL.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-tiny-window-"));
let url: string;
after(() => rmSync(work, { recursive: true, force: true }));

before(async () => {
  url = (await sharedPostgres()).url;
  const client = new pg.Client(url);
  await client.connect();
  for (const rows of [1, 2, 40]) {
    await client.query(`drop table if exists tiny_${rows}`);
    await client.query(`create table tiny_${rows} (ts double precision, a double precision, b double precision)`);
    for (let i = 0; i < rows; i++) await client.query(`insert into tiny_${rows} values ($1, $2, $3)`, [i, 1 + 0.5 * i + Math.sin(i), 2 - i + Math.cos(3 * i)]);
  }
  await client.end();
});

function config(name: string, table: string, mode: "memory" | "database"): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `database:\n  url_env: TINY_DB_URL\ndata:\n  table: ${table}\n  axes: [a, b]\n  train_start: 0\n  train_end: 100\n` +
      `registry:\n  root_dir: ${join(work, name, "registry")}\nplots:\n  enabled: false\ncompute:\n  mode: ${mode}\n`,
  );
  return path;
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, TINY_DB_URL: url });

for (const mode of ["memory", "database"] as const) {
  for (const rows of [1, 2]) {
    test(`a ${rows}-row training window (compute.mode ${mode}): exit 2, one line, nothing registered`, () => {
      const name = `${mode}-${rows}`;
      const run = runCli(["--config", config(name, `tiny_${rows}`, mode), "--quiet"], { env: env() });
      assert.equal(run.status, 2, run.stderr + run.stdout);
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], new RegExp(`training window \\(table "tiny_${rows}" .*\\) has ${rows} rows?: a model needs at least 3 rows`));
      const registry = join(work, name, "registry");
      assert.deepEqual(existsSync(registry) ? readdirSync(registry).filter((entry) => !entry.startsWith(".")) : [], []);
    });
  }
}

test("a version whose sustain steps wrap an Int32 or whose dt is 0 s is refused when read, naming the key", () => {
  const path = config("loaded", "tiny_40", "memory");
  const trained = runCli(["--config", path, "--quiet"], { env: env() });
  assert.equal(trained.status, 0, trained.stderr);
  const version = join(work, "loaded", "registry", "v1");
  const thresholdsFile = join(version, "thresholds.json");
  const original = readFileSync(thresholdsFile, "utf8");
  const show = (): ReturnType<typeof runCli> => runCli(["registry", "show", "v1", "--config", path], { env: env() });
  assert.equal(show().status, 0);

  writeFileSync(thresholdsFile, original.replace(/"T_long_steps": \d+/, '"T_long_steps": 5000000000'));
  let run = show();
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /thresholds\.json: a\.T_long_steps must be a whole number from 1 to 2147483647/);
  writeFileSync(thresholdsFile, original.replace(/"T_short_steps": \d+/, '"T_short_steps": 2.5'));
  assert.match(show().stderr, /a\.T_short_steps must be a whole number from 1/);
  writeFileSync(thresholdsFile, original);

  const prepFile = join(version, "prep_stats.json");
  writeFileSync(prepFile, readFileSync(prepFile, "utf8").replace(/"dt_seconds": [^,\n]+/, '"dt_seconds": 0'));
  run = show();
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /prep_stats\.json: dt_seconds must be a finite number of seconds > 0/);
});
