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
  let used = 0;
  for (let i = 0; i < n; i++) if (usable(timeS[i], y[i])) used++;
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  // The sums read the usable rows afresh (pairwiseSumsOf): the same sums as over compacted copies, without them.
  // The loops test rows inline (no closure per row): this is the hot path of training.
  const [xSum, ySum] = pairwiseSumsOf(used, 2, (blocks, size, from) => {
    let i = from;
    for (let k = 0; k < size; i++) {
      const t = timeS[i];
      const v = y[i];
      if (!usable(t, v)) continue;
      blocks[k] = t;
      blocks[BLOCK + k] = v;
      k++;
    }
    return i;
  });
  const xMean = xSum / used;
  const yMean = ySum / used;
  const [sxx, sxy] = pairwiseSumsOf(used, 2, (blocks, size, from) => {
    let i = from;
    for (let k = 0; k < size; i++) {
      const t = timeS[i];
      const v = y[i];
      if (!usable(t, v)) continue;
      const dx = t - xMean;
      blocks[k] = dx * dx;
      blocks[BLOCK + k] = dx * (v - yMean);
      k++;
    }
    return i;
  });
  const coef = sxx === 0 ? 0 : sxy / sxx;
  return { axis, coef, intercept: yMean - xMean * coef, samples_used: used };
}

/** A row the fit uses: a finite time and a finite, non-idle value. */
function usable(time: number, value: number): boolean {
  return !isIdleSample(value) && Number.isFinite(value) && Number.isFinite(time);
}
