/**
 * The files of one registry version, described once as zod schemas: the
 * TypeScript types derive from them, reading checks against them, and
 * writing serializes what they let through. The text of each file (JSON,
 * CSV, YAML) and reading it back are in lib/registry/artifactText.ts.
 *
 * JSON has no NaN/Infinity, so the files hold those as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"`; the number schemas read them back as numbers.
 */
import { dtSecondsSchema, sustainStepsSchema } from "./artifactBounds";
import { describeValue, z } from "../core/schema";
import { statisticSpecSchema } from "./statisticSpec";
import { pcaArtifactSchema, type PcaArtifact } from "./pcaArtifacts";

/** File names of one version folder. */
export const ARTIFACT_FILES = Object.freeze({
  models: "models.json",
  prepStats: "prep_stats.json",
  thresholds: "thresholds.json",
  metrics: "metrics.csv",
  meta: "meta.yaml",
} as const);

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** Any number, NaN and ±Infinity included; the strings `"NaN"`, `"Infinity"`, `"-Infinity"` read as those. */
const number = z.unknown().transform((value, context): number => {
  if (typeof value === "number") return value;
  if (typeof value === "string" && Object.prototype.hasOwnProperty.call(NON_FINITE, value)) return NON_FINITE[value];
  context.addIssue({ code: "custom", message: `must be a number, got ${describeValue(value)}` });
  return z.NEVER;
});

/** `resample_seconds`: a cadence in seconds, or null for the raw cadence; absent in registries written before it existed. */
const resampleSeconds = z.number().positive().nullable().optional();

const timeType = z.enum(["float", "timestamp", "timestamptz"]);

/** The fitted trend model types, as `model_type` and each axis's `type` in models.json name them. */
export const TREND_MODEL_TYPES = ["linear", "poly", "piecewise", "per_mode"] as const;
/** A fitted trend model type (`auto` in config.yaml is resolved to one of these before fitting). */
export type ModelType = (typeof TREND_MODEL_TYPES)[number];

const numbers = z.array(number).readonly();
// A linear entry is written without `type` (models.json of older versions has none).
const linearModelBody = z.object({ type: z.literal("linear").optional(), coef: number, intercept: number, samples_used: number });
const polyModelBody = z.object({ type: z.literal("poly"), degree: z.number().int(), center: number, scale: number, coefficients: numbers, samples_used: number });
const piecewiseModelBody = z.object({ type: z.literal("piecewise"), breakpoints: numbers, coefficients: numbers, samples_used: number });
const modeBody = z.object({ level: number, coef: number, intercept: number, samples_used: number }).readonly();
const perModeModelBody = z.object({ type: z.literal("per_mode"), modes: z.array(modeBody).readonly(), samples_used: number });
/** One axis's entry of models.json: dispatched on `type` (absent = linear); a linear model reads back without `type`. */
const axisModelBody = z
  .preprocess(
    (value) => (value !== null && typeof value === "object" && !Array.isArray(value) && (value as { type?: unknown }).type === undefined ? { ...value, type: "linear" } : value),
    z.discriminatedUnion("type", [linearModelBody.required({ type: true }), polyModelBody, piecewiseModelBody, perModeModelBody]),
  )
  .transform((model) => {
    if (model.type !== "linear") return model;
    const { type: _, ...linear } = model;
    return linear;
  });

type WithAxis<Body extends z.ZodTypeAny> = { readonly axis: string } & Readonly<z.infer<Body>>;
/** Per-axis line `y = coef * time_s + intercept` (`type` absent or `"linear"`). */
export type LinearModel = WithAxis<typeof linearModelBody>;
/** Per-axis polynomial in `x = (time_s − center) / scale`: `y = Σ coefficients[j]·x^j`. */
export type PolyModel = WithAxis<typeof polyModelBody>;
/** Per-axis continuous piecewise line: `y = c0 + c1·time_s + Σ c(k+2)·max(0, time_s − breakpoints[k])`. */
export type PiecewiseModel = WithAxis<typeof piecewiseModelBody>;
/** Per-axis operating modes, each with its own line; a sample is predicted by the mode whose line is nearest its value. */
export type PerModeModel = WithAxis<typeof perModeModelBody>;
/** One operating mode of a {@link PerModeModel}. */
export type ModeModel = z.infer<typeof modeBody>;
/** The trend model of one axis. */
export type AxisModel = LinearModel | PolyModel | PiecewiseModel | PerModeModel;

