import { pairwiseSum } from "./pairwiseSum";

/**
 * Arithmetic mean as numpy computes it (`np.mean`: pairwise sum divided by
 * the count). The mean of no values is NaN, as in numpy.
 */
export function mean(values: ArrayLike<number>): number {
  return pairwiseSum(values) / values.length;
}
