/**
 * model.type pca end to end on a real PostgreSQL server: `npm start` trains and registers a pca version
 * (pca.json, T2/SPE thresholds), `score` raises T2/SPE events with contributions in the events file and
 * the events table (a jsonb column added to an older table, its rows kept), the follower's checkpoint
 * carries the pca state (a restart scores on as one pass), and bad input is one line, exit 2, nothing registered.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { loadVersion } from "../lib/registry";
import { initialScoreState, scoreBatch, scoringModel } from "../lib/scoring/score";
import { loadCheckpoint, saveCheckpoint, ensureScoreTables } from "../lib/scoring/eventStore";
import { seededRandom } from "../lib/stats/seededRandom";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-pca-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

const ROWS = 1200;
const TRAIN_END = 600;

/** Four correlated axes at 1 s; axis b is shifted by +1.5 over rows 900–959. */
function rows(): number[][] {
  const random = seededRandom(11);
  const normal = (): number => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: ROWS }, (_, i) => {
    const f = normal();
    return [i, 10 + f + 0.1 * normal(), 20 + 2 * f + 0.2 * normal() + (i >= 900 && i < 960 ? 1.5 : 0), 5 - f + 0.1 * normal(), 1 + normal()];
  });
}

function configText(name: string, overrides: { model?: string; axes?: string; trainEnd?: number } = {}): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    [
      "database:",
      "  url_env: PCA_DB_URL",
      "data:",
      "  table: pca_samples",
      "  time_col: ts",
      `  axes: ${overrides.axes ?? "[a, b, c, d]"}`,
      "  train_start: 0",
      `  train_end: ${overrides.trainEnd ?? TRAIN_END}`,
      "model:",
      ...(overrides.model ?? "  type: pca\n  explained_variance: 0.95").split("\n"),
      "scoring:",
      "  statistic: ewma",
      "  ewma_alpha: 0.2",
      "thresholds:",
      "  alert_seconds_default: 3",
      "  error_seconds_default: 3",
      "registry:",
      `  root_dir: ${join(work, `registry-${name}`)}`,
      "plots:",
      "  enabled: false",
      "",
    ].join("\n"),
  );
  return path;
}

