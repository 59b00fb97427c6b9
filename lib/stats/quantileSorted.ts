/**
 * The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted` values with numpy's
 * default `method="linear"`: virtual index `(n - 1) * q`, interpolated with
 * numpy's `_lerp` (which interpolates from the upper neighbour when the
 * fraction is ≥ 0.5), so results equal `np.quantile` / `np.percentile` bit
 * for bit. The quantile of no values is NaN.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtualIndex = (n - 1) * q;
  if (virtualIndex >= n - 1) return sorted[n - 1];
  if (virtualIndex <= 0) return sorted[0];
  const below = Math.floor(virtualIndex);
  const gamma = virtualIndex - below;
  const lower = sorted[below];
  const upper = sorted[below + 1];
  const difference = upper - lower;
  return gamma >= 0.5 ? upper - difference * (1 - gamma) : lower + difference * gamma;
}

/**
 * numpy's `np.percentile(values, p)` for ascending `sorted` values, p in 0–100
 * (numpy divides by 100 first, as done here).
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  return quantileSorted(sorted, p / 100);
}
