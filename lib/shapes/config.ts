/**
 * config.yaml: one zod schema per section (defaults included), checked by
 * `parseWithSchema`, so a mistake reads as one line naming the key and the
 * value; the `Config` types are derived from these schemas.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { basename, dirname, isAbsolute, resolve } from "path";
import * as dotenv from "dotenv";
import * as yaml from "js-yaml";
import { loadYamlBounded, YamlExpansionError } from "../core/boundedYaml";
import { TREND_MODEL_TYPES } from "./artifacts";
import { InputError } from "../core/errors";
import { describeValue, parseWithSchema, z } from "../core/schema";
import { statisticConfigShape } from "./statisticSpec";
import { aliasNameProblem, DEFAULT_ALIAS } from "./aliasName";
import { DEFAULT_EXPLAINED_VARIANCE, DEFAULT_SLOW_RATIO, PCA_CHANNELS } from "./pcaArtifacts";
import { isoToEpochSeconds } from "../core/time";
import { unknownAxisKey } from "./axisDisplay";

/** A value `accept`s, else "must be <what>, got <value>" ("is required" when missing). */
function must<T>(what: string, accept: (value: unknown) => boolean): z.ZodType<T> {
  return z.custom<T>(accept, (value: unknown) => ({
    message: value === undefined ? "is required" : `must be ${what}, got ${describeValue(value)}`,
  }));
}

