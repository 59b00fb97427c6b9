/** numpy's unrolled block size for pairwise summation (`PW_BLOCKSIZE`). */
const BLOCK_SIZE = 128;

/**
 * Sum of `values[start, start + length)` exactly as numpy's `np.sum` adds
 * float64 arrays (pairwise summation with 8 accumulators per 128-element
 * block), so results match numpy bit for bit rather than only to rounding.
 * The sum of no values is 0.
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, length = values.length - start): number {
  // One array type in the hot loop: other array-likes are copied once (they are small where they occur).
  const floats = values instanceof Float64Array ? values : Float64Array.from(values);
  return blockSums(floats, start, length);
}

function blockSums(values: Float64Array, start: number, length: number): number {
  if (length <= BLOCK_SIZE) return leafSum(values, start, length);
  const half = halfOf(length);
  return blockSums(values, start, half) + blockSums(values, start + half, length - half);
}

/**
 * The leaves of numpy's pairwise summation of `length` values: the sizes (at
 * most 128) of the runs it adds on their own, in order. The sum is each
 * leaf's {@link leafSum}, added as {@link addLeafSums} adds them. Summing
 * values that are never stored (a column's rows that pass a test, or a
 * product of two columns) leaf by leaf gives {@link pairwiseSum}'s result bit
 * for bit with a 128-value block as the only scratch:
 *
 * ```ts
 * const leaves = pairwiseLeaves(n);
 * const sums = new Float64Array(leaves.length);
 * for (let l = 0, i = 0; l < leaves.length; l++) {
 *   for (let k = 0; k < leaves[l]; k++, i++) block[k] = f(i); // the leaf's values, in order
 *   sums[l] = leafSum(block, 0, leaves[l]);
 * }
 * const total = addLeafSums(n, sums);
 * ```
 */
export function pairwiseLeaves(length: number): Int32Array {
  const sizes = new Int32Array(Math.max(1, Math.ceil(length / 64)));
  let count = 0;
  const split = (n: number): void => {
    if (n <= BLOCK_SIZE) {
      sizes[count++] = n;
      return;
    }
    const half = halfOf(n);
    split(half);
    split(n - half);
  };
  split(length);
  return sizes.subarray(0, count);
}

/** The sum of `length` values from their leaves' sums (one per {@link pairwiseLeaves} leaf, in order), added in numpy's order. */
export function addLeafSums(length: number, sums: Float64Array): number {
  let next = 0;
  const add = (n: number): number => {
    if (n <= BLOCK_SIZE) return sums[next++];
    const half = halfOf(n);
    const left = add(half);
    return left + add(n - half);
  };
  return add(length);
}

/** Where numpy splits `n` > 128 values: half, rounded down to a multiple of 8. */
function halfOf(n: number): number {
  const half = Math.floor(n / 2);
  return half - (half % 8);
}

/**
 * The sum of one leaf of numpy's pairwise summation (at most 128 values): 8
 * accumulators over the whole groups of 8, combined pairwise, then the rest
 * added one by one.
 */
export function leafSum(values: Float64Array, start: number, length: number): number {
  if (length < 8) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += values[start + i];
    return sum;
  }
  let r0 = values[start], r1 = values[start + 1], r2 = values[start + 2], r3 = values[start + 3];
  let r4 = values[start + 4], r5 = values[start + 5], r6 = values[start + 6], r7 = values[start + 7];
  const unrolled = length - (length % 8);
  let i = 8;
  for (; i < unrolled; i += 8) {
    const p = start + i;
    r0 += values[p]; r1 += values[p + 1]; r2 += values[p + 2]; r3 += values[p + 3];
    r4 += values[p + 4]; r5 += values[p + 5]; r6 += values[p + 6]; r7 += values[p + 7];
  }
  let sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
  for (; i < length; i++) sum += values[start + i];
  return sum;
}
