/** Stage semantics on small inputs; expected values were produced with scikit-learn 1.9 / numpy 2.4. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as dfd from "danfojs-node";
import { analyze } from "../lib/stages/analyze";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { evaluate, evaluateColumns, regressionMetrics, regressionMetricsWithWorking } from "../lib/stages/evaluate";
import { isIdleSample } from "../lib/core/idleSample";
import { predict } from "../lib/stages/predict";
import { prepare } from "../lib/stages/prepare";
import { halfWindowFitColumns, residualBucketMeans, selectModel } from "../lib/stages/selectModel";
import { calibrateAxis, calibrateThresholds, runLengthSummary, runLengths, secondsToSteps } from "../lib/stages/thresholds";
import { fitLinear, train } from "../lib/stages/train";
import type { Prediction } from "../lib/shapes/types";
import { InputError } from "../lib/core/errors";

const timeS = Float64Array.from([0, 1.5, 3, 4.5, 6, 7.5, 9]);
const y = Float64Array.from([0, 0, 3.5, 4.1, 0, 5.2, 6.0]);

test("fitLinear leaves exact zeros out, like the reference's LinearRegression on y != 0", () => {
  const model = fitLinear("a", timeS, y);
  assert.equal(model.samples_used, 4);
  assert.ok(Math.abs(model.coef - 0.4066666666666667) <= 1e-15);
  assert.ok(Math.abs(model.intercept - 2.2600000000000002) <= 1e-14);
  assert.throws(() => fitLinear("dead", timeS, new Float64Array(7)), (e: unknown) => e instanceof InputError && /axis "dead" has no usable samples/.test(e.message));
  assert.deepEqual(fitLinear("one", timeS, Float64Array.from([0, 0, 0, 5, 0, 0, NaN])), { axis: "one", coef: 0, intercept: 5, samples_used: 1 });
});

test("regressionMetricsWithWorking gives both metric sets bit for bit as two regressionMetrics calls", () => {
  // Long enough for many pairwise leaves (some split at odd places by the rows left out), with NaN, ±Infinity and idle zeros.
  const n = 5000;
  const actual = new Float64Array(n);
  const predicted = new Float64Array(n);
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < n; i++) {
    const r = random();
    actual[i] = r < 0.2 ? 0 : r < 0.22 ? NaN : r < 0.23 ? Infinity : 3 + Math.sin(i / 50) * 7 + random();
    predicted[i] = random() < 0.01 ? -Infinity : 3 + i * 1e-4;
  }
  const cases: [Float64Array, Float64Array][] = [
    [actual, predicted],
    [Float64Array.of(), Float64Array.of()],
    [Float64Array.of(0, 0, NaN), Float64Array.of(1, 2, 3)], // all rows: 2, working rows: none
    [Float64Array.of(0, 4, NaN), Float64Array.of(1, 2, 3)], // working rows: 1 (R² NaN)
    [Float64Array.of(2, 2, 2), Float64Array.of(2, 2, 3)], // a constant target
  ];
  for (const [a, p] of cases) {
    const [all, working] = regressionMetricsWithWorking("x", a, p);
    assert.deepEqual(all, regressionMetrics("x", a, p));
    assert.deepEqual(working, regressionMetrics("x", a, p, { workingRowsOnly: true }));
  }
  const [all, working] = regressionMetricsWithWorking("x", actual, predicted);
  assert.ok(Number.isFinite(all.r2) && Number.isFinite(working.r2) && all.mae !== working.mae);
});

test("regressionMetrics equals scikit-learn over all rows, zeros included", () => {
  const { coef, intercept } = fitLinear("a", timeS, y);
  const predicted = timeS.map((t) => t * coef + intercept);
  const m = regressionMetrics("a", y, predicted);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.abs(b);
  assert.ok(close(m.r2, 0.1479279681384329), String(m.r2));
  assert.ok(close(m.mae, 1.4357142857142855), String(m.mae));
  assert.ok(close(m.rmse, 2.2505078791876545), String(m.rmse));
  assert.equal(regressionMetrics("c", Float64Array.of(2, 2, 2), Float64Array.of(2, 2, 2)).r2, 1.0);
  assert.equal(regressionMetrics("c", Float64Array.of(2, 2, 2), Float64Array.of(2, 2, 3)).r2, 0.0);
  const withNaN = regressionMetrics("n", Float64Array.of(1, NaN, 3, Infinity), Float64Array.of(1, 2, 2, 2));
  assert.equal(withNaN.mae, 0.5);
});

test("runLengths counts consecutive rows at or above the threshold; NaN breaks a run", () => {
  assert.deepEqual(Array.from(runLengths(Float64Array.of(1, 2, 0, 2, 2, NaN, 3, 1, 1, 1), 1)), [2, 2, 4]);
  assert.deepEqual(Array.from(runLengths(Float64Array.of(0, 0), 1)), []);
});

test("secondsToSteps rounds half to even: 5 s at 2.0 s is 2 steps, not 3", () => {
  assert.equal(secondsToSteps(5, 2), 2);
  assert.equal(secondsToSteps(7, 2), 4);
  assert.equal(secondsToSteps(0.1, 2), 1);
  assert.equal(secondsToSteps(5, 0), 5e9);
});

test("calibrateAxis: median+MAD fallback with few positive residuals, trimmed percentiles otherwise", () => {
  const few = calibrateAxis(Float64Array.of(-1, 1, 2, 4, -3, 0), 1, DEFAULT_THRESHOLD_POLICY);
  // pos = [1, 2, 4]: median 2, MAD = median(|1-2|, 0, 2) = 1
  assert.equal(few.meta.method, "median+MAD");
  assert.equal(few.MinC, 4);
  assert.equal(few.MaxC, 5);
  assert.equal(few.T_long_steps, 5);
  // even count: pos = [1, 2, 4, 7]: median 3, deviations [2, 1, 1, 4] → MAD 1.5
  const even = calibrateAxis(Float64Array.of(1, 2, 4, 7, -1), 1, DEFAULT_THRESHOLD_POLICY);
  assert.deepEqual([even.MinC, even.MaxC], [6, 7.5]);
  const many = Float64Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? i / 10 : -1));
  const trimmed = calibrateAxis(many, 0.5, { ...DEFAULT_THRESHOLD_POLICY, trim_top_ratio: 0.1 });
  assert.equal(trimmed.meta.method, "trim_top=0.1");
  // 49 positives 0.2..9.8, keep floor(49*0.9) = 44 → 0.2..8.8; 75th percentile at index 32.25
  assert.ok(Math.abs(trimmed.MinC - 6.65) < 1e-12, String(trimmed.MinC));
  assert.equal(trimmed.T_long_steps, 10);
  const none = calibrateAxis(Float64Array.of(-1, -2), 1, DEFAULT_THRESHOLD_POLICY);
  assert.deepEqual([none.MinC, none.MaxC, none.meta.method], [0, 0, "trim_top=0.02"]);
});

test("the DataFrame stages chain: analyze → prepare → train → predict → evaluate → calibrateThresholds", () => {
  const raw = new dfd.DataFrame({ ts: [10, 11.5, 13, 14.5, 16, 17.5, 19], a: Array.from(y), b: [1, NaN, 3, 4, 5, 6, 7] });
  const profile = analyze(raw, "ts");
  assert.equal(profile.dt_seconds, 1.5);
  assert.equal(profile.axes[0].zero_fraction, 3 / 7);
  assert.equal(profile.axes[1].nan_count, 1);
  const { frame, stats } = prepare(raw, { interpolate: true });
  assert.equal(stats.time0, 10);
  assert.deepEqual(frame.columns, ["time_s", "a", "b"]);
  assert.deepEqual(frame.column("b").values, [1, 2, 3, 4, 5, 6, 7]);
  const models = train(frame, ["a", "b"]);
  assert.equal(models.models[1].coef.toFixed(12), (1 / 1.5).toFixed(12));
  const prediction = predict(frame, models);
  assert.deepEqual(prediction.columns, ["time_s", "a", "b", "a_pred", "b_pred", "a_res", "b_res"]);
  const metrics = evaluate(prediction, ["a", "b"]);
  assert.deepEqual(metrics.columns, ["axis", "r2", "mae", "rmse"]);
  assert.ok(Math.abs((metrics.column("r2").values as number[])[1] - 1) < 1e-12);
  const thresholds = calibrateThresholds(prediction, ["a", "b"], stats.dt_seconds, DEFAULT_THRESHOLD_POLICY);
  assert.deepEqual(Object.keys(thresholds), ["a", "b"]);
  assert.throws(() => train(frame, ["c"]), /train: column "c" not found in the DataFrame \(columns: time_s, a, b\)/);
});

test("timestamps in a DataFrame are read back as exact epoch seconds", () => {
  const raw = new dfd.DataFrame({ ts: ["2025-09-01T00:00:00.000000Z", "2025-09-01T00:00:03.790000Z"], a: [1, 2] });
  const { stats, frame } = prepare(raw);
  assert.equal(stats.time0, 1756684800);
  assert.equal(stats.time_type, "timestamptz");
  // pandas: float(int64 ns) / 1e9, which rounds twice: 1756684803.7900002 - time0
  assert.equal((frame.column("time_s").values as number[])[1], 1756684803.7900002 - 1756684800);
});

test("selectModel names what exists", () => {
  assert.equal(selectModel("linear").type, "linear");
  assert.throws(() => selectModel("xgboost"), /model.type "xgboost" does not exist; available: linear/);
});

/** The prediction of the line fitted to `y` (as `predict` computes it). */
function fittedPrediction(): Prediction {
  const { coef, intercept } = fitLinear("a", timeS, y);
  const predicted = timeS.map((t) => t * coef + intercept);
  return { timeS, axes: ["a"], actual: [y], predicted: [predicted], residual: [y.map((v, i) => v - predicted[i])] };
}

