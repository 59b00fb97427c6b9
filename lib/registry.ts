/**
 * The on-disk model registry: one folder per version under a root
 * (`ModelRegistry/artifacts/<version>/`) plus `latest`, naming the most
 * recently registered version.
 *
 * A version folder holds `models.json`, `prep_stats.json`, `thresholds.json`,
 * `metrics.csv` and `meta.yaml`. Numbers are written so that they read back
 * bit-exact (shortest round-trip text, `-0` kept); JSON has no NaN/Infinity,
 * so those are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
 * and read back as numbers.
 *
 * Writes are atomic: everything goes into a temporary folder inside the root,
 * is fsynced, then renamed into place. A registered version is never
 * overwritten, and `latest` is only switched once the version is complete.
 */
import { execFileSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { InputError } from "./errors";
import { redactDatabase } from "./redact";
import type {
  AxisMetrics,
  AxisThresholds,
  DataConfig,
  Layout,
  LinearModel,
  ModelSet,
  PrepConfig,
  PrepStats,
  ThresholdPolicy,
  TimeType,
} from "./types";

const fsp = fs.promises;

/** `registry.version_tag` value that picks the next free `vN`. */
export const AUTO_VERSION_TAG = "auto";

/** Name of the entry in the registry root that points to the most recently registered version. */
export const LATEST_TAG = "latest";

/** File names of one version folder. */
export const ARTIFACT_FILES = Object.freeze({
  models: "models.json",
  prepStats: "prep_stats.json",
  thresholds: "thresholds.json",
  metrics: "metrics.csv",
  meta: "meta.yaml",
} as const);

/** Inside a copied `latest` folder (when symlinks are impossible): the name of the version it copies. */
const LATEST_MARKER = "LATEST_VERSION";

const TAG_PATTERN = /^[A-Za-z0-9._-]+$/;
const AUTO_PATTERN = /^v(\d+)$/;
const MAX_TAG_LENGTH = 128;
const MAX_AUTO_ATTEMPTS = 1000;
const GIT_TIMEOUT_MS = 2000;
const POLICY_KEYS: readonly (keyof ThresholdPolicy)[] = [
  "minc_percentile",
  "maxc_percentile",
  "trim_top_ratio",
  "min_pos_for_trim",
  "use_mad_fallback",
  "alert_seconds_default",
  "error_seconds_default",
  "alert_quantile",
  "error_quantile",
];

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** The `data:` block of `meta.yaml`: the config's data block plus what extraction found. */
export interface VersionDataMeta extends DataConfig {
  /** How the time column is stored. */
  readonly time_type: TimeType;
  /** WIDE or LONG table layout. */
  readonly layout: Layout;
}

/** Row counts of the training window (`rows:` in `meta.yaml`). */
export interface VersionRows {
  /** Rows extracted from the database. */
  readonly raw: number;
  /** Rows the models were trained on (after preparation). */
  readonly train: number;
}

/** Lineage as the caller supplies it; the two optional fields are filled in when omitted. */
export interface LineageInput {
  /** Absolute path of the config file. */
  readonly config_path: string;
  /** SHA-256 (hex) of the config file's bytes. */
  readonly config_sha256: string;
  /** Fingerprint of the training data, see {@link fingerprintColumns}. */
  readonly data_fingerprint: string;
  /** Database description without password (any password left in a URL is stripped anyway). */
  readonly database: string;
  /** ML Box version; defaults to {@link packageVersion}(). */
  readonly package_version?: string;
  /** Commit of the ML Box checkout; defaults to {@link gitCommit} of the ML Box folder (null when not a checkout). */
  readonly git_commit?: string | null;
}

/** The `lineage:` block of `meta.yaml`. */
export interface Lineage {
  readonly config_path: string;
  readonly config_sha256: string;
  readonly data_fingerprint: string;
  readonly package_version: string;
  /** Null when the code does not run from a git checkout. */
  readonly git_commit: string | null;
  /** Database description, never with a password. */
  readonly database: string;
}

/** What the caller supplies for `meta.yaml`; `saved_at` comes from the clock. */
export interface VersionMetaInput {
  /** Defaults to the type of the registered models; must match it when given. */
  readonly model?: { readonly type: string };
  readonly data: VersionDataMeta;
  readonly prep: PrepConfig;
  readonly rows: VersionRows;
  readonly lineage: LineageInput;
}

/** The content of `meta.yaml`. */
export interface VersionMeta {
  readonly model: { readonly type: string };
  readonly data: VersionDataMeta;
  readonly prep: PrepConfig;
  readonly rows: VersionRows;
  /** When the version was saved, ISO-8601 UTC (`2025-09-01T12:00:00.000Z`). */
  readonly saved_at: string;
  readonly lineage: Lineage;
}

/**
 * How `latest` is written. `auto`: a symlink (a junction on Windows), falling
 * back to a copied folder where symlinks are impossible. `copy`: always a
 * copied folder (e.g. for storage that does not keep symlinks).
 */
export type LatestMode = "auto" | "copy";

/** Options of {@link registerModel}. */
export interface RegisterOptions {
  /** Registry root; created when missing. */
  readonly rootDir: string;
  /** `auto` for the next `vN`, or a fixed tag (letters, digits, `._-`; not `latest`, not starting with `.`) that must not exist. */
  readonly versionTag: string;
  /** Fitted models, one per axis; their order is the axis order of the version. */
  readonly models: ModelSet;
  /** What preparation recorded. */
  readonly prepStats: PrepStats;
  /** Thresholds per axis: exactly the model axes. */
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** Metrics per axis: exactly the model axes (written in model order). */
  readonly metrics: readonly AxisMetrics[];
  /** Content of `meta.yaml`. */
  readonly meta: VersionMetaInput;
  /** Time stamp written as `saved_at`; defaults to now. */
  readonly savedAt?: Date;
  /** How `latest` is written; defaults to `auto`. */
  readonly latestMode?: LatestMode;
}

/** What {@link registerModel} wrote. */
export interface RegisteredVersion {
  /** The version name (`v3`, or the fixed tag). */
  readonly version: string;
  /** Absolute folder of the version. */
  readonly dir: string;
  /** Absolute registry root. */
  readonly rootDir: string;
  /** Whether `latest` is now a symlink or a copied folder. */
  readonly latest: "symlink" | "copy";
  /** The `meta.yaml` content as written. */
  readonly meta: VersionMeta;
}

/** One version read back by {@link loadVersion}. */
export interface LoadedVersion {
  /** The real version name (never `latest`). */
  readonly version: string;
  /** Absolute folder of the version. */
  readonly dir: string;
  /** Whether `latest` names this version. */
  readonly isLatest: boolean;
  readonly models: ModelSet;
  readonly prepStats: PrepStats;
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** Metrics per axis, in model order. */
  readonly metrics: readonly AxisMetrics[];
  readonly meta: VersionMeta;
}

/** One line of {@link listVersions}. */
export interface VersionSummary {
  readonly version: string;
  readonly saved_at: string;
  readonly model_type: string;
  /** Model axes in order. */
  readonly axes: readonly string[];
  readonly rows: VersionRows;
  /** Whether `latest` names this version. */
  readonly isLatest: boolean;
}

// ---------------------------------------------------------------------------
// Small exported helpers
// ---------------------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Fingerprint of training data: SHA-256 (hex) over the IEEE-754 bytes
 * (little-endian) of the columns, concatenated in order. Equal columns give
 * equal fingerprints on every platform; any changed bit changes it.
 */
export function fingerprintColumns(columns: readonly Float64Array[]): string {
  const hash = createHash("sha256");
  for (const column of columns) {
    if (LITTLE_ENDIAN) {
      hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
    } else {
      const bytes = new DataView(new ArrayBuffer(column.byteLength));
      for (let i = 0; i < column.length; i++) bytes.setFloat64(i * 8, column[i], true);
      hash.update(new Uint8Array(bytes.buffer));
    }
  }
  return hash.digest("hex");
}

const moduleDir: string = typeof __dirname === "string" ? __dirname : process.cwd();

/**
 * The commit checked out in the git work tree containing `dir` (40 or 64 hex
 * digits), or null when `dir` is not inside a checkout or HEAD has no commit.
 * Reads `.git/HEAD`, loose refs and `packed-refs` directly (worktrees
 * included) and falls back to `git rev-parse HEAD` with a 2 s timeout.
 */
export function gitCommit(dir: string): string | null {
  const gitDir = findGitDir(path.resolve(dir));
  if (gitDir === null) return null;
  const fromFiles = readHeadCommit(gitDir);
  if (fromFiles !== null) return fromFiles;
  try {
    const out = execFileSync("git", ["rev-parse", "--verify", "--quiet", "HEAD"], {
      cwd: path.resolve(dir),
      timeout: GIT_TIMEOUT_MS,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      windowsHide: true,
    }).trim();
    return isCommitHash(out) ? out : null;
  } catch {
    return null;
  }
}

let cachedPackageVersion: string | undefined;

/** The `version` of ML Box's package.json, or `"unknown"` when it cannot be read. */
export function packageVersion(): string {
  if (cachedPackageVersion !== undefined) return cachedPackageVersion;
  let found = "unknown";
  for (const file of [path.join(moduleDir, "..", "package.json"), path.join(moduleDir, "package.json")]) {
    try {
      const pkg: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
      if (isRecord(pkg) && pkg.name === "mlbox" && typeof pkg.version === "string") {
        found = pkg.version;
        break;
      }
    } catch {
      // try the next candidate
    }
  }
  cachedPackageVersion = found;
  return found;
}

/**
 * Checks a fixed version tag: letters, digits, `.`, `_`, `-`, at most 128
 * characters, not starting with `.`, and not `latest` or `auto` (any case).
 * Throws an {@link InputError} naming `key` (the config key or argument) otherwise.
 */
export function validateVersionTag(tag: string, key = "registry.version_tag"): void {
  const lower = tag.toLowerCase();
  if (lower === LATEST_TAG || lower === AUTO_VERSION_TAG) {
    throw new InputError(`${key} "${tag}" is reserved: choose another version tag`);
  }
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH || !TAG_PATTERN.test(tag) || tag.startsWith(".")) {
    throw new InputError(
      `${key} ${JSON.stringify(tag)} is not a valid version tag: use 1-${MAX_TAG_LENGTH} letters, digits, ".", "_" or "-", not starting with "."`,
    );
  }
}

