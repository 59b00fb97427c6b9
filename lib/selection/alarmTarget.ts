/**
 * `thresholds.target_alarms_per_day`: the alert level set by how many alert
 * events the held-out part raises, instead of by a fixed percentile.
 */
import type { FittedCandidate } from "./candidates";
import { cleanAlarmsAtOnce } from "./levelSweep";
import { policyAtLevel, validationSeconds, type ValidationSetup } from "./sweep";

/** The alert level {@link alertLevelForTarget} found. */
export interface AlarmTargetLevel {
  /** Alert events per day asked for. */
  readonly target_alarms_per_day: number;
  /** The alert percentile chosen (a multiple of 0.01). */
  readonly minc_percentile: number;
  /** The error percentile that goes with it: max(the config's, minc_percentile). */
  readonly maxc_percentile: number;
  /** Alert events on the clean validation part at that level. */
  readonly validation_alarms: number;
  /** validation_alarms per day of validation data: what the level achieves. */
  readonly achieved_alarms_per_day: number;
}

/**
 * Finds the `minc_percentile` (0 to 100 in steps of 0.01) at which the fitted candidate, calibrated on
 * the fit part by the same policy code, raises about `targetPerDay` alert events per day on the clean
 * validation part. Events fall as the percentile rises, so it bisects (14 steps) for the two
 * neighbouring percentiles whose rates bracket the target and takes the one whose rate is nearer (a tie:
 * the higher percentile, fewer alarms). When the target is below what percentile 100 still raises, or
 * above what 0 raises, the end nearest to it is taken. The error level follows the rule of
 * `policyAtLevel`: maxc_percentile keeps its place in the headroom above the alert percentile.
 */
export function alertLevelForTarget(fitted: FittedCandidate, setup: ValidationSetup, targetPerDay: number): AlarmTargetLevel {
  const perDay = 86_400 / validationSeconds(setup);
  const counted = new Map<number, number>();
  let low = 0; // rate(low) ≥ target while bisecting
  let high = 10_000; // rate(high) < target while bisecting
  // The bisection's next four steps, whichever way they go: counted together (cleanAlarmsAtOnce), as four single levels cost.
  const ahead = (from: number, to: number, depth: number): number[] => {
    if (depth === 0 || to - from <= 1) return [];
    const middle = (from + to) >> 1;
    return [middle, ...ahead(from, middle, depth - 1), ...ahead(middle, to, depth - 1)];
  };
  const rate = (hundredths: number): number => {
    if (!counted.has(hundredths)) {
      const wanted = [hundredths, ...ahead(low, high, 4)].filter((h, i, all) => !counted.has(h) && all.indexOf(h) === i);
      cleanAlarmsAtOnce(fitted, setup, wanted.map((h) => h / 100)).forEach((count, i) => counted.set(wanted[i], count));
    }
    return (counted.get(hundredths) as number) * perDay;
  };
  let chosen: number;
  if (rate(high) >= targetPerDay) chosen = high;
  else if (rate(low) < targetPerDay) chosen = low;
  else {
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (rate(middle) >= targetPerDay) low = middle;
      else high = middle;
    }
    chosen = Math.abs(rate(low) - targetPerDay) < Math.abs(rate(high) - targetPerDay) ? low : high;
  }
  const percentile = chosen / 100;
  return {
    target_alarms_per_day: targetPerDay,
    minc_percentile: percentile,
    maxc_percentile: policyAtLevel(setup.policy, percentile).maxc_percentile,
    validation_alarms: counted.get(chosen) as number,
    achieved_alarms_per_day: rate(chosen),
  };
}
