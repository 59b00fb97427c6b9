/**
 * The CLI end to end: success output, `registry list/show`, and every kind of
 * bad input → one line on stderr naming what to fix, exit 2, registry
 * untouched, no password printed. Runs against a real PostgreSQL server.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { ROOT, runCli, type CliRun } from "./support/cli";
import { sharedPostgres, type TestPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-cli-"));
const registryRoot = join(work, "registry");
let server: TestPostgres;

const WIDE = { table: "cli_wide", time_col: "ts", axes: ["axis1", "axis2"], train_start: 0, train_end: 1000 };

function writeConfig(name: string, document: unknown): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, typeof document === "string" ? document : yaml.dump(document));
  return path;
}

function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    database: { url_env: "CLI_DB_URL", embedded_dir: join(work, "pglite") },
    data: WIDE,
    registry: { root_dir: registryRoot, version_tag: "auto" },
    plots: { enabled: false, dir: join(work, "out") },
    ...overrides,
  };
}

function cli(args: readonly string[], env: Record<string, string | undefined> = {}) {
  return runCli(args, { cwd: work, env: { ...process.env, CLI_DB_URL: server.url, TZ: "Asia/Kolkata", ...env } });
}

function registryListing(): string[] {
  return existsSync(registryRoot) ? readdirSync(registryRoot).sort() : [];
}

/**
 * Runs the CLI on `configPath`, expecting exit 2 with one stderr line matching `message`, an untouched
 * registry, and neither the server's password nor any of `secrets` printed.
 */
