/**
 * A fitted candidate measured at every alert level at once: the same points
 * as `detectionAt` (lib/selection/sweep.ts) at each level, which calibrates
 * and scores the whole validation part and its injected copies again per
 * level. Here, per axis: one calibration pass for all levels
 * (`calibrateLevels`), the scorer's statistic of each window computed once
 * (the residuals once per trend, shared by the candidates that differ only in
 * statistic), and every level's alert events read from it in one pass
 * (`alertEventsAtLevels`). Nothing is copied per level or round.
 */
import type { FittedCandidate } from "./candidates";
import { detectionSummary, eventsPerHour, matchDetections, type DetectionEvent } from "./detection";
import { alertEventsAtLevels } from "./levelEvents";
import { calibrateLevels } from "../stages/calibrateLevels";
import { detectionAt, policyAtLevel, validationSeconds, type DetectionPoint, type ValidationSetup } from "./sweep";
import { recordedStatistic, statisticColumn, type StatisticSpec } from "../model/statistic";
import { predictColumn } from "../model/trendModel";
import type { AxisModel, AxisThresholds } from "../shapes/types";

/** Per setup, the residuals of an axis's trend on each window (clean, then the rounds), while the trend lives. */
const residualsOf = new WeakMap<ValidationSetup, WeakMap<AxisModel, Float64Array[]>>();

/**
 * The scorer's residuals of one axis's trend on `values`: `value − trend(t − time0)` with time0 = 0
 * (the prepared time is already time_s), which is `predictColumn`'s `value − trend(t)` operation for
 * operation (the scorer computes them in training's order; test/levelSweep.test.ts holds them equal).
 */
function scoredResiduals(model: AxisModel, timeS: Float64Array, values: Float64Array): Float64Array {
  const residual = predictColumn(model, timeS, values);
  for (let i = 0; i < residual.length; i++) residual[i] = values[i] - residual[i];
  return residual;
}

/** The statistic of `spec` the scorer compares with MinC on window `w` of axis `a`, from a fresh state. */
function scoredStatistic(model: AxisModel, w: number, windows: readonly (readonly Float64Array[])[], a: number, spec: StatisticSpec, setup: ValidationSetup): Float64Array {
  const timeS = setup.split.validation.timeS;
  let bySetup = residualsOf.get(setup);
  if (bySetup === undefined) residualsOf.set(setup, (bySetup = new WeakMap()));
  let residuals = bySetup.get(model);
  if (residuals === undefined) bySetup.set(model, (residuals = []));
  residuals[w] ??= scoredResiduals(model, timeS, windows[w][a]);
  // As scoreBatch steps it: NaN for a missing residual (state kept), a reset after a gap larger than maxGapSeconds.
  return statisticColumn(spec, residuals[w], NaN, { timeS, maxGapSeconds: setup.maxGapSeconds }).values;
}

/**
 * `percentiles` (deduplicated, ascending) mapped to `detectionAt(fitted, setup, percentile)`, equal
 * field for field. A candidate whose recorded statistic changes with the level is measured by
 * `detectionAt` itself.
 *
 * @example
 * const curve = detectionCurveAtOnce(candidate.fit(setup.split.fit), setup, SWEEP_PERCENTILES);
 */
export function detectionCurveAtOnce(fitted: FittedCandidate, setup: ValidationSetup, percentiles: readonly number[]): DetectionPoint[] {
  const levels = [...new Set(percentiles)].sort((a, b) => a - b);
  const policies = levels.map((percentile) => policyAtLevel(setup.policy, percentile));
  const { axes } = setup.split.fit;
  const thresholds: AxisThresholds[][] = axes.map((_axis, a) => calibrateLevels(fitted.calibration[a], setup.dtSeconds, policies).map((c) => fitted.thresholds(a, c)));
  const specs = thresholds.map((byLevel) => recordedStatistic(byLevel[0]));
  const sameSpec = thresholds.every((byLevel, a) => byLevel.every((t) => JSON.stringify(recordedStatistic(t)) === JSON.stringify(specs[a])));
  if (!sameSpec || fitted.models.models.length !== axes.length) return levels.map((percentile) => detectionAt(fitted, setup, percentile));

  const windows = [setup.split.validation.values, ...setup.injected.map((round) => round.values)];
  // events[w][level]: alert events of window w (0 clean, then the rounds) at each level, all axes.
  const events: DetectionEvent[][][] = windows.map(() => levels.map(() => []));
  axes.forEach((axis, a) => {
    const model = fitted.models.models[a];
    const alertLevels = thresholds[a].map((t) => ({ minC: t.MinC, tLongSteps: t.T_long_steps }));
    windows.forEach((_values, w) => {
      const statistic = scoredStatistic(model, w, windows, a, specs[a], setup);
      alertEventsAtLevels(axis, setup.split.validation.timeS, statistic, alertLevels, setup.maxGapSeconds).forEach((found, l) => {
        for (const event of found) events[w][l].push(event);
      });
    });
  });
  const seconds = validationSeconds(setup);
  return levels.map((percentile, l) => {
    const falseAlarms = events[0][l].length;
    const summary = detectionSummary(setup.injected.flatMap((round, r) => matchDetections(events[r + 1][l], round.injections)));
    return {
      minc_percentile: percentile,
      false_alarms: falseAlarms,
      false_alarms_per_hour: eventsPerHour(falseAlarms, seconds),
      caught: summary.caught,
      injected: summary.injected,
      recall: summary.recall,
      median_delay_seconds: summary.median_delay_seconds,
      by_label: summary.by_label,
    };
  });
}
