/**
 * Fills NaN entries of `values` (returning a new array) the way pandas'
 * `Series.interpolate(method="linear", limit_direction="both")` does:
 * linear in row position between the nearest valid neighbours (numpy's
 * `np.interp` formula), and the nearest valid value before the first / after
 * the last valid one. ±Infinity count as valid, as in pandas. All-NaN input
 * is returned unchanged.
 */
export function interpolateGaps(values: Float64Array): Float64Array {
  const out = Float64Array.from(values);
  const n = out.length;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(out[i])) { first = i; break; }
  }
  if (first < 0) return out;
  for (let i = 0; i < first; i++) out[i] = out[first];
  let previous = first;
  for (let i = first + 1; i < n; i++) {
    if (Number.isNaN(out[i])) continue;
    if (i - previous > 1) fillBetween(out, previous, i);
    previous = i;
  }
  for (let i = previous + 1; i < n; i++) out[i] = out[previous];
  return out;
}

/** np.interp between valid positions `left` and `right` (exclusive). */
function fillBetween(out: Float64Array, left: number, right: number): void {
  const leftValue = out[left];
  const rightValue = out[right];
  const slope = (rightValue - leftValue) / (right - left);
  for (let j = left + 1; j < right; j++) {
    let value = slope * (j - left) + leftValue;
    if (Number.isNaN(value)) {
      value = slope * (j - right) + rightValue;
      if (Number.isNaN(value) && leftValue === rightValue) value = leftValue;
    }
    out[j] = value;
  }
}
