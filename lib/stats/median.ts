import { rankView } from "./rankView";

/**
 * Median as numpy computes it (`np.median`): the middle value, or the mean of
 * the two middle values for an even count. Sorts a copy; NaN values are left
 * out (pandas' `skipna`). The median of no values is NaN.
 */
export function median(values: ArrayLike<number>): number {
  const sorted = sortedFinitePart(values);
  return medianSorted(sorted);
}

/** The median of ascending `sorted` values (see {@link median}). */
export function medianSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const middle = n >> 1;
  return n % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** An ascending copy of `values` without NaN (±Infinity are kept, as pandas does). */
export function sortedFinitePart(values: ArrayLike<number>): Float64Array {
  const copy = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isNaN(value)) copy[count++] = value;
  }
  return copy.subarray(0, count).sort();
}

/**
 * The median of the steps between consecutive `times` (NaN steps left out; NaN without any), written into
 * `into` (at least `times.length − 1` long, default a new column) and its middle ranks selected
 * ({@link rankView}): {@link median} of the steps without a sorted copy.
 *
 * @example
 * medianOfSteps(Float64Array.of(0, 1, 3, 4)); // 1
 */
export function medianOfSteps(times: ArrayLike<number>, into: Float64Array = new Float64Array(Math.max(0, times.length - 1))): number {
  let count = 0;
  for (let i = 0; i + 1 < times.length; i++) {
    const step = times[i + 1] - times[i];
    if (!Number.isNaN(step)) into[count++] = step;
  }
  return medianSorted(rankView(into.subarray(0, count)));
}
