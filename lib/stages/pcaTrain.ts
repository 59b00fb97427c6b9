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
import { componentSums, isIdleRow, movingAverageShare, pcaStatisticsInto, type PcaCore } from "../model/pca";
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
  streamVectorsOfModels([model], timeS, values, maxGapSeconds, (i, s) => visit(i, s[0]));
}

/**
 * {@link streamVectors} of several models with the same `differenced` flags in one pass: each row is read
 * and checked once, and `visit(i, s)` gets every model's smoothed vector (`s[k]` of `models[k]`), each
 * computed operation for operation as its own stream would.
 */
function streamVectorsOfModels(
  models: readonly PcaCore[],
  timeS: Float64Array,
  values: readonly Float64Array[],
  maxGapSeconds: number | null,
  visit: (i: number, s: readonly Float64Array[]) => void,
): void {
  // pcaVectorStep (lib/model/pca.ts) inlined, operation for operation, on the models' numbers read once.
  const n = values.length;
  const m = models.length;
  const means = models.map((model) => Float64Array.from(model.means));
  const scales = models.map((model) => Float64Array.from(model.scales));
  const differenced = Uint8Array.from(models[0]?.differenced ?? [], (d) => (d ? 1 : 0));
  const ewma = models.map((model) => model.smoothing.type === "ewma");
  const alpha = models.map((model) => (model.smoothing.type === "ewma" ? model.smoothing.alpha : 0));
  const keep = alpha.map((a) => 1 - a);
  const previous = new Float64Array(n).fill(NaN);
  const s = models.map(() => new Float64Array(n));
  const row = new Float64Array(n);
  const rows = timeS.length;
  for (let i = 0; i < rows; i++) {
    if (maxGapSeconds !== null && i > 0 && timeS[i] - timeS[i - 1] > maxGapSeconds) {
      previous.fill(NaN);
      for (let k = 0; k < m; k++) s[k].fill(0);
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
      const before = previous[j];
      for (let k = 0; k < m; k++) {
        let u = row[j];
        if (differenced[j] === 1) u = Number.isNaN(before) ? means[k][j] : row[j] - before;
        const z = (u - means[k][j]) / scales[k][j];
        s[k][j] = ewma[k] ? alpha[k] * z + keep[k] * s[k][j] : z;
      }
      if (differenced[j] === 1) previous[j] = row[j];
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

/** One fit of {@link fitModels}: the rows it leaves out, their standardisation, the smoothing. */
interface FitSpec {
  /** Usable rows in `[from, to)` are left out (`[0, 0]`: none). */
  readonly heldOut: readonly [from: number, to: number];
  readonly scaling: { readonly means: number[]; readonly scales: number[] };
  readonly smoothing: PcaCore["smoothing"];
}

/**
 * Fits the components of each fit on the usable rows outside its held-out rows with its standardisation
 * and smoothing, streaming the window twice for all fits (nothing kept per row); each fit's sums take its
 * rows in row order, as one stream per fit would.
 */
function fitModels(
  timeS: Float64Array,
  values: readonly Float64Array[],
  usable: Uint8Array,
  differenced: readonly boolean[],
  fits: readonly FitSpec[],
  options: PcaTrainOptions,
): (Omit<PcaCore, "differenced"> & { explained: number })[] {
  const n = values.length;
  const identity: PcaCore = { means: new Array(n).fill(0), scales: new Array(n).fill(1), differenced, eigenvalues: [1], loadings: [new Array(n).fill(0)], smoothing: { type: "none" }, components: 1 };
  const models = fits.map(({ scaling: { means, scales }, smoothing }) => ({ ...identity, means, scales, smoothing }));
  const sums = fits.map(({ heldOut: [from, to] }) => {
    // A usable row (finite, not idle) is exactly one the stream gives a vector for.
    let rowCount = 0;
    for (let i = 0; i < usable.length; i++) if (usable[i] === 1 && (i < from || i >= to)) rowCount++;
    return componentSums(rowCount === 0 ? 0 : n, rowCount);
  });
  const from = fits.map((fit) => fit.heldOut[0]);
  const to = fits.map((fit) => fit.heldOut[1]);
  for (const pass of ["addToMean", "addToCovariance"] as const) {
    const add = sums.map((sum) => sum[pass]);
    streamVectorsOfModels(models, timeS, values, options.maxGapSeconds, (i, s) => {
      for (let f = 0; f < add.length; f++) if (i < from[f] || i >= to[f]) add[f](s[f]);
    });
  }
  return fits.map(({ scaling: { means, scales }, smoothing }, f) => {
    const { eigenvalues, loadings, components, explained } = sums[f].components(options.explainedVariance);
    return { means, scales, eigenvalues: Array.from(eigenvalues), loadings: loadings.map((l) => Array.from(l)), smoothing, components, explained };
  });
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
  return trainPcaSmoothings(axes, timeS, values, dtSeconds, policy, options, [options.ewmaAlpha])[0];
}

/**
 * {@link trainPca} with each of `ewmaAlphas` as `options.ewmaAlpha` (same order), trained together: the
 * usable rows, the slow-axis test, the blocks and the standardisations (none depends on the smoothing)
 * once, and each pass over the window feeds every smoothing's fits. Each result is the one `trainPca` gives.
 *
 * @example
 * const [plain, smoothed] = trainPcaSmoothings(axes, columns.timeS, columns.values, 1, policy, options, [null, 0.2]);
 * @throws InputError as {@link trainPca}.
 */
export function trainPcaSmoothings(
  axes: readonly string[],
  timeS: Float64Array,
  values: readonly Float64Array[],
  dtSeconds: number,
  policy: ThresholdPolicy,
  options: PcaTrainOptions,
  ewmaAlphas: readonly (number | null)[],
): PcaTrained[] {
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
  // The final model's standardisation (no rows held out), then each block's; per smoothing, the final model and each block's fold.
  const heldOut: [number, number][] = [[0, 0], ...blocks];
  const scalings = standardisations(timeS, values, differenced, options.maxGapSeconds, heldOut);
  const smoothings = ewmaAlphas.map((alpha): PcaCore["smoothing"] => (alpha === null ? { type: "none" } : { type: "ewma", alpha }));
  const fitted = fitModels(timeS, values, usable, differenced, smoothings.flatMap((smoothing) => heldOut.map((range, f) => ({ heldOut: range, scaling: scalings[f], smoothing }))), options).map(
    (fit) => ({ ...fit, differenced }),
  );
  const finals = smoothings.map((_smoothing, v) => fitted[v * heldOut.length]);
  // Each fold scores its own block (the state runs from row 0): one stream for every fold of every smoothing.
  const folds = smoothings.flatMap((_smoothing, v) => blocks.map((_block, b) => fitted[v * heldOut.length + 1 + b]));
  const limitT2 = smoothings.map(() => 0);
  const limitSpe = smoothings.map(() => 0);
  const residual = new Float64Array(n);
  const out = new Float64Array(2);
  streamVectorsOfModels(folds, timeS, values, options.maxGapSeconds, (i, s) => {
    for (let k = 0; k < folds.length; k++) {
      const [from, to] = blocks[k % PCA_HELDOUT_BLOCKS];
      if (i < from || i >= to) continue;
      pcaStatisticsInto(folds[k], s[k], residual, out);
      const v = Math.floor(k / PCA_HELDOUT_BLOCKS);
      if (Number.isFinite(out[0])) limitT2[v] = Math.max(limitT2[v], out[0]);
      if (Number.isFinite(out[1])) limitSpe[v] = Math.max(limitSpe[v], out[1]);
    }
  });
  return finals.map((final, v) => trainedOf(axes, timeS, values, dtSeconds, policy, options, { usable, usedRows, slowRatio, differenced, final, limitT2: limitT2[v], limitSpe: limitSpe[v] }));
}

/** The rest of {@link trainPcaSmoothings} for one smoothing: the limits as thresholds, the columns, the per-axis levels and metrics, the artifact. */
function trainedOf(
  axes: readonly string[],
  timeS: Float64Array,
  values: readonly Float64Array[],
  dtSeconds: number,
  policy: ThresholdPolicy,
  options: PcaTrainOptions,
  fit: {
    readonly usable: Uint8Array;
    readonly usedRows: number;
    readonly slowRatio: number[];
    readonly differenced: boolean[];
    readonly final: PcaCore & { explained: number };
    readonly limitT2: number;
    readonly limitSpe: number;
  },
): PcaTrained {
  const { usable, usedRows, slowRatio, differenced, final, limitT2, limitSpe } = fit;
  const n = axes.length;
  const rows = timeS.length;
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
