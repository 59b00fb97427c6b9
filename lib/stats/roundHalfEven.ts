/**
 * Rounds to the nearest integer, ties to even, like Python's `round(x)` and
 * numpy's `np.round` (JavaScript's `Math.round` rounds ties up instead:
 * 2.5 → 3 there, 2 here).
 */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
