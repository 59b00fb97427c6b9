/**
 * Moves rank `k` (0-based position in ascending order) of `values[lo..hi]`
 * to index `k`, smaller-or-equal values before it and greater-or-equal after
 * (quickselect, median-of-three pivot, equal values stop both scans so runs
 * of equal values split evenly). Falls back to sorting the range when the
 * partitions stay unbalanced, so it never takes more than O(n log n).
 * `values` must hold no NaN.
 */
export function selectRank(values: Float64Array, k: number, lo = 0, hi = values.length - 1): number {
  const a = values;
  let rounds = 4 * Math.ceil(Math.log2(hi - lo + 2)) + 16;
  while (hi > lo + 1) {
    if (--rounds < 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k];
    }
    const middle = (lo + hi) >>> 1;
    let t = a[middle]; a[middle] = a[lo + 1]; a[lo + 1] = t;
    if (a[lo] > a[hi]) { t = a[lo]; a[lo] = a[hi]; a[hi] = t; }
    if (a[lo + 1] > a[hi]) { t = a[lo + 1]; a[lo + 1] = a[hi]; a[hi] = t; }
    if (a[lo] > a[lo + 1]) { t = a[lo]; a[lo] = a[lo + 1]; a[lo + 1] = t; }
    const pivot = a[lo + 1];
    let i = lo + 1;
    let j = hi;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (j < i) break;
      t = a[i]; a[i] = a[j]; a[j] = t;
    }
    a[lo + 1] = a[j];
    a[j] = pivot;
    if (j >= k) hi = j - 1;
    if (j <= k) lo = i;
  }
  if (hi === lo + 1 && a[hi] < a[lo]) {
    const t = a[lo]; a[lo] = a[hi]; a[hi] = t;
  }
  return a[k];
}

/**
 * `values` seen in ascending order without sorting them: reading index `r`
 * of the returned view selects rank `r` in place ({@link selectRank}, O(n)),
 * each read narrowed to the span between the ranks already placed. Hand it to
 * `medianSorted`, `quantileSorted` or `percentileSorted`, which read only a
 * few ranks: the same values as sorting first, far faster on long columns.
 * `values` is reordered and must hold no NaN.
 * @param length the view's length (default all values): a shorter view is the smallest `length` values in order
 */
export function rankView(values: Float64Array, length = values.length): ArrayLike<number> {
  const placed: number[] = []; // ranks already at their sorted index, ascending
  const rank = (r: number): number => {
    let after = 0;
    while (after < placed.length && placed[after] < r) after++;
    if (placed[after] === r) return values[r];
    const lo = after === 0 ? 0 : placed[after - 1] + 1;
    const hi = after === placed.length ? values.length - 1 : placed[after] - 1;
    const value = selectRank(values, r, lo, hi);
    placed.splice(after, 0, r);
    return value;
  };
  return sortedView(Math.min(length, values.length), rank);
}

/**
 * An ArrayLike of `length` sorted values that stores none: reading index `r`
 * returns `rank(r)`. For `medianSorted`/`quantileSorted`/`percentileSorted`,
 * which read a few indices.
 */
export function sortedView(length: number, rank: (r: number) => number): ArrayLike<number> {
  return new Proxy({ length } as ArrayLike<number>, {
    get(target, key) {
      if (typeof key === "string") {
        const index = Number(key);
        if (Number.isInteger(index) && index >= 0 && index < length && String(index) === key) return rank(index);
      }
      return Reflect.get(target, key) as unknown;
    },
  });
}
