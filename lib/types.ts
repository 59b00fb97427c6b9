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

/** The `data:` block of the config: which rows of which table to train on. */
export interface DataConfig {
  /** Table name (quoted as an identifier, never spliced into SQL). */
  readonly table: string;
  /** Optional schema of the table; defaults to the connection's search_path. */
  readonly schema?: string;
  /** Time column: float seconds, `timestamp` or `timestamptz`. */
  readonly time_col: string;
  /** Axis column names (WIDE) or axis ids (LONG), in output order. */
  readonly axes: readonly (string | number)[];
  /** Inclusive window start: seconds for a float time column, ISO-8601 string for timestamps. */
  readonly train_start: number | string;
  /** Exclusive window end, same type as `train_start`. */
  readonly train_end: number | string;
  /** LONG only: the column holding the axis id. */
  readonly axis_id_col?: string;
  /** LONG only: the column holding the value. */
  readonly value_col?: string;
}

/** The `prep:` block. */
export interface PrepConfig {
  /** pandas `interpolate(limit_direction="both")` over row positions; defaults to false. */
  readonly interpolate: boolean;
}

/** The `thresholds:` block: how residual thresholds and sustain times are calibrated. */
export interface ThresholdPolicy {
  /** Percentile (0–100) of trimmed positive residuals for MinC; defaults to 75. */
  readonly minc_percentile: number;
  /** Percentile (0–100) of trimmed positive residuals for MaxC; defaults to 95. */
  readonly maxc_percentile: number;
  /** Fraction [0, 1) of the largest positive residuals dropped before percentiles; defaults to 0.02. */
  readonly trim_top_ratio: number;
  /** Fewer positive residuals than this use the median+MAD fallback; defaults to 20. */
  readonly min_pos_for_trim: number;
  /** Whether the median+MAD fallback is used; defaults to true. */
  readonly use_mad_fallback: boolean;
  /** Minimum alert sustain time in seconds; defaults to 5.0. */
  readonly alert_seconds_default: number;
  /** Minimum error sustain time in seconds; defaults to 3.0. */
  readonly error_seconds_default: number;
  /** Quantile (0–1) of alert run lengths for T_long; defaults to 0.80. */
  readonly alert_quantile: number;
  /** Quantile (0–1) of error run lengths for T_short; defaults to 0.50. */
  readonly error_quantile: number;
}

/** The `database:` block. */
export interface DatabaseConfig {
  /** Name of the environment variable holding the database URL; defaults to `DB_URL`. */
  readonly url_env: string;
  /** Folder of the embedded PGlite database used when the URL is unset (absolute after loadConfig). */
  readonly embedded_dir: string;
}

/** The `model:` block. */
export interface ModelConfig {
  /** Model type; only `linear` exists. */
  readonly type: string;
}

/** The `registry:` block. */
export interface RegistryConfig {
  /** Registry root (absolute after loadConfig); defaults to `ModelRegistry/artifacts`. */
  readonly root_dir: string;
  /** `auto` picks the next `vN`; any other tag must not exist yet. */
  readonly version_tag: string;
}

/** The `plots:` block. */
export interface PlotsConfig {
  /** Whether the CLI writes fit/residual HTML charts; defaults to true. */
  readonly enabled: boolean;
  /** Output folder (absolute after loadConfig); defaults to `out`. */
  readonly dir: string;
}

/** The `scoring:` block: where events go, how often follow mode polls, when a gap ends a run. */
export interface ScoringConfig {
  /** Table the events are written to (created when missing); defaults to `mlbox_events`. */
  readonly events_table: string;
  /** Seconds between polls of `score --follow`; defaults to 5. */
  readonly poll_seconds: number;
  /** A larger gap between consecutive samples ends every run; null (default): gaps never do. */
  readonly max_gap_seconds: number | null;
}

/** A validated configuration, as returned by `loadConfig`. */
export interface Config {
  readonly database: DatabaseConfig;
  readonly data: DataConfig;
  readonly prep: PrepConfig;
  readonly model: ModelConfig;
  readonly thresholds: ThresholdPolicy;
  readonly registry: RegistryConfig;
  readonly plots: PlotsConfig;
  readonly scoring: ScoringConfig;
  /** Absolute path of the config file it was read from. */
  readonly source_path: string;
  /** SHA-256 (hex) of the config file's bytes, for lineage. */
  readonly source_sha256: string;
}

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

/** Per-axis line `y = coef * time_s + intercept`. */
export interface LinearModel {
  readonly axis: string;
  readonly coef: number;
  readonly intercept: number;
  /** Rows used to fit: finite and not exactly zero. */
  readonly samples_used: number;
}

/** Thresholds of one axis, as written to `thresholds.json`. */
export interface AxisThresholds {
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
  readonly dt_seconds: number;
  readonly policy: ThresholdPolicy;
  readonly meta: { readonly method: string };
}

/** Evaluation metrics of one axis, as scikit-learn computes them. */
export interface AxisMetrics {
  readonly axis: string;
  readonly r2: number;
  readonly mae: number;
  readonly rmse: number;
}

/** What preparation recorded, written to `prep_stats.json`. */
export interface PrepStats {
  /** Time of the first row in seconds (epoch seconds for timestamps); `time_s = time - time0`. */
  readonly time0: number;
  readonly time_col: string;
  readonly time_type: TimeType;
  /** Median sampling interval in seconds (0 for fewer than 2 rows). */
  readonly dt_seconds: number;
  readonly interpolate: boolean;
}

/** The fitted models of every axis. */
export interface ModelSet {
  readonly type: "linear";
  readonly models: readonly LinearModel[];
}

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
