/**
 * calibrateLevels (many alert levels of one column at once) equals calibrateAxis at each level, field
 * for field, and runCountsAt equals runLengths at each threshold: on noisy columns with ties, NaN,
 * zeros, long runs (past the dense counts), few positives (the MAD fallback) and none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { calibrateLevels } from "../lib/stages/calibrateLevels";
import { calibrateAxis, runLengths } from "../lib/stages/thresholds";
import { runCountsAt } from "../lib/stages/thresholdRuns";
import { policyAtLevel, SWEEP_PERCENTILES } from "../lib/selection/sweep";
import { quantileSorted, seededRandom } from "../lib/stats";

/** A column of `n` values: noise, a share of exact zeros and NaN, rounded (ties), with slow waves (long runs). */
function column(n: number, seed: number, { round = 100, nanShare = 0.01 } = {}): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, (_, i) => {
    const u = random();
    if (u < nanShare) return NaN;
    if (u < nanShare + 0.05) return 0;
    return Math.round((Math.sin(i / 700) * 2 + (random() - 0.45) * 3) * round) / round;
  });
}

const policies = (base = DEFAULT_THRESHOLD_POLICY) => [...SWEEP_PERCENTILES, 75, 33.3].map((p) => policyAtLevel(base, p));

test("calibrateLevels equals calibrateAxis at every level", () => {
  const cases: [string, Float64Array, typeof DEFAULT_THRESHOLD_POLICY][] = [
    ["noisy, ties, NaN", column(20_000, 3), DEFAULT_THRESHOLD_POLICY],
    ["fine values", column(30_000, 4, { round: 1e9, nanShare: 0 }), DEFAULT_THRESHOLD_POLICY],
    ["no trim", column(5_000, 5), { ...DEFAULT_THRESHOLD_POLICY, trim_top_ratio: 0, alert_quantile: 0.33, error_quantile: 1 }],
    ["few positives, MAD", Float64Array.of(-1, 1, 2, 4, -3, 0, NaN, 2), DEFAULT_THRESHOLD_POLICY],
    ["few positives, no MAD", Float64Array.of(-1, 1, 2, 4, -3, 0, NaN, 2), { ...DEFAULT_THRESHOLD_POLICY, use_mad_fallback: false }],
    ["no positives", Float64Array.of(-1, 0, NaN, -2, 0, 0), DEFAULT_THRESHOLD_POLICY],
    ["long runs", Float64Array.from({ length: 9_000 }, (_, i) => (Math.floor(i / 1_500) % 2 === 0 ? 1 + (i % 7) / 10 : -1)), DEFAULT_THRESHOLD_POLICY],
  ];
  for (const [name, values, base] of cases) {
    const levels = policies(base);
    const copy = Float64Array.from(values);
    const fast = calibrateLevels(values, 0.5, levels);
    assert.deepEqual(values, copy, `${name}: the column is left as it was`);
    levels.forEach((policy, j) => assert.deepEqual(fast[j], calibrateAxis(values, 0.5, policy), `${name} at minc_percentile ${policy.minc_percentile}`));
  }
  // Policies that differ in more than the percentiles are calibrated one by one, with the same results.
  const mixed = [DEFAULT_THRESHOLD_POLICY, { ...DEFAULT_THRESHOLD_POLICY, trim_top_ratio: 0.1 }];
  const values = column(4_000, 9);
  assert.deepEqual(calibrateLevels(values, 1, mixed), mixed.map((policy) => calibrateAxis(values, 1, policy)));
  assert.deepEqual(calibrateLevels(values, 1, []), []);
});

test("runCountsAt counts the runs of runLengths at every threshold; their quantiles are those of the sorted lengths", () => {
  const values = Float64Array.from([...column(10_000, 11), ...new Array(600).fill(5), NaN, ...new Array(300).fill(5)]);
  const thresholds = [-Infinity, -1, 0, 0.5, 0.5, 1, 2.25, 4.99, 5, 6, NaN, Infinity];
  const counts = runCountsAt(values, thresholds);
  thresholds.forEach((threshold, j) => {
    const runs = Float64Array.from(runLengths(values, threshold)).sort();
    assert.equal(counts[j].runs, runs.length, `runs at ${threshold}`);
    for (const q of [0, 0.2, 0.5, 0.8, 0.999, 1]) {
      const expected = quantileSorted(runs, q);
      assert.ok(Object.is(counts[j].quantile(q), expected), `quantile ${q} at ${threshold}: ${counts[j].quantile(q)} ≠ ${expected}`);
    }
  });
});
