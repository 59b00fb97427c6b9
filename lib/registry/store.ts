/**
 * Writing the on-disk model registry: publishing a version and moving
 * `latest`, one run at a time; the first version also becomes `production`
 * (./aliases.ts), and after that only `registry promote` moves it.
 *
 * A registration holds the registry lock (proper-lockfile, `<root>/.lock`)
 * from start to end, so versions are published, and `latest` moves, in one
 * order: `latest` always names the version published last (with auto tags,
 * the highest `vN`). Files go into a temporary folder inside the root, are
 * fsynced, then renamed into place: a version is complete or absent, and
 * never overwritten. Leftovers of killed runs are swept by the next one.
 */
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../core/packageRoot";
import {
  ARTIFACT_FILES,
  OPTIONAL_ARTIFACT_FILES,
  MODEL_SET_TYPES,
  type AxisMetrics,
  type AxisThresholds,
  type Lineage,
  type ModelSet,
  type PrepStats,
  type Selection,
  type VersionMeta,
} from "../shapes/artifacts";
import { InputError } from "../core/errors";
import { assertLatestIsOurs } from "./latestGuard";
import { PCA_CHANNELS, type PcaArtifact } from "../shapes/pcaArtifacts";
import { redactDatabase } from "../core/redact";
import { encodeArtifacts } from "./artifactText";
import { NODE_FILE_SYSTEM, fsyncDir, pathExists, tempName, writeSynced, type StoreFileSystem } from "./durableFiles";
import { pointLatest, restoreLatest, type LatestMode } from "./latest";
import { setFirstAlias } from "./aliases";
import { readAliasFile } from "./aliasFile";
import { gitCommit, packageVersion } from "./lineage";
import { withLock } from "./lock";
import { AUTO_PATTERN, AUTO_VERSION_TAG, errorText, readNames, resolveLatest, validateVersionTag } from "./read";

export type { LatestMode } from "./latest";
export type { StoreFileSystem } from "./durableFiles";

const fsp = fs.promises;

/** Temporary entries older than this, found by the lock holder, are leftovers of killed runs. */
const LEFTOVER_AGE_MS = 60 * 60 * 1000;
const LEFTOVER_PATTERN = /^\.(tmp|old-latest|probe)-/;

/** Lineage as the caller supplies it; the two optional fields are filled in when omitted. */
export interface LineageInput extends Omit<Lineage, "package_version" | "git_commit"> {
  /** ML Box version; defaults to {@link packageVersion}(). */
  readonly package_version?: string;
  /** Commit of the ML Box checkout; defaults to {@link gitCommit} of the ML Box folder (null when not a checkout). */
  readonly git_commit?: string | null;
}

/** What the caller supplies for `meta.yaml`; `saved_at` comes from the clock. */
export interface VersionMetaInput {
  /** Defaults to the type of the registered models; must match it when given. */
  readonly model?: { readonly type: string };
  readonly data: VersionMeta["data"];
  readonly prep: VersionMeta["prep"];
  readonly rows: VersionMeta["rows"];
  /** `database` is stored without password (any password left in it is stripped). */
  readonly lineage: LineageInput;
}

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
  /** Content of `selection.json` (how `auto` chose); omitted: no such file. */
  readonly selection?: Selection;
  /** Content of `pca.json` (a `model.type: pca` version); omitted: no such file. */
  readonly pca?: PcaArtifact;
  /** Time stamp written as `saved_at`; defaults to now. */
  readonly savedAt?: Date;
  /** How `latest` is written; defaults to `auto`. */
  readonly latestMode?: LatestMode;
  /** File operations; defaults to Node's. */
  readonly fileSystem?: StoreFileSystem;
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
  /** The version `production` names after this registration (the new one only when it is the registry's first); null when none does. */
  readonly production: string | null;
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

/**
 * Creates the registry root when missing and writes, fsyncs and removes a
 * probe file in it, so a read-only, full or forbidden registry is found
 * before any work is done: an {@link InputError}
 * `registry.root_dir <root> is not writable: <reason>` otherwise.
 */
export async function assertRegistryWritable(rootDir: string): Promise<void> {
  const root = path.resolve(rootDir);
  const probe = path.join(root, tempName("probe"));
  try {
    await fsp.mkdir(root, { recursive: true });
    await writeSynced(probe, "probe\n", NODE_FILE_SYSTEM);
    await fsp.rm(probe);
  } catch (error) {
    await fsp.rm(probe, { force: true }).catch(() => undefined);
    throw new InputError(`registry.root_dir ${root} is not writable: ${errorText(error)}`);
  }
}

