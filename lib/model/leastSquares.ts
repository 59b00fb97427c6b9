/** Shared pieces of the trend fits: the usable samples of an axis, and a stable least-squares solver. */
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";

/** The samples a trend is fitted on: finite time, finite value that is not idle (exactly 0), in row order. */
export interface UsableSamples {
  readonly timeS: Float64Array;
  readonly values: Float64Array;
}

/**
 * The rows of `values` a fit uses (as {@link fitLinear} selects them): finite,
 * not idle (exactly 0), at a finite time.
 *
 * @throws InputError naming the axis when no row is usable.
 */
export function usableSamples(axis: string, timeS: Float64Array, values: Float64Array): UsableSamples {
  const t = new Float64Array(timeS.length);
  const y = new Float64Array(timeS.length);
  let used = 0;
  for (let i = 0; i < timeS.length; i++) {
    const value = values[i];
    if (!isIdleSample(value) && Number.isFinite(value) && Number.isFinite(timeS[i])) {
      t[used] = timeS[i];
      y[used] = value;
      used++;
    }
  }
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  return { timeS: t.slice(0, used), values: y.slice(0, used) };
}

/** Relative size below which what is left of a column after the earlier reflections counts as zero. */
const DEPENDENT = 1e-10;

/**
 * Least squares `min ‖Σ b[j]·columns[j] − y‖²` by Householder QR (numerically
 * stable, no normal equations). A column that is (to 1e-10 of its norm) a
 * combination of the earlier ones gets coefficient 0 and is otherwise ignored.
 * The columns are not modified.
 *
 * @returns the coefficients, one per column
 */
export function leastSquares(columns: readonly Float64Array[], y: Float64Array): Float64Array {
  const n = y.length;
  const p = columns.length;
  const a = columns.map((column) => Float64Array.from(column));
  const rhs = Float64Array.from(y);
  const kept: number[] = [];
  const diagonal: number[] = [];
  for (let j = 0; j < p && kept.length < n; j++) {
    const r = kept.length;
    const column = a[j];
    let original = 0;
    for (let i = 0; i < n; i++) original += columns[j][i] * columns[j][i];
    let rest = 0;
    for (let i = r; i < n; i++) rest += column[i] * column[i];
    if (!(rest > DEPENDENT * DEPENDENT * original)) continue;
    const norm = Math.sqrt(rest);
    const alpha = column[r] > 0 ? -norm : norm;
    // v = column[r..] − alpha·e_r, kept in place; H = I − 2vvᵀ/vᵀv maps the column to alpha·e_r.
    column[r] -= alpha;
    let vv = 0;
    for (let i = r; i < n; i++) vv += column[i] * column[i];
    const reflect = (target: Float64Array): void => {
      let dot = 0;
      for (let i = r; i < n; i++) dot += column[i] * target[i];
      const factor = (2 * dot) / vv;
      for (let i = r; i < n; i++) target[i] -= factor * column[i];
    };
    for (let k = j + 1; k < p; k++) reflect(a[k]);
    reflect(rhs);
    kept.push(j);
    diagonal.push(alpha);
  }
  const coefficients = new Float64Array(p);
  for (let row = kept.length - 1; row >= 0; row--) {
    let sum = rhs[row];
    for (let later = row + 1; later < kept.length; later++) sum -= a[kept[later]][row] * coefficients[kept[later]];
    coefficients[kept[row]] = sum / diagonal[row];
  }
  return coefficients;
}
