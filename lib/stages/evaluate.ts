/**
 * The evaluate stage: R², MAE and RMSE per axis as scikit-learn computes
 * them, over all rows with a finite value (idle zeros included) or, for
 * notebook 05, over the working rows only. `evaluate` takes the DataFrame
 * from `predict`, `evaluateColumns` is its typed core.
 */
import type * as dfd from "danfojs-node";
import { toDataFrame } from "../shapes/frame";
import { isIdleSample } from "../core/idleSample";
import { predictionFromDataFrame } from "./predict";
import { addLeafSums, leafSum, pairwiseLeaves } from "../stats";
import type { AxisMetrics, Prediction } from "../shapes/types";

/** Values per block: numpy's leaf size (see pairwiseLeaves). */
const BLOCK = 128;

/**
 * R², MAE and RMSE of `actual` against `predicted`, exactly as
 * scikit-learn's `r2_score`, `mean_absolute_error` and
 * `root_mean_squared_error` compute them (numpy pairwise sums). Rows where
 * either value is not finite are left out. R² of a constant target is 1.0
 * for a perfect prediction, else 0.0; with fewer than 2 rows R² is NaN (as
 * scikit-learn); with no rows every metric is NaN. With `workingRowsOnly`
 * idle rows (actual exactly 0) are left out too, without a copy of `actual`:
 * the same numbers as `evaluateColumns(…, { workingRowsOnly: true })`.
 *
 * @example
 * regressionMetrics("axis1", Float64Array.of(0, 2, 4), Float64Array.of(1, 2, 3), { workingRowsOnly: true });
 * // { axis: "axis1", r2: 0.75, mae: 0.5, rmse: 0.7071… } (the idle first row left out)
 */
export function regressionMetrics(axis: string, actual: Float64Array, predicted: Float64Array, { workingRowsOnly = false } = {}): AxisMetrics {
  const n = actual.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (bothFinite(actual[i], predicted[i]) && !(workingRowsOnly && isIdleSample(actual[i]))) count++;
  if (count === 0) return { axis, r2: NaN, mae: NaN, rmse: NaN };
  // The sums read the kept rows afresh, leaf by leaf (pairwiseLeaves), so no full-length scratch column is needed.
  const leaves = pairwiseLeaves(count);
  const block = new Float64Array(3 * BLOCK);
  const absolute = new Float64Array(leaves.length);
  const squared = new Float64Array(leaves.length);
  const target = new Float64Array(leaves.length);
  for (let l = 0, i = 0; l < leaves.length; l++) {
    const size = leaves[l];
    for (let k = 0; k < size; i++) {
      const y = actual[i];
      const p = predicted[i];
      if (!bothFinite(y, p) || (workingRowsOnly && isIdleSample(y))) continue;
      const error = y - p;
      block[k] = Math.abs(p - y);
      block[BLOCK + k] = error * error;
      block[2 * BLOCK + k] = y;
      k++;
    }
    absolute[l] = leafSum(block, 0, size);
    squared[l] = leafSum(block, BLOCK, size);
    target[l] = leafSum(block, 2 * BLOCK, size);
  }
  const squaredErrors = addLeafSums(count, squared);
  const mae = addLeafSums(count, absolute) / count;
  const rmse = Math.sqrt(squaredErrors / count);
  if (count < 2) return { axis, r2: NaN, mae, rmse };
  const yMean = addLeafSums(count, target) / count;
  for (let l = 0, i = 0; l < leaves.length; l++) {
    const size = leaves[l];
    for (let k = 0; k < size; i++) {
      const y = actual[i];
      if (!bothFinite(y, predicted[i]) || (workingRowsOnly && isIdleSample(y))) continue;
      const d = y - yMean;
      block[k++] = d * d;
    }
    squared[l] = leafSum(block, 0, size);
  }
  const deviations = addLeafSums(count, squared);
  return { axis, r2: rSquared(squaredErrors, deviations), mae, rmse };
}

/**
 * {@link regressionMetrics} over all rows and over the working rows only, in
 * one walk of the columns instead of two: the same numbers bit for bit as
 * `[regressionMetrics(axis, actual, predicted), regressionMetrics(axis,
 * actual, predicted, { workingRowsOnly: true })]`. Each set keeps its own
 * leaves, filled in row order as the single-set version fills them.
 *
 * @example
 * const [all, working] = regressionMetricsWithWorking("axis1", Float64Array.of(0, 2, 4), Float64Array.of(1, 2, 3));
 * // all.mae 0.6666…, working.mae 0.5
 */
