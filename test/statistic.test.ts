/**
 * Smoothed residual statistics (lib/statistic.ts): EWMA and CUSUM against a direct computation,
 * calibration on the statistic, the scorer on known shifts, batch invariance and JSON state.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { InputError } from "../lib/core/errors";
import { initialScoreState, scoreBatch, type ScoreEvent, type ScoreState, type ScoringModel } from "../lib/scoring/score";
import { parseWithSchema } from "../lib/core/schema";
import { cusumReference, statisticColumn, statisticSpec, statisticSpecSchema, statisticStep, type StatisticSpec } from "../lib/model/statistic";
import { calibrateAxis, calibrateColumns, runLengthSummary } from "../lib/stages/thresholds";
import type { Prediction } from "../lib/shapes/types";
import { sql } from "kysely";
import { ensureScoreTables, loadCheckpoint, saveCheckpoint, writeEvents } from "../lib/scoring/eventStore";
import { BACKENDS } from "./support/databases";
import { directCusum, directEwma, referenceEvents } from "./support/scoreReference";
import { seededRandom } from "../lib/stats/seededRandom";

/** Deterministic pseudo-random numbers (mulberry32). */
const random = seededRandom;

/** Standard normal noise (Box–Muller) from a seeded generator. */
function gaussian(seed: number): () => number {
  const next = random(seed);
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** numpy's median of plain numbers. */
function npMedian(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Noise of σ = 1 with a few NaN, as training residuals (actual = residual + 5, a few idle zeros). */
function trainingWindow(n: number, seed: number): Prediction {
  const noise = gaussian(seed);
  const residual = Float64Array.from({ length: n }, (_, i) => (i % 97 === 13 ? NaN : noise()));
  const actual = Float64Array.from(residual, (r, i) => (i % 50 === 7 ? 0 : r + 5));
  const timeS = Float64Array.from({ length: n }, (_, i) => i * 2);
  return { timeS, axes: ["x"], actual: [actual], predicted: [new Float64Array(n).fill(5)], residual: [residual] };
}

test("statisticStep / statisticColumn: residual is the identity; EWMA and CUSUM equal a direct computation, NaN kept out", () => {
  const noise = gaussian(3);
  const residuals = Float64Array.from({ length: 500 }, (_, i) => (i === 0 || i % 41 === 5 ? NaN : noise() + (i >= 300 ? 3 : 0)));
  const residual = statisticColumn({ type: "residual" }, residuals);
  assert.equal(residual.values, residuals);
  const ewma = statisticColumn({ type: "ewma", alpha: 0.1 }, residuals);
  assert.deepEqual(ewma.values, directEwma(residuals, 0.1));
  assert.equal(ewma.state, ewma.values[499]);
  const cusum = statisticColumn({ type: "cusum", k_sigma: 0.5, reference: 0.7 }, residuals);
  assert.deepEqual(cusum.values, directCusum(residuals, 0.7));
  // A NaN residual: value NaN, state unchanged; "none yet" is NaN.
  assert.deepEqual(statisticStep({ type: "ewma", alpha: 0.5 }, 2, NaN), [NaN, 2]);
  assert.deepEqual(statisticStep({ type: "ewma", alpha: 0.5 }, NaN, 4), [4, 4]);
  assert.deepEqual(statisticStep({ type: "cusum", k_sigma: 0, reference: 1 }, NaN, 0.5), [0, 0]);
  assert.deepEqual(statisticStep({ type: "residual" }, NaN, Infinity), [Infinity, NaN]);
  // Continuing from a state equals one pass; a gap larger than maxGapSeconds resets it.
  const spec: StatisticSpec = { type: "ewma", alpha: 0.2 };
  const first = statisticColumn(spec, residuals.subarray(0, 200));
  assert.deepEqual(statisticColumn(spec, residuals.subarray(200), first.state).values, statisticColumn(spec, residuals).values.subarray(200));
  const timeS = Float64Array.of(0, 1, 2, 10, 11);
  const gapped = statisticColumn(spec, Float64Array.of(1, 1, 1, 5, 5), NaN, { timeS, maxGapSeconds: 5 });
  assert.deepEqual(Array.from(gapped.values), [1, 1, 1, 5, 5]);
});

test("statisticSpec: CUSUM reference is median + k·1.4826·MAD of the non-idle finite training residuals; bad keys and auto are one-line errors", () => {
  const window = trainingWindow(2000, 8);
  const [residual] = window.residual;
  const [actual] = window.actual;
  const kept = Array.from(residual).filter((r, i) => !Number.isNaN(r) && actual[i] !== 0);
  assert.ok(kept.length < 2000 - 40);
  const center = npMedian(kept);
  const mad = npMedian(kept.map((r) => Math.abs(r - center)));
  assert.equal(cusumReference(residual, actual, 0.5), center + 0.5 * 1.4826 * mad);
  assert.deepEqual(statisticSpec({ statistic: "cusum" }, residual, actual), { type: "cusum", k_sigma: 0.5, reference: center + 0.5 * 1.4826 * mad });
  assert.deepEqual(statisticSpec({ statistic: "cusum", cusum_k: 1 }, residual, actual), { type: "cusum", k_sigma: 1, reference: center + 1 * 1.4826 * mad });
  assert.deepEqual(statisticSpec({}, residual, actual), { type: "residual" });
  assert.deepEqual(statisticSpec({ statistic: "ewma", ewma_alpha: 0.25 }, residual, actual), { type: "ewma", alpha: 0.25 });
  assert.equal(cusumReference(Float64Array.of(1, 2), Float64Array.of(0, 0), 0.5), 0);
  const oneLine = (message: RegExp) => (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n");
  assert.throws(() => statisticSpec({ statistic: "ewma", ewma_alpha: 0 }, residual, actual), oneLine(/^scoring\.ewma_alpha must be within 0 \(exclusive\) to 1, got 0$/));
  assert.throws(() => statisticSpec({ statistic: "cusum", cusum_k: -1 }, residual, actual), oneLine(/^scoring\.cusum_k must be at least 0, got -1$/));
  assert.throws(() => statisticSpec({ statistic: "auto" }, residual, actual), oneLine(/scoring\.statistic auto needs model selection/));
  // As thresholds.json records it: a bad entry names its key.
  const recorded = (value: unknown) => parseWithSchema(statisticSpecSchema, value, "thresholds.json x");
  assert.deepEqual(recorded({ type: "cusum", k_sigma: 0.5, reference: -1 }), { type: "cusum", k_sigma: 0.5, reference: -1 });
  assert.throws(() => recorded({ type: "ewma", alpha: 2 }), oneLine(/^thresholds\.json x: alpha must be within 0 \(exclusive\) to 1, got 2$/));
  assert.throws(() => recorded({ type: "ewm" }), oneLine(/type must be one of "residual", "ewma", "cusum", got "ewm" \(did you mean "ewma"\?\)/));
  assert.throws(() => recorded({ type: "cusum", k_sigma: 0.5 }), oneLine(/reference is required/));
});

test("calibration on the statistic equals calibrateAxis applied to the directly computed statistic; recorded in the thresholds", () => {
  const window = trainingWindow(5000, 21);
  const policy = { ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 98, maxc_percentile: 99.5 };
  const residualOnly = calibrateColumns(window, 2, policy);
  assert.deepEqual(residualOnly.x, calibrateAxis(window.residual[0], 2, policy));
  assert.equal("statistic" in residualOnly.x, false);

  const ewma = calibrateColumns(window, 2, policy, { statistic: "ewma", ewma_alpha: 0.1 });
  assert.deepEqual(ewma.x, { ...calibrateAxis(directEwma(window.residual[0], 0.1), 2, policy), statistic: { type: "ewma", alpha: 0.1 } });
  assert.ok(ewma.x.MinC < residualOnly.x.MinC, "the EWMA's spread is smaller than the residual's");

  const cusum = calibrateColumns(window, 2, policy, { statistic: "cusum", cusum_k: 0.5 });
  const reference = cusumReference(window.residual[0], window.actual[0], 0.5);
  assert.deepEqual(cusum.x, { ...calibrateAxis(directCusum(window.residual[0], reference), 2, policy), statistic: { type: "cusum", k_sigma: 0.5, reference } });

  // runLengthSummary counts runs of the recorded statistic.
  const [summary] = runLengthSummary(window, ewma);
  const runs: number[] = [];
  let length = 0;
  for (const value of [...directEwma(window.residual[0], 0.1), NaN]) {
    if (value >= ewma.x.MinC) length++;
    else if (length > 0) runs.push(length), (length = 0);
  }
  assert.equal(summary.alert_runs, runs.length);
  assert.equal(summary.alerts, runs.filter((r) => r >= ewma.x.T_long_steps).length);
});

/** A one-axis scoring model on residual = value (coef 0, intercept 0, time0 0). */
function oneAxisModel(statistic: StatisticSpec, t: { MinC: number; MaxC: number; T_long_steps: number; T_short_steps: number }, maxGapSeconds: number | null = null): ScoringModel {
  return {
    version: "v1",
    axes: ["x"],
    timeType: "float",
    time0: 0,
    coef: Float64Array.of(0),
    intercept: Float64Array.of(0),
    minC: Float64Array.of(t.MinC),
    maxC: Float64Array.of(t.MaxC),
    tLongSteps: Int32Array.of(t.T_long_steps),
    tShortSteps: Int32Array.of(t.T_short_steps),
    maxGapSeconds,
    statistics: [statistic],
  };
}

/** The last report of every event, sorted by level and start. */
function finalEvents(events: readonly ScoreEvent[]): ScoreEvent[] {
  const byKey = new Map<string, ScoreEvent>();
  for (const event of events) {
    const key = `${event.axis}|${event.level}|${event.started_at}`;
    byKey.delete(key);
    byKey.set(key, event);
  }
  return [...byKey.values()].sort((x, y) => x.level.localeCompare(y.level) || Number(x.started_at) - Number(y.started_at));
}

/** Scores in batches cut at `cuts`, the state passing through JSON as a checkpoint does. */
function scoreInBatches(m: ScoringModel, time: Float64Array, values: Float64Array, cuts: readonly number[]): { events: ScoreEvent[]; state: ScoreState; statistic: Float64Array } {
  let state = initialScoreState(m, "s");
  const events: ScoreEvent[] = [];
  const statistic = new Float64Array(time.length);
  const bounds = [0, ...cuts, time.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [from, to] = [bounds[k], bounds[k + 1]];
    const result = scoreBatch(m, state, { time: time.subarray(from, to), values: [values.subarray(from, to)] });
    state = JSON.parse(JSON.stringify(result.state)) as ScoreState;
    events.push(...result.events);
    statistic.set(result.statistics[0], from);
  }
  return { events, state, statistic };
}

for (const [name, options] of [
  ["ewma", { statistic: "ewma", ewma_alpha: 0.1 }],
  ["cusum", { statistic: "cusum", cusum_k: 0.5 }],
] as const) {
  test(`${name}: a +3σ step at a known index is caught after the predicted delay; events equal a direct computation`, () => {
    const policy = { ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 98, maxc_percentile: 99.5, alert_seconds_default: 6, error_seconds_default: 4 };
    const training = trainingWindow(20_000, 5);
    const thresholds = calibrateColumns(training, 2, policy, options).x;
    const spec = thresholds.statistic as StatisticSpec;
    assert.equal(spec.type, name);
    // Noise, then a step of +3σ for 80 samples from index 1000, then noise again.
    const noise = gaussian(99);
    const n = 2000;
    const step = 1000;
    const time = Float64Array.from({ length: n }, (_, i) => 1000 + i * 2);
    const values = Float64Array.from({ length: n }, (_, i) => noise() + (i >= step && i < step + 80 ? 3 : 0));
    const m = oneAxisModel(spec, thresholds);
    const scored = scoreInBatches(m, time, values, [step + 3]);
    const direct = name === "ewma" ? directEwma(values, 0.1) : directCusum(values, (spec as { reference: number }).reference);
    assert.deepEqual(scored.statistic, direct);
    const expected = referenceEvents(time, [direct], [{ axis: "x", coef: 0, intercept: 0, T_long_steps: thresholds.T_long_steps, T_short_steps: thresholds.T_short_steps, MinC: thresholds.MinC, MaxC: thresholds.MaxC }], 0).map((e) => ({
      ...e,
      model_version: "v1",
      stream: "s",
    }));
    assert.deepEqual(finalEvents(scored.events), expected);

    // The mean path after the step: EWMA z_k = 3·(1 − (1 − α)^k), CUSUM S_k = k·(3 − reference); the alert
    // fires T_long − 1 samples after the path crosses MinC (noise moves it by a few samples).
    const crossing =
      spec.type === "ewma" ? Math.ceil(Math.log(1 - thresholds.MinC / 3) / Math.log(1 - spec.alpha)) : Math.ceil(thresholds.MinC / (3 - (spec as { reference: number }).reference));
    const predicted = time[step + crossing - 1 + thresholds.T_long_steps - 1];
    const caught = finalEvents(scored.events).filter((e) => e.level === "alert" && Number(e.fired_at) >= time[step]);
    assert.ok(caught.length >= 1, `${name}: the step was not caught`);
    const delay = (Number(caught[0].fired_at) - predicted) / 2;
    assert.ok(Math.abs(delay) <= 3, `${name}: fired ${delay} samples from the predicted ${predicted}`);
    assert.ok(Number(caught[0].started_at) < time[step + 80], `${name}: the alert starts within the step`);
    // The peak reported is the statistic's, not the residual's.
    assert.ok(caught[0].peak_residual >= thresholds.MinC);
  });

  test(`${name}: batch invariance over random splits, the state a JSON round trip; old states without statistics start fresh`, () => {
    const training = trainingWindow(6000, 2);
    const thresholds = calibrateColumns(training, 2, { ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 90, alert_seconds_default: 4 }, options).x;
    const m = oneAxisModel(thresholds.statistic as StatisticSpec, thresholds, 30);
    const next = random(17);
    const noise = gaussian(4);
    let t = 0;
    const time = Float64Array.from({ length: 4000 }, () => (t += next() < 0.01 ? 60 : 2));
    const values = Float64Array.from({ length: 4000 }, (_, i) => (next() < 0.01 ? NaN : noise() + (Math.floor(i / 250) % 3 === 2 ? 2 : 0)));
    const whole = scoreInBatches(m, time, values, []);
    assert.ok(whole.events.length > 10, `only ${whole.events.length} events`);
    for (const size of [1, 7, 500, 0]) {
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        at += size > 0 ? size : 1 + Math.floor(next() * 300);
        if (at >= time.length) break;
        cuts.push(at);
      }
      const split = scoreInBatches(m, time, values, cuts);
      assert.deepEqual(finalEvents(split.events), finalEvents(whole.events), `batches of ${size || "random size"}`);
      assert.deepEqual(split.state, whole.state);
      assert.deepEqual(split.statistic, whole.statistic);
    }
    assert.equal(typeof whole.state.statistics?.[0], "number");
    // A state without `statistics` (an old checkpoint) scores like a fresh one.
    const { statistics: _, ...old } = initialScoreState(m, "s");
    const batch = { time: time.subarray(0, 100), values: [values.subarray(0, 100)] };
    assert.deepEqual(scoreBatch(m, old, batch), scoreBatch(m, initialScoreState(m, "s"), batch));
  });
}

for (const backend of BACKENDS) {
  test(`checkpoint round trip on ${backend.name}: a follower restarted from the saved state continues EWMA and CUSUM exactly`, async () => {
    const { db } = await backend.open();
    after(() => db.destroy());
    const training = trainingWindow(6000, 12);
    const noise = gaussian(31);
    const time = Float64Array.from({ length: 3000 }, (_, i) => 10_000 + i * 2);
    const values = Float64Array.from({ length: 3000 }, (_, i) => noise() + (i % 400 >= 300 ? 2.5 : 0));
    for (const options of [{ statistic: "ewma", ewma_alpha: 0.07 }, { statistic: "cusum", cusum_k: 0.5 }] as const) {
      const table = `events_${options.statistic}`;
      const thresholds = calibrateColumns(training, 2, { ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 95 }, options).x;
      const m = oneAxisModel(thresholds.statistic as StatisticSpec, thresholds);
      await ensureScoreTables(db, table, "float");
      const whole = scoreBatch(m, initialScoreState(m, "s"), { time, values: [values] });
      // Three polls, each restarting from the checkpoint the previous one committed.
      const events: ScoreEvent[] = [];
      let statistic: Float64Array[] = [];
      for (const [from, to] of [[0, 1111], [1111, 1112], [1112, 3000]]) {
        const state = (await loadCheckpoint(db, table, m, "s")) ?? initialScoreState(m, "s");
        const result = scoreBatch(m, state, { time: time.subarray(from, to), values: [values.subarray(from, to)] });
        await db.transaction().execute(async (trx) => {
          await writeEvents(trx, table, result.events);
          await saveCheckpoint(trx, table, m, result.state, time[to - 1]);
        });
        events.push(...result.events);
        statistic = [...statistic, result.statistics[0]];
      }
      const saved = await loadCheckpoint(db, table, m, "s");
      assert.deepEqual(saved, whole.state);
      assert.equal(typeof saved?.statistics?.[0], "number", "the statistic's state is checkpointed");
      assert.deepEqual(Float64Array.from(statistic.flatMap((column) => Array.from(column))), whole.statistics[0]);
      assert.ok(finalEvents(whole.events).length >= 4, `${options.statistic}: ${finalEvents(whole.events).length} events, ${JSON.stringify(thresholds)}`);
      assert.deepEqual(finalEvents(events), finalEvents(whole.events));
      // A checkpoint written before statistics existed loads with none yet.
      const { statistics: _, ...old } = whole.state;
      await saveCheckpoint(db, table, m, old as ScoreState, null);
      assert.deepEqual((await loadCheckpoint(db, table, m, "s"))?.statistics, [null]);
      const rows = (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(table)}`.execute(db)).rows;
      assert.equal(rows[0].n, finalEvents(whole.events).length);
    }
  });
}
