import { leastSquaresAfterOnesInPlace, usableSamples } from "./leastSquares";
import { FitWorkspace } from "./fitWorkspace";
import type { PolyModel } from "../shapes/types";

/**
 * Value of a polynomial trend at `timeS`: `x = (timeS − center) / scale`,
 * then `Σ coefficients[j]·x^j` by Horner's rule (highest power first).
 */
export function polyValue(model: PolyModel, timeS: number): number {
  const x = (timeS - model.center) / model.scale;
  const c = model.coefficients;
  let y = c[c.length - 1];
  for (let j = c.length - 2; j >= 0; j--) y = y * x + c[j];
  return y;
}

/**
 * {@link polyValue} at every time of `timeS`, into `into`: the same operations, the model's numbers read once.
 *
 * @example
 * polyColumn(model, timeS, new Float64Array(timeS.length));
 */
export function polyColumn(model: PolyModel, timeS: Float64Array, into: Float64Array): Float64Array {
  const { center, scale } = model;
  const c = Float64Array.from(model.coefficients);
  const top = c.length - 1;
  for (let i = 0; i < timeS.length; i++) {
    const x = (timeS[i] - center) / scale;
    let y = c[top];
    for (let j = top - 1; j >= 0; j--) y = y * x + c[j];
    into[i] = y;
  }
  return into;
}

/**
 * Least-squares polynomial of `degree` in the scaled time `x = (time_s −
 * center) / scale`, with `center` the middle of the usable samples' time span
 * and `scale` half of it (1 when the span is 0), so `x` runs over [−1, 1] and
 * the fit stays well conditioned; solved by Householder QR. Idle zeros and
 * non-finite values are left out. With fewer distinct times than `degree + 1`
 * the highest powers get coefficient 0.
 *
 * @param degree 2..6 (`model.degree`, default 2)
 * @param workspace Where the work columns come from and go back to (one per training: the axes reuse them).
 * @throws InputError when the axis has no usable sample.
 */
export function fitPoly(axis: string, timeS: Float64Array, values: Float64Array, degree: number, workspace = new FitWorkspace()): PolyModel {
  const usable = usableSamples(axis, timeS, values, workspace);
  const t = usable.timeS;
  let low = Infinity;
  let high = -Infinity;
  let distinct = 0;
  for (let i = 0; i < t.length; i++) {
    if (i === 0 || t[i] !== t[i - 1]) distinct++;
    low = Math.min(low, t[i]);
    high = Math.max(high, t[i]);
  }
  const center = (low + high) / 2;
  const scale = high > low ? (high - low) / 2 : 1;
  const fitted = Math.min(degree, distinct - 1);
  // The powers 1, x, x², … (x^p = x^(p−1)·x), solved in place: they and the usable values are this fit's own.
  const m = t.length;
  // x in place of the usable times (this fit's own, not read again): one column fewer.
  const x = t;
  for (let i = 0; i < m; i++) x[i] = (t[i] - center) / scale;
  // The powers after 1 (x^0 is the solver's implicit ones column, leastSquaresAfterOnesInPlace).
  const columns: Float64Array[] = [];
  // 1·x is x exactly: the first power is x itself.
  if (fitted >= 1) columns.push(x);
  for (let power = 2; power <= fitted; power++) {
    const previous = columns[power - 2];
    const column = workspace.take(m);
    for (let i = 0; i < m; i++) column[i] = previous[i] * x[i];
    columns.push(column);
  }
  const solved = leastSquaresAfterOnesInPlace(columns, usable.values);
  // x is one of the columns (the usable times'): every work column back to the pool once.
  workspace.give(...columns.filter((column) => column !== x), x, usable.values);
  const coefficients = Array.from({ length: degree + 1 }, (_, j) => (j <= fitted ? solved[j] : 0));
  return { axis, type: "poly", degree, center, scale, coefficients, samples_used: t.length };
}