export function regressionMetricsWithWorking(axis: string, actual: Float64Array, predicted: Float64Array): [AxisMetrics, AxisMetrics] {
  const n = actual.length;
  let countAll = 0;
  let countWorking = 0;
  for (let i = 0; i < n; i++) {
    const y = actual[i];
    if (!bothFinite(y, predicted[i])) continue;
    countAll++;
    if (!isIdleSample(y)) countWorking++;
  }
  // Per set (all rows "A", working rows "W"): its leaves, a block being filled (at k, leaf l of size `size`), and the leaf sums.
  // Written out inline, not as a helper per row: this is one of the hottest loops of a run, and runs cold on its first axes.
  const leavesA = pairwiseLeaves(countAll);
  const leavesW = pairwiseLeaves(countWorking);
  const blockA = new Float64Array(3 * BLOCK);
  const blockW = new Float64Array(3 * BLOCK);
  const absoluteA = new Float64Array(leavesA.length), squaredA = new Float64Array(leavesA.length), targetA = new Float64Array(leavesA.length);
  const absoluteW = new Float64Array(leavesW.length), squaredW = new Float64Array(leavesW.length), targetW = new Float64Array(leavesW.length);
  let kA = 0, lA = 0, sizeA = leavesA[0];
  let kW = 0, lW = 0, sizeW = leavesW[0];
  // First walk: |error|, error² and the target.
  for (let i = 0; i < n; i++) {
    const y = actual[i];
    const p = predicted[i];
    if (!bothFinite(y, p)) continue;
    const error = y - p;
    const absolute = Math.abs(p - y);
    const squared = error * error;
    blockA[kA] = absolute;
    blockA[BLOCK + kA] = squared;
    blockA[2 * BLOCK + kA] = y;
    if (++kA === sizeA) {
      absoluteA[lA] = leafSum(blockA, 0, kA);
      squaredA[lA] = leafSum(blockA, BLOCK, kA);
      targetA[lA] = leafSum(blockA, 2 * BLOCK, kA);
      kA = 0;
      sizeA = ++lA < leavesA.length ? leavesA[lA] : 0;
    }
    if (isIdleSample(y)) continue;
    blockW[kW] = absolute;
    blockW[BLOCK + kW] = squared;
    blockW[2 * BLOCK + kW] = y;
    if (++kW === sizeW) {
      absoluteW[lW] = leafSum(blockW, 0, kW);
      squaredW[lW] = leafSum(blockW, BLOCK, kW);
      targetW[lW] = leafSum(blockW, 2 * BLOCK, kW);
      kW = 0;
      sizeW = ++lW < leavesW.length ? leavesW[lW] : 0;
    }
  }
  const all = errorSums(countAll, absoluteA, squaredA);
  const working = errorSums(countWorking, absoluteW, squaredW);
  // Second walk (when a set has 2 rows or more: R²): squared deviations from each set's mean. Working rows are among all rows.
  if (countAll >= 2) {
    const meanA = addLeafSums(countAll, targetA) / countAll;
    const meanW = countWorking < 2 ? NaN : addLeafSums(countWorking, targetW) / countWorking;
    kA = 0;
    lA = 0;
    sizeA = leavesA[0];
    kW = 0;
    lW = 0;
    sizeW = countWorking < 2 ? -1 : leavesW[0];
    for (let i = 0; i < n; i++) {
      const y = actual[i];
      if (!bothFinite(y, predicted[i])) continue;
      const d = y - meanA;
      blockA[kA] = d * d;
      if (++kA === sizeA) {
        squaredA[lA] = leafSum(blockA, 0, kA);
        kA = 0;
        sizeA = ++lA < leavesA.length ? leavesA[lA] : 0;
      }
      if (sizeW < 0 || isIdleSample(y)) continue;
      const dW = y - meanW;
      blockW[kW] = dW * dW;
      if (++kW === sizeW) {
        squaredW[lW] = leafSum(blockW, 0, kW);
        kW = 0;
        sizeW = ++lW < leavesW.length ? leavesW[lW] : 0;
      }
    }
  }
  const r2A = countAll < 2 ? NaN : rSquared(all.squaredErrors, addLeafSums(countAll, squaredA));
  const r2W = countWorking < 2 ? NaN : rSquared(working.squaredErrors, addLeafSums(countWorking, squaredW));
  return [
    { axis, r2: r2A, mae: all.mae, rmse: all.rmse },
    { axis, r2: r2W, mae: working.mae, rmse: working.rmse },
  ];
}

/** MAE, RMSE and the sum of squared errors of `count` rows from their leaf sums (all NaN without rows). */
function errorSums(count: number, absolute: Float64Array, squared: Float64Array): { mae: number; rmse: number; squaredErrors: number } {
  if (count === 0) return { mae: NaN, rmse: NaN, squaredErrors: NaN };
  const squaredErrors = addLeafSums(count, squared);
  return { mae: addLeafSums(count, absolute) / count, rmse: Math.sqrt(squaredErrors / count), squaredErrors };
}

/** A row the metrics count: both values finite. */
function bothFinite(actual: number, predicted: number): boolean {
  return Number.isFinite(actual) && Number.isFinite(predicted);
}

/** scikit-learn's `r2_score` from the sums of squared errors and squared deviations from the mean (`force_finite=True`). */
function rSquared(numerator: number, denominator: number): number {
  if (denominator === 0) return numerator === 0 ? 1.0 : 0.0;
  return numerator === 0 ? 1.0 : 1 - numerator / denominator;
}

/**
 * Typed core of {@link evaluate}: one {@link regressionMetrics} per axis.
 * With `workingRowsOnly` (default false) idle rows (actual exactly 0, see
 * `isIdleSample`) are left out: idle zeros are easy to predict badly or well,
 * so this shows how the line does while the machine works (the registered
 * metrics count every row).
 *
 * @example
 * import { evaluateColumns, predictColumns, trainColumns } from "mlbox";
 * const timeS = Float64Array.of(0, 1, 2, 3, 4);
 * const values = [Float64Array.of(1, 3, 5, 8, 9)];
 * const prediction = predictColumns(timeS, trainColumns(timeS, ["a"], values), values);
 * evaluateColumns(prediction); // [{ axis: "a", r2, mae, rmse }]
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
 *
 * @example
 * import { evaluate, extractWindow, loadConfig, predict, prepare, resolveConfigPath, train } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const axes = prepared.frame.columns.slice(1);
 * const predicted = predict(prepared.frame, train(prepared.frame, axes));
 * evaluate(predicted, axes); // a DataFrame: axis, r2, mae, rmse
 */
export function evaluate(prediction: dfd.DataFrame, axes: readonly string[]): dfd.DataFrame {
  return metricsToDataFrame(evaluateColumns(predictionFromDataFrame(prediction, axes, "evaluate")));
}
