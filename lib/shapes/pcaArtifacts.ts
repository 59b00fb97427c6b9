/**
 * The `pca.json` file of a `model.type: pca` version: how the axes are
 * standardised (means, scales, which ones enter as first differences), the
 * principal components kept (loadings, eigenvalues), the smoothing of the
 * standardised vector, and how the T²/SPE limits were found. The limits
 * themselves are thresholds.json's `T2` and `SPE` entries (same shape as an
 * axis's thresholds), so the scorer's run rules apply to them unchanged.
 */
import { z } from "../core/schema";

/** The two statistics of a pca version, as event `axis` names them. */
export const PCA_CHANNELS = ["T2", "SPE"] as const;

/** `model.explained_variance` default: the components explaining 95 % of the standardised variance. */
export const DEFAULT_EXPLAINED_VARIANCE = 0.95;

/** `model.slow_ratio` default: an axis whose 31-sample moving average keeps more than 40 % of its variance is slow. */
export const DEFAULT_SLOW_RATIO = 0.4;

/** Samples of the moving average of the slow-axis test. */
export const SLOW_WINDOW_SAMPLES = 31;

/** Contiguous blocks of the training window the limits are measured on, each held out once. */
export const PCA_HELDOUT_BLOCKS = 4;

const finite = z.number().finite();
const numbers = z.array(finite).readonly();

/** pca.json, as written and read back. */
export const pcaArtifactSchema = z
  .object({
    /** Model axes, in order (the same as models.json). */
    axes: z.array(z.string()).readonly(),
    /** The configured target share of variance (`model.explained_variance`). */
    explained_variance: finite,
    /** Share of the standardised variance the kept components explain. */
    explained: finite,
    /** Number of components kept (rows of `loadings`). */
    components: z.number().int().min(1),
    /** Per axis: centre and scale of the standardisation (of the first difference for a slow axis). */
    means: numbers,
    scales: numbers,
    /** Per axis: true when it enters as its first difference (slow-axis test on the training window). */
    differenced: z.array(z.boolean()).readonly(),
    /** Per axis: the slow-axis test's value (variance share of the moving average). */
    slow_ratio: numbers,
    /** The threshold the test compared with (`model.slow_ratio`). */
    slow_threshold: finite,
    /** Every eigenvalue of the covariance of the (smoothed) standardised rows, descending. */
    eigenvalues: numbers,
    /** The kept components, each a unit vector over the axes. */
    loadings: z.array(numbers).readonly(),
    /** How the standardised vector is smoothed before T²/SPE: none, or an EWMA from 0 (MEWMA). */
    smoothing: z.discriminatedUnion("type", [z.object({ type: z.literal("none") }).strict(), z.object({ type: z.literal("ewma"), alpha: finite }).strict()]),
    /** Training rows the model was fitted on (all axes finite, not all idle). */
    rows_used: z.number().int().min(0),
    /** How the limits were found (see lib/stages/pcaThresholds.ts). */
    limits_method: z.string(),
  })
  .strict()
  .readonly();

/** What pca.json holds. */
export type PcaArtifact = z.output<typeof pcaArtifactSchema>;