function expectBadInput(
  args: readonly string[],
  message: RegExp,
  env: Record<string, string | undefined> = {},
  secrets: readonly string[] = [],
  runner: () => CliRun = () => cli(args, env),
): void {
  const before = registryListing();
  const run = runner();
  assert.equal(run.status, 2, `expected exit 2, got ${run.status}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0], message);
  assert.deepEqual(registryListing(), before, "the registry must be untouched");
  const passwords = [new URL(server.url).password, URL.canParse(env.CLI_DB_URL ?? "") ? new URL(env.CLI_DB_URL ?? "").password : "", ...secrets];
  for (const password of passwords.filter(Boolean)) {
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), `the secret "${password}" must never be printed`);
  }
}

before(async () => {
  server = await sharedPostgres();
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: server.url, max: 1 }) }) });
  try {
    const n = 200;
    const ts = Array.from({ length: n }, (_, i) => i * 2.0);
    const a1 = ts.map((t, i) => (i % 3 === 0 ? 0 : 5 + 0.01 * t + ((i * 37) % 11) / 10));
    const a2 = ts.map((t, i) => 2 + 0.002 * t + ((i * 53) % 7) / 10);
    await sql`create table cli_wide (ts double precision, axis1 double precision, axis2 double precision, label text)`.execute(db);
    await sql`insert into cli_wide (ts, axis1, axis2) select * from unnest(${ts}::float8[], ${a1}::float8[], ${a2}::float8[])`.execute(db);
    await sql`create table cli_dead (ts double precision, axis1 double precision, axis2 double precision)`.execute(db);
    await sql`insert into cli_dead select ts, axis1, 0 from cli_wide`.execute(db);
    await sql`create table cli_nan as select * from cli_wide`.execute(db);
    await sql`update cli_nan set axis1 = 'NaN' where ts = 10`.execute(db);
    await sql`update cli_nan set axis2 = 'Infinity' where ts = 20`.execute(db);
    await sql`update cli_nan set axis2 = '-Infinity' where ts = 30`.execute(db);
    await sql`create table cli_long (ts double precision, axis_id integer, value double precision)`.execute(db);
    await sql`insert into cli_long select ts, 1, axis1 from cli_wide union all select ts, 2, axis2 from cli_wide union all select 4, 2, 1.5`.execute(db);
    // Bad input that only the database can see: a number beyond float8, a user without SELECT, a statement timeout.
    await sql`create table cli_overflow (ts double precision, axis1 numeric, axis2 double precision)`.execute(db);
    await sql`insert into cli_overflow select ts, axis1, axis2 from cli_wide`.execute(db);
    await sql`update cli_overflow set axis1 = 1e400 where ts = 10`.execute(db);
    await sql`create role cli_no_select login password 'NoSelect-pw-31'`.execute(db);
    await sql`grant insert on cli_wide to cli_no_select`.execute(db);
    await sql`create table cli_slow as select g * 0.5 as ts, g * 1.0 as axis1, g * 2.0 as axis2 from generate_series(1, 200000) g`.execute(db);
    await sql`create role cli_hasty login password 'Hasty-pw-47'`.execute(db);
    await sql`grant select on cli_slow to cli_hasty`.execute(db);
    await sql`alter role cli_hasty set statement_timeout = '1ms'`.execute(db);
  } finally {
    await db.destroy();
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

describe("the CLI", () => {
  test("--help documents commands and options", () => {
    const run = cli(["--help"]);
    assert.equal(run.status, 0);
    for (const word of ["--config", "registry list", "registry show", "npm run serve", "npm run report", "DB_URL", "Exit status"]) assert.ok(run.stdout.includes(word), word);
  });

  test("runs the pipeline, prints progress and a summary, and registers v1, v2", () => {
    const path = writeConfig("ok", config({ plots: { enabled: true, dir: join(work, "out") } }));
    const first = cli(["--config", path]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\[1\/7\] extract {4}cli_wide from postgresql:\/\/mlbox@127\.0\.0\.1:\d+\/postgres\n/);
    assert.ok(!first.stdout.includes(new URL(server.url).password), "the password must never be printed");
    assert.match(first.stdout, /Artifacts: .*registry\/v1/);
    assert.match(first.stdout, /Raw shape: \(200, 3\)  Train shape: \(200, 3\)/);
    assert.match(first.stdout, /^ {2}axis1 +R2=.* MAE=.* RMSE=/m);
    assert.match(first.stdout, /^ {2}axis2 +MinC=.* MaxC=.* T_long=\d+ steps {2}T_short=\d+ steps/m);
    for (const file of ["axis1_fit.html", "axis1_residual.html", "axis2_fit.html", "axis2_residual.html"]) {
      assert.ok(existsSync(join(work, "out", file)), file);
    }
    assert.match(first.stdout, /^Serving: production → v1$/m);
    const second = cli(["--config", path, "--quiet"]);
    assert.equal(second.status, 0, second.stderr);
    // A new training run registers v2 but leaves production (what score and the service use) on v1.
    assert.match(second.stdout, /^Serving: production stays v1; `npm start -- registry promote v2` serves v2$/m);
    assert.deepEqual(registryListing().filter((name) => !name.startsWith(".")), ["aliases.json", "latest", "v1", "v2"]);
    const list = cli(["registry", "list", "--config", path]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /v1/);
    assert.match(list.stdout, /v2/);
    const show = cli(["registry", "show", "latest", "--config", path]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /v2/);
    assert.match(show.stdout, /axis1/);
  });

  test("NaN and ±Infinity in the data are left out of fitting, with a note, not a crash", () => {
    const run = cli(["--config", writeConfig("nan", config({ data: { ...WIDE, table: "cli_nan" } }))]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /axis1: 1 NaN\/±Infinity values are left out/);
    assert.match(run.stdout, /axis2: 2 NaN\/±Infinity values are left out/);
    assert.doesNotMatch(run.stdout, /R2=NaN|MinC=NaN/);
  });
});

describe("bad input: one line naming what to fix, exit 2, registry untouched", () => {
  test("missing config file", () => expectBadInput(["--config", join(work, "nope.yaml")], /config file not found: .*nope\.yaml/));
  test("YAML syntax error, with its line", () =>
    expectBadInput(["--config", writeConfig("syntax", "data:\n  table: x\n   axes: [a\n")], /YAML syntax error at line \d+/));
  test("unknown key, with a suggestion", () =>
    expectBadInput(
      ["--config", writeConfig("unknown", config({ thresholds: { minc_percentil: 70 } }))],
      /unknown key "thresholds\.minc_percentil" \(did you mean "minc_percentile"\?\)/,
    ));
  test("percentile outside 0–100", () =>
    expectBadInput(["--config", writeConfig("pct", config({ thresholds: { maxc_percentile: 120 } }))], /thresholds\.maxc_percentile must be within 0 to 100, got 120/));
  test("quantile outside 0–1", () =>
    expectBadInput(["--config", writeConfig("q", config({ thresholds: { alert_quantile: 1.5 } }))], /thresholds\.alert_quantile must be within 0 to 1, got 1\.5/));
  test("trim outside [0, 1)", () =>
    expectBadInput(["--config", writeConfig("trim", config({ thresholds: { trim_top_ratio: 1 } }))], /thresholds\.trim_top_ratio must be within 0 to 1 \(exclusive\), got 1/));
  test("wrong type", () =>
    expectBadInput(["--config", writeConfig("type", config({ prep: { interpolate: "yes" } }))], /prep\.interpolate must be true or false, got "yes"/));
  test("mixed axis types", () =>
    expectBadInput(["--config", writeConfig("mixed", config({ data: { ...WIDE, axes: ["axis1", 2] } }))], /data\.axes mixes column names and axis ids/));
  test("LONG without axis_id_col", () =>
    expectBadInput(["--config", writeConfig("long", config({ data: { ...WIDE, table: "cli_long", axes: [1, 2], value_col: "value" } }))], /data\.axis_id_col is required/));
  test("unreachable database: host:port, never the password", () =>
    expectBadInput(["--config", writeConfig("unreachable", config())], /127\.0\.0\.1:9\b/, { CLI_DB_URL: "postgresql://mlbox:s3cret-pw@127.0.0.1:9/postgres" }));
  test("missing table", () =>
    expectBadInput(["--config", writeConfig("table", config({ data: { ...WIDE, table: "no_such_table" } }))], /table "no_such_table" not found/));
  test("missing column", () =>
    expectBadInput(["--config", writeConfig("column", config({ data: { ...WIDE, axes: ["axis1", "axis9"] } }))], /column "axis9" not found/));
  test("empty window", () =>
    expectBadInput(["--config", writeConfig("empty", config({ data: { ...WIDE, train_start: 5000, train_end: 6000 } }))], /no rows|empty/i));
  test("train_start >= train_end", () =>
    expectBadInput(["--config", writeConfig("order", config({ data: { ...WIDE, train_start: 100, train_end: 100 } }))], /data\.train_start \(100\) must be before data\.train_end \(100\)/));
  test("an axis with no usable samples", () =>
    expectBadInput(["--config", writeConfig("dead", config({ data: { ...WIDE, table: "cli_dead" } }))], /axis "axis2" has no usable samples/));
  test("duplicate LONG keys", () =>
    expectBadInput(
      ["--config", writeConfig("dup", config({ data: { ...WIDE, table: "cli_long", axes: [1, 2], axis_id_col: "axis_id", value_col: "value" } }))],
      /duplicate \(ts, axis_id\)/,
    ));
  test("existing fixed version tag", () => {
    const path = writeConfig("fixed", config({ registry: { root_dir: registryRoot, version_tag: "release-1" } }));
    assert.equal(cli(["--config", path]).status, 0);
    expectBadInput(["--config", path], /version "release-1" already exists/);
  });
  test("unknown model type", () =>
    expectBadInput(["--config", writeConfig("model", config({ model: { type: "polly" } }))], /model\.type must be one of "linear", "poly", "piecewise", "per_mode", "pca", "auto", got "polly" \(did you mean "poly"\?\)/));
  test("model.degree out of range", () =>
    expectBadInput(["--config", writeConfig("degree", config({ model: { type: "poly", degree: 7 } }))], /model\.degree must be at most 6, got 7/));
  test("unknown command", () => expectBadInput(["frobnicate", "--config", writeConfig("cmd", config())], /unknown command "frobnicate"/));
});

describe("secrets are never printed", () => {
  test("a libpq key=value string is rejected in one line, never echoed", () =>
    expectBadInput(
      ["--config", writeConfig("keyvalue", config())],
      /the value of CLI_DB_URL is not a valid database URL \(an unparsable URL of \d+ characters\): use postgresql:\/\/.*key=value connection strings are not supported/,
      { CLI_DB_URL: `host=127.0.0.1 port=${server.port} user=mlbox password=Hunter2-kv` },
      ["Hunter2-kv", "password="],
    ));

  // More shapes (#, /, a port-like start such as 12?ss) in test/connect.test.ts and test/redact.unit.test.ts.
  test("an unencoded ? in a password is never echoed", () =>
    expectBadInput(
      ["--config", writeConfig("unencoded", config())],
      /CLI_DB_URL is not a valid database URL \(an unparsable URL of \d+ characters\)/,
      { CLI_DB_URL: `postgresql://mlbox:pa?ss-Wd9@127.0.0.1:${server.port}/postgres` },
      ["pa?ss-Wd9", "ss-Wd9"],
    ));

  test("database.url_env naming a variable with a token: the variable is named, its value never shown", () => {
    const token = "ghp_Xy9w8V7u6T5s4R3q2P1o0N9m8L7k6J5i4H3g";
    expectBadInput(
      ["--config", writeConfig("token", config({ database: { url_env: "CLI_TOKEN", embedded_dir: join(work, "pglite") } }))],
      /the value of CLI_TOKEN is not a valid database URL \(an unparsable URL of 40 characters\)/,
      { CLI_TOKEN: token },
      [token, token.slice(4, 16)],
    );
  });
});

