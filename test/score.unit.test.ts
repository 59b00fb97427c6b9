/** The pure incremental scorer (lib/score.ts): semantics, batch invariance, calibration agreement, bad input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { InputError } from "../lib/core/errors";
import * as dfd from "danfojs-node";
import type { LoadedVersion } from "../lib/registry";
import { initialScoreState, scoreBatch, type ScoreEvent, type ScoreState, type ScoringModel } from "../lib/scoring/score";
import { score } from "../lib/scoring/scoreFrame";
import { calibrateAxis, runLengths } from "../lib/stages/thresholds";
import { referenceEvents } from "./support/scoreReference";
import { seededRandom } from "../lib/stats/seededRandom";

/** A one- or two-axis model with the given thresholds. */
function model(overrides: Partial<ScoringModel> = {}): ScoringModel {
  return {
    version: "v1",
    axes: ["a", "b"],
    timeType: "float",
    time0: 100,
    coef: Float64Array.of(0.5, 0),
    intercept: Float64Array.of(1, 0),
    minC: Float64Array.of(1, 1),
    maxC: Float64Array.of(3, 3),
    tLongSteps: Int32Array.of(3, 3),
    tShortSteps: Int32Array.of(2, 2),
    maxGapSeconds: null,
    ...overrides,
  };
}

/** The last report of every event (keyed by axis, level, started_at), in first-report order. */
function finalEvents(events: readonly ScoreEvent[]): ScoreEvent[] {
  const byKey = new Map<string, ScoreEvent>();
  for (const event of events) {
    const key = `${event.axis}|${event.level}|${event.started_at}`;
    byKey.delete(key);
    byKey.set(key, event);
  }
  return [...byKey.values()].sort((x, y) => x.axis.localeCompare(y.axis) || x.level.localeCompare(y.level) || Number(x.started_at) - Number(y.started_at));
}

/** Scores `time`/`values` in batches cut at `cuts`; returns every report and the final state. */
function scoreInBatches(m: ScoringModel, time: Float64Array, values: readonly Float64Array[], cuts: readonly number[]): { events: ScoreEvent[]; state: ScoreState; residuals: Float64Array[] } {
  let state = initialScoreState(m, "s");
  const events: ScoreEvent[] = [];
  const residuals = m.axes.map(() => new Float64Array(time.length));
  const bounds = [0, ...cuts, time.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [from, to] = [bounds[k], bounds[k + 1]];
    const result = scoreBatch(m, state, { time: time.subarray(from, to), values: values.map((v) => v.subarray(from, to)) });
    // The state is checkpointed as JSON: what comes back must score the same.
    state = JSON.parse(JSON.stringify(result.state)) as ScoreState;
    events.push(...result.events);
    result.residuals.forEach((r, a) => residuals[a].set(r, from));
  }
  return { events, state, residuals };
}

/** Deterministic pseudo-random numbers (mulberry32). */
const random = seededRandom;

/** A noisy two-axis series with bursts above the thresholds, NaNs and gaps. */
function series(n: number, seed: number): { time: Float64Array; values: Float64Array[] } {
  const next = random(seed);
  const time = new Float64Array(n);
  let t = 100;
  for (let i = 0; i < n; i++) {
    t += next() < 0.02 ? 30 : 0.5 + next() * 0.1;
    time[i] = t;
  }
  const values = [0, 1].map((a) =>
    Float64Array.from(time, (ti) => {
      const line = a === 0 ? (ti - 100) * 0.5 + 1 : 0;
      const u = next();
      if (u < 0.01) return NaN;
      return line + (u < 0.5 ? 0.5 : u < 0.8 ? 2 : 4) * next() * 2;
    }),
  );
  return { time, values };
}

test("an alert fires at the sustain step and closes at the last sample of the run; error likewise", () => {
  const m = model();
  const time = Float64Array.of(100, 101, 102, 103, 104, 105, 106);
  // axis a: pred = 0.5·(t − 100) + 1
  const residualA = [0, 1.5, 3.5, 3, 2, 0.25, 1];
  const a = Float64Array.from(time, (t, i) => residualA[i] + (0.5 * (t - 100) + 1));
  const b = new Float64Array(7);
  const { events, residuals } = scoreBatch(m, initialScoreState(m, "robot-7"), { time, values: [a, b] });
  assert.deepEqual(Array.from(residuals[0]), residualA);
  assert.deepEqual(events, [
    { axis: "a", level: "error", started_at: 102, fired_at: 103, ended_at: 103, samples: 2, peak_residual: 3.5, threshold: 3, model_version: "v1", stream: "robot-7" },
    { axis: "a", level: "alert", started_at: 101, fired_at: 103, ended_at: 104, samples: 4, peak_residual: 3.5, threshold: 1, model_version: "v1", stream: "robot-7" },
  ]);
});

