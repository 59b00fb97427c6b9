/**
 * The statistic's shapes: the config keys of `scoring.statistic` and the
 * per-axis spec thresholds.json records. The computation lives in
 * model/statistic.ts; these schemas sit here so config and artifact schemas
 * can name them without depending on the model layer.
 */
import { z } from "../core/schema";

/** The values `scoring.statistic` takes; `auto` is resolved by model selection. */
export const STATISTIC_TYPES = ["residual", "ewma", "cusum", "auto"] as const;

/** `scoring.ewma_alpha` default. */
export const DEFAULT_EWMA_ALPHA = 0.1;

/** `scoring.cusum_k` default, in robust σ units. */
export const DEFAULT_CUSUM_K = 0.5;

const alpha = z
  .number()
  .finite()
  .refine((value) => value > 0 && value <= 1, (value) => ({ message: `must be within 0 (exclusive) to 1, got ${value}` }));

/** The zod fields of the statistic's keys in the config's `scoring:` section (defaults: residual, 0.1, 0.5). */
export const statisticConfigShape = {
  statistic: z.enum(STATISTIC_TYPES).default("residual"),
  ewma_alpha: alpha.default(DEFAULT_EWMA_ALPHA),
  cusum_k: z.number().finite().min(0).default(DEFAULT_CUSUM_K),
};

/** A statistic as thresholds.json records it per axis (absent: `residual`). */
export const statisticSpecSchema = z
  .object({ type: z.enum(["residual", "ewma", "cusum"]) })
  .passthrough()
  .pipe(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("residual") }).strict(),
      z.object({ type: z.literal("ewma"), alpha }).strict(),
      z.object({ type: z.literal("cusum"), k_sigma: z.number().finite().min(0), reference: z.number().finite() }).strict(),
    ]),
  );

/**
 * One axis's statistic with everything needed to compute it: `{ type: "residual" }`,
 * `{ type: "ewma"; alpha }` or `{ type: "cusum"; k_sigma; reference }` (derived from the
 * schema, so thresholds.json's type is the same under every compiler setting).
 */
export type StatisticSpec = z.output<typeof statisticSpecSchema>;

