/**
 * A fitted candidate measured at every alert level at once: the same points
 * as `detectionAt` (lib/selection/sweep.ts) at each level, which calibrates
 * and scores the whole validation part and its injected copies again per
 * level. Here, per axis: one calibration pass for all levels
 * (`calibrateLevels`), the scorer's statistic of each window computed once
 * (the clean residuals once per trend, shared by the candidates that differ
 * only in statistic), every level's alert events read from it in one pass
 * (`alertEventsAtLevels`), and a round's events read only around its
 * injections, where it can differ from the clean window
 * (lib/selection/roundEvents.ts). Nothing is copied per level or round.
 */
import { alertEvents, type FittedCandidate } from "./candidates";
import { CATCH_SECONDS, detectionSummary, eventsPerHour, matchDetections, type DetectionEvent, type InjectionOutcome } from "./detection";
import { addAnomaly, type Injection } from "./injection";
import { forEachAlertEvent } from "./levelEvents";
import { forEachRoundEvent } from "./roundEvents";
import { calibrateLevels } from "../stages/calibrateLevels";
import { cleanAlarms, detectionAt, policyAtLevel, validationSeconds, type DetectionPoint, type ValidationSetup } from "./sweep";
import { recordedStatistic, statisticColumn } from "../model/statistic";
import { predictColumn } from "../model/trendModel";
import type { AxisModel, AxisThresholds, ThresholdPolicy } from "../shapes/types";

/** Per setup, the sweep's scratch columns (as long as the validation part), reused by every candidate swept on it. */
const scratchOf = new WeakMap<ValidationSetup, Scratch>();

/**
 * Lets the scratch columns kept for `setup` go (runSelection calls it when done).
 *
 * @example
 * forgetResiduals(setup);
 */
export function forgetResiduals(setup: ValidationSetup): void {
  scratchOf.delete(setup);
}

/**
 * The scorer's residuals of one axis's trend on `values`, into `into`: `value − trend(t − time0)` with
 * time0 = 0 (the prepared time is already time_s), which is `predictColumn`'s `value − trend(t)`
 * operation for operation (the scorer computes them in training's order; test/levelSweep.test.ts holds
 * them equal).
 */
function scoredResiduals(model: AxisModel, timeS: Float64Array, values: Float64Array, into: Float64Array): Float64Array {
  const residual = predictColumn(model, timeS, values, into);
  for (let i = 0; i < residual.length; i++) residual[i] = values[i] - residual[i];
  return residual;
}

/** Scratch columns of one sweep, as long as the validation part: the clean window's residuals of one axis, and their statistic (for a residual spec, unused). */
interface Scratch {
  readonly clean: Float64Array;
  readonly round: Float64Array;
}

/** What {@link eventsByLevel} finds: per level, the alert events on the clean validation part (counted), and per round the ones that can catch its injections. */
export interface LevelEvents {
  /** `clean[level]`: alert events on the clean validation part, all axes. */
  readonly clean: readonly number[];
  /**
   * `rounds[r][level]`: round r's alert events, all axes, that catch at least one of its injections on
   * their axis (the only ones `matchDetections` reads), per axis in the order they start.
   */
  readonly rounds: readonly (readonly DetectionEvent[])[][];
}

/** Whether an event on an axis catches at least one of `injections` (that axis's), by `matchDetections`' rule. */
function catchesAny(injections: readonly Injection[], startedAt: number, endedAt: number | null): boolean {
  const ended = endedAt ?? Infinity;
  for (const injection of injections) {
    if ((startedAt <= injection.end && ended >= injection.start) || (startedAt > injection.end && startedAt - injection.end <= CATCH_SECONDS)) return true;
  }
  return false;
}

/**
 * Alert events of every window (the clean validation part, then the first `windowCount − 1`
 * rounds) at every level (`policies`), all axes (see {@link LevelEvents}: the clean part's counted,
 * a round's kept only when they can catch one of its injections, so that the many events of the
 * low levels are not held); null when the candidate's recorded statistic changes with the level
 * (the caller then measures level by level).
 */