test("an open event is reported with ended_at null (as of firing), then again when it closes", () => {
  const m = model();
  const time = Float64Array.of(100, 101, 102, 103, 104);
  const b = Float64Array.of(2, 2, 5, 2, 0);
  const a = Float64Array.from(time, (t) => 0.5 * (t - 100) + 1);
  const first = scoreBatch(m, initialScoreState(m, "s"), { time: time.subarray(0, 4), values: [a.subarray(0, 4), b.subarray(0, 4)] });
  assert.deepEqual(first.events, [
    { axis: "b", level: "alert", started_at: 100, fired_at: 102, ended_at: null, samples: 3, peak_residual: 5, threshold: 1, model_version: "v1", stream: "s" },
  ]);
  assert.deepEqual(first.state.runs[2], { axis: "b", level: "alert", length: 4, started_at: 100, fired_at: 102, peak_residual: 5 });
  const second = scoreBatch(m, first.state, { time: time.subarray(4), values: [a.subarray(4), b.subarray(4)] });
  assert.deepEqual(second.events, [
    { axis: "b", level: "alert", started_at: 100, fired_at: 102, ended_at: 103, samples: 4, peak_residual: 5, threshold: 1, model_version: "v1", stream: "s" },
  ]);
});

test("scoreBatch is pure: the state given is not changed", () => {
  const m = model();
  const state = initialScoreState(m, "s");
  const before = JSON.stringify(state);
  scoreBatch(m, state, { time: Float64Array.of(1, 2, 3), values: [Float64Array.of(9, 9, 9), Float64Array.of(9, 9, 9)] });
  assert.equal(JSON.stringify(state), before);
});

test("batch invariance: random batch splits give exactly the events and state of one pass", () => {
  const m = model();
  for (const seed of [1, 2, 3]) {
    const { time, values } = series(3000, seed);
    const whole = scoreInBatches(m, time, values, []);
    assert.ok(whole.events.length > 20, `seed ${seed}: only ${whole.events.length} events`);
    const next = random(seed * 7919);
    for (const size of [1, 7, 1000, 0]) {
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        at += size > 0 ? size : 1 + Math.floor(next() * 200);
        if (at >= time.length) break;
        cuts.push(at);
      }
      const split = scoreInBatches(m, time, values, cuts);
      assert.deepEqual(finalEvents(split.events), finalEvents(whole.events), `seed ${seed}, batches of ${size || "random size"}`);
      assert.deepEqual(split.state, whole.state);
      assert.deepEqual(split.residuals, whole.residuals);
      // Every closed event is reported exactly once, whatever the split.
      const closed = (events: ScoreEvent[]) => events.filter((e) => e.ended_at !== null);
      assert.deepEqual(closed(split.events).length, closed(whole.events).length);
    }
  }
});

test("events equal an independent whole-array computation, with and without max_gap_seconds", () => {
  for (const maxGap of [null, 5]) {
    const m = model({ maxGapSeconds: maxGap });
    const { time, values } = series(5000, 11);
    const axes = m.axes.map((axis, a) => ({
      axis,
      coef: m.coef[a],
      intercept: m.intercept[a],
      MinC: m.minC[a],
      MaxC: m.maxC[a],
      T_long_steps: m.tLongSteps[a],
      T_short_steps: m.tShortSteps[a],
    }));
    const expected = referenceEvents(time, values, axes, m.time0, maxGap).map((e) => ({ ...e, model_version: "v1", stream: "s" }));
    const got = finalEvents(scoreInBatches(m, time, values, [1234, 1235, 4000]).events);
    assert.ok(expected.length > 50);
    assert.deepEqual(got, expected.sort((x, y) => x.axis.localeCompare(y.axis) || x.level.localeCompare(y.level) || x.started_at - y.started_at));
  }
});

test("max_gap_seconds ends a run across a larger gap; by default a gap does not", () => {
  const time = Float64Array.of(100, 101, 150, 151);
  const values = [new Float64Array(4), Float64Array.of(2, 2, 2, 2)];
  const m = model({ tLongSteps: Int32Array.of(3, 3) });
  const together = scoreBatch(m, initialScoreState(m, "s"), { time, values }).events.filter((e) => e.level === "alert");
  assert.deepEqual(together.map((e) => [e.started_at, e.fired_at, e.ended_at]), [[100, 150, null]]);
  const gapped = model({ tLongSteps: Int32Array.of(2, 2), maxGapSeconds: 10 });
  const split = scoreBatch(gapped, initialScoreState(gapped, "s"), { time, values }).events.filter((e) => e.level === "alert");
  assert.deepEqual(split.map((e) => [e.started_at, e.fired_at, e.ended_at, e.samples]), [[100, 101, 101, 2], [150, 151, null, 2]]);
});