/**
 * Writes one model version to `<rootDir>/<version>/` and points `latest` at it.
 *
 * Defaults: `savedAt` = now, `latestMode` = `auto`; `meta.lineage.package_version`
 * = {@link packageVersion}(), `meta.lineage.git_commit` = {@link gitCommit} of
 * the ML Box folder.
 *
 * Under the registry lock (waiting up to about a minute for another run; a
 * lock left by a killed run is taken over after 10 s): first `latest` is put
 * back if a killed run left it aside, and leftovers older than an hour are
 * removed; then all files are written into `<rootDir>/.tmp-<pid>-<random>/`,
 * fsynced and renamed to the version name, so a version is either complete
 * or absent (on failure the temporary folder is removed). With `auto` the
 * next `vN` (highest existing N + 1, from v1) is taken; a fixed tag that
 * exists is an {@link InputError}, as is one naming an alias. Then `latest` is replaced by a symlink to
 * the version (or by a copied folder where symlinks are impossible) and the
 * root is fsynced. A registry without `aliases.json` gets one: `production`
 * names the new version when it is the first, else the version `latest`
 * named before (a registry made before aliases); an existing file is left
 * as it is, so a new version is served only once promoted.
 *
 * Models, thresholds and metrics must cover exactly the same axes, with
 * values of the right types (an Error otherwise: that is a bug in the
 * caller, not bad input).
 *
 * @example
 * import { mkdtempSync } from "fs";
 * import { tmpdir } from "os";
 * import { join } from "path";
 * import { DEFAULT_THRESHOLD_POLICY, calibrateColumns, evaluateColumns, predictColumns, registerModel, trainColumns } from "mlbox";
 * const timeS = Float64Array.from({ length: 100 }, (_, i) => i);
 * const values = [timeS.map((t) => 2 + 0.01 * t + Math.sin(t))];
 * const models = trainColumns(timeS, ["a"], values);
 * const prediction = predictColumns(timeS, models, values);
 * const registered = await registerModel({
 *   rootDir: mkdtempSync(join(tmpdir(), "registry-")),
 *   versionTag: "auto",
 *   models,
 *   prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
 *   thresholds: calibrateColumns(prediction, 1, DEFAULT_THRESHOLD_POLICY),
 *   metrics: evaluateColumns(prediction),
 *   meta: {
 *     data: { table: "my_table", time_col: "ts", time_type: "float", layout: "wide", axes: ["a"], train_start: 0, train_end: 100 },
 *     prep: { interpolate: false },
 *     rows: { raw: 100, train: 100 },
 *     lineage: { config_path: "config.yaml", config_sha256: "0".repeat(64), data_fingerprint: "none", database: "example" },
 *   },
 * });
 * [registered.version, registered.latest]; // ["v1", "symlink"]
 */
export async function registerModel(options: RegisterOptions): Promise<RegisteredVersion> {
  const { rootDir, versionTag, models, prepStats, thresholds, metrics, meta, selection, pca, savedAt = new Date(), latestMode = "auto" } = options;
  const fileSystem = options.fileSystem ?? NODE_FILE_SYSTEM;
  const root = path.resolve(rootDir);
  const auto = versionTag === AUTO_VERSION_TAG;
  if (!auto) validateVersionTag(versionTag);
  checkAxes(models, thresholds, metrics);
  const fullMeta = buildMeta(models.type, meta, savedAt);
  const texts = encodeArtifacts({ models, prepStats, thresholds, metrics, meta: fullMeta, selection, pca });

  try {
    await fsp.mkdir(root, { recursive: true });
  } catch (error) {
    throw new InputError(`registry.root_dir ${root} cannot be created: ${errorText(error)}`);
  }
  if (!auto && (await pathExists(path.join(root, versionTag)))) throw versionExists(versionTag, root);
  if (!auto && (await readAliasFile(root))?.aliases[versionTag] !== undefined) {
    throw new InputError(`registry.version_tag "${versionTag}" is the name of an alias in ${root}: choose another registry.version_tag or use auto`);
  }

  return withLock(root, async (assertHeld) => {
    await restoreLatest(root, fileSystem);
    await assertLatestIsOurs(root);
    await sweepLeftovers(root);
    const previousLatest = await resolveLatest(root);
    const tmp = path.join(root, tempName("tmp"));
    let version: string;
    try {
      await fsp.mkdir(tmp);
      for (const key of Object.keys(ARTIFACT_FILES) as (keyof typeof ARTIFACT_FILES)[]) {
        await writeSynced(path.join(tmp, ARTIFACT_FILES[key]), texts[key], fileSystem);
      }
      for (const key of Object.keys(OPTIONAL_ARTIFACT_FILES) as (keyof typeof OPTIONAL_ARTIFACT_FILES)[]) {
        const text = texts[key];
        if (text !== undefined) await writeSynced(path.join(tmp, OPTIONAL_ARTIFACT_FILES[key]), text, fileSystem);
      }
      await fsyncDir(tmp, fileSystem);
      version = auto ? `v${await nextAutoNumber(root)}` : versionTag;
      if (await pathExists(path.join(root, version))) throw versionExists(version, root);
      assertHeld();
      await fileSystem.rename(tmp, path.join(root, version));
    } catch (error) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw error;
    }
    await fsyncDir(root, fileSystem);

    let latest: "symlink" | "copy";
    try {
      assertHeld();
      latest = await pointLatest(root, version, latestMode, fileSystem);
    } catch (error) {
      throw new Error(`version "${version}" was registered in ${root}, but "latest" could not be updated: ${errorText(error)}`);
    }
    let production: string | null;
    try {
      assertHeld();
      production = await setFirstAlias(root, version, previousLatest, fileSystem);
    } catch (error) {
      throw new Error(`version "${version}" was registered in ${root}, but aliases.json could not be written: ${errorText(error)}`);
    }
    return { version, dir: path.join(root, version), rootDir: root, latest, meta: fullMeta, production };
  });
}

