/** thresholds.direction both: lower levels by the same policy, recorded in thresholds.json, down events, batch invariance; one-sided versions unchanged. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { seededRandom } from "../lib/stats/seededRandom";
import { calibrateColumns, calibrateAxis } from "../lib/stages/thresholds";
import { calibrateLower } from "../lib/stages/lowerThresholds";
import { registerModel } from "../lib/registry/store";
import { loadVersion } from "../lib/registry";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreState } from "../lib/scoring/score";
import type { AxisThresholds } from "../lib/shapes/types";

const work = mkdtempSync(join(tmpdir(), "mlbox-direction-"));
after(() => rmSync(work, { recursive: true, force: true }));

const random = seededRandom(21);
const N = 2000;
const time = Float64Array.from({ length: N }, (_, i) => i);
const values = [Float64Array.from({ length: N }, () => 5 + random() - 0.5)];
// Scored part: a drop of 0.6 over rows 1300–1349 and a rise of 0.6 over 1600–1649.
for (let i = 1300; i < 1350; i++) values[0][i] -= 0.6;
for (let i = 1600; i < 1650; i++) values[0][i] += 0.6;
const TRAIN = 1000;

async function version(tag: string, two: boolean, statistic: "residual" | "ewma") {
  const policy = { ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 99, maxc_percentile: 99.9 };
  const train = values[0].slice(0, TRAIN);
  const residual = Float64Array.from(train, (v) => v - 5);
  const timeS = time.slice(0, TRAIN);
  const upper = calibrateColumns({ timeS, axes: ["a"], actual: [train], predicted: [], residual: [residual] }, 1, policy, { statistic })["a"];
  const thresholds: AxisThresholds = two ? { ...upper, lower: calibrateLower(residual, train, timeS, 1, policy, { statistic }) } : upper;
  const root = join(work, "registry");
  await registerModel({
    rootDir: root,
    versionTag: tag,
    models: { type: "linear", models: [{ axis: "a", coef: 0, intercept: 5, samples_used: TRAIN }] },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false, resample_seconds: null },
    thresholds: { a: thresholds },
    metrics: [{ axis: "a", r2: 0, mae: 0, rmse: 0 }],
    meta: {
      model: { type: "linear" },
      data: { table: "t", time_col: "ts", axes: ["a"], train_start: 0, train_end: TRAIN, time_type: "float", layout: "wide" },
      prep: { interpolate: false, resample_seconds: null },
      rows: { raw: TRAIN, train: TRAIN },
      lineage: { config_path: "/x.yaml", config_sha256: "0", data_fingerprint: "0", database: "test" },
    },
  });
  return loadVersion(root, tag);
}

test("direction both: lower levels are the upper policy on −residual, recorded in thresholds.json; a drop raises down events, a rise up events", async () => {
  const loaded = await version("both", true, "residual");
  const lower = loaded.thresholds.a.lower;
  assert.ok(lower !== undefined && lower.MinC < 0 && lower.MaxC <= lower.MinC);
  const written = JSON.parse(readFileSync(join(loaded.dir, "thresholds.json"), "utf8"));
  assert.equal(written.a.lower.MinC, lower.MinC);
  const negated = Float64Array.from(values[0].subarray(0, TRAIN), (v) => -(v - 5));
  assert.equal(lower.MinC, -calibrateAxis(negated, 1, loaded.thresholds.a.policy as typeof DEFAULT_THRESHOLD_POLICY).MinC);
  const model = scoringModel(loaded);
  const scored = scoreBatch(model, initialScoreState(model, "s"), { time: time.subarray(TRAIN), values: values.map((v) => v.subarray(TRAIN)) });
  const down = scored.events.filter((e) => e.direction === "down");
  const up = scored.events.filter((e) => e.direction === "up");
  assert.ok(down.some((e) => Number(e.started_at) >= 1300 && Number(e.started_at) < 1350 && e.peak_residual < lower.MinC && e.threshold < 0));
  assert.ok(up.some((e) => Number(e.started_at) >= 1600 && Number(e.started_at) < 1650));
  assert.ok(scored.events.every((e) => e.axis === "a"));
  assert.equal(scored.residuals.length, 1);

  // One-sided (no lower): events carry no direction, and are the two-sided version's up events.
  const one = await version("up", false, "residual");
  const upOnly = scoringModel(one);
  const plain = scoreBatch(upOnly, initialScoreState(upOnly, "s"), { time: time.subarray(TRAIN), values: values.map((v) => v.subarray(TRAIN)) });
  assert.ok(plain.events.every((e) => e.direction === undefined));
  assert.deepEqual(plain.events.map((e) => ({ ...e, model_version: "both", direction: "up" })), up);
});

test("direction both with EWMA: any split into batches, through JSON state, gives the same events", async () => {
  const loaded = await version("both-ewma", true, "ewma");
  assert.equal(loaded.thresholds.a.lower?.statistic?.type, "ewma");
  const model = scoringModel(loaded);
  const t = time.subarray(TRAIN);
  const v = values.map((c) => c.subarray(TRAIN));
  const one = scoreBatch(model, initialScoreState(model, "s"), { time: t, values: v });
  assert.ok(one.events.some((e) => e.direction === "down"));
  const last = (events: readonly ScoreEvent[]) => {
    const byKey = new Map<string, ScoreEvent>();
    for (const e of events) byKey.set(`${e.axis}|${e.direction}|${e.level}|${e.started_at}`, e);
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  };
  for (const cuts of [[1], [310, 320, 330], [5, 299, 300, 301, 650, 999]]) {
    let state: ScoreState = initialScoreState(model, "s");
    const events: ScoreEvent[] = [];
    const bounds = [0, ...cuts, t.length];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const r = scoreBatch(model, state, { time: t.subarray(bounds[k], bounds[k + 1]), values: v.map((c) => c.subarray(bounds[k], bounds[k + 1])) });
      state = JSON.parse(JSON.stringify(r.state)) as ScoreState;
      events.push(...r.events);
    }
    assert.deepEqual(last(events), last(one.events), `cuts ${cuts}`);
  }
});

import { sql } from "kysely";
import { openPostgres } from "./support/databases";
import { ensureScoreTables, loadCheckpoint, saveCheckpoint } from "../lib/scoring/eventStore";

test("direction both: the follower's checkpoint on a real PostgreSQL server holds both sides; a restart mid-event scores on as one pass", async () => {
  const loaded = await version("both-follow", true, "ewma");
  const model = scoringModel(loaded);
  const t = time.subarray(TRAIN);
  const v = values.map((c) => c.subarray(TRAIN));
  const one = scoreBatch(model, initialScoreState(model, "follow"), { time: t, values: v });
  const cut = 320; // inside the drop (rows 1300–1349)
  const first = scoreBatch(model, initialScoreState(model, "follow"), { time: t.subarray(0, cut), values: v.map((c) => c.subarray(0, cut)) });
  assert.ok(first.state.runs.some((run) => run.axis === "a:down" && run.length > 0), "a down run is open at the cut");
  const { db } = await openPostgres();
  try {
    await sql`drop table if exists direction_events_checkpoints`.execute(db);
    await sql`drop table if exists direction_events`.execute(db);
    await ensureScoreTables(db, "direction_events", "float");
    await saveCheckpoint(db, "direction_events", model, first.state, t[cut - 1]);
    const restored = await loadCheckpoint(db, "direction_events", model, "follow");
    assert.ok(restored !== null);
    const rest = scoreBatch(model, restored, { time: t.subarray(cut), values: v.map((c) => c.subarray(cut)) });
    const last = (events: readonly ScoreEvent[]) => {
      const byKey = new Map<string, ScoreEvent>();
      for (const e of events) byKey.set(`${e.axis}|${e.direction}|${e.level}|${e.started_at}`, e);
      return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    };
    assert.deepEqual(last([...first.events, ...rest.events]), last(one.events));
    // A one-sided version cannot resume from a two-sided checkpoint: one line naming the row to delete.
    const oneSided = scoringModel(await version("up-follow", false, "ewma"));
    await saveCheckpoint(db, "direction_events", { ...oneSided, version: model.version }, initialScoreState(oneSided, "other"), null);
    await assert.rejects(loadCheckpoint(db, "direction_events", model, "other"), /do not match the model's axes .*: delete that row to start over/);
  } finally {
    await db.destroy();
  }
});
