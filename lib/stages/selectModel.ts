/**
 * The model selection stage: the trend model types `model.type` can name
 * and what each fits, plus the checks notebook 03 shows of whether a
 * straight line describes an axis (fits on each half of the window, mean
 * residual over time). Which model and statistic `auto` picks is measured
 * in lib/selection/.
 */
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";
import { fitLinear } from "../model/fitLinear";
import { didYouMean } from "../core/schema";
import type { LinearModel, ModelType, Prediction } from "../shapes/types";

/** A value of `model.type`: a model type ML Box can fit, or `auto`. */
export interface ModelChoice {
  readonly type: ModelType | "pca" | "auto";
  readonly description: string;
}

/** Every value of `model.type`, by name, with what it fits (config.yaml checks the name; this describes it). */
export const MODEL_TYPES: Readonly<Record<ModelType | "pca" | "auto", ModelChoice>> = Object.freeze({
  linear: Object.freeze({
    type: "linear",
    description: "one ordinary-least-squares line per axis, y = coef * time_s + intercept, fitted on finite non-zero samples (the default)",
  }),
  poly: Object.freeze({
    type: "poly",
    description:
      "least-squares polynomial of degree model.degree (2..6, default 2) in x = (time_s − center) / scale, center and half-span of the fitted samples' times (x in [−1, 1]), solved by Householder QR; finite non-zero samples",
  }),
  piecewise: Object.freeze({
    type: "piecewise",
    description:
      "continuous piecewise line (hinge basis 1, t, max(0, t − τ)) with at most model.breakpoints (1..8, default 3) breakpoints: greedy forward selection over every sample time (each segment keeps max(3, 1 %) of the samples), adding the breakpoint that lowers the squared error most while it lowers it by ≥ 1 %; the last segment continues beyond the window; finite non-zero samples",
  }),
  per_mode: Object.freeze({
    type: "per_mode",
    description:
      "one line per operating mode: levels by 1-D k-means (k = model.modes, 2..8, default 3) on the finite non-zero values, started at quantiles (j + 0.5)/k, Lloyd iterations to convergence; each mode's line fitted on its samples; a sample is predicted by the mode whose line at its time is nearest its value",
  }),
  pca: Object.freeze({
    type: "pca",
    description:
      "one multivariate model over all axes (docs/pca.md): standardised on the window (slow axes by their first difference), principal components to model.explained_variance (default 0.95), Hotelling's T² in the component space and SPE off it, limits from held-out blocks; events on T2/SPE explained by each axis's contribution",
  }),
  auto: Object.freeze({
    type: "auto",
    description: "picks one of the types above on held-out data at matched false alarms (see selection.json of the version)",
  }),
});

/**
 * Looks up a value of `model.type` (`config.model.type`, already checked by loadConfig).
 *
 * @throws InputError naming the unknown type and listing the ones that exist.
 *
 * @example
 * import { MODEL_TYPES, selectModel } from "mlbox";
 * selectModel("linear").description; // what a model.type fits; an unknown name is an InputError with a did-you-mean
 * Object.keys(MODEL_TYPES); // every value model.type accepts
 */
export function selectModel(type: string): ModelChoice {
  const choice = Object.prototype.hasOwnProperty.call(MODEL_TYPES, type) ? MODEL_TYPES[type as keyof typeof MODEL_TYPES] : undefined;
  if (!choice) {
    throw new InputError(`model.type "${type}" does not exist; available: ${Object.keys(MODEL_TYPES).join(", ")}${didYouMean(type, Object.keys(MODEL_TYPES))}`);
  }
  return choice;
}

/** One row of {@link halfWindowFitColumns}: trend slopes per hour. */
export interface HalfWindowFit {
  readonly axis: string;
  /** Slope of the whole window. */
  readonly drift_per_hour: number;
  /** Slopes of the first and second half of the rows (NaN when a half has no usable sample). */
  readonly first_half: number;
  readonly second_half: number;
  readonly samples_first: number;
  readonly samples_second: number;
}

/**
 * Does one line describe the whole window? The trend fitted (as `train`
 * fits it) on all rows and on each half of the rows, per axis: similar slopes
 * mean the trend is stable, very different ones that it drifts or bends.
 */
export function halfWindowFitColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[]): HalfWindowFit[] {
  const half = Math.floor(timeS.length / 2);
  return axes.map((axis, k) => {
    const fit = (from: number, to: number): LinearModel | undefined => {
      try {
        return fitLinear(axis, timeS.subarray(from, to), values[k].subarray(from, to));
      } catch {
        return undefined; // no usable samples in this part
      }
    };
    const [all, first, second] = [fit(0, timeS.length), fit(0, half), fit(half, timeS.length)];
    return {
      axis,
      drift_per_hour: (all?.coef ?? NaN) * 3600,
      first_half: (first?.coef ?? NaN) * 3600,
      second_half: (second?.coef ?? NaN) * 3600,
      samples_first: first?.samples_used ?? 0,
      samples_second: second?.samples_used ?? 0,
    };
  });
}

/**
 * Mean residual of the fitted rows (actual not idle, actual and residual
 * finite) in `buckets` equal time slices, per axis: flat around 0 when a
 * straight line describes the axis, curved when the trend is not linear.
 * Slices without such rows are NaN.
 *
 * @param buckets number of slices; defaults to 48
 * @returns the slice centers (in `time_s`) and one array of means per axis
 */
export function residualBucketMeans(prediction: Prediction, buckets = 48): { readonly centers: Float64Array; readonly means: Float64Array[] } {
  const { timeS, actual, residual } = prediction;
  const n = timeS.length;
  const t0 = n > 0 ? timeS[0] : 0;
  const span = n > 0 ? timeS[n - 1] - t0 : 0;
  const centers = new Float64Array(buckets).map((_, b) => t0 + ((b + 0.5) * span) / buckets);
  const means = prediction.axes.map((_, k) => {
    const sums = new Float64Array(buckets);
    const counts = new Float64Array(buckets);
    for (let i = 0; i < n; i++) {
      if (isIdleSample(actual[k][i]) || !Number.isFinite(actual[k][i]) || !Number.isFinite(residual[k][i])) continue;
      const b = span > 0 ? Math.min(buckets - 1, Math.floor(((timeS[i] - t0) / span) * buckets)) : 0;
      sums[b] += residual[k][i];
      counts[b]++;
    }
    return sums.map((sum, b) => (counts[b] > 0 ? sum / counts[b] : NaN));
  });
  return { centers, means };
}
