import type * as dfd from "danfojs-node";
import { InputError } from "./errors";
import { numericColumn } from "./frame";
import { isIdleSample } from "./idleSample";
import { pairwiseSumsOf } from "./stats";

/** Values per block of {@link pairwiseSumsOf} (numpy's leaf size). */
const BLOCK = 128;
import type { LinearModel, ModelSet } from "./types";

/**
 * Ordinary least squares `y = coef * t + intercept` over the rows where `y`
 * is finite and not idle (exactly 0, see `isIdleSample`) and `t` is finite, computed as
 * scikit-learn's `LinearRegression` does (centre on the means, then
 * `coef = Σxy / Σxx`, `intercept = ȳ − coef·x̄`). A single usable row, or
 * rows all at one time, give `coef = 0` and `intercept = ȳ`.
 *
 * @throws InputError when no row is usable.
 */
export function fitLinear(axis: string, timeS: Float64Array, y: Float64Array): LinearModel {
  const n = timeS.length;
  const usable = (i: number): boolean => !isIdleSample(y[i]) && Number.isFinite(y[i]) && Number.isFinite(timeS[i]);
  let used = 0;
  for (let i = 0; i < n; i++) if (usable(i)) used++;
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  // The sums read the usable rows afresh (pairwiseSumsOf): the same sums as over compacted copies, without them.
  const [xSum, ySum] = pairwiseSumsOf(used, 2, (blocks, size, from) => {
    let i = from;
    for (let k = 0; k < size; i++) {
      if (!usable(i)) continue;
      blocks[k] = timeS[i];
      blocks[BLOCK + k] = y[i];
      k++;
    }
    return i;
  });
  const xMean = xSum / used;
  const yMean = ySum / used;
  const [sxx, sxy] = pairwiseSumsOf(used, 2, (blocks, size, from) => {
    let i = from;
    for (let k = 0; k < size; i++) {
      if (!usable(i)) continue;
      const dx = timeS[i] - xMean;
      blocks[k] = dx * dx;
      blocks[BLOCK + k] = dx * (y[i] - yMean);
      k++;
    }
    return i;
  });
  const coef = sxx === 0 ? 0 : sxy / sxx;
  return { axis, coef, intercept: yMean - xMean * coef, samples_used: used };
}

/** Typed core of {@link train}: one {@link fitLinear} per axis. */
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[]): ModelSet {
  return { type: "linear", models: axes.map((axis, i) => fitLinear(axis, timeS, values[i])) };
}

/**
 * Fits one linear trend per axis, `y = coef * time_s + intercept`, on the
 * rows where the axis is finite and not exactly 0 (idle samples are left out).
 *
 * @param frame The prepared DataFrame (`time_s` plus axes).
 * @param axes The axis columns to fit, in order.
 * @throws InputError when a column is missing or an axis has no usable samples.
 */
export function train(frame: dfd.DataFrame, axes: readonly string[]): ModelSet {
  const timeS = numericColumn(frame, "time_s", "train");
  return trainColumns(timeS, axes, axes.map((axis) => numericColumn(frame, axis, "train")));
}
