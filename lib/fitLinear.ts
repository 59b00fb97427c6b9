import { InputError } from "./errors";
import { isIdleSample } from "./idleSample";
import { pairwiseSumsOf } from "./stats";
import type { LinearModel } from "./types";

/** Values per block of {@link pairwiseSumsOf} (numpy's leaf size). */
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
