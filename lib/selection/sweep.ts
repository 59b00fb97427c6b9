/**
 * Sweeping the alert level of a fitted candidate: for each `minc_percentile`,
 * the same policy code (`calibrateAxis`) calibrates the thresholds on the fit
 * part, the scorer raises alert events on the clean validation part (false
 * alarms) and on its injected copies (detections). "Recall at matched false
 * alarms" is the best recall at a level raising no more false alarms than a
 * given budget (the default rule's).
 */
import { alertEvents, type FittedCandidate } from "./candidates";
import { detectionSummary, eventsPerHour, matchDetections, type CaughtCount } from "./detection";
import type { InjectedWindow } from "./injection";
import { calibrateAxis } from "../stages/thresholds";
import type { WindowSplit } from "./validationSplit";
import type { AxisThresholds, ThresholdPolicy } from "../shapes/types";

/** The alert levels swept (`minc_percentile` values); the config's own is added when missing. */
export const SWEEP_PERCENTILES: readonly number[] = Object.freeze([50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 98.5, 99, 99.5, 99.75, 100]);

/** Everything a candidate is measured on. */
export interface ValidationSetup {
  readonly split: WindowSplit;
  /** Copies of the validation part with anomalies injected, one per round (different seeds); detections are summed over them. */
  readonly injected: readonly InjectedWindow[];
  /** Sampling interval of the window (sustain steps). */
  readonly dtSeconds: number;
  /** The config's `thresholds:` policy; only the percentiles are varied. */
  readonly policy: ThresholdPolicy;
  /** `scoring.max_gap_seconds`. */
  readonly maxGapSeconds: number | null;
  /** True when another thread reads the window while this one measures: nothing writes it then, not even for a moment (default false). */
  readonly sharedWindow?: boolean;
}

/** One alert level of a candidate, measured. */
export interface DetectionPoint {
  readonly minc_percentile: number;
  /** Alert events on the clean validation part. */
  readonly false_alarms: number;
  readonly false_alarms_per_hour: number;
  readonly caught: number;
  readonly injected: number;
  readonly recall: number;
  readonly median_delay_seconds: number | null;
  /** Caught / injected per injection label (`offset 0.6× 12` …). */
  readonly by_label: Readonly<Record<string, CaughtCount>>;
}

/**
 * The policy at alert percentile `percentile`: `minc_percentile` = it; `maxc_percentile` keeps the
 * error level's place in the headroom above the alert level, `p + (100 − p)·(maxc − minc)/(100 − minc)`
 * of the configured policy (75/95 → 0.8 of the way: 95 at p = 75, 99 at p = 95, 99.7 at p = 98.5), and
 * never below `p`. So the error level stays above the alert level, as it is by default: with it equal,
 * every alert (T_long samples) would also be an error (T_short ≤ T_long samples).
 */
export function policyAtLevel(policy: ThresholdPolicy, percentile: number): ThresholdPolicy {
  const { minc_percentile: minc, maxc_percentile: maxc } = policy;
  const share = minc < 100 ? Math.max(0, (maxc - minc) / (100 - minc)) : 0;
  return { ...policy, minc_percentile: percentile, maxc_percentile: Math.min(100, percentile + (100 - percentile) * share) };
}

/** Per-axis thresholds of a fitted candidate at one alert percentile, calibrated on the fit part. */
export function thresholdsAtLevel(fitted: FittedCandidate, setup: ValidationSetup, percentile: number): Record<string, AxisThresholds> {
  // A pca candidate is measured at its own limits (the same at every level).
  if (fitted.pca !== undefined) return { ...fitted.pca.limits };
  const policy = policyAtLevel(setup.policy, percentile);
  const axes = setup.split.fit.axes;
  return Object.fromEntries(axes.map((axis, a) => [axis, fitted.thresholds(a, calibrateAxis(fitted.calibration[a], setup.dtSeconds, policy))]));
}

/** Seconds the validation part spans (last time − first time). */
export function validationSeconds(setup: Pick<ValidationSetup, "split">): number {
  const time = setup.split.validation.timeS;
  return time[time.length - 1] - time[0];
}

/** Alert events a fitted candidate raises on the clean validation part at one alert percentile. */
export function cleanAlarms(fitted: FittedCandidate, setup: ValidationSetup, percentile: number): number {
  const { timeS, values } = setup.split.validation;
  return alertEvents(fitted, thresholdsAtLevel(fitted, setup, percentile), timeS, values, setup.maxGapSeconds).length;
}

/** False alarms and detections of a fitted candidate at one alert percentile. */
export function detectionAt(fitted: FittedCandidate, setup: ValidationSetup, percentile: number): DetectionPoint {
  const thresholds = thresholdsAtLevel(fitted, setup, percentile);
  const { timeS, values } = setup.split.validation;
  const falseAlarms = alertEvents(fitted, thresholds, timeS, values, setup.maxGapSeconds).length;
  const summary = detectionSummary(
    setup.injected.flatMap((round) => matchDetections(alertEvents(fitted, thresholds, timeS, round.values, setup.maxGapSeconds), round.injections)),
  );
  return {
    minc_percentile: percentile,
    false_alarms: falseAlarms,
    false_alarms_per_hour: eventsPerHour(falseAlarms, validationSeconds(setup)),
    caught: summary.caught,
    injected: summary.injected,
    recall: summary.recall,
    median_delay_seconds: summary.median_delay_seconds,
    by_label: summary.by_label,
  };
}

/** {@link detectionAt} at every percentile of `percentiles` (defaults to {@link SWEEP_PERCENTILES}), ascending. */
export function detectionCurve(fitted: FittedCandidate, setup: ValidationSetup, percentiles: readonly number[] = SWEEP_PERCENTILES): DetectionPoint[] {
  return [...new Set(percentiles)].sort((a, b) => a - b).map((percentile) => detectionAt(fitted, setup, percentile));
}

/**
 * Recall at matched false alarms: of the points raising at most `maxFalseAlarms` false alarms, the
 * one with the best recall; points whose recall is within `margin` of the best tie with it, and ties go
 * to fewer false alarms, then to the higher percentile. Null when no point stays within the budget.
 *
 * @param margin How far below the best recall still ties, given the best recall; defaults to none
 *   (exact ties only). Selection passes one binomial standard error (`recallTieMargin` in lib/selection.ts).
 */
export function matchedPoint<P extends Pick<DetectionPoint, "minc_percentile" | "false_alarms" | "recall">>(
  curve: readonly P[],
  maxFalseAlarms: number,
  margin: (bestRecall: number) => number = () => 0,
): P | null {
  const within = curve.filter((point) => point.false_alarms <= maxFalseAlarms);
  if (within.length === 0) return null;
  const top = Math.max(...within.map((point) => point.recall));
  const tied = within.filter((point) => point.recall >= top - margin(top));
  return tied.reduce((best, point) =>
    point.false_alarms < best.false_alarms || (point.false_alarms === best.false_alarms && point.minc_percentile > best.minc_percentile) ? point : best,
  );
}