test("isIdleSample is the one idle rule: working-row metrics and residual slice means skip exact zeros", () => {
  assert.deepEqual([0, -0, 1e-300, NaN].map(isIdleSample), [true, true, false, false]);
  const prediction = fittedPrediction();
  const [predicted, residual] = [prediction.predicted[0], prediction.residual[0]];
  const working = (values: Float64Array): Float64Array => Float64Array.from([2, 3, 5, 6], (i) => values[i]);
  assert.deepEqual(evaluateColumns(prediction, { workingRowsOnly: true }), [regressionMetrics("a", working(y), working(predicted))]);
  assert.deepEqual(evaluateColumns(prediction), [regressionMetrics("a", y, predicted)]);
  // Three slices of 3 s: the first holds only idle rows, the others two working rows each.
  const { centers, means } = residualBucketMeans(prediction, 3);
  assert.deepEqual(Array.from(centers), [1.5, 4.5, 7.5]);
  assert.deepEqual(Array.from(means[0]), [NaN, (residual[2] + residual[3]) / 2, (residual[5] + residual[6]) / 2]);
});

test("halfWindowFitColumns fits the whole window and each half of the rows as train does (NaN for a half with no usable sample)", () => {
  const late = Float64Array.from([0, 0, 0, 1, 2, 3, 4]);
  const [a, b] = halfWindowFitColumns(timeS, ["a", "b"], [y, late]);
  assert.equal(a.drift_per_hour, fitLinear("a", timeS, y).coef * 3600);
  assert.deepEqual([a.first_half, a.samples_first], [0, 1]); // one usable sample: a flat line
  assert.equal(a.second_half, fitLinear("a", timeS.subarray(3), y.subarray(3)).coef * 3600);
  assert.equal(a.samples_second, 3);
  assert.deepEqual([b.first_half, b.samples_first, b.samples_second], [NaN, 0, 4]);
});

test("runLengthSummary counts alert and error runs and those that last the sustain steps", () => {
  const residual = Float64Array.of(1, 2, 0, 3, 3, 3, -1);
  const base = calibrateAxis(residual, 1, DEFAULT_THRESHOLD_POLICY);
  const t = { ...base, MinC: 1, MaxC: 3, T_long_steps: 3, T_short_steps: 3 };
  const prediction: Prediction = { timeS, axes: ["a", "b"], actual: [y, y], predicted: [y, y], residual: [residual, residual] };
  assert.deepEqual(runLengthSummary(prediction, { a: t }), [
    { axis: "a", alert_runs: 2, longest_alert: 3, T_long_steps: 3, alerts: 1, error_runs: 1, longest_error: 3, T_short_steps: 3, errors: 1 },
  ]);
});
