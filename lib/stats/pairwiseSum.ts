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
  let half = Math.floor(length / 2);
  half -= half % 8;
  return blockSums(values, start, half) + blockSums(values, start + half, length - half);
}

/**
 * {@link pairwiseSum}s of `width` sequences of `length` values each that are
 * never stored: `fill(blocks, count, from)` writes the next `count` values (at
 * most 128, in order) of sequence `j` into `blocks[j * 128 + k]`, reading its
 * source from position `from` (0 at first), and returns the position to go on
 * from. numpy adds each 128-value leaf on its own, left to right, so summing
 * the leaves as they are filled gives the same results bit for bit, with no
 * full-length scratch columns, and one pass over the source serves every sum.
 */
export function pairwiseSumsOf(
  length: number,
  width: number,
  fill: (blocks: Float64Array, count: number, from: number) => number,
): number[] {
  const blocks = new Float64Array(width * BLOCK_SIZE);
  // Partial sums by recursion depth (no arrays allocated per leaf): depth d writes row d, its halves row d + 1.
  const partial = new Float64Array(64 * width);
  let from = 0;
  const sum = (count: number, row: number): void => {
    const at = row * width;
    if (count <= BLOCK_SIZE) {
      from = fill(blocks, count, from);
      for (let j = 0; j < width; j++) partial[at + j] = leafSum(blocks, j * BLOCK_SIZE, count);
      return;
    }
    let half = Math.floor(count / 2);
    half -= half % 8;
    sum(half, row + 1);
    for (let j = 0; j < width; j++) partial[at + j] = partial[at + width + j];
    sum(count - half, row + 1);
    for (let j = 0; j < width; j++) partial[at + j] += partial[at + width + j];
  };
  sum(length, 0);
  return Array.from(partial.subarray(0, width));
}

/**
 * The sum of one leaf of numpy's pairwise summation (at most 128 values): 8
 * accumulators over the whole groups of 8, combined pairwise, then the rest
 * added one by one.
 */
function leafSum(values: Float64Array, start: number, length: number): number {
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
