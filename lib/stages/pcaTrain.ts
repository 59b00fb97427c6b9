/**
 * Training a `model.type: pca` version on a prepared window: the slow-axis
 * test, the standardisation and components (lib/model/pca.ts), the T²/SPE
 * limits, and per-axis reconstruction metrics.
 *
 * Limits (the policy of this model, documented in docs/pca.md): the window is
 * cut into 4 contiguous blocks; each block is scored by a model fitted on the
 * other three (the smoothing runs over the whole window), so every training
 * sample gets a held-out T² and SPE. The alert level (MinC) is the largest
 * held-out value: no sample of the training window, seen as new data, would
 * alert. The error level (MaxC) is twice that. The per-axis percentile policy
 * does not fit these statistics: its percentiles of positive values would put
 * MinC inside the normal spread of a statistic that is positive everywhere.
 * Sustain steps are the policy's `alert_seconds_default`/`error_seconds_default`
 * in sampling steps (no held-out run reaches the limit, so no run quantile).
 */
import { InputError } from "../core/errors";
import { fitComponentsOf, isIdleRow, movingAverageShare, pcaStatisticsInto, type PcaCore } from "../model/pca";
import { PCA_HELDOUT_BLOCKS, SLOW_WINDOW_SAMPLES, type PcaArtifact } from "../shapes/pcaArtifacts";
import { regressionMetrics } from "./evaluate";
import { secondsToSteps } from "./thresholds";
import type { AxisMetrics, AxisThresholds, LinearModel, ThresholdPolicy } from "../shapes/types";

/** What {@link trainPca} needs besides the window. */
export interface PcaTrainOptions {
  /** `model.explained_variance`, in (0, 1]. */
  readonly explainedVariance: number;
  /** `model.slow_ratio`, in [0, 1]: an axis above it enters as its first difference (1: none does). */
  readonly slowRatio: number;
  /** EWMA weight of the standardised vector (`scoring.statistic: ewma`), or null for none (`residual`). */
  readonly ewmaAlpha: number | null;
  /** `scoring.max_gap_seconds`: a larger gap resets the state, as the scorer does. */
  readonly maxGapSeconds: number | null;
  /** Whether to compute the per-axis reconstruction metrics (default true; selection, which reads none, passes false: `metrics` is then empty). */
  readonly metrics?: boolean;
  /** Whether to compute `t2` and `spe` over the window (default true; selection, which measures at the limits, passes false: they are then empty, and `pcaColumns(trained.pca, …)` gives them). */
  readonly columns?: boolean;
}

/** A trained pca version's artifacts. */
export interface PcaTrained {
  readonly pca: PcaArtifact;
  /** Per axis, its level as a line (coef 0, intercept = mean of the used rows): what models.json records. */
  readonly models: LinearModel[];
  /** Per axis, how well the component space reconstructs it (R², MAE, RMSE of value vs expected). */
  readonly metrics: AxisMetrics[];
  /** `T2` and `SPE` limits and sustain steps. */
  readonly thresholds: Record<"T2" | "SPE", AxisThresholds>;
  /** T² and SPE of the final model over the window (for charts and tests). */
  readonly t2: Float64Array;
  readonly spe: Float64Array;
}

/** Whether every value of a row is finite (a loop, not a closure per row: this runs once per row of the window). */
function allFinite(row: Float64Array): boolean {
  for (let j = 0; j < row.length; j++) if (!Number.isFinite(row[j])) return false;
  return true;
}

/** Rows of `values` (one column per axis) as vectors. */
function rowAt(values: readonly Float64Array[], i: number, into: Float64Array): Float64Array {
  for (let j = 0; j < values.length; j++) into[j] = values[j][i];
  return into;
}

/**
 * Streams the window through `model` from a fresh state, calling `visit(i, s)` for each row with its
 * smoothed vector `s` (missing/idle rows are skipped; `s` is the state's, valid until the next row);
 * a gap larger than `maxGapSeconds` resets the state. Nothing is kept per row.
 */
