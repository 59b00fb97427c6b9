/**
 * The fast sweep equals the reference, level by level: `detectionCurveAtOnce` (one calibration pass,
 * one scored statistic per window, every level's events in one pass) against `detectionAt` (calibrate
 * and score through `scoreBatch` per level), for every candidate model × statistic, with NaN, idle
 * zeros, time gaps larger than `scoring.max_gap_seconds` and several rounds (and `cleanAlarmsAtOnce`
 * against `cleanAlarms`); and `alertEventsAtLevels`
 * against the scorer's alert events (`alertEvents`) at each level.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { alertEvents, CANDIDATE_MODELS, CANDIDATE_STATISTICS, detectionCandidate } from "../lib/selection/candidates";
import { injectAnomalies, workingLevel } from "../lib/selection/injection";
import { alertEventsAtLevels } from "../lib/selection/levelEvents";
import { cleanAlarmsAtOnce, detectionCurveAtOnce } from "../lib/selection/levelSweep";
import { cleanAlarms, detectionAt, SWEEP_PERCENTILES, thresholdsAtLevel, type ValidationSetup } from "../lib/selection/sweep";
import { splitWindowAt } from "../lib/selection/validationSplit";
import { seededRandom } from "../lib/stats";
import { initialScoreState, scoreBatch, scoringModel } from "../lib/scoring/score";
import type { PreparedColumns } from "../lib/shapes/types";
import { testConfig } from "./support/databases";

/** Two axes at about 1 s with a few gaps of 40–90 s: a curved trend, two operating levels, noise, idle zeros and NaN. */
function window(n: number, seed: number): PreparedColumns {
  const random = seededRandom(seed);
  const timeS = new Float64Array(n);
  for (let i = 1; i < n; i++) timeS[i] = timeS[i - 1] + (random() < 0.002 ? 40 + 50 * random() : 0.9 + 0.2 * random());
  const values = [0, 1].map((a) =>
    Float64Array.from(timeS, (t, i) => {
      const u = random();
      if (u < 0.004) return NaN;
      if (u < 0.06) return 0;
      const level = Math.floor(i / 300) % 2 === 0 ? 4 : 9;
      return level + (a + 1) * 2e-4 * t + 3 * Math.sin(t / 2000) ** 2 + (random() - 0.5) * (1 + a) + (random() < 0.01 ? 3 : 0);
    }),
  );
  return { timeS, axes: ["a", "b"], values };
}

function setupOf(maxGapSeconds: number | null): ValidationSetup {
  const split = splitWindowAt(window(12_000, 7), 9_000);
  const levels = split.fit.values.map((values) => workingLevel(values));
  const injected = [1, 2].map((seed) => injectAnomalies(split.validation, levels, { seed, guardSeconds: 60 }));
  return { split, injected, dtSeconds: 1, policy: DEFAULT_THRESHOLD_POLICY, maxGapSeconds };
}

test("detectionCurveAtOnce equals detectionAt at every level, for every model × statistic, with and without max_gap_seconds", () => {
  const percentiles = [...SWEEP_PERCENTILES, 75, 33];
  for (const maxGap of [null, 30]) {
    const setup = setupOf(maxGap);
    const config = { ...testConfig(), scoring: { ...testConfig().scoring, max_gap_seconds: maxGap } };
    for (const model of CANDIDATE_MODELS) {
      for (const statistic of CANDIDATE_STATISTICS) {
        const fitted = detectionCandidate(model, statistic, config).fit(setup.split.fit);
        const clean = setup.split.validation.values.map((column) => Float64Array.from(column));
        const fast = detectionCurveAtOnce(fitted, setup, percentiles);
        // The pca sweep injects into the validation columns themselves: they must be put back as they were.
        assert.deepEqual(setup.split.validation.values, clean, `${model} + ${statistic}: validation columns unchanged`);
        const levels = [...new Set(percentiles)].sort((a, b) => a - b);
        assert.equal(fast.length, levels.length);
        levels.forEach((p, l) => assert.deepEqual(fast[l], detectionAt(fitted, setup, p), `${model} + ${statistic}, max_gap ${maxGap}, level ${p}`));
        const some = [99.5, 12.34, 80, 99.5];
        assert.deepEqual(cleanAlarmsAtOnce(fitted, setup, some), some.map((p) => cleanAlarms(fitted, setup, p)), `${model} + ${statistic}: clean alarms`);
      }
    }
  }
});

test("alertEventsAtLevels raises the scorer's alert events at each level", () => {
  for (const maxGap of [null, 30]) {
    const setup = setupOf(maxGap);
    const config = { ...testConfig(), scoring: { ...testConfig().scoring, max_gap_seconds: maxGap } };
    const fitted = detectionCandidate("per_mode", "ewma", config).fit(setup.split.fit);
    const { timeS } = setup.split.validation;
    const values = setup.injected[0].values;
    const byLevel = [50, 90, 99, 100].map((p) => thresholdsAtLevel(fitted, setup, p));
    setup.split.fit.axes.forEach((axis, a) => {
      // The scorer's statistic for this axis: its own events at the lowest level raise one per run.
      const scored = alertEvents(fitted, byLevel[0], timeS, values, maxGap);
      assert.ok(scored.some((event) => event.axis === axis), "the lowest level raises events");
      const statistic = statisticOfScorer(fitted, byLevel[0], timeS, values, a, maxGap);
      const fast = alertEventsAtLevels(axis, timeS, statistic, byLevel.map((t) => ({ minC: t[axis].MinC, tLongSteps: t[axis].T_long_steps })), maxGap);
      byLevel.forEach((thresholds, l) => {
        const expected = alertEvents(fitted, thresholds, timeS, values, maxGap).filter((event) => event.axis === axis);
        const order = (events: readonly { started_at: number }[]) => [...events].sort((x, y) => x.started_at - y.started_at);
        assert.deepEqual(fast[l], order(expected), `axis ${axis}, max_gap ${maxGap}, level ${l}`);
      });
    });
  }
});

/** The statistic `scoreBatch` compares with MinC on axis `a` (its `statistics` column). */
function statisticOfScorer(
  fitted: ReturnType<ReturnType<typeof detectionCandidate>["fit"]>,
  thresholds: Parameters<typeof alertEvents>[1],
  timeS: Float64Array,
  values: readonly Float64Array[],
  a: number,
  maxGapSeconds: number | null,
): Float64Array {
  const version = { version: "v", models: fitted.models, thresholds, prepStats: { time0: 0, time_type: "float" } } as never;
  const model = scoringModel(version, { maxGapSeconds });
  return scoreBatch(model, initialScoreState(model, "s"), { time: timeS, values }).statistics[a];
}
