/**
 * `forEachRoundEvent` (a round's events read only around its injections) hands over every event that
 * can catch an injection, in the order a full scan of the round does: against `forEachAlertEvent` over
 * the whole round's statistic, computed from scratch, on windows with NaN, idle zeros and time gaps,
 * for residual, EWMA and CUSUM, with and without `max_gap_seconds`; and the clean statistic column it
 * writes while it scans is put back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CATCH_SECONDS } from "../lib/selection/detection";
import { planAnomalies, workingLevel, addAnomaly, type Injection } from "../lib/selection/injection";
import { forEachAlertEvent, type AlertLevel } from "../lib/selection/levelEvents";
import { forEachRoundEvent } from "../lib/selection/roundEvents";
import { statisticColumn, type StatisticSpec } from "../lib/model/statistic";
import { predictColumn } from "../lib/model/trendModel";
import { seededRandom } from "../lib/stats";
import type { AxisModel } from "../lib/shapes/types";

type Event = [level: number, startedAt: number, firedAt: number, endedAt: number | null];

/** `matchDetections`' rule: the event overlaps the injection or starts within CATCH_SECONDS after it. */
const catches = (injections: readonly Injection[], [, startedAt, , endedAt]: Event): boolean =>
  injections.some((j) => (startedAt <= j.end && (endedAt ?? Infinity) >= j.start) || (startedAt > j.end && startedAt - j.end <= CATCH_SECONDS));

/** One axis at about 1 s with gaps, a slow drift, noise, idle zeros and NaN. */
function axisWindow(n: number, seed: number): { timeS: Float64Array; values: Float64Array } {
  const random = seededRandom(seed);
  const timeS = new Float64Array(n);
  for (let i = 1; i < n; i++) timeS[i] = timeS[i - 1] + (random() < 0.003 ? 40 + 50 * random() : 0.9 + 0.2 * random());
  const values = Float64Array.from(timeS, (t) => {
    const u = random();
    if (u < 0.005) return NaN;
    if (u < 0.08) return 0;
    return 5 + 1e-4 * t + (random() - 0.5) * 2 + (random() < 0.01 ? 4 : 0);
  });
  return { timeS, values };
}

test("forEachRoundEvent hands over the full scan's catching events, in its order, and puts the clean statistic back", () => {
  const model: AxisModel = { axis: "a", coef: 1e-4, intercept: 5, samples_used: 1 } as AxisModel;
  // A slow EWMA and a CUSUM near its drift keep a round's state apart from the clean one's past the next injection.
  const specs: StatisticSpec[] = [{ type: "residual" }, { type: "ewma", alpha: 0.1 }, { type: "ewma", alpha: 0.002 }, { type: "cusum", k_sigma: 0.5, reference: 0.3 }, { type: "cusum", k_sigma: 0.5, reference: 0.02 }];
  let compared = 0;
  const caught = new Map<StatisticSpec, number>();
  for (const seed of [1, 2, 3]) {
    const { timeS, values } = axisWindow(6000, seed);
    const window = { timeS, axes: ["a"], values: [values] };
    const injections = planAnomalies(window, [workingLevel(values)], { seed, guardSeconds: CATCH_SECONDS });
    const round = Float64Array.from(values);
    for (const injection of injections) addAnomaly(round, injection);
    const residualsOf = (column: Float64Array): Float64Array => {
      const fit = predictColumn(model, timeS, column);
      return fit.map((f, i) => column[i] - f);
    };
    for (const spec of specs) {
      for (const maxGap of [null, 30]) {
        const clean = residualsOf(values);
        const statistic = Float64Array.from(statisticColumn(spec, clean, NaN, { timeS, maxGapSeconds: maxGap }).values);
        const before = Float64Array.from(statistic);
        // Levels across the clean statistic's own range (its 50th to 99.9th percentiles), one NaN.
        const sorted = statistic.filter(Number.isFinite).sort();
        const levels: AlertLevel[] = [0.5, 0.75, 0.9, 0.99, 0.999, NaN].map((q, k) => ({ minC: Number.isNaN(q) ? NaN : sorted[Math.floor(q * (sorted.length - 1))], tLongSteps: 1 + (k % 3) }));
        const full: Event[] = [];
        const roundStatistic = statisticColumn(spec, residualsOf(round), NaN, { timeS, maxGapSeconds: maxGap }).values;
        forEachAlertEvent(timeS, roundStatistic, levels, maxGap, (...event) => full.push(event));
        const read: Event[] = [];
        forEachRoundEvent({ timeS, values, residuals: clean, statistic }, injections, model, spec, maxGap, levels, (...event) => read.push(event));
        const expected = full.filter((event) => catches(injections, event));
        caught.set(spec, (caught.get(spec) ?? 0) + expected.length);
        assert.deepEqual(read.filter((event) => catches(injections, event)), expected, `seed ${seed}, ${spec.type}, max_gap ${maxGap}`);
        assert.deepEqual(statistic, before, "the clean statistic is put back");
        compared++;
      }
    }
  }
  assert.equal(compared, 30);
  for (const spec of specs) assert.ok((caught.get(spec) ?? 0) > 0, `${JSON.stringify(spec)}: some events catch an injection`);
});

test("forEachRoundEvent with no injection on the axis hands over nothing", () => {
  const { timeS, values } = axisWindow(500, 4);
  const statistic = Float64Array.from(values);
  let count = 0;
  forEachRoundEvent({ timeS, values, residuals: values, statistic }, [], { axis: "a", coef: 0, intercept: 0, samples_used: 1 } as AxisModel, { type: "residual" }, null, [{ minC: 1, tLongSteps: 1 }], () => count++);
  assert.equal(count, 0);
});
