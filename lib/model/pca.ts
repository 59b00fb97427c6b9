/**
 * The multivariate model of `model.type: pca`: every axis at once, standardised
 * on the training window, principal components to a share of the variance, and
 * per sample two statistics — Hotelling's T² in the component space and SPE
 * (Q, the squared reconstruction error) off it — with each axis's share of
 * either (its contribution).
 *
 * Per sample, in time order (the same code trains, calibrates and scores, so a
 * replay of the training window equals calibration):
 * 1. `u_j = x_j` for a level axis, `u_j = x_j − x_j(previous sample)` for a slow
 *    one (first difference; the first sample of a stream has no step: `u_j = mean_j`);
 * 2. `z_j = (u_j − mean_j) / scale_j`;
 * 3. smoothing: none (`s = z`) or MEWMA `s = α·z + (1 − α)·s_prev`, `s` starting at 0;
 * 4. `t = Pᵀ s` (k components), `T² = Σ t_k² / λ_k`, `e = s − P·t`, `SPE = Σ e_j²`.
 *
 * A sample with a missing value (NaN) on any axis, or idle (every axis exactly
 * 0: the robot standing still), gives NaN for both statistics and leaves the
 * state as it was. Contributions: T² = Σ_j s_j·(P Λ⁻¹ Pᵀ s)_j (the partial
 * decomposition: parts clipped at 0, which attributes a shift on one of two
 * correlated axes to that axis) and SPE = Σ_j e_j².
 */
import { jacobiEigen } from "../stats";
import type { PcaArtifact } from "../shapes/pcaArtifacts";

/** The streaming state of the transform: previous raw values (slow axes) and the smoothed vector; NaN: none yet. */
export interface PcaState {
  readonly previous: Float64Array;
  readonly smoothed: Float64Array;
}

/** A fresh state (no previous sample, smoothed vector at 0). */
export function initialPcaState(axisCount: number): PcaState {
  return { previous: new Float64Array(axisCount).fill(NaN), smoothed: new Float64Array(axisCount) };
}

/** Whether a sample is idle: every axis exactly 0. */
export function isIdleRow(row: ArrayLike<number>): boolean {
  for (let j = 0; j < row.length; j++) if (row[j] !== 0) return false;
  return true;
}

/** Whether every value of a sample is finite. */
function allFinite(row: ArrayLike<number>): boolean {
  for (let j = 0; j < row.length; j++) if (!Number.isFinite(row[j])) return false;
  return true;
}

/** The part of a pca model the per-sample computation reads. */
export type PcaCore = Pick<PcaArtifact, "means" | "scales" | "differenced" | "eigenvalues" | "loadings" | "smoothing" | "components">;

/** One sample through steps 1–3 (see the file header): the smoothed standardised vector, or null (missing/idle); updates `state`. */
export function pcaVectorStep(model: PcaCore, state: PcaState, row: ArrayLike<number>): Float64Array | null {
  return pcaVectorStepInPlace(model, state, row) ? Float64Array.from(state.smoothed) : null;
}

/**
 * {@link pcaVectorStep} without the copy: false for a missing/idle sample (state unchanged), else true
 * with the vector left in `state.smoothed` (read it before the next step; training streams windows this way).
 *
 * @example
 * if (pcaVectorStepInPlace(model, state, row)) pcaStatistics(model, state.smoothed);
 */
export function pcaVectorStepInPlace(model: PcaCore, state: PcaState, row: ArrayLike<number>): boolean {
  if (!allFinite(row) || isIdleRow(row)) return false;
  const n = row.length;
  const { means, scales, differenced, smoothing } = model;
  const s = state.smoothed;
  for (let j = 0; j < n; j++) {
    let u = row[j];
    if (differenced[j]) {
      const previous = state.previous[j];
      u = Number.isNaN(previous) ? means[j] : row[j] - previous;
      state.previous[j] = row[j];
    }
    const z = (u - means[j]) / scales[j];
    s[j] = smoothing.type === "ewma" ? smoothing.alpha * z + (1 - smoothing.alpha) * s[j] : z;
  }
  return true;
}

/** T² and SPE of a smoothed standardised vector (step 4). */
export function pcaStatistics(model: PcaCore, s: ArrayLike<number>): [t2: number, spe: number] {
  const out = new Float64Array(2);
  pcaStatisticsInto(model, s, new Float64Array(s.length), out);
  return [out[0], out[1]];
}