function eventsByLevel(fitted: FittedCandidate, setup: ValidationSetup, policies: readonly ThresholdPolicy[], windowCount: number): LevelEvents | null {
  // A pca candidate is scored on T²/SPE at its own limits (the same at every level): the per-level path.
  if (fitted.pca !== undefined) return null;
  const { axes } = setup.split.fit;
  const thresholds: AxisThresholds[][] = axes.map((_axis, a) => calibrateLevels(fitted.calibration[a], setup.dtSeconds, policies).map((c) => fitted.thresholds(a, c)));
  const specs = thresholds.map((byLevel) => recordedStatistic(byLevel[0]));
  const sameSpec = thresholds.every((byLevel, a) => byLevel.every((t) => JSON.stringify(recordedStatistic(t)) === JSON.stringify(specs[a])));
  if (!sameSpec || fitted.models.models.length !== axes.length) return null;
  const windows = [setup.split.validation.values, ...setup.injected.map((round) => round.values)].slice(0, windowCount);
  const clean = policies.map(() => 0);
  const rounds: DetectionEvent[][][] = windows.slice(1).map(() => policies.map(() => []));
  const { timeS } = setup.split.validation;
  let scratch = scratchOf.get(setup);
  if (scratch === undefined) scratchOf.set(setup, (scratch = { clean: new Float64Array(timeS.length), round: new Float64Array(timeS.length) }));
  const columns = scratch;
  axes.forEach((axis, a) => {
    const alertLevels = thresholds[a].map((t) => ({ minC: t.MinC, tLongSteps: t.T_long_steps }));
    // The clean window's residuals of this axis, predicted again per candidate (not kept per trend): every window's statistic starts from them.
    const model = fitted.models.models[a];
    scoredResiduals(model, timeS, windows[0][a], columns.clean);
    // The clean window's statistic (into the round column, or the residuals themselves): kept while the rounds are read from it.
    const statistic = statisticColumn(specs[a], columns.clean, NaN, { timeS, maxGapSeconds: setup.maxGapSeconds, into: columns.round }).values;
    forEachAlertEvent(timeS, statistic, alertLevels, setup.maxGapSeconds, (l) => clean[l]++);
    const cleanAxis = { timeS, values: windows[0][a], residuals: columns.clean, statistic };
    windows.forEach((_values, w) => {
      if (w === 0) return;
      const injections = setup.injected[w - 1].injections.filter((injection) => injection.axis === axis);
      const kept: DetectionEvent[][] = alertLevels.map(() => []);
      // Only where the round differs from the clean window (lib/selection/roundEvents.ts): the same events that can catch one.
      forEachRoundEvent(cleanAxis, injections, model, specs[a], setup.maxGapSeconds, alertLevels, (l, startedAt, firedAt, endedAt) => {
        if (catchesAny(injections, startedAt, endedAt)) kept[l].push({ axis, started_at: startedAt, fired_at: firedAt, ended_at: endedAt });
      });
      // alertEventsAtLevels' order (by start, stable), then after the earlier axes' events.
      kept.forEach((found, l) => {
        found.sort((x, y) => x.started_at - y.started_at);
        for (const event of found) rounds[w - 1][l].push(event);
      });
    });
  });
  return { clean, rounds };
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
  if (fitted.pca !== undefined) return pcaCurve(fitted, setup, levels);
  const events = eventsByLevel(fitted, setup, levels.map((percentile) => policyAtLevel(setup.policy, percentile)), 1 + setup.injected.length);
  if (events === null) return levels.map((percentile) => detectionAt(fitted, setup, percentile));
  return pointsOf(events, levels, setup);
}

/**
 * A pca candidate's points: it is scored at its own limits, the same at every level (see
 * `thresholdsAtLevel`), so `detectionAt` is the same point at every level but for `minc_percentile`:
 * measured once (the clean part and each round scored once, the round's columns in scratch columns
 * reused from round to round instead of a kept copy per round).
 */
