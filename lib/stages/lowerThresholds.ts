/**
 * The lower side of two-sided per-axis detection (`thresholds.direction: both`):
 * the same policy as the upper side (lib/stages/thresholds.ts) calibrated on
 * the negated residuals, so a residual (or smoothed statistic) that stays low
 * raises events too. The levels are recorded negated, in the residual's units
 * (an event while `−statistic(−residual) ≤ lower.MinC`), as thresholds.json's
 * per-axis `lower`.
 */
import { statisticColumn, statisticSpec, type StatisticOptions } from "../model/statistic";
import { calibrateAxis } from "./thresholds";
import type { LowerThresholds, ThresholdPolicy } from "../shapes/types";

/**
 * Lower levels of one axis: the statistic of `options` over `−residual`
 * (its own CUSUM reference, from the negated residuals), calibrated by
 * {@link calibrateAxis}, the levels negated.
 *
 * @example
 * calibrateLower(residual, actual, timeS, 1, policy, {}).MinC; // ≤ 0: the residual's alert level below
 */
export function calibrateLower(
  residual: Float64Array,
  actual: Float64Array,
  timeS: Float64Array,
  dtSeconds: number,
  policy: ThresholdPolicy,
  options: StatisticOptions = {},
): LowerThresholds {
  const negated = Float64Array.from(residual, (r) => -r);
  const spec = statisticSpec(options, negated, actual);
  const values = statisticColumn(spec, negated, NaN, { timeS, maxGapSeconds: options.max_gap_seconds ?? null }).values;
  const calibrated = calibrateAxis(values, dtSeconds, policy);
  return {
    MinC: -calibrated.MinC,
    MaxC: -calibrated.MaxC,
    T_long_steps: calibrated.T_long_steps,
    T_short_steps: calibrated.T_short_steps,
    ...(spec.type === "residual" ? {} : { statistic: spec }),
  };
}