/**
 * {@link pcaStatistics} into `out` (`[T², SPE]`), with `residual` (as long as `s`) as scratch: the same
 * numbers without allocating per sample.
 *
 * @example
 * pcaStatisticsInto(model, s, scratch, out); // out[0] = T², out[1] = SPE
 */
export function pcaStatisticsInto(model: PcaCore, s: ArrayLike<number>, residual: Float64Array, out: Float64Array): void {
  const { loadings, eigenvalues, components } = model;
  const n = s.length;
  for (let j = 0; j < n; j++) residual[j] = s[j];
  let t2 = 0;
  for (let k = 0; k < components; k++) {
    const p = loadings[k];
    let t = 0;
    for (let j = 0; j < n; j++) t += p[j] * s[j];
    t2 += (t * t) / eigenvalues[k];
    for (let j = 0; j < n; j++) residual[j] -= p[j] * t;
  }
  let spe = 0;
  for (let j = 0; j < n; j++) spe += residual[j] * residual[j];
  out[0] = t2;
  out[1] = spe;
}

/** The in-model part `P·Pᵀ·s` and `D·s = P·Λ⁻¹·Pᵀ·s` (T² = sᵀ·D·s) of `s`. */
function projections(model: PcaCore, s: ArrayLike<number>): { inModel: Float64Array; whitened: Float64Array } {
  const n = s.length;
  const inModel = new Float64Array(n);
  const whitened = new Float64Array(n);
  for (let k = 0; k < model.components; k++) {
    const p = model.loadings[k];
    let t = 0;
    for (let j = 0; j < n; j++) t += p[j] * s[j];
    const w = t / model.eigenvalues[k];
    for (let j = 0; j < n; j++) {
      inModel[j] += p[j] * t;
      whitened[j] += p[j] * w;
    }
  }
  return { inModel, whitened };
}

/** One axis's part of a statistic at a sample (see {@link pcaContributions}). */
export interface Contribution {
  readonly axis: string;
  /** Share of the statistic, 0–1; the shares of one event sum to 1. */
  readonly share: number;
  /** The axis's value at the sample, in its own units. */
  readonly value: number;
  /** What the model expects there, in the axis's units: the value less the axis's unusual part (see the file header). */
  readonly expected: number;
}

/**
 * Each axis's share of T² or SPE at one sample, largest first. `s` is the
 * sample's smoothed standardised vector, `row` its raw values. T²: parts
 * `max(0, s_j·(P Λ⁻¹ Pᵀ s)_j)` (all ≤ 0: their magnitudes), deviation `(P Pᵀ s)_j`; SPE: parts `e_j²`, deviation
 * `e_j`. `expected_j = value_j − scale_j · deviation_j`. Shares are the parts
 * over their sum (equal shares when the sum is 0).
 *
 * @example
 * pcaContributions(model, ["a", "b"], "SPE", s, [1.2, 3.4])[0]; // { axis: "b", share: 0.9, value: 3.4, expected: 2.1 }
 */
export function pcaContributions(model: PcaCore, axes: readonly string[], channel: "T2" | "SPE", s: ArrayLike<number>, row: ArrayLike<number>): Contribution[] {
  const n = s.length;
  const { inModel, whitened } = projections(model, s);
  const parts = new Float64Array(n);
  const deviation = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    deviation[j] = channel === "T2" ? inModel[j] : s[j] - inModel[j];
    // T²: the partial decomposition s_j·(P Λ⁻¹ Pᵀ s)_j (sums to T²), clipped at 0; SPE: e_j².
    parts[j] = channel === "T2" ? Math.max(0, s[j] * whitened[j]) : deviation[j] * deviation[j];
  }
  let total = 0;
  for (let j = 0; j < n; j++) total += parts[j];
  if (channel === "T2" && !(total > 0)) for (let j = 0; j < n; j++) total += parts[j] = Math.abs(s[j] * whitened[j]);
  const out = axes.map((axis, j) => ({
    axis,
    share: total > 0 ? parts[j] / total : 1 / n,
    value: row[j],
    expected: row[j] - model.scales[j] * deviation[j],
  }));
  return out.sort((a, b) => b.share - a.share || axes.indexOf(a.axis) - axes.indexOf(b.axis));
}

/** What {@link fitComponents} found: the eigen-decomposition and how many components explain `target` of the variance. */
export interface FittedComponents {
  readonly eigenvalues: Float64Array;
  readonly loadings: Float64Array[];
  readonly components: number;
  readonly explained: number;
}

