/**
 * `npm start -- score` end to end on the demo data, through a real PostgreSQL server and the embedded
 * database: replaying the training window agrees with calibration, the default window (after train_end)
 * lists events, re-running adds no duplicates, and duplicated times are rejected with nothing written.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { extractColumns } from "../lib/db/extract";
import { predictColumns } from "../lib/stages/predict";
import { loadVersion } from "../lib/registry";
import { calibrateAxis, runLengths } from "../lib/stages/thresholds";
import { ROOT, runCli } from "./support/cli";
import { goldenCases, goldenConfigYaml, loadGoldenCase } from "./support/golden";
import { directCusum, directEwma } from "./support/scoreReference";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-score-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The shipped config.yaml, pointed at `urlEnv` and folders of its own. */
function demoConfig(name: string, table = "stream_samples_wide"): string {
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  const text = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8")
    .replace("url_env: DB_URL", "url_env: SCORE_DB_URL")
    .replace("table: stream_samples_wide", `table: ${table}`)
    .replace("enabled: true", "enabled: false");
  const path = join(folder, `${table}.yaml`);
  writeFileSync(path, text);
  return path;
}

async function count(db: Kysely<any>, stream: string): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from mlbox_events where stream = ${stream}`.execute(db);
  return Number(rows[0].n);
}

for (const backend of ["postgres", "embedded"] as const) {
  test(`score on ${backend}: training-window replay equals calibration, default window lists events, idempotent, duplicates rejected`, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TZ: "Asia/Kolkata" };
    const configPath = demoConfig(backend);
    if (backend === "postgres") {
      env.SCORE_DB_URL = (await sharedPostgres()).url;
      process.env.SCORE_DB_URL = env.SCORE_DB_URL;
    } else {
      delete env.SCORE_DB_URL;
      delete process.env.SCORE_DB_URL;
    }
    const config = loadConfig(configPath);
    const open = () => connect(config.database);
    if (backend === "postgres") {
      const db = await open();
      await sql`drop table if exists mlbox_events`.execute(db);
      await sql`drop table if exists mlbox_events_checkpoints`.execute(db);
      await seedDemoTables(db, generateDemoData(), { tables: "wide", replace: true });
      await db.destroy();
    }
    const trained = runCli(["--config", configPath, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);

    // 1. Replay the training window: alert events are exactly calibration's alert runs ≥ T_long_steps.
    const trainFile = join(work, `${backend}-train.jsonl`);
    const replay = runCli(["score", "--config", configPath, "--from", "2022-10-17T00:00:00Z", "--to", "2022-10-18T06:00:00Z", "--events", trainFile], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const trainEvents = readFileSync(trainFile, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    const version = await loadVersion(config.registry.root_dir, "latest");
    let db = await open();
    const window = await extractColumns(db, config.data);
    await db.destroy();
    const timeS = window.time.map((t) => t - version.prepStats.time0);
    const prediction = predictColumns(timeS, version.models, window.values);
    let alerts = 0;
    prediction.axes.forEach((axis, a) => {
      const thresholds = version.thresholds[axis];
      // These residuals are calibration's: calibrating them again gives the registered thresholds.
      assert.deepEqual(calibrateAxis(prediction.residual[a], thresholds.dt_seconds, thresholds.policy), thresholds);
      for (const [level, threshold, steps] of [["alert", thresholds.MinC, thresholds.T_long_steps], ["error", thresholds.MaxC, thresholds.T_short_steps]] as const) {
        const counted = Array.from(runLengths(prediction.residual[a], threshold)).filter((length) => length >= steps);
        const mine = trainEvents.filter((e) => e.axis === axis && e.level === level).sort((x, y) => (x.started_at < y.started_at ? -1 : 1));
        const lastOpen = mine.length > 0 && mine[mine.length - 1].ended_at === null;
        assert.deepEqual(mine.map((e) => e.samples), lastOpen ? [...counted.slice(0, -1), steps] : counted, `${axis} ${level}`);
        if (level === "alert") alerts += counted.length;
      }
    });
    assert.ok(alerts > 20, `only ${alerts} alert runs in the training window`);

    // 2. The default window (train_end → last row) lists events; a second run adds no rows.
    const first = runCli(["score", "--config", configPath], { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Scored: 8040 rows from 2022-10-18T06:00:00\.427000Z to 2022-10-18T10:18:36\.548000Z/);
    assert.match(first.stdout, /^ {2}axis8 +27 +8 +9 +2022-10-18T06:00:22\.019000Z +2022-10-18T10:16:01\.919000Z$/m);
    assert.match(first.stdout, /Events: 61 \(35 alert-level, 26 error-level, 0 still open\) → table mlbox_events/);
    db = await open();
    const stored = await count(db, "stream_samples_wide");
    await db.destroy();
    assert.equal(stored, 61 + trainEvents.length);
    const again = runCli(["score", "--config", configPath], { env });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, first.stdout);
    db = await open();
    assert.equal(await count(db, "stream_samples_wide"), stored, "re-running the replay must not add rows");

    // 3. A duplicated time in the scored window: exit 2, one line naming the sample, nothing written.
    await sql`create table dup_wide as select * from stream_samples_wide where ts >= '2022-10-18T06:00:00Z' order by ts limit 50`.execute(db);
    await sql`insert into dup_wide select * from dup_wide order by ts offset 10 limit 1`.execute(db);
    await db.destroy();
    const dupConfig = demoConfig(backend, "dup_wide");
    writeFileSync(dupConfig, readFileSync(dupConfig, "utf8").replace("root_dir: ModelRegistry/artifacts", `root_dir: ${config.registry.root_dir}`));
    const rejected = runCli(["score", "--config", dupConfig], { env });
    assert.equal(rejected.status, 2, rejected.stdout + rejected.stderr);
    assert.equal(rejected.stderr.trim().split("\n").length, 1, rejected.stderr);
    assert.match(rejected.stderr, /^error: score: sample 11 of stream "dup_wide" at 2022-10-18T06:00:\d\d\.\d{6}Z duplicates the previous sample at 2022-10-18T06:00:\d\d\.\d{6}Z: samples must be in increasing time order$/m);
    db = await open();
    assert.equal(await count(db, "dup_wide"), 0);
    await db.destroy();

    // 4. Bad bounds are one-line errors.
    const bad = runCli(["score", "--config", configPath, "--from", "yesterday"], { env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: --from: invalid timestamp "yesterday"/);
  });
}

test("score on a LONG table: the model's axis<id> columns are read back by id, same events as WIDE", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, SCORE_DB_URL: (await sharedPostgres()).url };
  const configPath = demoConfig("long", "stream_samples");
  writeFileSync(
    configPath,
    readFileSync(configPath, "utf8")
      .replace("axes: [axis1, axis2, axis3, axis4, axis5, axis6, axis7, axis8]", "axes: [1, 2, 3, 4, 5, 6, 7, 8]")
      .replace("# axis_id_col: axis_id", "axis_id_col: axis_id")
      .replace("# value_col: value", "value_col: value"),
  );
  process.env.SCORE_DB_URL = env.SCORE_DB_URL;
  const db = await connect(loadConfig(configPath).database);
  await sql`drop table if exists mlbox_events`.execute(db);
  await seedDemoTables(db, generateDemoData(), { tables: "long", replace: true });
  await db.destroy();
  const trained = runCli(["--config", configPath, "--quiet"], { env });
  assert.equal(trained.status, 0, trained.stderr);
  const scored = runCli(["score", "--config", configPath], { env });
  assert.equal(scored.status, 0, scored.stderr);
  assert.match(scored.stdout, /Events: 61 \(35 alert-level, 26 error-level, 0 still open\) → table mlbox_events/);
  assert.match(scored.stdout, /^ {2}axis8 +27 +8 +9 +2022-10-18T06:00:22\.019000Z +2022-10-18T10:16:01\.919000Z$/m);
});

test("scoring.statistic ewma/cusum on a golden case: thresholds.json records it, the training-window replay's alerts are calibration's runs ≥ T_long", async () => {
  const golden = goldenCases().find((c) => c.name === "wide_timestamptz");
  assert.ok(golden !== undefined);
  const env: NodeJS.ProcessEnv = { ...process.env, SCORE_DB_URL: (await sharedPostgres()).url, TZ: "America/New_York" };
  process.env.SCORE_DB_URL = env.SCORE_DB_URL;
  let alerts = 0;
  for (const statistic of ["ewma", "cusum"] as const) {
    const folder = join(work, `golden-${statistic}`);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, "config.yaml");
    const table = `golden_${statistic}`;
    const yaml = goldenConfigYaml(golden, table, { urlEnv: "SCORE_DB_URL", embeddedDir: join(folder, "pglite"), rootDir: join(folder, "registry"), plotsDir: join(folder, "out") });
    writeFileSync(path, `${yaml}scoring:\n  statistic: ${statistic}\n  events_table: events_${statistic}\n`);
    const config = loadConfig(path);
    let db = await connect(config.database);
    await loadGoldenCase(db, golden, table);
    await db.destroy();
    // The in-database path computes the residual only: a one-line error, nothing registered.
    writeFileSync(join(folder, "database.yaml"), `${readFileSync(path, "utf8")}compute:\n  mode: database\n`);
    const refused = runCli(["--config", join(folder, "database.yaml"), "--quiet"], { env });
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`^error: compute\\.mode database supports model\\.type linear and scoring\\.statistic residual; got scoring\\.statistic ${statistic}: set compute\\.mode memory\n$`));
    assert.equal(existsSync(join(config.registry.root_dir, "latest")), false, "the refused run registered nothing");
    const trained = runCli(["--config", path, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);
    const written = JSON.parse(readFileSync(join(config.registry.root_dir, "latest", "thresholds.json"), "utf8"));

    const eventsFile = join(folder, "train.jsonl");
    const { train_start: from, train_end: to } = config.data;
    const replay = runCli(["score", "--config", path, "--from", String(from), "--to", String(to), "--events", eventsFile], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const events = readFileSync(eventsFile, "utf8").trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
    const version = await loadVersion(config.registry.root_dir, "latest");
    db = await connect(config.database);
    const window = await extractColumns(db, config.data);
    await db.destroy();
    const prediction = predictColumns(window.time.map((t) => t - version.prepStats.time0), version.models, window.values);
    prediction.axes.forEach((axis, a) => {
      const { statistic: spec, ...thresholds } = version.thresholds[axis];
      assert.deepEqual(written[axis].statistic, spec);
      assert.equal(spec?.type, statistic);
      const values = spec?.type === "ewma" ? (assert.equal(spec.alpha, 0.1), directEwma(prediction.residual[a], 0.1)) : directCusum(prediction.residual[a], (spec as { reference: number }).reference);
      // The registered levels are calibrateAxis on the statistic's values over the training window.
      assert.deepEqual(calibrateAxis(values, thresholds.dt_seconds, thresholds.policy), thresholds);
      for (const [level, threshold, steps] of [["alert", thresholds.MinC, thresholds.T_long_steps], ["error", thresholds.MaxC, thresholds.T_short_steps]] as const) {
        const counted = Array.from(runLengths(values, threshold)).filter((length) => length >= steps);
        const mine = events.filter((e) => e.axis === axis && e.level === level).sort((x, y) => (x.started_at < y.started_at ? -1 : 1));
        const lastOpen = mine.length > 0 && mine[mine.length - 1].ended_at === null;
        assert.deepEqual(mine.map((e) => e.samples), lastOpen ? [...counted.slice(0, -1), steps] : counted, `${statistic} ${axis} ${level}`);
        // peak_residual is the statistic's peak over the run.
        for (const e of mine) assert.ok(e.peak_residual >= threshold);
        if (level === "alert") alerts += counted.length;
      }
    });
  }
  assert.ok(alerts > 4, `only ${alerts} alert runs in the training windows`);
});
