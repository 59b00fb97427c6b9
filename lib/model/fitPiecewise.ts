import { leastSquaresAfterOnesInPlace, usableSamples, usableTime, type UsableSamples } from "./leastSquares";
import { FitWorkspace } from "./fitWorkspace";
import type { PiecewiseModel } from "../shapes/types";

/** A breakpoint is added only when it lowers the sum of squared residuals by at least this fraction. */
export const PIECEWISE_MIN_IMPROVEMENT = 0.01;
/** Passes of moving the breakpoints after each addition stop here at the latest. */
const REFINE_PASSES = 10;

/**
 * Value of a piecewise-linear trend at `timeS`:
 * `c0 + c1·timeS + Σ c(k+2)·max(0, timeS − breakpoints[k])`. Continuous;
 * before the first breakpoint it is the first segment's line, after the last
 * (also beyond the training window) the last segment's line, continued.
 */
export function piecewiseValue(model: PiecewiseModel, timeS: number): number {
  const { breakpoints, coefficients: c } = model;
  let y = c[0] + c[1] * timeS;
  for (let k = 0; k < breakpoints.length; k++) if (timeS > breakpoints[k]) y += c[k + 2] * (timeS - breakpoints[k]);
  return y;
}

/**
 * {@link piecewiseValue} at every time of `timeS`, into `into`: the same operations, the model's numbers read once.
 *
 * @example
 * piecewiseColumn(model, timeS, new Float64Array(timeS.length));
 */
export function piecewiseColumn(model: PiecewiseModel, timeS: Float64Array, into: Float64Array): Float64Array {
  const breakpoints = Float64Array.from(model.breakpoints);
  const c = Float64Array.from(model.coefficients);
  const [c0, c1] = [c[0], c[1]];
  for (let i = 0; i < timeS.length; i++) {
    const t = timeS[i];
    let y = c0 + c1 * t;
    for (let k = 0; k < breakpoints.length; k++) if (t > breakpoints[k]) y += c[k + 2] * (t - breakpoints[k]);
    into[i] = y;
  }
  return into;
}

/**
 * Continuous piecewise-linear least squares (hinge basis `1, t, max(0, t − τ)`)
 * with at most `maxBreakpoints` breakpoints, chosen by greedy forward
 * selection: starting from one line, each round tries every usable sample
 * time as the next breakpoint τ (keeping at least max(3, 1 % of the samples)
 * between breakpoints and from the ends of the window), takes the one that
 * lowers the sum of squared residuals (SSE) most, then moves every breakpoint
 * in turn to its best sample time given the others until none moves (at most
 * 10 passes; greedy placement alone can leave a knee a little off), and keeps
 * the round only when the SSE drops by at least {@link PIECEWISE_MIN_IMPROVEMENT}
 * (1 %) of its value; the search stops at the first round without such a drop. Each round
 * costs one pass over the samples (the SSE drop of a candidate follows from
 * running sums). The fit is done on time scaled to [−1, 1] by Householder QR
 * and the coefficients converted back to `time_s`. Idle zeros and non-finite
 * values are left out; samples are taken in time order.
 *
 * @param maxBreakpoints 1..8 (`model.breakpoints`, default 3)
 * @param workspace Where the work columns come from and go back to (one per training: the axes reuse them).
 * @throws InputError when the axis has no usable sample.
 */
