import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { dirname, isAbsolute, resolve, basename } from "path";
import * as dotenv from "dotenv";
import * as yaml from "js-yaml";
import { closest, distance } from "fastest-levenshtein";
import { InputError } from "./errors";
import { isoToEpochSeconds } from "./time";
import type { Config, ThresholdPolicy } from "./types";

/** Threshold policy defaults (the Python pipeline's): 75, 95, 0.02, 20, true, 5.0, 3.0, 0.80, 0.50. */
export const DEFAULT_THRESHOLD_POLICY: ThresholdPolicy = Object.freeze({
  minc_percentile: 75,
  maxc_percentile: 95,
  trim_top_ratio: 0.02,
  min_pos_for_trim: 20,
  use_mad_fallback: true,
  alert_seconds_default: 5.0,
  error_seconds_default: 3.0,
  alert_quantile: 0.8,
  error_quantile: 0.5,
});

type Check = (value: unknown, key: string) => unknown;
interface Field {
  readonly check: Check;
  /** Absent → this default; `undefined` here means the key is required unless `optional`. */
  readonly default?: unknown;
  readonly optional?: boolean;
}
type Section = Readonly<Record<string, Field>>;

const fail = (key: string, what: string): never => {
  throw new InputError(`${key} ${what}`);
};
const describe = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : yaml.dump(value, { flowLevel: 0 }).trim());

const text: Check = (value, key) =>
  typeof value === "string" && value.trim() !== "" ? value : fail(key, `must be a non-empty string, got ${describe(value)}`);
const flag: Check = (value, key) => (typeof value === "boolean" ? value : fail(key, `must be true or false, got ${describe(value)}`));
const numberIn =
  (low: number, high: number, { highOpen = false, integer = false } = {}): Check =>
  (value, key) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return fail(key, `must be a number, got ${describe(value)}`);
    if (integer && !Number.isInteger(value)) return fail(key, `must be a whole number, got ${value}`);
    const above = highOpen ? value >= high : value > high;
    if (value < low || above) {
      const range = `${low} to ${high}${highOpen ? " (exclusive)" : ""}`;
      return fail(key, `must be within ${range}, got ${value}`);
    }
    return value;
  };
const windowBound: Check = (value, key) =>
  (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && value.trim() !== "")
    ? value
    : fail(key, `must be a number of seconds or an ISO-8601 timestamp string, got ${describe(value)}`);
const axisList: Check = (value, key) => {
  if (!Array.isArray(value) || value.length === 0) return fail(key, "must be a non-empty list of column names (WIDE) or axis ids (LONG)");
  const kinds = new Set(value.map((axis) => typeof axis));
  for (const axis of value) {
    const ok = (typeof axis === "string" && axis.trim() !== "") || (typeof axis === "number" && Number.isInteger(axis));
    if (!ok) fail(key, `entries must be column names or whole-number axis ids, got ${describe(axis)}`);
  }
  if (kinds.size > 1) fail(key, "mixes column names and axis ids: use all names (WIDE layout) or all ids (LONG layout)");
  const seen = new Set<string>();
  for (const axis of value) {
    if (seen.has(String(axis))) fail(key, `lists ${describe(axis)} twice`);
    seen.add(String(axis));
  }
  return Object.freeze([...value]);
};

const SECTIONS: Readonly<Record<string, Section>> = {
  database: {
    url_env: { check: text, default: "DB_URL" },
    embedded_dir: { check: text, default: ".mlbox/pglite" },
  },
  data: {
    table: { check: text },
    schema: { check: text, optional: true },
    time_col: { check: text, default: "ts" },
    axes: { check: axisList },
    train_start: { check: windowBound },
    train_end: { check: windowBound },
    axis_id_col: { check: text, optional: true },
    value_col: { check: text, optional: true },
  },
  prep: {
    interpolate: { check: flag, default: false },
  },
  model: {
    type: { check: text, default: "linear" },
  },
  thresholds: {
    minc_percentile: { check: numberIn(0, 100), default: DEFAULT_THRESHOLD_POLICY.minc_percentile },
    maxc_percentile: { check: numberIn(0, 100), default: DEFAULT_THRESHOLD_POLICY.maxc_percentile },
    trim_top_ratio: { check: numberIn(0, 1, { highOpen: true }), default: DEFAULT_THRESHOLD_POLICY.trim_top_ratio },
    min_pos_for_trim: { check: numberIn(0, Number.MAX_SAFE_INTEGER, { integer: true }), default: DEFAULT_THRESHOLD_POLICY.min_pos_for_trim },
    use_mad_fallback: { check: flag, default: DEFAULT_THRESHOLD_POLICY.use_mad_fallback },
    alert_seconds_default: { check: numberIn(0, Number.MAX_VALUE), default: DEFAULT_THRESHOLD_POLICY.alert_seconds_default },
    error_seconds_default: { check: numberIn(0, Number.MAX_VALUE), default: DEFAULT_THRESHOLD_POLICY.error_seconds_default },
    alert_quantile: { check: numberIn(0, 1), default: DEFAULT_THRESHOLD_POLICY.alert_quantile },
    error_quantile: { check: numberIn(0, 1), default: DEFAULT_THRESHOLD_POLICY.error_quantile },
  },
  registry: {
    root_dir: { check: text, default: "ModelRegistry/artifacts" },
    version_tag: { check: text, default: "auto" },
  },
  plots: {
    enabled: { check: flag, default: true },
    dir: { check: text, default: "out" },
  },
  scoring: {
    events_table: { check: text, default: "mlbox_events" },
    poll_seconds: { check: numberIn(0.001, 86_400), default: 5 },
    max_gap_seconds: { check: numberIn(0.000001, Number.MAX_VALUE), optional: true },
  },
};
const REQUIRED_SECTIONS = new Set(["data"]);