function streamVectors(model: PcaCore, timeS: Float64Array, values: readonly Float64Array[], maxGapSeconds: number | null, visit: (i: number, s: Float64Array) => void): void {
  // pcaVectorStep (lib/model/pca.ts) inlined, operation for operation, on the model's numbers read once.
  const n = values.length;
  const means = Float64Array.from(model.means);
  const scales = Float64Array.from(model.scales);
  const differenced = Uint8Array.from(model.differenced, (d) => (d ? 1 : 0));
  const ewma = model.smoothing.type === "ewma";
  const alpha = model.smoothing.type === "ewma" ? model.smoothing.alpha : 0;
  const keep = 1 - alpha;
  const previous = new Float64Array(n).fill(NaN);
  const s = new Float64Array(n);
  const row = new Float64Array(n);
  const rows = timeS.length;
  for (let i = 0; i < rows; i++) {
    if (maxGapSeconds !== null && i > 0 && timeS[i] - timeS[i - 1] > maxGapSeconds) {
      previous.fill(NaN);
      s.fill(0);
    }
    let finite = true;
    let idle = true;
    for (let j = 0; j < n; j++) {
      const v = values[j][i];
      row[j] = v;
      if (!Number.isFinite(v)) finite = false;
      if (v !== 0) idle = false;
    }
    if (!finite || idle) continue;
    for (let j = 0; j < n; j++) {
      let u = row[j];
      if (differenced[j] === 1) {
        const before = previous[j];
        u = Number.isNaN(before) ? means[j] : row[j] - before;
        previous[j] = row[j];
      }
      const z = (u - means[j]) / scales[j];
      s[j] = ewma ? alpha * z + keep * s[j] : z;
    }
    visit(i, s);
  }
}

/**
 * Streams the window through `model` from a fresh state: per row the smoothed
 * vector (null when missing/idle); a gap larger than `maxGapSeconds` resets the state.
 */
export function pcaVectors(model: PcaCore, timeS: Float64Array, values: readonly Float64Array[], maxGapSeconds: number | null): (Float64Array | null)[] {
  const out: (Float64Array | null)[] = new Array(timeS.length).fill(null);
  streamVectors(model, timeS, values, maxGapSeconds, (i, s) => (out[i] = Float64Array.from(s)));
  return out;
}

/** T² and SPE columns of a pca model over a window, from a fresh state (NaN where missing/idle). */
export function pcaColumns(model: PcaCore, timeS: Float64Array, values: readonly Float64Array[], maxGapSeconds: number | null = null): { t2: Float64Array; spe: Float64Array } {
  return pcaColumnsWithin(model, timeS, values, maxGapSeconds, 0, timeS.length);
}

/** {@link pcaColumns}, the statistics computed only at rows `from` to `to` − 1 (NaN elsewhere; the state still runs from row 0). */
function pcaColumnsWithin(model: PcaCore, timeS: Float64Array, values: readonly Float64Array[], maxGapSeconds: number | null, from: number, to: number): { t2: Float64Array; spe: Float64Array } {
  const t2 = new Float64Array(timeS.length).fill(NaN);
  const spe = new Float64Array(timeS.length).fill(NaN);
  const residual = new Float64Array(values.length);
  const out = new Float64Array(2);
  streamVectors(model, timeS, values, maxGapSeconds, (i, s) => {
    if (i < from || i >= to) return;
    pcaStatisticsInto(model, s, residual, out);
    t2[i] = out[0];
    spe[i] = out[1];
  });
  return { t2, spe };
}

/**
 * The standardisation of every fit at once: per fit, the mean and scale of the inputs u (first
 * differences of slow axes, over consecutive usable rows) over its rows, the usable rows outside its
 * held-out rows `[from, to)` (none for the final model: `from = to = 0`). Two passes over the window
 * for all fits; each fit's sums take its rows in row order, as one pass per fit would.
 */
function standardisations(timeS: Float64Array, values: readonly Float64Array[], differenced: readonly boolean[], maxGapSeconds: number | null, heldOut: readonly (readonly [from: number, to: number])[]): { means: number[]; scales: number[] }[] {
  const n = values.length;
  const identity: PcaCore = { means: new Array(n).fill(0), scales: new Array(n).fill(1), differenced, eigenvalues: [1], loadings: [new Array(n).fill(0)], smoothing: { type: "none" }, components: 1 };
  const fits = heldOut.map(() => ({ means: new Array<number>(n).fill(0), scales: new Array<number>(n).fill(0), count: 0 }));
  streamVectors(identity, timeS, values, maxGapSeconds, (i, u) => {
    for (let f = 0; f < fits.length; f++) {
      if (i >= heldOut[f][0] && i < heldOut[f][1]) continue;
      const { means } = fits[f];
      fits[f].count++;
      for (let j = 0; j < n; j++) means[j] += u[j];
    }
  });
  for (const { means, count } of fits) for (let j = 0; j < n; j++) means[j] /= count;
  streamVectors(identity, timeS, values, maxGapSeconds, (i, u) => {
    for (let f = 0; f < fits.length; f++) {
      if (i >= heldOut[f][0] && i < heldOut[f][1]) continue;
      const { means, scales } = fits[f];
      for (let j = 0; j < n; j++) scales[j] += (u[j] - means[j]) ** 2;
    }
  });
  for (const { scales, count } of fits) for (let j = 0; j < n; j++) scales[j] = Math.sqrt(scales[j] / count) || 1;
  return fits.map(({ means, scales }) => ({ means, scales }));
}

