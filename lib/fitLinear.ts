import { InputError } from "./errors";
import { isIdleSample } from "./idleSample";
import { pairwiseSum } from "./stats";
import type { LinearModel } from "./types";

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
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let used = 0;
  for (let i = 0; i < n; i++) {
    const value = y[i];
    if (!isIdleSample(value) && Number.isFinite(value) && Number.isFinite(timeS[i])) {
      xs[used] = timeS[i];
      ys[used] = value;
      used++;
    }
  }
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  const x = xs.subarray(0, used);
  const v = ys.subarray(0, used);
  const xMean = pairwiseSum(x) / used;
  const yMean = pairwiseSum(v) / used;
  // The centred products overwrite the copies they come from (same index): no more full-length columns.
  const cross = v;
  const square = x;
  for (let i = 0; i < used; i++) {
    const dx = x[i] - xMean;
    cross[i] = dx * (v[i] - yMean);
    square[i] = dx * dx;
  }
  const sxx = pairwiseSum(square);
  const coef = sxx === 0 ? 0 : pairwiseSum(cross) / sxx;
  return { axis, coef, intercept: yMean - xMean * coef, samples_used: used };
}
