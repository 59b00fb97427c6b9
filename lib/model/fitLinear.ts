import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";
import { addLeafSums, leafSum, pairwiseLeaves } from "../stats";
import type { LinearModel } from "../shapes/types";

/** Values per block: numpy's leaf size (see pairwiseLeaves). */
const BLOCK = 128;

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
  let used = 0;
  for (let i = 0; i < n; i++) if (usable(timeS[i], y[i])) used++;
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  // The sums read the usable rows afresh, leaf by leaf (pairwiseLeaves): the same sums as over compacted copies,
  // without them. The rows are tested inline (no callback per row): this is the hot path of training.
  const leaves = pairwiseLeaves(used);
  const block = new Float64Array(2 * BLOCK);
  const first = new Float64Array(leaves.length);
  const second = new Float64Array(leaves.length);
  for (let l = 0, i = 0; l < leaves.length; l++) {
    const size = leaves[l];
    for (let k = 0; k < size; i++) {
      const t = timeS[i];
      const v = y[i];
      if (!usable(t, v)) continue;
      block[k] = t;
      block[BLOCK + k] = v;
      k++;
    }
    first[l] = leafSum(block, 0, size);
    second[l] = leafSum(block, BLOCK, size);
  }
  const xMean = addLeafSums(used, first) / used;
  const yMean = addLeafSums(used, second) / used;
  for (let l = 0, i = 0; l < leaves.length; l++) {
    const size = leaves[l];
    for (let k = 0; k < size; i++) {
      const t = timeS[i];
      const v = y[i];
      if (!usable(t, v)) continue;
      const dx = t - xMean;
      block[k] = dx * dx;
      block[BLOCK + k] = dx * (v - yMean);
      k++;
    }
    first[l] = leafSum(block, 0, size);
    second[l] = leafSum(block, BLOCK, size);
  }
  const sxx = addLeafSums(used, first);
  const sxy = addLeafSums(used, second);
  const coef = sxx === 0 ? 0 : sxy / sxx;
  return { axis, coef, intercept: yMean - xMean * coef, samples_used: used };
}

/** A row the fit uses: a finite time and a finite, non-idle value. */
function usable(time: number, value: number): boolean {
  return !isIdleSample(value) && Number.isFinite(value) && Number.isFinite(time);
}