function checkAxes(models: ModelSet, thresholds: Readonly<Record<string, AxisThresholds>>, metrics: readonly AxisMetrics[]): void {
  if (!MODEL_SET_TYPES.includes(models.type)) throw new Error(`registerModel: unsupported model type "${String(models.type)}"`);
  // A pca version's per-axis entries are lines (each axis's level); its thresholds are T2 and SPE.
  const other = models.models.find((m) => (m.type ?? "linear") !== (models.type === "pca" ? "linear" : models.type));
  if (other !== undefined) throw new Error(`registerModel: axis "${other.axis}" has model type "${other.type ?? "linear"}", the set "${models.type}"`);
  if (models.models.length === 0) throw new Error("registerModel: no models to register");
  const axes = models.models.map((m) => m.axis);
  const axisSet = new Set(axes);
  if (axisSet.size !== axes.length) throw new Error(`registerModel: duplicate model axes in [${axes.join(", ")}]`);
  const same = (list: readonly string[]): boolean =>
    list.length === axes.length && new Set(list).size === list.length && list.every((a) => axisSet.has(a));
  const thresholdAxes = Object.keys(thresholds);
  if (models.type === "pca" ? thresholdAxes.join(",") !== PCA_CHANNELS.join(",") : !same(thresholdAxes)) {
    throw new Error(`registerModel: thresholds axes [${thresholdAxes.join(", ")}] differ from model axes [${axes.join(", ")}]`);
  }
  const metricAxes = metrics.map((m) => m.axis);
  if (!same(metricAxes)) {
    throw new Error(`registerModel: metrics axes [${metricAxes.join(", ")}] differ from model axes [${axes.join(", ")}]`);
  }
}

function buildMeta(modelType: string, input: VersionMetaInput, savedAt: Date): VersionMeta {
  const { model = { type: modelType }, data, prep, rows, lineage } = input;
  if (model.type !== modelType) {
    throw new Error(`registerModel: meta.model.type "${model.type}" differs from the models' type "${modelType}"`);
  }
  return {
    model: { type: modelType },
    data: { ...data, axes: [...data.axes] },
    // resample_seconds is written once the config has it (absent: raw cadence).
    prep: prep.resample_seconds === undefined ? { interpolate: prep.interpolate } : { interpolate: prep.interpolate, resample_seconds: prep.resample_seconds },
    // The labelled-fault counts only when training left such rows out (issue 17): without them meta.yaml is as before.
    rows:
      rows.labelled_fault_excluded === undefined
        ? { raw: rows.raw, train: rows.train }
        : { raw: rows.raw, train: rows.train, labelled_fault_excluded: rows.labelled_fault_excluded, labelled_fault_incidents: rows.labelled_fault_incidents ?? 0 },
    saved_at: savedAt.toISOString(),
    lineage: {
      config_path: lineage.config_path,
      config_sha256: lineage.config_sha256,
      data_fingerprint: lineage.data_fingerprint,
      package_version: lineage.package_version ?? packageVersion(),
      git_commit: lineage.git_commit === undefined ? gitCommit(packageRoot()) : lineage.git_commit,
      database: redactDatabase(lineage.database),
    },
  };
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

/** Removes temporary entries older than an hour: with the lock held, no running registration owns them. */
async function sweepLeftovers(root: string): Promise<void> {
  const now = Date.now();
  for (const name of await readNames(root)) {
    if (!LEFTOVER_PATTERN.test(name)) continue;
    const entry = path.join(root, name);
    const stat = await fsp.lstat(entry).catch(() => undefined);
    if (stat !== undefined && now - stat.mtimeMs > LEFTOVER_AGE_MS) await fsp.rm(entry, { recursive: true, force: true });
  }
}

function versionExists(tag: string, root: string): InputError {
  return new InputError(`version "${tag}" already exists in ${root}: choose another registry.version_tag or use auto`);
}