/** What models.json's `model_type` names: a trend type, or `pca` (per-axis levels as lines; the model is pca.json). */
export const MODEL_SET_TYPES = [...TREND_MODEL_TYPES, "pca"] as const;

/** The fitted models of every axis, all of one `type` (`pca`: lines holding each axis's level). */
export interface ModelSet {
  readonly type: (typeof MODEL_SET_TYPES)[number];
  readonly models: readonly AxisModel[];
}
/** A model set of lines only (what the in-database path fits). */
export interface LinearModelSet {
  readonly type: "linear";
  readonly models: readonly LinearModel[];
}

const prepStats = z
  .object({ time0: number, time_col: z.string(), time_type: timeType, dt_seconds: dtSecondsSchema, interpolate: z.boolean(), resample_seconds: resampleSeconds })
  .readonly();
/** What preparation recorded, written to `prep_stats.json`. */
export type PrepStats = z.infer<typeof prepStats>;

/** The threshold policy as thresholds.json records it (the config's `thresholds:` block, same key order). */
const policy = z
  .object({
    minc_percentile: number,
    maxc_percentile: number,
    trim_top_ratio: number,
    min_pos_for_trim: number,
    use_mad_fallback: z.boolean(),
    alert_seconds_default: number,
    error_seconds_default: number,
    alert_quantile: number,
    error_quantile: number,
  })
  .readonly();

const axisThresholds = z
  .object({
    MinC: number,
    MaxC: number,
    T_long_steps: sustainStepsSchema,
    T_short_steps: sustainStepsSchema,
    dt_seconds: dtSecondsSchema,
    policy,
    meta: z.object({ method: z.string() }).readonly(),
    /** What MinC/MaxC were calibrated on (lib/statistic.ts); absent: the residual (versions before statistics, and residual ones). */
    statistic: statisticSpecSchema.optional(),
    /** `thresholds.direction: both`: the lower side's levels (negative), sustain steps and statistic (of the negated residual); absent: upward only. */
    lower: z
      .object({ MinC: number, MaxC: number, T_long_steps: number, T_short_steps: number, statistic: statisticSpecSchema.optional() })
      .readonly()
      .optional(),
  })
  .readonly();
/** The lower side of an axis's thresholds (`thresholds.direction: both`). */
export type LowerThresholds = NonNullable<z.infer<typeof axisThresholds>["lower"]>;
/** Thresholds of one axis, as written to `thresholds.json`; `statistic` absent means the residual. */
export type AxisThresholds = z.infer<typeof axisThresholds>;

const metricsBody = z.object({ r2: number, mae: number, rmse: number });
const axisMetrics = z.object({ axis: z.string() }).merge(metricsBody).readonly();
/** Evaluation metrics of one axis, as scikit-learn computes them. */
export type AxisMetrics = z.infer<typeof axisMetrics>;

const caughtCount = z.object({ caught: number, injected: number }).readonly();
/** One measured alert level: its false alarms on the clean part, and the injected anomalies caught. */
const detectionPointShape = {
  minc_percentile: number,
  false_alarms: number,
  false_alarms_per_hour: number,
  caught: number,
  injected: number,
  recall: number,
  median_delay_seconds: number.nullable(),
};
const detectionPoint = z.object(detectionPointShape).readonly();
const selectionCandidate = z
  .object({
    model: z.string(),
    statistic: z.string(),
    /** The alert level of the matched point (best recall at no more false alarms than the default); null when no level matched. */
    minc_percentile: number.nullable(),
    false_alarms: number.nullable(),
    false_alarms_per_hour: number.nullable(),
    recall: number.nullable(),
    caught: number.nullable(),
    injected: number,
    median_delay_seconds: number.nullable(),
    by_label: z.record(caughtCount).nullable(),
    curve: z.array(detectionPoint).readonly(),
  })
  .readonly();
const selection = z
  .object({
    validation: z
      .object({
        fraction: number,
        seed: number,
        fit_rows: number,
        validation_rows: number,
        validation_hours: number,
        catch_seconds: number,
        rounds: number,
        injected: number,
        injected_by_label: z.record(number),
      })
      .readonly(),
    default: z
      .object({ model: z.string(), statistic: z.string(), ...detectionPointShape, by_label: z.record(caughtCount) })
      .readonly(),
    candidates: z.array(selectionCandidate).readonly(),
    chosen: z.object({ model: z.string(), statistic: z.string(), minc_percentile: number, maxc_percentile: number, reason: z.string() }).readonly(),
    target_alarms_per_day: z
      .object({
        target_alarms_per_day: number,
        minc_percentile: number,
        maxc_percentile: number,
        validation_alarms: number,
        achieved_alarms_per_day: number,
      })
      .readonly()
      .nullable(),
  })
  .readonly();