test("a NaN value ends the run of its axis only", () => {
  const m = model({ tLongSteps: Int32Array.of(2, 2) });
  const time = Float64Array.of(100, 101, 102, 103);
  const a = Float64Array.from(time, (t) => 0.5 * (t - 100) + 1 + 2);
  a[2] = NaN;
  const b = Float64Array.of(2, 2, 2, 2);
  const events = scoreBatch(m, initialScoreState(m, "s"), { time, values: [a, b] }).events.filter((e) => e.level === "alert");
  assert.deepEqual(events.map((e) => [e.axis, e.started_at, e.ended_at]), [["a", 100, 101], ["b", 100, null]]);
});

test("timestamp models report ISO-8601 UTC times with microseconds", () => {
  const m = model({ timeType: "timestamptz", time0: 1666000000, tLongSteps: Int32Array.of(1, 1) });
  const time = Float64Array.of(1666000000.25, 1666000001.000001);
  const { events } = scoreBatch(m, initialScoreState(m, "s"), { time, values: [new Float64Array(2), Float64Array.of(2, 0)] });
  assert.deepEqual(events.map((e) => [e.started_at, e.ended_at]), [["2022-10-17T09:46:40.250000Z", "2022-10-17T09:46:40.250000Z"]]);
  const naive = model({ timeType: "timestamp", time0: 0, tLongSteps: Int32Array.of(1, 1) });
  const open = scoreBatch(naive, initialScoreState(naive, "s"), { time: Float64Array.of(0.5), values: [new Float64Array(1), Float64Array.of(2)] });
  assert.equal(open.events[0].fired_at, "1970-01-01T00:00:00.500000");
});

test("out-of-order and duplicated times are rejected naming the sample, within a batch and against the state", () => {
  const m = model();
  const values = (n: number) => [new Float64Array(n), new Float64Array(n)];
  const start = initialScoreState(m, "robot-7");
  assert.throws(() => scoreBatch(m, start, { time: Float64Array.of(1, 2, 2), values: values(3) }), (e: unknown) => e instanceof InputError && /sample 2 of stream "robot-7" at 2 duplicates the previous sample at 2/.test(e.message));
  assert.throws(() => scoreBatch(m, start, { time: Float64Array.of(1, 3, 2), values: values(3) }), (e: unknown) => e instanceof InputError && /sample 2 .* at 2 is before the previous sample at 3/.test(e.message));
  const after = scoreBatch(m, start, { time: Float64Array.of(1, 5), values: values(2) }).state;
  assert.throws(() => scoreBatch(m, after, { time: Float64Array.of(5), values: values(1) }), (e: unknown) => e instanceof InputError && /sample 0 .* duplicates the previous sample at 5/.test(e.message));
  assert.throws(() => scoreBatch(m, after, { time: Float64Array.of(NaN), values: values(1) }), /sample 0 .* has no valid time/);
  assert.throws(() => scoreBatch(m, start, { time: Float64Array.of(1), values: [new Float64Array(1)] }), /expected 2 value columns \(a, b\), got 1/);
  const stamped = model({ timeType: "timestamptz" });
  assert.throws(() => scoreBatch(stamped, start, { time: Float64Array.of(1666000000, 1666000000), values: values(2) }), /at 2022-10-17T09:46:40.000000Z duplicates/);
});

test("replaying a calibration window: alert events are exactly the alert runs ≥ T_long_steps that calibration counted", () => {
  const { time, values } = series(4000, 5);
  const residual = Float64Array.from(time, (t, i) => values[1][i] - ((t - 100) * 0 + 0));
  const thresholds = calibrateAxis(residual, 0.55, { ...DEFAULT_THRESHOLD_POLICY, alert_seconds_default: 1, error_seconds_default: 0.5 });
  const m = model({
    axes: ["b"],
    coef: Float64Array.of(0),
    intercept: Float64Array.of(0),
    minC: Float64Array.of(thresholds.MinC),
    maxC: Float64Array.of(thresholds.MaxC),
    tLongSteps: Int32Array.of(thresholds.T_long_steps),
    tShortSteps: Int32Array.of(thresholds.T_short_steps),
  });
  const events = finalEvents(scoreInBatches(m, time, [values[1]], [999, 2000]).events);
  for (const [level, threshold, steps] of [["alert", thresholds.MinC, thresholds.T_long_steps], ["error", thresholds.MaxC, thresholds.T_short_steps]] as const) {
    const counted = Array.from(runLengths(residual, threshold)).filter((length) => length >= steps);
    const mine = events.filter((e) => e.level === level);
    assert.ok(counted.length > 3, `${level}: ${counted.length} runs`);
    assert.deepEqual(mine.map((e) => (e.ended_at === null ? -1 : e.samples)), counted.map((length, k) => (k === counted.length - 1 && mine.at(-1)?.ended_at === null ? -1 : length)));
  }
});

