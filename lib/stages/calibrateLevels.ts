/**
 * Calibrating one column at many alert levels at once: what
 * `calibrateAxis` (lib/stages/thresholds.ts) returns for each policy, from
 * one histogram of the positive values (the ranks of every level's
 * percentiles are selected in the buckets that hold them, one copy pass for
 * all) and one pass counting the runs at every level's MinC and MaxC
 * (lib/stages/thresholdRuns.ts). Selection sweeps 18 levels per candidate and
 * axis: this is one calibration's work instead of 18, with equal results.
 */
import { pythonFloatRepr } from "../core/pythonFloat";
import { percentileSorted } from "../stats";
import { calibrateAxis, percentileRanks, positiveHistogram, positiveRanks, secondsToSteps } from "./thresholds";
import { runCountsAt, type RunCounts } from "./thresholdRuns";
import type { AxisThresholds, ThresholdPolicy } from "../shapes/types";

/** The policy keys other than the two percentiles: levels calibrated together must agree on them. */
const SHARED_KEYS = ["trim_top_ratio", "min_pos_for_trim", "use_mad_fallback", "alert_seconds_default", "error_seconds_default", "alert_quantile", "error_quantile"] as const;

/** `max(default steps, ceil(quantile(runs, q)))`, or the default steps without runs (as calibrateAxis' sustain steps). */
function sustainSteps(runs: RunCounts, quantile: number, defaultSteps: number): number {
  return runs.runs === 0 ? defaultSteps : Math.max(defaultSteps, Math.ceil(runs.quantile(quantile)));
}

/**
 * `policies.map((policy) => calibrateAxis(values, dtSeconds, policy))`, equal field for field, in
 * about the time of one of them. Policies that differ in more than `minc_percentile` and
 * `maxc_percentile`, and columns that take the median+MAD fallback (few positive values), are
 * calibrated one policy at a time.
 *
 * @example
 * const [low, high] = calibrateLevels(residual, 1, [{ ...policy, minc_percentile: 50 }, { ...policy, minc_percentile: 99 }]);
 * low.MinC <= high.MinC; // true
 */
export function calibrateLevels(values: Float64Array, dtSeconds: number, policies: readonly ThresholdPolicy[]): AxisThresholds[] {
  if (policies.length === 0) return [];
  const base = policies[0];
  const one = (): AxisThresholds[] => policies.map((policy) => calibrateAxis(values, dtSeconds, policy));
  if (!policies.every((policy) => SHARED_KEYS.every((key) => Object.is(policy[key], base[key])))) return one();
  const histogram = positiveHistogram(values);
  const n = histogram.count;
  if (n > 0 && n < base.min_pos_for_trim && base.use_mad_fallback) return one();
  let kept = n;
  if (n >= base.min_pos_for_trim && base.trim_top_ratio > 0) kept = Math.min(n, Math.max(1, Math.floor(n * (1 - base.trim_top_ratio))));
  const percentiles = policies.flatMap((policy) => [policy.minc_percentile, policy.maxc_percentile]);
  const sorted = positiveRanks(values, histogram, kept, kept === 0 ? [] : percentiles.flatMap((p) => percentileRanks(kept, p)));
  const level = (p: number): number => (kept === 0 ? 0 : percentileSorted(sorted, p));
  const levels = policies.map((policy) => ({ MinC: level(policy.minc_percentile), MaxC: level(policy.maxc_percentile) }));
  const runs = runCountsAt(values, levels.flatMap(({ MinC, MaxC }) => [MinC, MaxC]));
  const method = `trim_top=${pythonFloatRepr(base.trim_top_ratio)}`;
  const alertDefault = secondsToSteps(base.alert_seconds_default, dtSeconds);
  const errorDefault = secondsToSteps(base.error_seconds_default, dtSeconds);
  return policies.map((policy, j) => ({
    MinC: levels[j].MinC,
    MaxC: levels[j].MaxC,
    T_long_steps: sustainSteps(runs[2 * j], policy.alert_quantile, alertDefault),
    T_short_steps: sustainSteps(runs[2 * j + 1], policy.error_quantile, errorDefault),
    dt_seconds: dtSeconds,
    policy,
    meta: { method },
  }));
}
