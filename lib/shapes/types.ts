/**
 * Shared value types of the ML Box pipeline.
 *
 * Every stage computes on plain typed columns (`Float64Array`); the public
 * stage functions wrap those cores for danfo DataFrames. Config-derived
 * objects keep the snake_case keys of `config.yaml` so that what an analyst
 * reads in the YAML, the registry JSON and the code is spelled the same.
 */

/** How the time column is stored in the database. */
export type TimeType = "float" | "timestamp" | "timestamptz";

/** WIDE: `ts, axis1..N` columns. LONG: `ts, axis_id, value` rows. */
export type Layout = "wide" | "long";

/**
 * The config sections, derived from the zod schemas in `config.ts` (one
 * source): `database`, `data`, `prep`, `model`, `thresholds`, `registry`,
 * `plots`, and `Config` as `loadConfig` returns it.
 */
export type { Config, DataConfig, DatabaseConfig, PrepConfig, ThresholdPolicy } from "./config";
import type { Config, ThresholdPolicy } from "./config";

/**
 * The `model:` block: `type` (`linear`, the default; `poly`, `piecewise`, `per_mode`; `auto`: chosen on
 * held-out data), `degree` (poly: 2..6, default 2), `breakpoints` (piecewise: at most 1..8, default 3),
 * `modes` (per_mode: 2..8, default 3). See lib/model/trendModel.ts and docs/design.md "How the trend models are fitted".
 */
export type ModelConfig = Config["model"];
/** The `registry:` block: `root_dir` (absolute after loadConfig), `version_tag` (`auto` → next `vN`). */
export type RegistryConfig = Config["registry"];
/** The `plots:` block: `enabled` (defaults to true), `dir` (absolute after loadConfig). */
export type PlotsConfig = Config["plots"];
/** The `scoring:` block: `events_table` (created when missing; defaults to `mlbox_events`), `poll_seconds` (between polls of `score --follow`; defaults to 5), `max_gap_seconds` (a larger gap between samples ends every run and resets the statistic; null, the default: gaps never do), `statistic` (what MinC/MaxC are calibrated on and compared with: `residual`, the default, `ewma`, `cusum`, or `auto`, which needs model selection; see lib/statistic.ts), `ewma_alpha` (in (0, 1]; 0.1), `cusum_k` (CUSUM reference offset in robust σ units, ≥ 0; 0.5). */
export type ScoringConfig = Config["scoring"];
/** The `compute:` block: `mode` (`auto`, the default, picks `database` when the window's estimated size exceeds `memory_budget_mb`, default 1024). */
export type ComputeConfig = Config["compute"];
/** The `serving:` block: `alias` (the registry alias the service, `score` and `score --follow` use; defaults to `production`). */
export type ServingConfig = Config["serving"];

/**
 * The typed core of an extracted training window: one Float64Array per column.
 * Timestamps are seconds since the Unix epoch (microsecond-exact as PostgreSQL
 * stores them, like pandas' `datetime64[ns]` converted to float seconds);
 * a `timestamp` without time zone is read as UTC wall time.
 */
export interface Extraction {
  readonly timeCol: string;
  readonly timeType: TimeType;
  readonly layout: Layout;
  /** Output column names: the WIDE column names, or `axis<id>` for LONG. */
  readonly axes: readonly string[];
  /** Time of each row in seconds, ascending. */
  readonly time: Float64Array;
  /** One column per axis, aligned with `time`; NaN where a value is missing. */
  readonly values: readonly Float64Array[];
}

// The registry artifacts' types derive from their zod schemas in artifacts.ts.

/** Per-axis line `y = coef * time_s + intercept`; `samples_used` counts the finite, non-zero rows fitted. */
export type LinearModel = import("./artifacts").LinearModel;
/** Per-axis polynomial in scaled time (`model.type: poly`). */
export type PolyModel = import("./artifacts").PolyModel;
/** Per-axis continuous piecewise line (`model.type: piecewise`). */
export type PiecewiseModel = import("./artifacts").PiecewiseModel;
/** Per-axis lines per operating mode (`model.type: per_mode`). */
export type PerModeModel = import("./artifacts").PerModeModel;
/** One mode of a {@link PerModeModel}: its k-means `level` and its line. */
export type ModeModel = import("./artifacts").ModeModel;
/** The trend model of one axis: linear, poly, piecewise or per_mode. */
export type AxisModel = import("./artifacts").AxisModel;
/** A fitted model type: `linear`, `poly`, `piecewise`, `per_mode`. */
export type ModelType = import("./artifacts").ModelType;

/** Thresholds of one axis, as written to `thresholds.json`. */
export type AxisThresholds = import("./artifacts").AxisThresholds;
/** The lower side of an axis's thresholds (`thresholds.direction: both`). */
export type LowerThresholds = import("./artifacts").LowerThresholds;

/** Evaluation metrics of one axis, as scikit-learn computes them. */
export type AxisMetrics = import("./artifacts").AxisMetrics;

/** What preparation recorded, written to `prep_stats.json`: `time0` (so `time_s = time - time0`), the time column and type, the median `dt_seconds`, `interpolate`. */
export type PrepStats = import("./artifacts").PrepStats;

/** The fitted models of every axis, all of one type. */
export type ModelSet = import("./artifacts").ModelSet;
/** A model set of lines only (the in-database path). */
export type LinearModelSet = import("./artifacts").LinearModelSet;

/** Typed core of a prepared window: `time_s` plus one column per axis. */
export interface PreparedColumns {
  readonly timeS: Float64Array;
  readonly axes: readonly string[];
  readonly values: readonly Float64Array[];
}

/** Typed core of a prediction: per axis the actual, predicted and residual (`actual - predicted`) values. */
export interface Prediction {
  readonly timeS: Float64Array;
  readonly axes: readonly string[];
  readonly actual: readonly Float64Array[];
  readonly predicted: readonly Float64Array[];
  readonly residual: readonly Float64Array[];
}