export function fitPiecewise(axis: string, timeS: Float64Array, values: Float64Array, maxBreakpoints: number, workspace = new FitWorkspace()): PiecewiseModel {
  const usable = usableSamples(axis, timeS, values, workspace);
  const ordered = inTimeOrder(usable);
  const inRowOrder = ordered === usable;
  // Sorted copies were made: the usable arrays are not read again.
  if (!inRowOrder) workspace.give(usable.timeS, usable.values);
  const { timeS: t, values: y } = ordered;
  const n = t.length;
  const center = (t[0] + t[n - 1]) / 2;
  const scale = t[n - 1] > t[0] ? (t[n - 1] - t[0]) / 2 : 1;
  // x in place of the usable times when they are in row order (a breakpoint's time is read from `timeS` at the end):
  // one column fewer. The basis 1, x, max(0, x − x_k) is computed from x where it is read (basisRow), not held.
  const x = inRowOrder ? t : workspace.take(n);
  for (let i = 0; i < n; i++) x[i] = (t[i] - center) / scale;
  const minSegment = Math.max(3, Math.floor(n / 100));
  // The solver's columns (the basis and y, reflected in place), reused by every fit: the same values as fresh copies.
  const work: Float64Array[] = [];
  const row = new Float64Array(maxBreakpoints + 2);

  /** The least-squares fit with breakpoints at the sample indices `at`, and its sum of squared residuals. */
  const fit = (at: readonly number[]): PiecewiseFit => {
    const taus = Float64Array.from(at, (k) => x[k]);
    const p = at.length + 2;
    // work[0] is the ones column for the Gram matrix only; the solver's ones are implicit (leastSquaresAfterOnesInPlace).
    for (let j = 0; j <= p; j++) work[j] ??= j === 0 ? new Float64Array(0) : workspace.take(n);
    work[1].set(x);
    for (let h = 0; h < taus.length; h++) {
      const [column, tau] = [work[h + 2], taus[h]];
      for (let s = 0; s < n; s++) column[s] = Math.max(0, x[s] - tau);
    }
    work[p].set(y);
    // The basis' Gram matrix for bestBreakpoint, read from the columns before the solver reflects them.
    const gram = gramMatrix(work, p, n);
    const b = leastSquaresAfterOnesInPlace(work.slice(1, p), work[p]);
    let sse = 0;
    for (let s = 0; s < n; s++) {
      const r = residualAt(x, y, taus, b, s);
      sse += r * r;
    }
    return { at, taus, b, gram, sse };
  };
  let current = fit([]);
  while (current.at.length < maxBreakpoints && current.sse > 0) {
    const k = bestBreakpoint(x, y, current, minSegment, row);
    if (k < 0) break;
    // Move every breakpoint in turn to its best place given the others, until none moves (each move lowers the SSE).
    let at = [...current.at, k];
    for (let pass = 0, moved = true; moved && pass < REFINE_PASSES; pass++) {
      moved = false;
      for (let j = 0; j < at.length; j++) {
        const others = at.filter((_, i) => i !== j);
        const fitWithout = fit(others);
        // Between its neighbours: moving past one would only swap their roles.
        const low = Math.max(-1, ...others.filter((k) => k < at[j]));
        const high = Math.min(n, ...others.filter((k) => k > at[j]));
        const better = bestBreakpoint(x, y, fitWithout, minSegment, row, low, high);
        if (better >= 0 && better !== at[j]) {
          at = [...others.slice(0, j), better, ...others.slice(j)];
          moved = true;
        }
      }
    }
    const trial = fit(at);
    if (!(trial.sse <= (1 - PIECEWISE_MIN_IMPROVEMENT) * current.sse)) break;
    current = trial;
  }
  const { b } = current;
  // Breakpoints ascending, and back to time_s: x = (t − center)/scale, max(0, x − x_k) = max(0, t − t_k)/scale.
  const hinges = current.at.map((k, j) => ({ k, slope: b[j + 2] / scale })).sort((p, q) => p.k - q.k);
  const breakpoints = hinges.map((h) => (inRowOrder ? usableTime(timeS, values, h.k) : t[h.k]));
  // Nothing below reads the work columns: back to the pool for the next axis.
  workspace.give(x, y, ...work.slice(1));
  const coefficients = [b[0] - (b[1] * center) / scale, b[1] / scale, ...hinges.map((h) => h.slope)];
  return { axis, type: "piecewise", breakpoints, coefficients, samples_used: n };
}

/** A fit of {@link fitPiecewise}: its hinges (sample indices and their x), coefficients (1, x, hinges) and SSE. */
interface PiecewiseFit {
  readonly at: readonly number[];
  readonly taus: Float64Array;
  readonly b: Float64Array;
  /** The basis' Gram matrix (entry (i, j): Σ basis[i]·basis[j] over the samples). */
  readonly gram: number[][];
  readonly sse: number;
}

/**
 * The Gram matrix of the first `p` columns (`n` rows), column 0 being ones (not read: a product by 1 is the
 * other factor exactly). Symmetric: entry (j, i) is entry (i, j) (the same products, a·b = b·a), summed once.
 */
function gramMatrix(columns: readonly Float64Array[], p: number, n: number): number[][] {
  const gram = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      const [bi, bj] = [columns[i], columns[j]];
      let sum = 0;
      if (i === 0) for (let s = 0; s < n; s++) sum += 1;
      else if (j === 0) for (let s = 0; s < n; s++) sum += bi[s];
      else for (let s = 0; s < n; s++) sum += bi[s] * bj[s];
      gram[i][j] = sum;
      gram[j][i] = sum;
    }
  }
  return gram;
}

/** The basis at sample `s` into `row`: 1, x[s], then max(0, x[s] − τ) per hinge (the values its column would hold). */
function basisRow(x: Float64Array, taus: Float64Array, s: number, row: Float64Array): void {
  const xs = x[s];
  row[0] = 1;
  row[1] = xs;
  for (let h = 0; h < taus.length; h++) row[h + 2] = Math.max(0, xs - taus[h]);
}