test("pca through the CLI: train, score with contributions (file and table), checkpoint restart; bad input one line", async () => {
  const url = (await sharedPostgres()).url;
  const env = { ...process.env, PCA_DB_URL: url };
  process.env.PCA_DB_URL = url;
  const good = configText("good");
  const config = loadConfig(good);
  const db = await connect(config.database);
  try {
    await sql`drop table if exists pca_samples`.execute(db);
    await sql`drop table if exists mlbox_events`.execute(db);
    await sql`drop table if exists mlbox_events_checkpoints`.execute(db);
    await sql`create table pca_samples (ts double precision, a double precision, b double precision, c double precision, d double precision)`.execute(db);
    await sql`insert into pca_samples values ${sql.join(rows().map((r) => sql`(${sql.join(r)})`))}`.execute(db);
    // An events table from before contributions existed, with a row in it: the column is added, the row kept.
    await sql`create table mlbox_events (model_version text not null, stream text not null, axis text not null, level text not null,
      started_at double precision not null, fired_at double precision not null, ended_at double precision, samples integer not null,
      peak_residual double precision not null, threshold double precision not null, primary key (model_version, stream, axis, level, started_at))`.execute(db);
    await sql`insert into mlbox_events values ('v0', 'old', 'a', 'alert', 1, 2, 3, 3, 1.5, 1)`.execute(db);
  } finally {
    await db.destroy();
  }

  const trained = runCli(["--config", good], { env });
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stdout + trained.stderr, /pca: \d of 4 components explain/);
  const version = await loadVersion(config.registry.root_dir, "latest");
  assert.equal(version.models.type, "pca");
  assert.ok(existsSync(join(version.dir, "pca.json")));
  assert.deepEqual(Object.keys(version.thresholds), ["T2", "SPE"]);

  const eventsFile = join(work, "events.jsonl");
  const scored = runCli(["score", "--config", good, "--events", eventsFile], { env });
  assert.equal(scored.status, 0, scored.stderr);
  assert.match(scored.stdout, /SPE: started .*top: b \d+%/);
  const events = readFileSync(eventsFile, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const shift = events.filter((e) => e.started_at >= 900 && e.started_at < 965);
  assert.ok(shift.length > 0, JSON.stringify(events.map((e) => [e.axis, e.started_at])));
  assert.ok(events.every((e) => e.axis === "T2" || e.axis === "SPE"));
  assert.ok(shift.every((e) => e.contributions.length === 4 && Math.abs(e.contributions.reduce((s: number, c: { share: number }) => s + c.share, 0) - 1) < 1e-9));
  assert.ok(shift.some((e) => e.axis === "SPE" && e.contributions[0].axis === "b"));

  const db2 = await connect(config.database);
  try {
    const { rows: table } = await sql<{ axis: string; contributions: unknown; stream: string }>`select axis, contributions, stream from mlbox_events order by stream, started_at`.execute(db2);
    assert.ok(table.some((r) => r.stream === "old" && r.contributions === null), "the older row is kept");
    const mine = table.filter((r) => r.stream === "pca_samples");
    assert.equal(mine.length, events.length);
    assert.ok(mine.every((r) => Array.isArray(r.contributions)));

    // The follower's checkpoint holds the pca state: score half, save, load, score the rest = one pass.
    const model = scoringModel(version);
    const time = Float64Array.from({ length: ROWS - TRAIN_END }, (_, i) => TRAIN_END + i);
    const all = rows().slice(TRAIN_END);
    const values = [1, 2, 3, 4].map((j) => Float64Array.from(all, (r) => r[j]));
    const one = scoreBatch(model, initialScoreState(model, "follow"), { time, values });
    const cut = 930; // inside the shift's events
    const first = scoreBatch(model, initialScoreState(model, "follow"), { time: time.subarray(0, cut - TRAIN_END), values: values.map((v) => v.subarray(0, cut - TRAIN_END)) });
    await ensureScoreTables(db2, "mlbox_events", "float");
    await saveCheckpoint(db2, "mlbox_events", model, first.state, cut - 1);
    const restored = await loadCheckpoint(db2, "mlbox_events", model, "follow");
    assert.ok(restored !== null && restored.pca !== undefined);
    const rest = scoreBatch(model, restored, { time: time.subarray(cut - TRAIN_END), values: values.map((v) => v.subarray(cut - TRAIN_END)) });
    const last = (list: readonly { axis: string; level: string; started_at: unknown }[]) => {
      const byKey = new Map<string, unknown>();
      for (const e of list) byKey.set(`${e.axis}|${e.level}|${e.started_at}`, e);
      return [...byKey.entries()].sort();
    };
    assert.deepEqual(last([...first.events, ...rest.events]), last(one.events));
  } finally {
    await db2.destroy();
  }

  // Bad input: one line naming the key, exit 2, nothing registered.
  const cases: [string, { model?: string; axes?: string; trainEnd?: number }, RegExp][] = [
    ["range", { model: "  type: pca\n  explained_variance: 1.5" }, /model\.explained_variance must be within 0 \(exclusive\) to 1, got 1\.5/],
    ["zero", { model: "  type: pca\n  explained_variance: 0" }, /model\.explained_variance must be within 0 \(exclusive\) to 1, got 0/],
    ["named", { axes: "[a, T2, c, d]" }, /data\.axes names an axis "T2", which model\.type pca uses/],
    ["short", { trainEnd: 4 }, /model\.type pca: the training window has 4 usable rows .* for 4 axes; it needs at least 8/],
  ];
  for (const [name, overrides, message] of cases) {
    const path = configText(name, overrides);
    const run = runCli(["--config", path], { env });
    assert.equal(run.status, 2, `${name}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.match(lines[lines.length - 1], message, name);
    const root = join(work, `registry-${name}`);
    assert.ok(!existsSync(root) || readdirSync(root).filter((f) => /^v\d+$/.test(f)).length === 0, `${name}: nothing registered`);
  }
});