/**
 * Principal components of `rows` (each a vector over the axes): the
 * covariance (centred on the rows' mean, divided by count − 1) decomposed by
 * {@link jacobiEigen}; k is the fewest components whose eigenvalues sum to at
 * least `target` of the total (at least 1). Eigenvalues below 1e-12 × the
 * largest are raised to that floor, so T² never divides by 0.
 *
 * @example
 * fitComponents([[1, 2], [2, 4.1], [3, 5.9]], 0.95).components; // 1
 */
export function fitComponents(rows: readonly ArrayLike<number>[], target: number): FittedComponents {
  return fitComponentsOf(rows[0]?.length ?? 0, rows.length, (visit) => rows.forEach((row) => visit(row)), target);
}

/**
 * {@link fitComponents} of `count` rows of `n` values that `rows` hands to its visitor, in the same order
 * on each call (it is called twice: the mean, then the covariance), so a window can be streamed instead
 * of held as one vector per row. The same numbers as {@link fitComponents} of those rows.
 *
 * @example
 * fitComponentsOf(2, 3, (visit) => [[1, 2], [2, 4.1], [3, 5.9]].forEach(visit), 0.95).components; // 1
 */
export function fitComponentsOf(n: number, count: number, rows: (visit: (row: ArrayLike<number>) => void) => void, target: number): FittedComponents {
  const sums = componentSums(n, count);
  rows(sums.addToMean);
  rows(sums.addToCovariance);
  return sums.components(target);
}

/** The passes of {@link fitComponentsOf} one row at a time, so that one stream of a window can feed several fits. */
export interface ComponentSums {
  /** First pass: every row, in order. */
  readonly addToMean: (row: ArrayLike<number>) => void;
  /** Second pass (after the first): the same rows in the same order. */
  readonly addToCovariance: (row: ArrayLike<number>) => void;
  /** After both passes: the components, as {@link fitComponentsOf} returns them. */
  components(target: number): FittedComponents;
}

/**
 * The sums {@link fitComponentsOf} accumulates over `count` rows of `n` values, fed by the caller.
 *
 * @example
 * const sums = componentSums(2, 3);
 * const rows = [[1, 2], [2, 4.1], [3, 5.9]];
 * rows.forEach(sums.addToMean);
 * rows.forEach(sums.addToCovariance);
 * sums.components(0.95).components; // 1
 */
export function componentSums(n: number, count: number): ComponentSums {
  const mean = new Float64Array(n);
  const cov = Array.from({ length: n }, () => new Float64Array(n));
  return {
    addToMean: (row) => {
      for (let j = 0; j < n; j++) mean[j] += row[j] / count;
    },
    addToCovariance: (row) => {
      for (let i = 0; i < n; i++) {
        const di = row[i] - mean[i];
        for (let j = i; j < n; j++) cov[i][j] += di * (row[j] - mean[j]);
      }
    },
    components(target) {
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) cov[j][i] = cov[i][j] = cov[i][j] / Math.max(1, count - 1);
      const { values, vectors } = jacobiEigen(cov);
      const floor = Math.max(values[0] ?? 0, 0) * 1e-12 || 1e-12;
      const eigenvalues = Float64Array.from(values, (v) => Math.max(v, floor));
      const total = eigenvalues.reduce((sum, v) => sum + v, 0);
      let components = 0;
      let sum = 0;
      while (components < n && (components === 0 || sum / total < target - 1e-12)) sum += eigenvalues[components++];
      return { eigenvalues, loadings: vectors.slice(0, components), components, explained: sum / total };
    },
  };
}

/**
 * The slow-axis test: the variance of the centred moving average of `window`
 * samples over the variance of the values (0 for a constant or too short column).
 * A share near 1 means the axis moves slowly compared with the window (drift,
 * temperature); near 1/window, it is noise around a level.
 *
 * @example
 * movingAverageShare(Float64Array.from({ length: 400 }, (_, i) => i), 31); // ≈ 0.98
 */
export function movingAverageShare(values: Float64Array, window: number): number {
  const n = values.length;
  if (n <= window) return 0;
  const variance = (xs: ArrayLike<number>): number => {
    let mean = 0;
    for (let i = 0; i < xs.length; i++) mean += xs[i] / xs.length;
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += (xs[i] - mean) * (xs[i] - mean);
    return sum / xs.length;
  };
  const total = variance(values);
  if (!(total > 0)) return 0;
  const averages = new Float64Array(n - window + 1);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    if (i >= window - 1) averages[i - window + 1] = sum / window;
  }
  return variance(averages) / total;
}