/** The residual `y[s] − Σ b[j]·basis[j][s]` of a fit, summed in the basis' order (1, x, the hinges). */
function residualAt(x: Float64Array, y: Float64Array, taus: Float64Array, b: Float64Array, s: number): number {
  const xs = x[s];
  let fitted = 0;
  fitted += b[0] * 1;
  fitted += b[1] * xs;
  for (let h = 0; h < taus.length; h++) fitted += b[h + 2] * Math.max(0, xs - taus[h]);
  return y[s] - fitted;
}

/**
 * The samples sorted by time, ties in row order: the usable samples themselves when already so
 * (prepared windows are in time order), else sorted copies.
 */
function inTimeOrder(usable: UsableSamples): UsableSamples {
  const { timeS, values } = usable;
  let sorted = true;
  for (let i = 1; i < timeS.length && sorted; i++) sorted = timeS[i - 1] <= timeS[i];
  if (sorted) return usable;
  const order = Array.from(timeS.keys()).sort((a, b) => timeS[a] - timeS[b] || a - b);
  return { timeS: Float64Array.from(order, (i) => timeS[i]), values: Float64Array.from(order, (i) => values[i]) };
}

/**
 * The sample index k whose hinge `max(0, x − x[k])` lowers the SSE of the
 * current fit most, or −1. The drop is `(hᵀr)² / (hᵀh − gᵀG⁻¹g)` with r the
 * current residual, G the basis' Gram matrix and g = basisᵀh; every term is
 * a running sum over the samples after k, so one backward pass scores all k
 * (only those strictly between `low` and `high` are candidates).
 */
function bestBreakpoint(
  x: Float64Array,
  y: Float64Array,
  current: PiecewiseFit,
  minSegment: number,
  row: Float64Array,
  low = -1,
  high = x.length,
): number {
  const n = x.length;
  const { taus, b, gram, at: chosen } = current;
  const p = b.length;
  const cholesky = choleskyFactor(gram);
  if (cholesky === undefined) return -1;
  const sumF = new Float64Array(p);
  const sumXF = new Float64Array(p);
  let s1 = 0;
  let sx = 0;
  let sxx = 0;
  let sr = 0;
  let sxr = 0;
  let best = -1;
  let bestDrop = 0;
  const g = new Float64Array(p);
  const z = new Float64Array(p);
  for (let k = n - 1; k >= 0; k--) {
    if (k > low && k < high && allowed(k, n, chosen, minSegment)) {
      const tau = x[k];
      for (let j = 0; j < p; j++) g[j] = sumXF[j] - tau * sumF[j];
      const hh = sxx - 2 * tau * sx + tau * tau * s1;
      const hr = sxr - tau * sr;
      // gᵀG⁻¹g = ‖L⁻¹g‖² (one forward substitution).
      const w = forwardSubstitute(cholesky, g, z);
      let projected = 0;
      for (let j = 0; j < p; j++) projected += w[j] * w[j];
      const rest = hh - projected;
      if (rest > 1e-9 * hh) {
        const drop = (hr * hr) / rest;
        if (drop > bestDrop) {
          bestDrop = drop;
          best = k;
        }
      }
    }
    // Sample k joins the sums "after" the next (smaller) candidate.
    const xk = x[k];
    basisRow(x, taus, k, row);
    const residual = residualAt(x, y, taus, b, k);
    s1 += 1;
    sx += xk;
    sxx += xk * xk;
    sr += residual;
    sxr += xk * residual;
    for (let j = 0; j < p; j++) {
      sumF[j] += row[j];
      sumXF[j] += xk * row[j];
    }
  }
  return best;
}

/** At least `minSegment` samples between a candidate and each neighbouring breakpoint or window end. */
function allowed(k: number, n: number, chosen: readonly number[], minSegment: number): boolean {
  let left = 0;
  let right = n - 1;
  for (const c of chosen) {
    if (c === k) return false;
    if (c < k) left = Math.max(left, c);
    else right = Math.min(right, c);
  }
  return k - left >= minSegment && right - k >= minSegment;
}

/** Lower-triangular L with LLᵀ = matrix, or undefined when the matrix is not positive definite. */
function choleskyFactor(matrix: number[][]): number[][] | undefined {
  const p = matrix.length;
  const l = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i][i] = Math.sqrt(sum);
      } else {
        l[i][j] = sum / l[j][j];
      }
    }
  }
  return l;
}

/** z with L z = rhs, into `z`. */
function forwardSubstitute(l: number[][], rhs: Float64Array, z: Float64Array): Float64Array {
  const p = rhs.length;
  for (let i = 0; i < p; i++) {
    let sum = rhs[i];
    for (let k = 0; k < i; k++) sum -= l[i][k] * z[k];
    z[i] = sum / l[i][i];
  }
  return z;
}