const text = must<string>("a non-empty string", (value) => typeof value === "string" && value.trim() !== "");
/** A display name or unit: a non-empty string of at most 200 characters. */
const displayText = must<string>("a non-empty string of at most 200 characters", (value) => typeof value === "string" && value.trim() !== "" && value.length <= 200);
const flag = must<boolean>("true or false", (value) => typeof value === "boolean");
/** A plain variable name: `database.url_env` must not pick an arbitrary secret by expression or path. */
const variableName = must<string>("a plain environment variable name (letters, digits, _)", (value) => typeof value === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value));
/** A registry alias name (lib/shapes/aliasName.ts). */
const aliasName = z.custom<string>(
  (value) => typeof value === "string" && aliasNameProblem(value) === null,
  (value: unknown) => ({
    message: typeof value === "string" ? `${JSON.stringify(value.slice(0, 60))} ${aliasNameProblem(value) ?? ""}` : `must be an alias name such as ${DEFAULT_ALIAS}, got ${describeValue(value)}`,
  }),
);
/** An http(s) URL (a receiver's address); a wrong one is described without echoing it (it may hold a password). */
const httpUrl = z.custom<string>(
  (value) => {
    if (typeof value !== "string") return false;
    try {
      return ["http:", "https:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  (value: unknown) => ({ message: value === undefined ? "is required" : `must be an http:// or https:// URL, got ${typeof value === "string" ? "text that is not one" : describeValue(value)}` }),
);
const windowBound = must<number | string>(
  "a number of seconds or an ISO-8601 timestamp string",
  (value) => (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && value.trim() !== ""),
);

/** A finite number from `low` to `high`, `high` itself excluded when `exclusive`. */
function numberIn(low: number, high: number, exclusive = false) {
  return z
    .number()
    .finite()
    .refine(
      (value) => value >= low && (exclusive ? value < high : value <= high),
      (value) => ({ message: `must be within ${low} to ${high}${exclusive ? " (exclusive)" : ""}, got ${value}` }),
    );
}

/**
 * Column names (WIDE) or whole-number axis ids (LONG): not mixed, none twice. Checked in one pass
 * (a schema per element cost minutes on a 4.5M-axis config), naming the first bad entry.
 */
const axisList = z
  .unknown()
  .superRefine((value, context) => {
    if (!Array.isArray(value) || value.length === 0) {
      const message = value === undefined ? "is required" : `must be a non-empty list of column names (WIDE) or axis ids (LONG), got ${describeValue(value)}`;
      context.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    let names = 0;
    // A Set, not indexOf: linear in the number of axes.
    const seen = new Set<unknown>();
    for (let i = 0; i < value.length; i++) {
      const axis: unknown = value[i];
      const name = typeof axis === "string" && axis.trim() !== "";
      if (!name && !Number.isInteger(axis)) {
        context.addIssue({ code: "custom", path: [i], message: `must be a column name or a whole-number axis id, got ${describeValue(axis)}` });
        return z.NEVER;
      }
      if (name) names++;
      if (seen.size === seen.add(axis).size) {
        context.addIssue({ code: "custom", message: `lists ${describeValue(axis)} twice` });
        return z.NEVER;
      }
    }
    if (names !== 0 && names !== value.length) {
      context.addIssue({ code: "custom", message: "mixes column names and axis ids: use all names (WIDE layout) or all ids (LONG layout)" });
    }
  })
  .transform((value) => Object.freeze([...(value as (string | number)[])]) as readonly (string | number)[]);

/** A section: a mapping without unknown keys; an empty key (`key:`) or section takes the defaults, like a missing one. */
function section<Shape extends z.ZodRawShape>(shape: Shape) {
  const withoutNulls = (value: unknown): unknown =>
    value === null || value === undefined
      ? {}
      : typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null))
        : value;
  return z.preprocess(withoutNulls, z.object(shape).strict());
}

/** Epoch seconds of a window bound, or an issue at `data.<key>`. */
function boundSeconds(value: number | string, key: string, context: z.RefinementCtx): number {
  if (typeof value === "number") return value;
  try {
    return isoToEpochSeconds(value);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    context.addIssue({ code: "custom", path: [key], message: `is not a valid ISO-8601 timestamp: ${error.message}` });
    return NaN;
  }
}

const databaseSection = section({
  url_env: variableName.default("DB_URL"),
  embedded_dir: text.default(".mlbox/pglite"),
});

const dataSection = section({
  table: text,
  schema: text.optional(),
  time_col: text.default("ts"),
  axes: axisList,
  train_start: windowBound,
  train_end: windowBound,
  axis_id_col: text.optional(),
  value_col: text.optional(),
  /** Optional: axis → the name people see (lib/shapes/axisDisplay.ts); absent: the axis itself. */
  axis_labels: z.record(z.string(), displayText).optional(),
  /** Optional: axis → its unit, shown after its name (`Motor 1 (A)`); absent: none. */
  units: z.record(z.string(), displayText).optional(),
}).superRefine((data, context) => {
  for (const key of ["axis_labels", "units"] as const) {
    const map = data[key];
    const unknown = map === undefined ? undefined : unknownAxisKey(map, data.axes);
    if (unknown !== undefined) {
      const listed = data.axes.slice(0, 8).join(", ") + (data.axes.length > 8 ? ", …" : "");
      context.addIssue({ code: "custom", path: [key, unknown], message: `names no axis of data.axes (${listed})` });
      return;
    }
  }
  const { train_start: start, train_end: end } = data;
  if (typeof start !== typeof end) {
    const message = "and data.train_end must both be numbers (float-seconds time column) or both ISO-8601 strings (timestamp column)";
    context.addIssue({ code: "custom", path: ["train_start"], message });
    return;
  }
  const from = boundSeconds(start, "train_start", context);
  const to = boundSeconds(end, "train_end", context);
  if (from >= to) context.addIssue({ code: "custom", path: ["train_start"], message: `(${String(start)}) must be before data.train_end (${String(end)})` });
  if (typeof data.axes[0] !== "number") return;
  for (const key of ["axis_id_col", "value_col"] as const) {
    if (data[key] === undefined) context.addIssue({ code: "custom", path: [key], message: "is required when data.axes are axis ids (LONG layout: ts, axis_id, value)" });
  }
});

const prepSection = section({
  interpolate: flag.default(false),
  resample_seconds: z
    .number()
    .finite()
    .refine((seconds) => Math.round(seconds * 1e6) >= 1, (seconds) => ({ message: `must be a positive number of seconds (at least 0.000001), got ${seconds}` }))
    // Optional (absent = null): records written before the key existed (meta.yaml prep) still type as PrepConfig.
    .nullish(),
});

const thresholdsSection = section({
  minc_percentile: numberIn(0, 100).default(75),
  maxc_percentile: numberIn(0, 100).default(95),
  trim_top_ratio: numberIn(0, 1, true).default(0.02),
  min_pos_for_trim: z.number().int().min(0).default(20),
  use_mad_fallback: flag.default(true),
  alert_seconds_default: z.number().finite().min(0).default(5.0),
  error_seconds_default: z.number().finite().min(0).default(3.0),
  alert_quantile: numberIn(0, 1).default(0.8),
  error_quantile: numberIn(0, 1).default(0.5),
  // Optional (absent = null): thresholds.json policies written before the key existed still type as ThresholdPolicy.
  target_alarms_per_day: z.number().finite().positive().nullish(),
  // Optional (absent = up, the Python pipeline's rule): policies recorded before the key existed type as before.
  direction: z.enum(["up", "both"]).optional(),
});

/** `selection:` — how `auto` and `thresholds.target_alarms_per_day` measure candidates on held-out data (lib/selection.ts). */
const selectionSection = section({
  validation_fraction: z
    .number()
    .finite()
    .refine((fraction) => fraction > 0 && fraction <= 0.5, (fraction) => ({ message: `must be within 0 (exclusive) to 0.5, got ${fraction}` }))
    .default(0.2),
  seed: z.number().int().min(0).default(1),
});

/** `model:` — which trend is fitted per axis, and its options (see lib/trendModel.ts). */
const modelSection = section({
  type: z.enum([...TREND_MODEL_TYPES, "pca", "auto"]).default("linear"),
  /** `pca`: share of the standardised variance the kept components explain, (0, 1]. */
  explained_variance: z
    .number()
    .finite()
    .refine((share) => share > 0 && share <= 1, (share) => ({ message: `must be within 0 (exclusive) to 1, got ${share}` }))
    .default(DEFAULT_EXPLAINED_VARIANCE),
  /** `pca`: an axis whose 31-sample moving average keeps more than this share of its variance enters as its first difference (1: none). */
  slow_ratio: numberIn(0, 1).default(DEFAULT_SLOW_RATIO),
  degree: z.number().int().min(2).max(6).default(2),
  breakpoints: z.number().int().min(1).max(8).default(3),
  modes: z.number().int().min(2).max(8).default(3),
});

/** Every section of config.yaml: adding one is one line here. */
const SECTIONS = {
  database: databaseSection,
  data: dataSection,
  prep: prepSection,
  model: modelSection,
  thresholds: thresholdsSection,
  selection: selectionSection,
  registry: section({ root_dir: text.default("ModelRegistry/artifacts"), version_tag: text.default("auto") }),
  plots: section({ enabled: flag.default(true), dir: text.default("out") }),
  scoring: section({
    events_table: text.default("mlbox_events"),
    /** Where incidents go (lib/scoring/incidentStore.ts); silences in `<incidents_table>_silences`. */
    incidents_table: text.default("mlbox_incidents"),
    poll_seconds: numberIn(0.001, 86_400).default(5),
    max_gap_seconds: numberIn(0.000001, Number.MAX_VALUE).nullable().default(null),
    /** A row that cannot be scored in order (duplicated or earlier time): `stop` refuses it, `skip` leaves it unscored and reports it. */
    on_bad_row: z.enum(["stop", "skip"]).default("stop"),
    ...statisticConfigShape,
  }),
  /** `serving:` — which registry alias the service and `score` use (`production` unless set). */
  serving: section({ alias: aliasName.default(DEFAULT_ALIAS) }),
  /** `incidents:` — events of a stream within `merge_seconds` of each other form one incident (lib/scoring/incidents.ts). */
  incidents: section({ merge_seconds: z.number().finite().min(0).default(300) }),
  /**
   * `alerting:` — where incidents are pushed (lib/scoring/alerting/): Prometheus Alertmanager's API and/or a JSON
   * webhook, through an outbox table written with the incident (`<incidents_table>_outbox`). Neither set: nothing is sent.
   */
  alerting: section({
    alertmanager_url: httpUrl.nullable().default(null),
    webhook_url: httpUrl.nullable().default(null),
    /** An open incident's alerts are sent again this often, and announced to end 4× this after each send (as Prometheus does). */
    resend_seconds: numberIn(1, 86_400).default(60),
    /** A resolve reaches Alertmanager no sooner than this after its firing alert (above the route's group_wait, 30 s by default). */
    hold_seconds: numberIn(0, 86_400).default(60),
    /** Retries wait 1, 2, 4 … s, at most this long. */
    max_backoff_seconds: numberIn(1, 86_400).default(300),
    timeout_seconds: numberIn(0.1, 600).default(10),
  }),
  compute: section({
    mode: z.enum(["auto", "memory", "database"]).default("auto"),
    memory_budget_mb: numberIn(1, Number.MAX_SAFE_INTEGER).default(1024),
  }),
};
const configSchema = z
  .object(SECTIONS)
  .strict()
  .superRefine((config, context) => {
    if (config.model.type !== "pca") return;
    const named = config.data.axes.find((axis) => (PCA_CHANNELS as readonly unknown[]).includes(axis));
    if (named !== undefined) {
      context.addIssue({ code: "custom", path: ["data", "axes"], message: `names an axis ${JSON.stringify(named)}, which model.type pca uses for its statistics (T2, SPE): rename that column` });
    }
    if (config.scoring.statistic === "cusum") {
      context.addIssue({ code: "custom", path: ["scoring", "statistic"], message: "cusum is not available with model.type pca: use residual (T²/SPE per sample) or ewma (a multivariate EWMA of the standardised axes)" });
    }
    if (config.compute.mode === "database") {
      context.addIssue({ code: "custom", path: ["compute", "mode"], message: "database cannot train model.type pca (it fits per-axis lines in SQL): use compute.mode memory or auto" });
    }
  });

/** Keys holding paths, made absolute against the config file's folder. */
const PATH_KEYS: ReadonlyArray<readonly [keyof typeof SECTIONS, string]> = [
  ["database", "embedded_dir"],
  ["registry", "root_dir"],
  ["plots", "dir"],
];

/** `database:` — `url_env` (plain variable name holding the database URL; defaults to `DB_URL`), `embedded_dir` (absolute after loadConfig). */
export type DatabaseConfig = Readonly<z.output<typeof databaseSection>>;
/** `data:` — table, time column, axes (names: WIDE; ids: LONG), window `train_start <= t < train_end` (seconds or ISO strings). */
export type DataConfig = Readonly<z.output<typeof dataSection>>;
/** `prep:` — `interpolate` (defaults to false), `resample_seconds` (absent or null keeps the raw cadence). */
export type PrepConfig = Readonly<z.output<typeof prepSection>>;
/**
 * `thresholds:` — how residual thresholds and sustain times are calibrated:
 * `minc_percentile`/`maxc_percentile` (0–100 of trimmed positive residuals; 75, 95),
 * `trim_top_ratio` ([0, 1); 0.02), `min_pos_for_trim` (20) and `use_mad_fallback` (true),
 * `alert_seconds_default`/`error_seconds_default` (5.0, 3.0 s), `alert_quantile`/`error_quantile` (0.80, 0.50),
 * `target_alarms_per_day` (a number > 0: the alert level is set so the held-out part raises about that many
 * alert events per day, see lib/alarmTarget.ts; absent or null, the default: the percentiles decide).
 */
export type ThresholdPolicy = Readonly<z.output<typeof thresholdsSection>>;
/** `selection:` — `validation_fraction` ((0, 0.5]; 0.2: the last share of the window, in time, held out to validate), `seed` (whole number ≥ 0; 1: the anomaly injection's seed). */
export type SelectionConfig = Readonly<z.output<typeof selectionSection>>;
/** A validated configuration, as returned by {@link loadConfig}: every section, frozen. */
export type Config = { readonly [Name in keyof typeof SECTIONS]: Readonly<z.output<(typeof SECTIONS)[Name]>> } & {
  /** Absolute path of the config file it was read from. */
  readonly source_path: string;
  /** SHA-256 (hex) of the config file's bytes, for lineage. */
  readonly source_sha256: string;
};

/** `model:` defaults: linear; degree 2, breakpoints 3, modes 3 (used only by poly, piecewise, per_mode). */
export const DEFAULT_MODEL_CONFIG: Config["model"] = Object.freeze(modelSection.parse({}));

/** `alerting:` defaults: no receiver; resend 60 s, hold 60 s, backoff up to 300 s, timeout 10 s. */
export const DEFAULT_ALERTING: Config["alerting"] = Object.freeze(SECTIONS.alerting.parse({}));

/** Threshold policy defaults (the Python pipeline's): 75, 95, 0.02, 20, true, 5.0, 3.0, 0.80, 0.50. */
export const DEFAULT_THRESHOLD_POLICY: ThresholdPolicy = Object.freeze(thresholdsSection.parse({}));

/**
 * Reads and validates a YAML config file (UTF-8, a byte-order mark is
 * tolerated) into a typed, frozen {@link Config}; loads `.env` from the
 * config's folder (existing environment variables win); resolves relative
 * paths (`database.embedded_dir`, `registry.root_dir`, `plots.dir`) against
 * the config file's folder. Missing optional keys take their documented defaults.
 *
 * @throws InputError of one line, starting with the file name, naming the
 *   key or value to fix: missing file, YAML syntax error (with line), unknown
 *   key (with a suggestion), wrong type or range, inconsistent training window.
 *
 * @example
 * import { loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath()); // $MLBOX_CONFIG, else config.yaml in the project
 * [config.data.table, config.data.axes, config.model.type];
 */
export function loadConfig(path: string): Config {
  const sourcePath = resolve(path);
  if (!existsSync(sourcePath)) throw new InputError(`config file not found: ${sourcePath}`);
  const name = basename(sourcePath);
  const bytes = readFileSync(sourcePath);
  let document: unknown;
  try {
    // CORE_SCHEMA: unquoted timestamps stay text (YAML's timestamp type would cut them to milliseconds).
    document = loadYamlBounded(bytes.toString("utf8").replace(/^\uFEFF/, ""), { filename: name, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (error instanceof YamlExpansionError) throw new InputError(`${name}: ${error.message}`);
    if (!(error instanceof yaml.YAMLException)) throw error;
    const where = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "";
    throw new InputError(`${name}: YAML syntax error${where}: ${error.reason}`);
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new InputError(`${name}: the config must be a YAML mapping with a "data" section`);
  }
  const sections: Record<string, Record<string, unknown>> = parseWithSchema(configSchema, document, name);
  const folder = dirname(sourcePath);
  for (const [key, field] of PATH_KEYS) {
    const value = sections[key][field] as string;
    sections[key][field] = isAbsolute(value) ? value : resolve(folder, value);
  }
  const envFile = resolve(folder, ".env");
  if (existsSync(envFile)) dotenv.config({ path: envFile, quiet: true });
  for (const key of Object.keys(sections)) Object.freeze(sections[key]);
  return Object.freeze({ ...sections, source_path: sourcePath, source_sha256: createHash("sha256").update(bytes).digest("hex") }) as unknown as Config;
}