/**
 * Throws an {@link InputError} when the fixed tag `tag` is invalid or already
 * exists in `rootDir`; does nothing for `auto`. Lets the pipeline fail before
 * doing any work; {@link registerModel} checks again when it publishes.
 */
export async function assertVersionFree(rootDir: string, tag: string): Promise<void> {
  if (tag === AUTO_VERSION_TAG) return;
  validateVersionTag(tag);
  const root = path.resolve(rootDir);
  if (await pathExists(path.join(root, tag))) throw versionExists(tag, root);
}

// ---------------------------------------------------------------------------
// registerModel
// ---------------------------------------------------------------------------

/**
 * Writes one model version to `<rootDir>/<version>/` and points `latest` at it.
 *
 * Defaults: `savedAt` = now, `latestMode` = `auto`; `meta.lineage.package_version`
 * = {@link packageVersion}(), `meta.lineage.git_commit` = {@link gitCommit} of
 * the ML Box folder.
 *
 * All files are written into `<rootDir>/.tmp-<pid>-<random>/`, fsynced and then
 * renamed to the version name, so a version is either complete or absent; on
 * any failure the temporary folder is removed. With `auto` the next `vN`
 * (highest existing N + 1, from v1) is taken, moving on when a concurrent
 * registration took it first. A fixed tag that exists is an {@link InputError}.
 * Then `latest` is replaced atomically by a symlink to the version (or by a
 * copied folder where symlinks are impossible).
 *
 * Models, thresholds and metrics must cover exactly the same axes (an Error
 * otherwise: that is a bug in the caller, not bad input).
 */
