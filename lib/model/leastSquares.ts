/** Shared pieces of the trend fits: the usable samples of an axis, and a stable least-squares solver. */
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";
import type { FitWorkspace } from "./fitWorkspace";

/** The samples a trend is fitted on: finite time, finite value that is not idle (exactly 0), in row order. */
export interface UsableSamples {
  readonly timeS: Float64Array;
  readonly values: Float64Array;
}

/**
 * The rows of `values` a fit uses (as {@link fitLinear} selects them): finite,
 * not idle (exactly 0), at a finite time: in arrays of the caller's own (a fit may overwrite them),
 * new or taken from `workspace` (then the caller gives them back).
 *
 * @throws InputError naming the axis when no row is usable.
 */
export function usableSamples(axis: string, timeS: Float64Array, values: Float64Array, workspace?: FitWorkspace): UsableSamples {
  const isUsable = (i: number): boolean => isUsableRow(timeS, values, i);
  // Counted first, so the arrays are as long as the usable rows: views of window-long ones would keep the whole window's length alive.
  let used = 0;
  for (let i = 0; i < timeS.length; i++) if (isUsable(i)) used++;
  if (used === 0) {
    throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
  }
  const t = workspace?.take(used) ?? new Float64Array(used);
  const y = workspace?.take(used) ?? new Float64Array(used);
  for (let i = 0, k = 0; k < used; i++) {
    if (!isUsable(i)) continue;
    t[k] = timeS[i];
    y[k] = values[i];
    k++;
  }
  return { timeS: t, values: y };
}

/**
 * The time of the `k`-th usable row of an axis (counted from 0, in row order as {@link usableSamples} takes them),
 * for a fit that overwrote its copy of the usable times.
 *
 * @example
 * usableTime(Float64Array.of(0, 1, 2), Float64Array.of(5, 0, 7), 1); // 2 (row 1 is idle)
 */
export function usableTime(timeS: Float64Array, values: Float64Array, k: number): number {
  for (let i = 0, seen = 0; i < timeS.length; i++) {
    if (!isUsableRow(timeS, values, i)) continue;
    if (seen === k) return timeS[i];
    seen++;
  }
  throw new RangeError(`no usable row ${k}`);
}

function isUsableRow(timeS: Float64Array, values: Float64Array, i: number): boolean {
  return !isIdleSample(values[i]) && Number.isFinite(values[i]) && Number.isFinite(timeS[i]);
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
 * @example
 * leastSquares([Float64Array.of(1, 1, 1), Float64Array.of(0, 1, 2)], Float64Array.of(1, 3, 5)); // ≈ [1, 2]
 */
export function leastSquares(columns: readonly Float64Array[], y: Float64Array): Float64Array {
  return leastSquaresInPlace(
    columns.map((column) => Float64Array.from(column)),
    Float64Array.from(y),
  );
}

/**
 * {@link leastSquares} on columns and a right-hand side it may overwrite (the QR is done in them):
 * the same operations, without the copies, for callers that built the columns only to solve.
 *
 * @returns the coefficients, one per column
 * @example
 * const b = leastSquaresInPlace([ones, x], y); // ones, x and y are overwritten
 */
export function leastSquaresInPlace(a: readonly Float64Array[], rhs: Float64Array): Float64Array {
  return householderInPlace(a, rhs, false);
}

/**
 * {@link leastSquaresInPlace} with a column of ones before `a`, not held: its reflection is
 * `I − 2vvᵀ/vv` with v = (1 − α, 1, 1, …), applied as the solver applies it to a stored column of ones,
 * operation for operation (a product by 1 is exact), so the coefficients are the same bits.
 *
 * @returns the coefficients, the ones column's first
 * @example
 * const b = leastSquaresAfterOnesInPlace([x], y); // = leastSquaresInPlace([ones, x], y); x and y are overwritten
 */
export function leastSquaresAfterOnesInPlace(a: readonly Float64Array[], rhs: Float64Array): Float64Array {
  return householderInPlace(a, rhs, true);
}

function householderInPlace(a: readonly Float64Array[], rhs: Float64Array, onesFirst: boolean): Float64Array {
  const n = rhs.length;
  const first = onesFirst ? 1 : 0;
  const p = a.length + first;
  // Each column's squared norm before any reflection touched it (the dependence test compares with it).
  const originals = a.map((column) => {
    let original = 0;
    for (let i = 0; i < n; i++) original += column[i] * column[i];
    return original;
  });
  const kept: number[] = [];
  const diagonal: number[] = [];
  if (onesFirst && n > 0) {
    // The ones column: its rest (Σ 1·1 from row 0) is n exactly, above any dependence bound; alpha = −norm as 1 > 0.
    const alpha = -Math.sqrt(n);
    const v0 = 1 - alpha;
    let vv = 0;
    vv += v0 * v0;
    for (let i = 1; i < n; i++) vv += 1;
    for (let k = 0; k <= a.length; k++) reflectOnes(v0, k < a.length ? a[k] : rhs, n, vv);
    kept.push(0);
    diagonal.push(alpha);
  }
  for (let j = first; j < p && kept.length < n; j++) {
    const r = kept.length;
    const column = a[j - first];
    let rest = 0;
    for (let i = r; i < n; i++) rest += column[i] * column[i];
    if (!(rest > DEPENDENT * DEPENDENT * originals[j - first])) continue;
    const norm = Math.sqrt(rest);
    const alpha = column[r] > 0 ? -norm : norm;
    // v = column[r..] − alpha·e_r, kept in place; H = I − 2vvᵀ/vᵀv maps the column to alpha·e_r.
    column[r] -= alpha;
    let vv = 0;
    for (let i = r; i < n; i++) vv += column[i] * column[i];
    for (let k = j + 1; k <= p; k++) reflect(column, k < p ? a[k - first] : rhs, r, n, vv);
    kept.push(j);
    diagonal.push(alpha);
  }
  const coefficients = new Float64Array(p);
  // R's entries above the diagonal are in the later (stored) columns' first rows: the ones column's are never read.
  for (let row = kept.length - 1; row >= 0; row--) {
    let sum = rhs[row];
    for (let later = row + 1; later < kept.length; later++) sum -= a[kept[later] - first][row] * coefficients[kept[later]];
    coefficients[kept[row]] = sum / diagonal[row];
  }
  return coefficients;
}

/** {@link reflect} by the ones column's reflection (v = (v0, 1, 1, …) from row 0): the same operations, a product by 1 written as the factor itself. */
function reflectOnes(v0: number, target: Float64Array, n: number, vv: number): void {
  let dot = 0;
  dot += v0 * target[0];
  for (let i = 1; i < n; i++) dot += target[i];
  const factor = (2 * dot) / vv;
  target[0] -= factor * v0;
  for (let i = 1; i < n; i++) target[i] -= factor;
}

/** Applies the reflection `I − 2vvᵀ/vv` (v: `column[r..n)`) to `target[r..n)`. */
function reflect(column: Float64Array, target: Float64Array, r: number, n: number, vv: number): void {
  let dot = 0;
  for (let i = r; i < n; i++) dot += column[i] * target[i];
  const factor = (2 * dot) / vv;
  for (let i = r; i < n; i++) target[i] -= factor * column[i];
}