/** `selection.json`: how `auto` (or `thresholds.target_alarms_per_day`) chose, measured on held-out data (see lib/selection.ts). */
export type Selection = z.infer<typeof selection>;
/** One candidate of `selection.json`: its matched point and its whole curve. */
export type SelectionCandidate = z.infer<typeof selectionCandidate>;

/** A YAML value that js-yaml may have read as a Date (an unquoted timestamp) kept as ISO-8601 text. */
function yamlText<T extends z.ZodTypeAny>(schema: T): z.ZodEffects<T> {
  return z.preprocess((value) => (value instanceof Date ? value.toISOString() : value), schema);
}

const optionalName = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

const versionMeta = z
  .object({
    model: z.object({ type: z.string() }).readonly(),
    data: z
      .object({
        table: z.string(),
        schema: optionalName,
        time_col: z.string(),
        time_type: timeType,
        layout: z.enum(["wide", "long"]),
        axes: z.array(z.union([z.string(), z.number()], { errorMap: () => ({ message: "must be a column name or an axis id" }) })).readonly(),
        train_start: yamlText(z.union([z.number(), z.string()])),
        train_end: yamlText(z.union([z.number(), z.string()])),
        axis_id_col: optionalName,
        value_col: optionalName,
      })
      // Optional keys are absent rather than undefined (js-yaml cannot write undefined).
      .transform((data) => Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as typeof data)
      .readonly(),
    prep: z.object({ interpolate: z.boolean(), resample_seconds: resampleSeconds }).readonly(),
    rows: z
      .object({
        raw: z.number(),
        train: z.number(),
        // Only when the stream had incidents labelled fault: the rows left out inside them, and how many incidents held them.
        labelled_fault_excluded: z.number().optional(),
        labelled_fault_incidents: z.number().optional(),
      })
      .transform((rows) => Object.fromEntries(Object.entries(rows).filter(([, v]) => v !== undefined)) as typeof rows)
      .readonly(),
    saved_at: yamlText(z.string()),
    lineage: z
      .object({
        config_path: z.string(),
        config_sha256: z.string(),
        data_fingerprint: z.string(),
        package_version: z.string(),
        git_commit: z.string().nullable(),
        database: z.string(),
      })
      .readonly(),
  })
  .readonly();
/** The content of `meta.yaml`; `saved_at` is ISO-8601 UTC, `lineage.database` never holds a password. */
export type VersionMeta = z.infer<typeof versionMeta>;
/** The `data:` block of `meta.yaml`: the config's data block plus what extraction found. */
export type VersionDataMeta = VersionMeta["data"];
/** Row counts of the training window (`rows:` in `meta.yaml`). */
export type VersionRows = VersionMeta["rows"];
/** The `lineage:` block of `meta.yaml`. */
export type Lineage = VersionMeta["lineage"];

/** What one version holds, in memory. */
export interface Artifacts {
  readonly models: ModelSet;
  readonly prepStats: PrepStats;
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** Metrics per axis, in model order. */
  readonly metrics: readonly AxisMetrics[];
  readonly meta: VersionMeta;
  /** `selection.json`: only in versions trained with `auto` or `thresholds.target_alarms_per_day`. */
  readonly selection?: Selection;
  /** `pca.json`: only in `model_type: pca` versions (thresholds are then keyed `T2`, `SPE`). */
  readonly pca?: PcaArtifact;
}

/** Files a version holds only sometimes (absent: not written, and undefined when read). */
export const OPTIONAL_ARTIFACT_FILES = Object.freeze({ selection: "selection.json", pca: "pca.json" } as const);

const artifacts = z.object({
  models: z.record(axisModelBody),
  prepStats,
  thresholds: z.record(axisThresholds),
  metrics: z.record(metricsBody),
  meta: versionMeta,
  selection: selection.optional(),
  pca: pcaArtifactSchema.optional(),
});

/** The schemas the registry reads and writes with (lib/registry/artifactText.ts). */
export {
  artifacts as artifactsSchema,
  axisModelBody as axisModelSchema,
  axisThresholds as axisThresholdsSchema,
  prepStats as prepStatsSchema,
  selection as selectionSchema,
  versionMeta as versionMetaSchema,
};