export async function registerModel(options: RegisterOptions): Promise<RegisteredVersion> {
  const {
    rootDir,
    versionTag,
    models,
    prepStats,
    thresholds,
    metrics,
    meta,
    savedAt = new Date(),
    latestMode = "auto",
  } = options;
  const root = path.resolve(rootDir);
  const auto = versionTag === AUTO_VERSION_TAG;
  if (!auto) validateVersionTag(versionTag);
  const axes = checkAxes(models, thresholds, metrics);
  const metricsByAxis = new Map(metrics.map((m) => [m.axis, m] as const));
  const fullMeta = buildMeta(models.type, meta, savedAt);

  try {
    await fsp.mkdir(root, { recursive: true });
  } catch (error) {
    throw new InputError(`registry.root_dir ${root} cannot be created: ${errorText(error)}`);
  }
  if (!auto && (await pathExists(path.join(root, versionTag)))) throw versionExists(versionTag, root);

  const tmp = path.join(root, tempName("tmp"));
  let version: string;
  try {
    await fsp.mkdir(tmp);
    // Each file is serialized right before it is written; a failure at any point removes the folder.
    await writeSynced(path.join(tmp, ARTIFACT_FILES.models), modelsJson(models));
    await writeSynced(path.join(tmp, ARTIFACT_FILES.prepStats), prepStatsJson(prepStats));
    await writeSynced(path.join(tmp, ARTIFACT_FILES.thresholds), thresholdsJson(axes, thresholds));
    await writeSynced(path.join(tmp, ARTIFACT_FILES.metrics), metricsCsv(axes.map((a) => metricsByAxis.get(a) as AxisMetrics)));
    await writeSynced(path.join(tmp, ARTIFACT_FILES.meta), metaYaml(fullMeta));
    await fsyncDir(tmp);
    version = auto ? await publishAuto(root, tmp) : await publishFixed(root, tmp, versionTag);
  } catch (error) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(root);

  let latest: "symlink" | "copy";
  try {
    latest = await pointLatest(root, version, latestMode);
  } catch (error) {
    throw new Error(`version "${version}" was registered in ${root}, but "latest" could not be updated: ${errorText(error)}`);
  }
  return { version, dir: path.join(root, version), rootDir: root, latest, meta: fullMeta };
}

function checkAxes(
  models: ModelSet,
  thresholds: Readonly<Record<string, AxisThresholds>>,
  metrics: readonly AxisMetrics[],
): readonly string[] {
  if (models.type !== "linear") throw new Error(`registerModel: unsupported model type "${String(models.type)}"`);
  if (models.models.length === 0) throw new Error("registerModel: no models to register");
  const axes = models.models.map((m) => m.axis);
  const axisSet = new Set(axes);
  if (axisSet.size !== axes.length) throw new Error(`registerModel: duplicate model axes in [${axes.join(", ")}]`);
  const thresholdAxes = Object.keys(thresholds);
  const metricAxes = metrics.map((m) => m.axis);
  const same = (list: readonly string[]): boolean =>
    list.length === axes.length && new Set(list).size === list.length && list.every((a) => axisSet.has(a));
  if (!same(thresholdAxes)) {
    throw new Error(`registerModel: thresholds axes [${thresholdAxes.join(", ")}] differ from model axes [${axes.join(", ")}]`);
  }
  if (!same(metricAxes)) {
    throw new Error(`registerModel: metrics axes [${metricAxes.join(", ")}] differ from model axes [${axes.join(", ")}]`);
  }
  return axes;
}

function buildMeta(modelType: string, input: VersionMetaInput, savedAt: Date): VersionMeta {
  const { model = { type: modelType }, data, prep, rows, lineage } = input;
  if (model.type !== modelType) {
    throw new Error(`registerModel: meta.model.type "${model.type}" differs from the models' type "${modelType}"`);
  }
  const database = redactDatabase(lineage.database);
  return {
    model: { type: modelType },
    data: withoutUndefined({
      table: data.table,
      schema: data.schema,
      time_col: data.time_col,
      time_type: data.time_type,
      layout: data.layout,
      axes: [...data.axes],
      train_start: data.train_start,
      train_end: data.train_end,
      axis_id_col: data.axis_id_col,
      value_col: data.value_col,
    }),
    prep: { interpolate: prep.interpolate },
    rows: { raw: rows.raw, train: rows.train },
    saved_at: savedAt.toISOString(),
    lineage: {
      config_path: lineage.config_path,
      config_sha256: lineage.config_sha256,
      data_fingerprint: lineage.data_fingerprint,
      package_version: lineage.package_version ?? packageVersion(),
      git_commit: lineage.git_commit === undefined ? gitCommit(path.join(moduleDir, "..")) : lineage.git_commit,
      database,
    },
  };
}

async function publishFixed(root: string, tmp: string, tag: string): Promise<string> {
  const target = path.join(root, tag);
  try {
    await fsp.rename(tmp, target);
  } catch (error) {
    if (await pathExists(target)) throw versionExists(tag, root);
    throw error;
  }
  return tag;
}