test("score(frame, version): the danfo stage gives the scorer's residuals and events, timestamps as ISO text", () => {
  const policy = DEFAULT_THRESHOLD_POLICY;
  const axis = (MinC: number, MaxC: number) => ({ MinC, MaxC, T_long_steps: 2, T_short_steps: 1, dt_seconds: 1, policy, meta: { method: "x" } });
  const version = {
    version: "v9",
    models: { type: "linear", models: [{ axis: "m1", coef: 0, intercept: 1, samples_used: 3 }, { axis: "m2", coef: 1, intercept: 0, samples_used: 3 }] },
    thresholds: { m1: axis(1, 2), m2: axis(10, 20) },
    prepStats: { time0: 1666000000, time_col: "ts", time_type: "timestamptz", dt_seconds: 1, interpolate: false },
  } as unknown as LoadedVersion;
  const frame = new dfd.DataFrame({
    ts: ["2022-10-17T09:46:40.000000Z", "2022-10-17T09:46:41.000000Z", "2022-10-17T09:46:42.500000Z", "2022-10-17T09:46:43.000000Z"],
    extra: [7, 7, 7, 7],
    m2: [0, 1, 2.5, 3],
    m1: [2, 3.5, 1, 0],
  });
  const { residuals, events, state } = score(frame, version, { stream: "nb" });
  assert.deepEqual(residuals.columns, ["ts", "m1_res", "m2_res"]);
  assert.deepEqual(residuals.column("m1_res").values, [1, 2.5, 0, -1]);
  assert.deepEqual(residuals.column("m2_res").values, [0, 0, 0, 0]);
  assert.deepEqual(events.map((e) => [e.axis, e.level, e.started_at, e.ended_at, e.samples]), [
    ["m1", "alert", "2022-10-17T09:46:40.000000Z", "2022-10-17T09:46:41.000000Z", 2],
    ["m1", "error", "2022-10-17T09:46:41.000000Z", "2022-10-17T09:46:41.000000Z", 1],
  ]);
  assert.equal(state.stream, "nb");
  assert.throws(() => score(frame.drop({ columns: ["m2"] }), version), /score: model v9 needs column "m2"/);
});

test("a version scored on EWMA/CUSUM: scoringModel reads each axis's statistic (absent: residual); score() returns its values and runs on them", () => {
  const policy = DEFAULT_THRESHOLD_POLICY;
  const axis = (MinC: number, MaxC: number, statistic?: unknown) => ({ MinC, MaxC, T_long_steps: 2, T_short_steps: 2, dt_seconds: 1, policy, meta: { method: "x" }, ...(statistic ? { statistic } : {}) });
  const version = {
    version: "v3",
    models: { type: "linear", models: ["e", "c", "r"].map((name) => ({ axis: name, coef: 0, intercept: 0, samples_used: 3 })) },
    thresholds: { e: axis(1, 5, { type: "ewma", alpha: 0.5 }), c: axis(1, 5, { type: "cusum", k_sigma: 0.5, reference: 0.5 }), r: axis(1, 5) },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
  } as unknown as LoadedVersion;
  const frame = new dfd.DataFrame({ ts: [1, 2, 3, 4, 5], e: [0, 2, 2, NaN, 0], c: [0, 1, 1, 1, -1], r: [0, 2, 2, 2, 0] });
  const { statistics, residuals, events, state } = score(frame, version, { stream: "nb" });
  assert.deepEqual(statistics.columns, ["ts", "e_stat", "c_stat", "r_stat"]);
  // EWMA 0.5: 0, 1, 1.5, NaN (state kept), 0.75; CUSUM (ref 0.5): 0, 0.5, 1, 1.5, 0; residual as is.
  assert.deepEqual(statistics.column("e_stat").values, [0, 1, 1.5, NaN, 0.75]);
  assert.deepEqual(statistics.column("c_stat").values, [0, 0.5, 1, 1.5, 0]);
  assert.deepEqual(statistics.column("r_stat").values, residuals.column("r_res").values);
  assert.deepEqual(
    events.map((e) => [e.axis, e.level, e.started_at, e.ended_at, e.samples, e.peak_residual]),
    [
      ["e", "alert", 2, 3, 2, 1.5],
      ["c", "alert", 3, 4, 2, 1.5],
      ["r", "alert", 2, 4, 3, 2],
    ],
  );
  assert.deepEqual(state.statistics, [0.75, 0, null]);
});