describe("database and file errors that mean bad input exit 2, naming what to fix", () => {
  const as = (user: string, password: string): string => `postgresql://${user}:${password}@127.0.0.1:${server.port}/postgres`;

  test("permission denied on the table (SQLSTATE 42501)", () =>
    expectBadInput(
      ["--config", writeConfig("denied", config())],
      /permission denied reading table "cli_wide" \(SQLSTATE 42501\): grant SELECT on it to the database user/,
      { CLI_DB_URL: as("cli_no_select", "NoSelect-pw-31") },
      ["NoSelect-pw-31"],
    ));

  test("statement timeout (SQLSTATE 57014)", () =>
    expectBadInput(
      ["--config", writeConfig("timeout", config({ data: { ...WIDE, table: "cli_slow", train_end: 1e9 } }))],
      /cancelled by the server's statement_timeout \(SQLSTATE 57014\): raise statement_timeout for the database user/,
      { CLI_DB_URL: as("cli_hasty", "Hasty-pw-47") },
      ["Hasty-pw-47"],
    ));

  test("a numeric value beyond float8 (SQLSTATE 22003)", () =>
    expectBadInput(
      ["--config", writeConfig("overflow", config({ data: { ...WIDE, table: "cli_overflow" } }))],
      /table "cli_overflow" holds a number out of range for double precision in one of "ts", "axis1", "axis2" \(SQLSTATE 22003\)/,
    ));

  test("--config naming a folder (EISDIR)", () => expectBadInput(["--config", work], /^error: ".*mlbox-cli-[^"]*" is a folder, not a file: check --config$/));

  test("an unreadable embedded database folder (EACCES, as an unprivileged user)", () => {
    // Root reads everything, so the CLI runs as nobody (setpriv); the folder is root's, mode 0700.
    const home = join(work, "home");
    mkdirSync(join(home, ".mlbox", "pglite"), { recursive: true });
    writeFileSync(join(home, ".mlbox", "pglite", "PG_VERSION"), "15\n");
    chmodSync(join(home, ".mlbox"), 0o700);
    chmodSync(work, 0o755);
    // A registry the unprivileged user may write, so that the registry probe (which runs first) passes.
    const registry = join(work, "nobody-registry");
    mkdirSync(registry, { recursive: true });
    chmodSync(registry, 0o777);
    const path = writeConfig(
      "unreadable",
      config({ database: { url_env: "CLI_DB_URL", embedded_dir: join(home, ".mlbox", "pglite") }, registry: { root_dir: registry, version_tag: "auto" } }),
    );
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    const asNobody = (): CliRun => {
      const run = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--import", tsx, join(ROOT, "cli", "main.ts"), "--config", path], {
        cwd: work,
        env: { ...process.env, CLI_DB_URL: "", HOME: "/tmp" },
        encoding: "utf8",
      });
      return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    expectBadInput([], /permission denied on ".*home\/\.mlbox\/pglite": check database\.embedded_dir/, {}, [], asNobody);
  });
});