/** Fits the components on the rows where `fit[i]` is set (usable rows only) with the standardisation of those rows, streaming the window (nothing kept per row). */
function fitOn(
  timeS: Float64Array,
  values: readonly Float64Array[],
  usable: Uint8Array,
  fit: Uint8Array,
  differenced: readonly boolean[],
  { means, scales }: { readonly means: number[]; readonly scales: number[] },
  options: PcaTrainOptions,
): Omit<PcaCore, "differenced"> & { explained: number } {
  const n = values.length;
  const identity: PcaCore = { means: new Array(n).fill(0), scales: new Array(n).fill(1), differenced, eigenvalues: [1], loadings: [new Array(n).fill(0)], smoothing: { type: "none" }, components: 1 };
  const smoothing = options.ewmaAlpha === null ? ({ type: "none" } as const) : ({ type: "ewma", alpha: options.ewmaAlpha } as const);
  const standardisedModel = { ...identity, means, scales, smoothing };
  // A usable row (finite, not idle) is exactly one the stream gives a vector for.
  let rowCount = 0;
  for (let i = 0; i < fit.length; i++) if (fit[i] === 1 && usable[i] === 1) rowCount++;
  const rows = (visit: (row: ArrayLike<number>) => void): void =>
    streamVectors(standardisedModel, timeS, values, options.maxGapSeconds, (i, s) => {
      if (fit[i] === 1 && usable[i] === 1) visit(s);
    });
  const { eigenvalues, loadings, components, explained } = fitComponentsOf(rowCount === 0 ? 0 : n, rowCount, rows, options.explainedVariance);
  return { means, scales, eigenvalues: Array.from(eigenvalues), loadings: loadings.map((l) => Array.from(l)), smoothing, components, explained };
}

/**
 * Trains a pca model on a prepared window (see the file header for the limits).
 *
 * @example
 * const trained = trainPca(["a", "b"], columns.timeS, columns.values, 1, policy, { explainedVariance: 0.95, slowRatio: 0.3, ewmaAlpha: 0.2, maxGapSeconds: null });
 * trained.thresholds.T2.MinC; // the alert level of T²
 * @throws InputError when the window has fewer usable rows (all axes finite, not all idle) than axes + 1, or fewer than 2 per held-out block.
 */
