import type * as dfd from "danfojs-node";
import { toDataFrame } from "./frame";
import { isIdleSample } from "./idleSample";
import { predictionFromDataFrame } from "./predict";
import { pairwiseSum } from "./stats";
import type { AxisMetrics, Prediction } from "./types";

/**
 * R², MAE and RMSE of `actual` against `predicted`, exactly as
 * scikit-learn's `r2_score`, `mean_absolute_error` and
 * `root_mean_squared_error` compute them (numpy pairwise sums). Rows where
 * either value is not finite are left out. R² of a constant target is 1.0
 * for a perfect prediction, else 0.0; with fewer than 2 rows R² is NaN (as
 * scikit-learn); with no rows every metric is NaN.
 */
export function regressionMetrics(axis: string, actual: Float64Array, predicted: Float64Array): AxisMetrics {
  const n = actual.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(actual[i]) && Number.isFinite(predicted[i])) count++;
  if (count === 0) return { axis, r2: NaN, mae: NaN, rmse: NaN };
  // Copy only when rows must be left out: a window without NaN needs no extra columns here.
  let y = actual;
  let p = predicted;
  if (count < n) {
    y = new Float64Array(count);
    p = new Float64Array(count);
    for (let i = 0, at = 0; i < n; i++) {
      if (Number.isFinite(actual[i]) && Number.isFinite(predicted[i])) {
        y[at] = actual[i];
        p[at] = predicted[i];
        at++;
      }
    }
  }
  const errors = new Float64Array(count);
  for (let i = 0; i < count; i++) errors[i] = Math.abs(p[i] - y[i]);
  const mae = pairwiseSum(errors) / count;
  for (let i = 0; i < count; i++) {
    const error = y[i] - p[i];
    errors[i] = error * error;
  }
  const rmse = Math.sqrt(pairwiseSum(errors) / count);
  return { axis, r2: rSquared(y, errors), mae, rmse };
}

/** scikit-learn's `r2_score` from the target and the squared errors (`force_finite=True`). */
function rSquared(y: Float64Array, squaredErrors: Float64Array): number {
  const n = y.length;
  if (n < 2) return NaN;
  const yMean = pairwiseSum(y) / n;
  const deviations = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = y[i] - yMean;
    deviations[i] = d * d;
  }
  const numerator = pairwiseSum(squaredErrors);
  const denominator = pairwiseSum(deviations);
  if (denominator === 0) return numerator === 0 ? 1.0 : 0.0;
  return numerator === 0 ? 1.0 : 1 - numerator / denominator;
}

/**
 * Typed core of {@link evaluate}: one {@link regressionMetrics} per axis.
 * With `workingRowsOnly` (default false) idle rows (actual exactly 0, see
 * `isIdleSample`) are left out: idle zeros are easy to predict badly or well,
 * so this shows how the line does while the machine works (the registered
 * metrics count every row).
 */
export function evaluateColumns(prediction: Prediction, { workingRowsOnly = false } = {}): AxisMetrics[] {
  return prediction.axes.map((axis, i) => {
    const actual = workingRowsOnly ? prediction.actual[i].map((v) => (isIdleSample(v) ? NaN : v)) : prediction.actual[i];
    return regressionMetrics(axis, actual, prediction.predicted[i]);
  });
}

/** Metrics as a DataFrame `axis, r2, mae, rmse`. */
export function metricsToDataFrame(metrics: readonly AxisMetrics[]): dfd.DataFrame {
  return toDataFrame([
    ["axis", metrics.map((m) => m.axis)],
    ["r2", metrics.map((m) => m.r2)],
    ["mae", metrics.map((m) => m.mae)],
    ["rmse", metrics.map((m) => m.rmse)],
  ]);
}

/**
 * Scores each axis's fit over all rows, idle zeros included: R², MAE and
 * RMSE as scikit-learn computes them (see {@link regressionMetrics}).
 *
 * @param prediction The DataFrame from `predict`.
 * @param axes The axes to score, in order.
 * @returns A DataFrame with columns `axis, r2, mae, rmse`, one row per axis.
 */
export function evaluate(prediction: dfd.DataFrame, axes: readonly string[]): dfd.DataFrame {
  return metricsToDataFrame(evaluateColumns(predictionFromDataFrame(prediction, axes, "evaluate")));
}