describe("an unwritable registry is bad input found before extracting (issue 6, defect 7)", () => {
  // A database that cannot be reached: had extraction started, the error would be about it.
  const unreachable = { CLI_DB_URL: "postgresql://mlbox:s3cret-pw@127.0.0.1:9/postgres" };

  /** Exit 2, one stderr line naming the folder and the reason, and no extract stage started. */
  function expectNotWritable(run: { status: number | null; stdout: string; stderr: string }, root: string, reason: string): void {
    assert.equal(run.status, 2, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.ok(lines[0].startsWith(`error: registry.root_dir ${root} is not writable: ${reason}`), lines[0]);
    assert.doesNotMatch(run.stdout, /extract/);
  }

  test("root_dir below a regular file (ENOTDIR)", () => {
    const file = join(work, "plain-file");
    writeFileSync(file, "x");
    const root = join(file, "registry");
    const run = cli(["--config", writeConfig("notdir", config({ registry: { root_dir: root, version_tag: "auto" } }))], unreachable);
    expectNotWritable(run, root, "ENOTDIR");
  });

  test("a registry folder the user may not write (EACCES, the CLI run as uid 65534)", () => {
    chmodSync(work, 0o755); // let the unprivileged user read the config
    const root = join(work, "root-owned-registry");
    mkdirSync(root, { mode: 0o755 });
    const path = writeConfig("eacces", config({ registry: { root_dir: root, version_tag: "auto" } }));
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    const user = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    const run = spawnSync("setpriv", [...user, process.execPath, "--import", tsx, join(ROOT, "cli", "main.ts"), "--config", path], {
      cwd: work,
      env: { ...process.env, ...unreachable },
      encoding: "utf8",
    });
    expectNotWritable(run, root, "EACCES");
    assert.deepEqual(readdirSync(root), [], "no version folder, no probe left");
  });
});

mkdirSync(work, { recursive: true });