export function trainPca(axes: readonly string[], timeS: Float64Array, values: readonly Float64Array[], dtSeconds: number, policy: ThresholdPolicy, options: PcaTrainOptions): PcaTrained {
  const n = axes.length;
  const rows = timeS.length;
  const usable = new Uint8Array(rows);
  const row = new Float64Array(n);
  let usedRows = 0;
  for (let i = 0; i < rows; i++) {
    rowAt(values, i, row);
    if (allFinite(row) && !isIdleRow(row)) {
      usable[i] = 1;
      usedRows++;
    }
  }
  if (usedRows < Math.max(n + 1, 2 * PCA_HELDOUT_BLOCKS)) {
    throw new InputError(
      `model.type pca: the training window has ${usedRows} usable rows (every axis finite, not all exactly 0) for ${n} axes; it needs at least ${Math.max(n + 1, 2 * PCA_HELDOUT_BLOCKS)}: widen data.train_start/data.train_end`,
    );
  }
  // The slow-axis test, on the usable rows of the whole window: one decision for the final model and every block.
  const compact = new Float64Array(usedRows);
  const slowRatio = values.map((column) => {
    for (let i = 0, k = 0; i < rows; i++) if (usable[i] === 1) compact[k++] = column[i];
    return movingAverageShare(compact, SLOW_WINDOW_SAMPLES);
  });
  const differenced = slowRatio.map((share) => share > options.slowRatio);
  // Held-out blocks: contiguous quarters of the usable rows. The limits are the largest held-out values (0 if none).
  const usedIndex = new Int32Array(usedRows);
  for (let i = 0, k = 0; i < rows; i++) if (usable[i] === 1) usedIndex[k++] = i;
  const blocks = Array.from({ length: PCA_HELDOUT_BLOCKS }, (_, b): [number, number] => [
    usedIndex[Math.floor((b * usedIndex.length) / PCA_HELDOUT_BLOCKS)],
    b + 1 === PCA_HELDOUT_BLOCKS ? rows : usedIndex[Math.floor(((b + 1) * usedIndex.length) / PCA_HELDOUT_BLOCKS)],
  ]);
  // The final model's standardisation (no rows held out), then each block's.
  const [finalScaling, ...blockScaling] = standardisations(timeS, values, differenced, options.maxGapSeconds, [[0, 0], ...blocks]);
  const final = { ...fitOn(timeS, values, usable, usable, differenced, finalScaling, options), differenced };
  let limitT2 = 0;
  let limitSpe = 0;
  const fit = new Uint8Array(rows);
  for (let b = 0; b < PCA_HELDOUT_BLOCKS; b++) {
    const [from, to] = blocks[b];
    for (let i = 0; i < rows; i++) fit[i] = usable[i] === 1 && (i < from || i >= to) ? 1 : 0;
    const fold = { ...fitOn(timeS, values, usable, fit, differenced, blockScaling[b], options), differenced };
    const { t2, spe } = pcaColumnsWithin(fold, timeS, values, options.maxGapSeconds, from, to);
    for (let i = from; i < to; i++) {
      if (Number.isFinite(t2[i])) limitT2 = Math.max(limitT2, t2[i]);
      if (Number.isFinite(spe[i])) limitSpe = Math.max(limitSpe, spe[i]);
    }
  }
  const method = `heldout_blocks=${PCA_HELDOUT_BLOCKS}, alert=max held-out, error=2×alert`;
  const channel = (limit: number): AxisThresholds => ({
    MinC: limit,
    MaxC: 2 * limit,
    T_long_steps: secondsToSteps(policy.alert_seconds_default, dtSeconds),
    T_short_steps: secondsToSteps(policy.error_seconds_default, dtSeconds),
    dt_seconds: dtSeconds,
    policy,
    meta: { method },
  });
  const { t2, spe } = options.columns === false ? { t2: new Float64Array(0), spe: new Float64Array(0) } : pcaColumns(final, timeS, values, options.maxGapSeconds);

  // Per axis: the level (models.json), the mean of its usable rows, and how well the component space reconstructs
  // the axis (metrics.csv): the window streamed once per axis, into two columns of the usable rows reused from axis to axis.
  const models: LinearModel[] = axes.map((axis, j) => {
    let sum = 0;
    for (let i = 0; i < rows; i++) if (usable[i] === 1) sum += values[j][i];
    return { axis, coef: 0, intercept: sum / usedRows, samples_used: usedRows };
  });
  const metrics: AxisMetrics[] = [];
  const actual = new Float64Array(options.metrics === false ? 0 : usedRows);
  const expected = new Float64Array(actual.length);
  axes.forEach((axis, j) => {
    if (options.metrics === false) return;
    let count = 0;
    streamVectors(final, timeS, values, options.maxGapSeconds, (i, s) => {
      let inModel = 0;
      for (let k = 0; k < final.components; k++) {
        let t = 0;
        for (let m = 0; m < n; m++) t += final.loadings[k][m] * s[m];
        inModel += final.loadings[k][j] * t;
      }
      actual[count] = values[j][i];
      expected[count] = values[j][i] - final.scales[j] * (s[j] - inModel);
      count++;
    });
    metrics.push(regressionMetrics(axis, actual, expected));
  });
  const pca: PcaArtifact = {
    axes: [...axes],
    explained_variance: options.explainedVariance,
    explained: final.explained,
    components: final.components,
    means: final.means,
    scales: final.scales,
    differenced,
    slow_ratio: slowRatio,
    slow_threshold: options.slowRatio,
    eigenvalues: final.eigenvalues,
    loadings: final.loadings,
    smoothing: final.smoothing,
    rows_used: usedRows,
    limits_method: method,
  };
  return { pca, models, metrics, thresholds: { T2: channel(limitT2), SPE: channel(limitSpe) }, t2, spe };
}