function pcaCurve(fitted: FittedCandidate, setup: ValidationSetup, levels: readonly number[]): DetectionPoint[] {
  if (levels.length === 0) return [];
  const { timeS, values } = setup.split.validation;
  const thresholds = { ...(fitted.pca as NonNullable<FittedCandidate["pca"]>).limits };
  const falseAlarms = alertEvents(fitted, thresholds, timeS, values, setup.maxGapSeconds).length;
  const axes = setup.split.fit.axes;
  // Another thread reads the window meanwhile (sharedWindow): each round is scored on a copy (injectAnomalies' own), made in the same columns round after round.
  const copies = setup.sharedWindow === true ? values.map((column) => new Float64Array(column.length)) : [];
  const outcomes = setup.injected.flatMap((round) => {
    if (setup.sharedWindow === true) {
      values.forEach((column, a) => {
        copies[a].set(column);
        for (const injection of round.injections) if (injection.axis === axes[a]) addAnomaly(copies[a], injection);
      });
      return matchDetections(alertEvents(fitted, thresholds, timeS, copies, setup.maxGapSeconds), round.injections);
    }
    // injectAnomalies' copy of the round is the clean columns plus the round's injections (addAnomaly, in their order):
    // made in the clean columns themselves, their rows saved first and put back after (the same values), instead of
    // a copy of every axis of the validation part. Nothing else reads the window meanwhile (see `sharedWindow`).
    const saved = round.injections.map((injection) => values[axes.indexOf(injection.axis)].slice(injection.startIndex, injection.endIndex + 1));
    try {
      values.forEach((column, a) => {
        for (const injection of round.injections) if (injection.axis === axes[a]) addAnomaly(column, injection);
      });
      return matchDetections(alertEvents(fitted, thresholds, timeS, values, setup.maxGapSeconds), round.injections);
    } finally {
      // Every saved row was read before any injection was added: all clean.
      for (let k = round.injections.length - 1; k >= 0; k--) values[axes.indexOf(round.injections[k].axis)].set(saved[k], round.injections[k].startIndex);
    }
  });
  const summary = detectionSummary(outcomes);
  return levels.map((percentile) => ({
    minc_percentile: percentile,
    false_alarms: falseAlarms,
    false_alarms_per_hour: eventsPerHour(falseAlarms, validationSeconds(setup)),
    caught: summary.caught,
    injected: summary.injected,
    recall: summary.recall,
    median_delay_seconds: summary.median_delay_seconds,
    by_label: Object.fromEntries(Object.entries(summary.by_label).map(([label, count]) => [label, { ...count }])),
  }));
}

/** `matchDetections(events, injections)`, each axis's injections matched against that axis's events only (what it compares anyway). */
function matchedByAxis(events: readonly DetectionEvent[], injections: readonly Injection[]): InjectionOutcome[] {
  const eventsOf = new Map<string, DetectionEvent[]>();
  for (const event of events) {
    const list = eventsOf.get(event.axis);
    if (list === undefined) eventsOf.set(event.axis, [event]);
    else list.push(event);
  }
  const injectionsOf = new Map<string, Injection[]>();
  for (const injection of injections) {
    const list = injectionsOf.get(injection.axis);
    if (list === undefined) injectionsOf.set(injection.axis, [injection]);
    else list.push(injection);
  }
  const outcomes = new Map<Injection, InjectionOutcome>();
  for (const [axis, list] of injectionsOf) for (const outcome of matchDetections(eventsOf.get(axis) ?? [], list)) outcomes.set(outcome.injection, outcome);
  return injections.map((injection) => outcomes.get(injection) as InjectionOutcome);
}

/**
 * The detection points at `levels` from the alert events of every window at each level (the clean
 * validation part's counted, the rounds' of `setup.injected` that can catch their injections; all axes).
 *
 * @example
 * const curve = pointsOf(eventsByLevel(fitted, setup, policies, 1 + setup.injected.length), levels, setup);
 */
export function pointsOf(events: LevelEvents, levels: readonly number[], setup: ValidationSetup): DetectionPoint[] {
  const seconds = validationSeconds(setup);
  return levels.map((percentile, l) => {
    const falseAlarms = events.clean[l];
    const summary = detectionSummary(setup.injected.flatMap((round, r) => matchedByAxis(events.rounds[r][l], round.injections)));
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

/**
 * `percentiles.map((percentile) => cleanAlarms(fitted, setup, percentile))`: the alert events on the
 * clean validation part at each level, counted at once.
 *
 * @example
 * const [atLow, atHigh] = cleanAlarmsAtOnce(fitted, setup, [50, 99]);
 */
export function cleanAlarmsAtOnce(fitted: FittedCandidate, setup: ValidationSetup, percentiles: readonly number[]): number[] {
  if (fitted.pca !== undefined && percentiles.length > 0) {
    // The same limits at every level (see pcaCurve): counted once.
    const count = cleanAlarms(fitted, setup, percentiles[0]);
    return percentiles.map(() => count);
  }
  const events = eventsByLevel(fitted, setup, percentiles.map((percentile) => policyAtLevel(setup.policy, percentile)), 1);
  return events === null ? percentiles.map((percentile) => cleanAlarms(fitted, setup, percentile)) : [...events.clean];
}