/** "did you mean" for an unknown key, when one of the known keys is close enough. */
function suggestion(key: string, known: readonly string[]): string {
  if (known.length === 0) return "";
  const best = closest(key, [...known]);
  return distance(key, best) <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function validateSection(name: string, raw: unknown, spec: Section): Record<string, unknown> {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) fail(name, `must be a mapping of keys (${Object.keys(spec).join(", ")})`);
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in spec)) {
      throw new InputError(`unknown key "${name}.${key}"${suggestion(key, Object.keys(spec))}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(spec)) {
    const value = given[key];
    if (value === undefined || value === null) {
      if (field.default !== undefined) out[key] = field.default;
      else if (!field.optional) fail(`${name}.${key}`, "is required");
      continue;
    }
    out[key] = field.check(value, `${name}.${key}`);
  }
  return out;
}

/** Parses a window bound for ordering checks: seconds, or epoch seconds of an ISO-8601 string. */
function comparableBound(value: number | string, key: string): number {
  if (typeof value === "number") return value;
  try {
    return isoToEpochSeconds(value);
  } catch (error) {
    if (error instanceof InputError) fail(key, `is not a valid ISO-8601 timestamp: ${error.message}`);
    throw error;
  }
}

function validateConfig(document: unknown): Omit<Config, "source_path" | "source_sha256"> {
  if (!isPlainObject(document)) throw new InputError(`the config must be a YAML mapping with a "data" section`);
  for (const key of Object.keys(document)) {
    if (!(key in SECTIONS)) throw new InputError(`unknown key "${key}"${suggestion(key, Object.keys(SECTIONS))}`);
  }
  const sections: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(SECTIONS)) {
    if (REQUIRED_SECTIONS.has(name) && (document[name] === undefined || document[name] === null)) fail(name, "section is required");
    sections[name] = validateSection(name, document[name], spec);
  }
  const data = sections.data;
  const start = data.train_start as number | string;
  const end = data.train_end as number | string;
  if (typeof start !== typeof end) {
    fail("data.train_start", "and data.train_end must both be numbers (float-seconds time column) or both ISO-8601 strings (timestamp column)");
  }
  if (comparableBound(start, "data.train_start") >= comparableBound(end, "data.train_end")) {
    fail("data.train_start", `(${String(start)}) must be before data.train_end (${String(end)})`);
  }
  const long = typeof (data.axes as readonly unknown[])[0] === "number";
  if (long) {
    for (const key of ["axis_id_col", "value_col"]) {
      if (data[key] === undefined) fail(`data.${key}`, "is required when data.axes are axis ids (LONG layout: ts, axis_id, value)");
    }
  }
  return sections as unknown as Omit<Config, "source_path" | "source_sha256">;
}

/** Makes a config path absolute against the config file's folder. */
function resolveFrom(folder: string, path: string): string {
  return isAbsolute(path) ? path : resolve(folder, path);
}

/**
 * Reads and validates a YAML config file (UTF-8, a byte-order mark is
 * tolerated) into a typed {@link Config}; loads `.env` from the config's
 * folder (existing environment variables win); resolves relative paths
 * (`database.embedded_dir`, `registry.root_dir`, `plots.dir`) against the
 * config file's folder. Missing optional keys take their documented defaults.
 *
 * @throws InputError naming the file, key or value to fix: missing file,
 *   YAML syntax error (with line), unknown key (with a suggestion), wrong
 *   type or range, inconsistent training window.
 */
export function loadConfig(path: string): Config {
  const sourcePath = resolve(path);
  if (!existsSync(sourcePath)) throw new InputError(`config file not found: ${sourcePath}`);
  const bytes = readFileSync(sourcePath);
  const source = bytes.toString("utf8").replace(/^\uFEFF/, "");
  let document: unknown;
  try {
    // CORE_SCHEMA: unquoted timestamps stay text (YAML's timestamp type would cut them to milliseconds).
    document = yaml.load(source, { filename: basename(sourcePath), schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const where = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : "";
      throw new InputError(`${basename(sourcePath)}: YAML syntax error${where}: ${error.reason}`);
    }
    throw error;
  }
  let validated: Omit<Config, "source_path" | "source_sha256">;
  try {
    validated = validateConfig(document);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${basename(sourcePath)}: ${error.message}`);
    throw error;
  }
  const folder = dirname(sourcePath);
  const envFile = resolve(folder, ".env");
  if (existsSync(envFile)) dotenv.config({ path: envFile, quiet: true });
  return Object.freeze({
    ...validated,
    database: Object.freeze({ ...validated.database, embedded_dir: resolveFrom(folder, validated.database.embedded_dir) }),
    data: Object.freeze(validated.data),
    prep: Object.freeze(validated.prep),
    model: Object.freeze(validated.model),
    thresholds: Object.freeze(validated.thresholds),
    registry: Object.freeze({ ...validated.registry, root_dir: resolveFrom(folder, validated.registry.root_dir) }),
    plots: Object.freeze({ ...validated.plots, dir: resolveFrom(folder, validated.plots.dir) }),
    scoring: Object.freeze({ ...validated.scoring, max_gap_seconds: validated.scoring.max_gap_seconds ?? null }),
    source_path: sourcePath,
    source_sha256: createHash("sha256").update(bytes).digest("hex"),
  });
}