async function publishAuto(root: string, tmp: string): Promise<string> {
  let n = await nextAutoNumber(root);
  for (let attempt = 0; attempt < MAX_AUTO_ATTEMPTS; attempt++) {
    const name = `v${n}`;
    const target = path.join(root, name);
    // rename() fails when the target is a non-empty folder or a file; the temp folder is never empty,
    // so a concurrent winner is never replaced.
    try {
      await fsp.rename(tmp, target);
      return name;
    } catch (error) {
      if (!(await pathExists(target))) throw error;
    }
    n = Math.max(n + 1, await nextAutoNumber(root));
  }
  throw new Error(`could not find a free version name in ${root} after ${MAX_AUTO_ATTEMPTS} attempts`);
}

async function nextAutoNumber(root: string): Promise<number> {
  let max = 0;
  for (const name of await readNames(root)) {
    const match = AUTO_PATTERN.exec(name);
    if (match === null) continue;
    const n = Number(match[1]);
    if (Number.isSafeInteger(n) && n > max) max = n;
  }
  return max + 1;
}

const SYMLINK_UNSUPPORTED = new Set(["EPERM", "EACCES", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EINVAL", "EXDEV"]);

async function pointLatest(root: string, version: string, mode: LatestMode): Promise<"symlink" | "copy"> {
  const latest = path.join(root, LATEST_TAG);
  if (mode === "auto") {
    const link = path.join(root, tempName("tmp-latest"));
    let linked = false;
    try {
      if (process.platform === "win32") await fsp.symlink(path.join(root, version), link, "junction");
      else await fsp.symlink(version, link, "dir");
      linked = true;
    } catch (error) {
      if (!SYMLINK_UNSUPPORTED.has(errorCode(error))) throw error;
    }
    if (linked) {
      try {
        await installOver(root, link, latest);
      } catch (error) {
        await fsp.rm(link, { force: true });
        throw error;
      }
      return "symlink";
    }
  }
  const copy = path.join(root, tempName("tmp-latest"));
  try {
    await fsp.mkdir(copy);
    const source = path.join(root, version);
    for (const entry of await fsp.readdir(source, { withFileTypes: true })) {
      if (entry.isFile()) await fsp.copyFile(path.join(source, entry.name), path.join(copy, entry.name));
    }
    await writeSynced(path.join(copy, LATEST_MARKER), `${version}\n`);
    await fsyncDir(copy);
    await installOver(root, copy, latest);
  } catch (error) {
    await fsp.rm(copy, { recursive: true, force: true });
    throw error;
  }
  return "copy";
}

/**
 * Renames `source` onto `dest`. A symlink replaces a symlink in one atomic
 * step; when `dest` cannot be replaced that way (a folder, or a platform that
 * refuses), the old `dest` is renamed aside first and removed afterwards.
 * `fs.rm` removes a symlink itself, never the version it points to.
 */
async function installOver(root: string, source: string, dest: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await fsp.rename(source, dest);
      return;
    } catch (error) {
      lastError = error;
    }
    const aside = path.join(root, tempName("old-latest"));
    try {
      await fsp.rename(dest, aside);
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw error;
    }
    try {
      await fsp.rename(source, dest);
      await fsp.rm(aside, { recursive: true, force: true });
      return;
    } catch (error) {
      lastError = error;
      if (await pathExists(dest)) {
        // A concurrent registration installed its latest in between: go round again.
        await fsp.rm(aside, { recursive: true, force: true });
      } else {
        await fsp.rename(aside, dest).catch(() => undefined);
        throw error;
      }
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------
// loadVersion / listVersions
// ---------------------------------------------------------------------------

/**
 * Reads one version back as typed artifacts. `tag` is a version name or
 * `latest` (resolved to the real version name). A missing version is an
 * {@link InputError} listing the available ones; a malformed artifact is an
 * {@link InputError} naming the file and the field.
 */
export async function loadVersion(rootDir: string, tag: string): Promise<LoadedVersion> {
  const root = path.resolve(rootDir);
  const latest = await resolveLatest(root);
  let version: string;
  if (tag === LATEST_TAG) {
    if (latest === null) {
      throw new InputError(`registry ${root} has no "latest" version${await availableText(root)}`);
    }
    version = latest;
  } else {
    validateVersionTag(tag, "version");
    version = tag;
  }
  const dir = path.join(root, version);
  if (!(await isFile(path.join(dir, ARTIFACT_FILES.meta)))) {
    throw new InputError(`version "${tag}" not found in ${root}${await availableText(root)}`);
  }
  const [modelsText, prepText, thresholdsText, metricsText, metaText] = await Promise.all(
    [ARTIFACT_FILES.models, ARTIFACT_FILES.prepStats, ARTIFACT_FILES.thresholds, ARTIFACT_FILES.metrics, ARTIFACT_FILES.meta].map(
      (name) => readArtifact(dir, name),
    ),
  );
  const metrics = parseMetricsCsv(metricsText, path.join(dir, ARTIFACT_FILES.metrics));
  const axes = metrics.map((m) => m.axis);
  const models = parseModels(modelsText, path.join(dir, ARTIFACT_FILES.models), axes);
  const prepStats = parsePrepStats(prepText, path.join(dir, ARTIFACT_FILES.prepStats));
  const thresholds = parseThresholds(thresholdsText, path.join(dir, ARTIFACT_FILES.thresholds), axes);
  const meta = parseMeta(metaText, path.join(dir, ARTIFACT_FILES.meta));
  return { version, dir, isLatest: version === latest, models, prepStats, thresholds, metrics, meta };
}

/**
 * Lists the versions of a registry (folders holding a `meta.yaml`), `vN`
 * versions first in numeric order (v2 before v10), then other tags by name.
 * A missing or empty root gives `[]`; a malformed `meta.yaml` or `metrics.csv`
 * is an {@link InputError} naming the file.
 */
export async function listVersions(rootDir: string): Promise<VersionSummary[]> {
  const root = path.resolve(rootDir);
  const [names, latest] = await Promise.all([versionNames(root), resolveLatest(root)]);
  return Promise.all(
    names.map(async (version): Promise<VersionSummary> => {
      const dir = path.join(root, version);
      const [metaText, metricsText] = await Promise.all([
        readArtifact(dir, ARTIFACT_FILES.meta),
        readArtifact(dir, ARTIFACT_FILES.metrics),
      ]);
      const meta = parseMeta(metaText, path.join(dir, ARTIFACT_FILES.meta));
      const metrics = parseMetricsCsv(metricsText, path.join(dir, ARTIFACT_FILES.metrics));
      return {
        version,
        saved_at: meta.saved_at,
        model_type: meta.model.type,
        axes: metrics.map((m) => m.axis),
        rows: meta.rows,
        isLatest: version === latest,
      };
    }),
  );
}

/** Orders version names: `vN` by N, then the others by name. */
function compareVersions(a: string, b: string): number {
  const ma = AUTO_PATTERN.exec(a);
  const mb = AUTO_PATTERN.exec(b);
  if (ma !== null && mb !== null) {
    const diff = Number(ma[1]) - Number(mb[1]);
    if (diff !== 0) return diff;
  } else if (ma !== null) {
    return -1;
  } else if (mb !== null) {
    return 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

async function versionNames(root: string): Promise<string[]> {
  const names = (await readNames(root)).filter(
    (name) => !name.startsWith(".") && name !== LATEST_TAG && TAG_PATTERN.test(name),
  );
  const checks = await Promise.all(names.map((name) => isFile(path.join(root, name, ARTIFACT_FILES.meta))));
  const found = names.filter((_, i) => checks[i]);
  // A copied `latest` folder on a case-insensitive file system is still named "latest".
  return found.filter((name) => name.toLowerCase() !== LATEST_TAG).sort(compareVersions);
}

async function availableText(root: string): Promise<string> {
  const names = await versionNames(root);
  return names.length === 0 ? ": the registry is empty" : `; available: ${names.join(", ")}`;
}

/** The version `latest` names, or null when there is none. */
async function resolveLatest(root: string): Promise<string | null> {
  const latest = path.join(root, LATEST_TAG);
  let stat: fs.Stats;
  try {
    stat = await fsp.lstat(latest);
  } catch {
    return null;
  }
  let name: string;
  if (stat.isSymbolicLink()) {
    name = path.basename(await fsp.readlink(latest));
  } else if (stat.isDirectory()) {
    try {
      name = (await fsp.readFile(path.join(latest, LATEST_MARKER), "utf8")).trim();
    } catch {
      return null;
    }
  } else {
    return null;
  }
  if (name === LATEST_TAG || name.startsWith(".") || !TAG_PATTERN.test(name)) return null;
  return (await isFile(path.join(root, name, ARTIFACT_FILES.meta))) ? name : null;
}

// ---------------------------------------------------------------------------
// Human-readable output
// ---------------------------------------------------------------------------

/** A number for people: at most 8 significant digits, `NaN`/`Infinity` as such. */
function short(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(8))) : String(value);
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * The output of `registry list`: one line per version (version, saved at,
 * model type, axis count and names, training and raw rows), `*` marking
 * `latest`. An empty list gives a one-line note.
 */
export function formatVersionList(list: readonly VersionSummary[]): string {
  if (list.length === 0) return "No model versions registered.";
  const rows = list.map((v) => {
    const names = v.axes.join(",");
    return [
      v.isLatest ? "*" : "",
      v.version,
      v.saved_at,
      v.model_type,
      String(v.axes.length),
      names.length > 40 ? `${names.slice(0, 39)}…` : names,
      String(v.rows.train),
      String(v.rows.raw),
    ];
  });
  const lines = table(["", "VERSION", "SAVED_AT", "MODEL", "N", "AXES", "TRAIN_ROWS", "RAW_ROWS"], rows, new Set([4, 6, 7]));
  if (list.some((v) => v.isLatest)) lines.push("(* = latest)");
  return lines.join("\n");
}

/**
 * The output of `registry show <tag>`: where and when the version was saved,
 * what data it was trained on, its lineage, and per axis the model, metrics
 * and thresholds (numbers to 8 significant digits; the files hold them exactly).
 */
export function formatVersion(loaded: LoadedVersion): string {
  const { meta, prepStats } = loaded;
  const { data, lineage } = meta;
  const source = data.schema === undefined ? data.table : `${data.schema}.${data.table}`;
  const longCols =
    data.layout === "long" ? ` (axis id ${data.axis_id_col ?? "?"}, value ${data.value_col ?? "?"})` : "";
  const lines = [
    `Version ${loaded.version}${loaded.isLatest ? " (latest)" : ""}`,
    `  folder:       ${loaded.dir}`,
    `  saved at:     ${meta.saved_at}`,
    `  model:        ${meta.model.type}`,
    `  data:         ${source}, ${data.layout}${longCols}, time ${data.time_col} (${data.time_type})`,
    `  window:       [${String(data.train_start)}, ${String(data.train_end)})`,
    `  rows:         ${meta.rows.train} trained of ${meta.rows.raw} extracted`,
    `  prep:         interpolate ${String(prepStats.interpolate)}, time0 ${String(prepStats.time0)}, dt ${short(prepStats.dt_seconds)} s`,
    `  config:       ${lineage.config_path} (sha256 ${lineage.config_sha256})`,
    `  data sha256:  ${lineage.data_fingerprint}`,
    `  database:     ${redactDatabase(lineage.database)}`,
    `  code:         mlbox ${lineage.package_version}, git ${lineage.git_commit ?? "unavailable"}`,
    "",
  ];
  const metricsByAxis = new Map(loaded.metrics.map((m) => [m.axis, m] as const));
  const rows = loaded.models.models.map((m) => {
    const metric = metricsByAxis.get(m.axis);
    const t = loaded.thresholds[m.axis];
    return [
      m.axis,
      short(m.coef),
      short(m.intercept),
      String(m.samples_used),
      metric === undefined ? "" : short(metric.r2),
      metric === undefined ? "" : short(metric.mae),
      metric === undefined ? "" : short(metric.rmse),
      t === undefined ? "" : short(t.MinC),
      t === undefined ? "" : short(t.MaxC),
      t === undefined ? "" : String(t.T_long_steps),
      t === undefined ? "" : String(t.T_short_steps),
      t === undefined ? "" : t.meta.method,
    ];
  });
  const header = ["AXIS", "COEF", "INTERCEPT", "SAMPLES", "R2", "MAE", "RMSE", "MinC", "MaxC", "T_LONG", "T_SHORT", "METHOD"];
  lines.push(...table(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------

type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** JSON text of a number; non-finite numbers become strings, `-0` stays `-0`. */
function jsonNumber(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? "-0" : String(value);
  return JSON.stringify(String(value));
}

/** Like `JSON.stringify(value, null, 2)` plus a final newline, but with {@link jsonNumber} numbers. */
function jsonText(value: JsonValue): string {
  return `${jsonAt(value, "")}\n`;
}

function jsonAt(value: JsonValue, indent: string): string {
  if (value === null) return "null";
  if (typeof value === "number") return jsonNumber(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  const inner = `${indent}  `;
  const items: string[] = [];
  if (isReadonlyArray(value)) {
    for (let i = 0; i < value.length; i++) items.push(inner + jsonAt(value[i], inner));
    return items.length === 0 ? "[]" : `[\n${items.join(",\n")}\n${indent}]`;
  }
  for (const key of Object.keys(value)) items.push(`${inner}${JSON.stringify(key)}: ${jsonAt(value[key], inner)}`);
  return items.length === 0 ? "{}" : `{\n${items.join(",\n")}\n${indent}}`;
}

function isReadonlyArray(value: unknown): value is readonly JsonValue[] {
  return Array.isArray(value);
}

function num(value: unknown, where: string): number {
  if (typeof value !== "number") throw new TypeError(`registerModel: ${where} must be a number, got ${typeof value}`);
  return value;
}

function str(value: unknown, where: string): string {
  if (typeof value !== "string") throw new TypeError(`registerModel: ${where} must be a string, got ${typeof value}`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`registerModel: ${where} must be a boolean, got ${typeof value}`);
  return value;
}

function modelsJson(models: ModelSet): string {
  const axes = models.models.map((m): [string, JsonValue] => [
    m.axis,
    {
      coef: num(m.coef, `models.${m.axis}.coef`),
      intercept: num(m.intercept, `models.${m.axis}.intercept`),
      samples_used: num(m.samples_used, `models.${m.axis}.samples_used`),
    },
  ]);
  return jsonText({ model_type: models.type, axes: Object.fromEntries(axes) });
}

function prepStatsJson(stats: PrepStats): string {
  return jsonText({
    time0: num(stats.time0, "prepStats.time0"),
    time_col: str(stats.time_col, "prepStats.time_col"),
    time_type: str(stats.time_type, "prepStats.time_type"),
    dt_seconds: num(stats.dt_seconds, "prepStats.dt_seconds"),
    interpolate: bool(stats.interpolate, "prepStats.interpolate"),
  });
}

function thresholdsJson(axes: readonly string[], thresholds: Readonly<Record<string, AxisThresholds>>): string {
  const entries = axes.map((axis): [string, JsonValue] => {
    const t = thresholds[axis];
    const where = `thresholds.${axis}`;
    const policy = Object.fromEntries(
      POLICY_KEYS.map((key): [string, JsonValue] => {
        const value: unknown = t.policy[key];
        return [key, key === "use_mad_fallback" ? bool(value, `${where}.policy.${key}`) : num(value, `${where}.policy.${key}`)];
      }),
    );
    return [
      axis,
      {
        MinC: num(t.MinC, `${where}.MinC`),
        MaxC: num(t.MaxC, `${where}.MaxC`),
        T_long_steps: num(t.T_long_steps, `${where}.T_long_steps`),
        T_short_steps: num(t.T_short_steps, `${where}.T_short_steps`),
        dt_seconds: num(t.dt_seconds, `${where}.dt_seconds`),
        policy,
        meta: { method: str(t.meta.method, `${where}.meta.method`) },
      },
    ];
  });
  return jsonText(Object.fromEntries(entries));
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

function metricsCsv(metrics: readonly AxisMetrics[]): string {
  const lines = ["axis,r2,mae,rmse"];
  for (const m of metrics) {
    const where = `metrics.${m.axis}`;
    lines.push(
      [csvField(m.axis), csvNumber(num(m.r2, `${where}.r2`)), csvNumber(num(m.mae, `${where}.mae`)), csvNumber(num(m.rmse, `${where}.rmse`))].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

function metaYaml(meta: VersionMeta): string {
  return yaml.dump(meta, { lineWidth: -1, noRefs: true, sortKeys: false });
}

// ---------------------------------------------------------------------------
// Parsing (strict: a malformed artifact names its file and field)
// ---------------------------------------------------------------------------

function corrupt(file: string, message: string): InputError {
  return new InputError(`registry file ${file}: ${message}`);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw corrupt(file, `invalid JSON (${errorText(error)})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, file: string, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw corrupt(file, `${where} must be an object`);
  return value;
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function readNumber(value: unknown, file: string, where: string): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  throw corrupt(file, `${where} must be a number`);
}

function readString(value: unknown, file: string, where: string): string {
  if (typeof value !== "string") throw corrupt(file, `${where} must be a string`);
  return value;
}

function readBoolean(value: unknown, file: string, where: string): boolean {
  if (typeof value !== "boolean") throw corrupt(file, `${where} must be true or false`);
  return value;
}

function readTimeType(value: unknown, file: string, where: string): TimeType {
  if (value === "float" || value === "timestamp" || value === "timestamptz") return value;
  throw corrupt(file, `${where} must be float, timestamp or timestamptz`);
}

function sameAxes(keys: readonly string[], axes: readonly string[]): boolean {
  const set = new Set(axes);
  return keys.length === axes.length && keys.every((k) => set.has(k));
}

function parseModels(text: string, file: string, axes: readonly string[]): ModelSet {
  const root = record(parseJson(text, file), file, "the file");
  if (own(root, "model_type") !== "linear") throw corrupt(file, `model_type must be "linear"`);
  const byAxis = record(own(root, "axes"), file, "axes");
  if (!sameAxes(Object.keys(byAxis), axes)) {
    throw corrupt(file, `axes [${Object.keys(byAxis).join(", ")}] differ from metrics.csv axes [${axes.join(", ")}]`);
  }
  const models = axes.map((axis): LinearModel => {
    const m = record(byAxis[axis], file, `axes.${axis}`);
    return {
      axis,
      coef: readNumber(own(m, "coef"), file, `axes.${axis}.coef`),
      intercept: readNumber(own(m, "intercept"), file, `axes.${axis}.intercept`),
      samples_used: readNumber(own(m, "samples_used"), file, `axes.${axis}.samples_used`),
    };
  });
  return { type: "linear", models };
}

function parsePrepStats(text: string, file: string): PrepStats {
  const s = record(parseJson(text, file), file, "the file");
  return {
    time0: readNumber(own(s, "time0"), file, "time0"),
    time_col: readString(own(s, "time_col"), file, "time_col"),
    time_type: readTimeType(own(s, "time_type"), file, "time_type"),
    dt_seconds: readNumber(own(s, "dt_seconds"), file, "dt_seconds"),
    interpolate: readBoolean(own(s, "interpolate"), file, "interpolate"),
  };
}

function parsePolicy(value: unknown, file: string, where: string): ThresholdPolicy {
  const p = record(value, file, where);
  const n = (key: keyof ThresholdPolicy): number => readNumber(own(p, key), file, `${where}.${key}`);
  return {
    minc_percentile: n("minc_percentile"),
    maxc_percentile: n("maxc_percentile"),
    trim_top_ratio: n("trim_top_ratio"),
    min_pos_for_trim: n("min_pos_for_trim"),
    use_mad_fallback: readBoolean(own(p, "use_mad_fallback"), file, `${where}.use_mad_fallback`),
    alert_seconds_default: n("alert_seconds_default"),
    error_seconds_default: n("error_seconds_default"),
    alert_quantile: n("alert_quantile"),
    error_quantile: n("error_quantile"),
  };
}

function parseThresholds(text: string, file: string, axes: readonly string[]): Readonly<Record<string, AxisThresholds>> {
  const root = record(parseJson(text, file), file, "the file");
  if (!sameAxes(Object.keys(root), axes)) {
    throw corrupt(file, `axes [${Object.keys(root).join(", ")}] differ from metrics.csv axes [${axes.join(", ")}]`);
  }
  const entries = axes.map((axis): [string, AxisThresholds] => {
    const t = record(root[axis], file, axis);
    const meta = record(own(t, "meta"), file, `${axis}.meta`);
    return [
      axis,
      {
        MinC: readNumber(own(t, "MinC"), file, `${axis}.MinC`),
        MaxC: readNumber(own(t, "MaxC"), file, `${axis}.MaxC`),
        T_long_steps: readNumber(own(t, "T_long_steps"), file, `${axis}.T_long_steps`),
        T_short_steps: readNumber(own(t, "T_short_steps"), file, `${axis}.T_short_steps`),
        dt_seconds: readNumber(own(t, "dt_seconds"), file, `${axis}.dt_seconds`),
        policy: parsePolicy(own(t, "policy"), file, `${axis}.policy`),
        meta: { method: readString(own(meta, "method"), file, `${axis}.meta.method`) },
      },
    ];
  });
  return Object.fromEntries(entries);
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (c === "\r" && text[i + 1] === "\n") i++;
    } else {
      field += c;
    }
    i++;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvValue(text: string, file: string, where: string): number {
  if (text === "NaN") return NaN;
  const value = text.trim() === "" ? NaN : Number(text);
  if (Number.isNaN(value)) throw corrupt(file, `${where} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

function parseMetricsCsv(text: string, file: string): AxisMetrics[] {
  const rows = parseCsv(text).filter((r) => !(r.length === 1 && r[0] === ""));
  if (rows.length === 0 || rows[0].join(",") !== "axis,r2,mae,rmse") throw corrupt(file, `header must be axis,r2,mae,rmse`);
  const seen = new Set<string>();
  return rows.slice(1).map((r, i): AxisMetrics => {
    if (r.length !== 4) throw corrupt(file, `row ${i + 2} must have 4 fields`);
    const axis = r[0];
    if (seen.has(axis)) throw corrupt(file, `axis ${JSON.stringify(axis)} appears twice`);
    seen.add(axis);
    return {
      axis,
      r2: csvValue(r[1], file, `r2 of ${axis}`),
      mae: csvValue(r[2], file, `mae of ${axis}`),
      rmse: csvValue(r[3], file, `rmse of ${axis}`),
    };
  });
}

function yamlText(value: unknown, file: string, where: string): string {
  if (value instanceof Date) return value.toISOString();
  return readString(value, file, where);
}

function yamlBound(value: unknown, file: string, where: string): number | string {
  if (typeof value === "number") return value;
  return yamlText(value, file, where);
}

function optionalString(obj: Record<string, unknown>, key: string, file: string, where: string): string | undefined {
  const value = own(obj, key);
  return value === undefined || value === null ? undefined : readString(value, file, `${where}.${key}`);
}

function parseMeta(text: string, file: string): VersionMeta {
  let loaded: unknown;
  try {
    loaded = yaml.load(text);
  } catch (error) {
    throw corrupt(file, `invalid YAML (${errorText(error)})`);
  }
  const root = record(loaded, file, "the file");
  const model = record(own(root, "model"), file, "model");
  const data = record(own(root, "data"), file, "data");
  const prep = record(own(root, "prep"), file, "prep");
  const rows = record(own(root, "rows"), file, "rows");
  const lineage = record(own(root, "lineage"), file, "lineage");
  const layout = own(data, "layout");
  if (layout !== "wide" && layout !== "long") throw corrupt(file, "data.layout must be wide or long");
  const axes = own(data, "axes");
  if (!Array.isArray(axes) || !axes.every((a) => typeof a === "string" || typeof a === "number")) {
    throw corrupt(file, "data.axes must be a list of names or ids");
  }
  const gitCommitValue = own(lineage, "git_commit");
  return {
    model: { type: readString(own(model, "type"), file, "model.type") },
    data: withoutUndefined({
      table: readString(own(data, "table"), file, "data.table"),
      schema: optionalString(data, "schema", file, "data"),
      time_col: readString(own(data, "time_col"), file, "data.time_col"),
      time_type: readTimeType(own(data, "time_type"), file, "data.time_type"),
      layout,
      axes: axes as (string | number)[],
      train_start: yamlBound(own(data, "train_start"), file, "data.train_start"),
      train_end: yamlBound(own(data, "train_end"), file, "data.train_end"),
      axis_id_col: optionalString(data, "axis_id_col", file, "data"),
      value_col: optionalString(data, "value_col", file, "data"),
    }),
    prep: { interpolate: readBoolean(own(prep, "interpolate"), file, "prep.interpolate") },
    rows: {
      raw: readNumber(own(rows, "raw"), file, "rows.raw"),
      train: readNumber(own(rows, "train"), file, "rows.train"),
    },
    saved_at: yamlText(own(root, "saved_at"), file, "saved_at"),
    lineage: {
      config_path: readString(own(lineage, "config_path"), file, "lineage.config_path"),
      config_sha256: readString(own(lineage, "config_sha256"), file, "lineage.config_sha256"),
      data_fingerprint: readString(own(lineage, "data_fingerprint"), file, "lineage.data_fingerprint"),
      package_version: readString(own(lineage, "package_version"), file, "lineage.package_version"),
      git_commit: gitCommitValue === null ? null : readString(gitCommitValue, file, "lineage.git_commit"),
      database: readString(own(lineage, "database"), file, "lineage.database"),
    },
  };
}

// ---------------------------------------------------------------------------
// File system helpers
// ---------------------------------------------------------------------------

function errorCode(error: unknown): string {
  return isRecord(error) && typeof error.code === "string" ? error.code : "";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function versionExists(tag: string, root: string): InputError {
  return new InputError(
    `version "${tag}" already exists in ${root}: choose another registry.version_tag or use auto`,
  );
}

function tempName(kind: string): string {
  return `.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/** Drops keys whose value is undefined (js-yaml refuses them; optional fields are simply absent). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function readNames(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return [];
    throw error;
  }
}

async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return false;
    throw error;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readArtifact(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  try {
    return await fsp.readFile(file, "utf8");
  } catch (error) {
    throw new InputError(`registry file ${file} cannot be read: ${errorText(error)}`);
  }
}

/** Creates `file` (it must not exist), writes `content` and fsyncs it. */
async function writeSynced(file: string, content: string): Promise<void> {
  const handle = await fsp.open(file, "wx");
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder so renames inside it are durable; best effort (not possible on every platform). */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, "r");
    await handle.sync();
  } catch {
    // Windows cannot open folders for fsync.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function isCommitHash(text: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);
}

/** The `.git` folder of the checkout containing `dir`, following `gitdir:` files (worktrees, submodules). */
function findGitDir(dir: string): string | null {
  let current = dir;
  for (;;) {
    const candidate = path.join(current, ".git");
    try {
      const stat = fs.statSync(candidate);
      if (stat.isDirectory()) return candidate;
      if (stat.isFile()) {
        const match = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(candidate, "utf8"));
        if (match !== null) return path.resolve(current, match[1]);
      }
    } catch {
      // not here: look further up
    }
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/** HEAD's commit from the files of `gitDir`, or null when it cannot be read that way. */
function readHeadCommit(gitDir: string): string | null {
  try {
    const head = fs.readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    if (isCommitHash(head)) return head;
    const ref = /^ref:\s*(refs\/\S+)$/.exec(head);
    if (ref === null) return null;
    let commonDir = gitDir;
    try {
      commonDir = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, "commondir"), "utf8").trim());
    } catch {
      // not a linked worktree
    }
    for (const base of [gitDir, commonDir]) {
      try {
        const value = fs.readFileSync(path.join(base, ref[1]), "utf8").trim();
        if (isCommitHash(value)) return value;
      } catch {
        // not a loose ref here
      }
    }
    const packed = fs.readFileSync(path.join(commonDir, "packed-refs"), "utf8");
    for (const line of packed.split("\n")) {
      const [hash, name] = line.trim().split(" ");
      if (name === ref[1] && isCommitHash(hash)) return hash;
    }
  } catch {
    // fall back to git itself
  }
  return null;
}
