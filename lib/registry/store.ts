/**
 * Writing the on-disk model registry: publishing a version and moving
 * `latest`, one run at a time.
 *
 * A registration holds the registry lock (proper-lockfile, `<root>/.lock`)
 * from start to end, so versions are published, and `latest` moves, in one
 * order: `latest` always names the version published last (with auto tags,
 * the highest `vN`). Files go into a temporary folder inside the root, are
 * fsynced, then renamed into place: a version is complete or absent, and
 * never overwritten. Leftovers of killed runs are swept by the next one.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../core/packageRoot";
import type * as Lockfile from "proper-lockfile";
import {
  ARTIFACT_FILES,
  OPTIONAL_ARTIFACT_FILES,
  MODEL_SET_TYPES,
  encodeArtifacts,
  type AxisMetrics,
  type AxisThresholds,
  type Lineage,
  type ModelSet,
  type PrepStats,
  type Selection,
  type VersionMeta,
} from "../shapes/artifacts";
import { InputError } from "../core/errors";
import { PCA_CHANNELS, type PcaArtifact } from "../shapes/pcaArtifacts";
import { gitCommit, packageVersion } from "./lineage";
import { redactDatabase } from "../core/redact";
import {
  AUTO_PATTERN,
  AUTO_VERSION_TAG,
  LATEST_MARKER,
  LATEST_TAG,
  OLD_LATEST_PREFIX,
  errorCode,
  errorText,
  newestOldLatest,
  readNames,
  validateVersionTag,
} from "./read";

/** proper-lockfile, loaded when a lock is first taken (about 7 MiB that a run holds only from then on). */
const lockfile = (): typeof Lockfile => require("proper-lockfile") as typeof Lockfile;

const fsp = fs.promises;

/** The lock folder inside the root, held for a whole registration. */
const LOCK_NAME = ".lock";
/** A lock not refreshed for this long belongs to a dead run and is taken over (proper-lockfile refreshes it every 5 s). */
const LOCK_STALE_MS = 10_000;
/** Waiting for the lock: about a minute in all, well past {@link LOCK_STALE_MS}. */
const LOCK_RETRIES = { retries: 100, factor: 1.2, minTimeout: 10, maxTimeout: 400, randomize: true };
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

/**
 * How `latest` is written. `auto`: a symlink (a junction on Windows), falling
 * back to a copied folder where symlinks are impossible. `copy`: always a
 * copied folder (e.g. for storage that does not keep symlinks).
 */
export type LatestMode = "auto" | "copy";

/** The file operations a registration makes that can fail late; tests pass their own to inject failures. */
export interface StoreFileSystem {
  /** rename(2). */
  rename(from: string, to: string): Promise<void>;
  /** fsync of `handle`, open on `file` (a file or a folder). */
  sync(handle: fs.promises.FileHandle, file: string): Promise<void>;
}

const NODE_FILE_SYSTEM: StoreFileSystem = {
  rename: (from, to) => fsp.rename(from, to),
  sync: (handle) => handle.sync(),
};

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
 * exists is an {@link InputError}. Then `latest` is replaced by a symlink to
 * the version (or by a copied folder where symlinks are impossible) and the
 * root is fsynced.
 *
 * Models, thresholds and metrics must cover exactly the same axes, with
 * values of the right types (an Error otherwise: that is a bug in the
 * caller, not bad input).
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

  return withLock(root, async (assertHeld) => {
    await restoreLatest(root, fileSystem);
    await sweepLeftovers(root);
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
    return { version, dir: path.join(root, version), rootDir: root, latest, meta: fullMeta };
  });
}

/**
 * Runs `work` holding the registry lock of `root`. `work` calls `assertHeld`
 * before each step that must not happen without the lock (it throws once
 * proper-lockfile found the lock taken over, e.g. after a long stall).
 */
async function withLock<T>(root: string, work: (assertHeld: () => void) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile().lock(root, {
      lockfilePath: path.join(root, LOCK_NAME),
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: LOCK_RETRIES,
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if (errorCode(error) === "ELOCKED") throw new Error(`registry ${root} stays locked by another run (${path.join(root, LOCK_NAME)})`);
    throw error;
  }
  try {
    return await work(() => {
      if (compromised !== undefined) throw new Error(`lost the registry lock of ${root}: ${compromised.message}`);
    });
  } finally {
    await release().catch(() => undefined);
  }
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
    rows: { raw: rows.raw, train: rows.train },
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

/** A run killed while replacing a copied `latest` leaves it aside as `.old-latest-*`: put the newest back. */
async function restoreLatest(root: string, fileSystem: StoreFileSystem): Promise<void> {
  if (await pathExists(path.join(root, LATEST_TAG))) return;
  const aside = await newestOldLatest(root);
  if (aside === null) return;
  await fileSystem.rename(path.join(root, aside), path.join(root, LATEST_TAG));
  await fsyncDir(root, fileSystem);
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

const SYMLINK_UNSUPPORTED = new Set(["EPERM", "EACCES", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EINVAL", "EXDEV"]);

async function pointLatest(root: string, version: string, mode: LatestMode, fileSystem: StoreFileSystem): Promise<"symlink" | "copy"> {
  let kind: "symlink" | "copy" = "symlink";
  const entry = path.join(root, tempName("tmp-latest"));
  try {
    if (mode === "auto") {
      try {
        if (process.platform === "win32") await fsp.symlink(path.join(root, version), entry, "junction");
        else await fsp.symlink(version, entry, "dir");
      } catch (error) {
        if (!SYMLINK_UNSUPPORTED.has(errorCode(error))) throw error;
        kind = "copy";
      }
    }
    if (mode === "copy" || kind === "copy") {
      kind = "copy";
      await fsp.mkdir(entry);
      const source = path.join(root, version);
      for (const name of [...Object.values(ARTIFACT_FILES), ...Object.values(OPTIONAL_ARTIFACT_FILES)]) {
        if (!Object.values<string>(ARTIFACT_FILES).includes(name) && !(await pathExists(path.join(source, name)))) continue;
        await fsp.copyFile(path.join(source, name), path.join(entry, name));
        await syncFile(path.join(entry, name), fileSystem);
      }
      // Written last: a copy holding the marker is complete.
      await writeSynced(path.join(entry, LATEST_MARKER), `${version}\n`, fileSystem);
      await fsyncDir(entry, fileSystem);
    }
    await installOver(root, entry, path.join(root, LATEST_TAG), fileSystem);
  } catch (error) {
    await fsp.rm(entry, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(root, fileSystem);
  return kind;
}

/**
 * Renames `source` onto `dest`. A symlink replaces a symlink in one atomic
 * step; a folder cannot be replaced that way, so the old `dest` is renamed
 * aside (`.old-latest-<ms>-…`) first and removed afterwards. A run killed
 * in between leaves no `dest`: readers then use the aside entry and the
 * next registration puts it back ({@link restoreLatest}). `fs.rm` removes a
 * symlink itself, never the version it points to.
 */
async function installOver(root: string, source: string, dest: string, fileSystem: StoreFileSystem): Promise<void> {
  try {
    await fileSystem.rename(source, dest);
    return;
  } catch (error) {
    if (!(await pathExists(dest))) throw error;
  }
  const aside = path.join(root, `${OLD_LATEST_PREFIX}${Date.now()}-${process.pid}-${randomBytes(6).toString("hex")}`);
  await fileSystem.rename(dest, aside);
  try {
    await fileSystem.rename(source, dest);
  } catch (error) {
    await fileSystem.rename(aside, dest).catch(() => undefined);
    throw error;
  }
  await fsp.rm(aside, { recursive: true, force: true });
}

function versionExists(tag: string, root: string): InputError {
  return new InputError(`version "${tag}" already exists in ${root}: choose another registry.version_tag or use auto`);
}

function tempName(kind: string): string {
  return `.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`;
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

/** Creates `file` (it must not exist), writes `content` and fsyncs it. */
async function writeSynced(file: string, content: string, fileSystem: StoreFileSystem): Promise<void> {
  const handle = await fsp.open(file, "wx");
  try {
    await handle.writeFile(content, "utf8");
    await fileSystem.sync(handle, file);
  } finally {
    await handle.close();
  }
}

/** fsyncs a file that exists. */
async function syncFile(file: string, fileSystem: StoreFileSystem): Promise<void> {
  const handle = await fsp.open(file, "r+");
  try {
    await fileSystem.sync(handle, file);
  } finally {
    await handle.close();
  }
}

/** Errors that mean "this platform cannot fsync a folder" (Windows, some file systems), not a failed write. */
const DIR_SYNC_UNSUPPORTED = new Set(["EISDIR", "EINVAL", "EPERM"]);

/**
 * fsyncs a folder so renames inside it are durable. Only the errors of a
 * platform that cannot fsync folders are ignored; EIO and the rest are thrown.
 */
async function fsyncDir(dir: string, fileSystem: StoreFileSystem = NODE_FILE_SYSTEM): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fsp.open(dir, "r");
  } catch (error) {
    if (DIR_SYNC_UNSUPPORTED.has(errorCode(error))) return;
    throw error;
  }
  try {
    await fileSystem.sync(handle, dir);
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(error))) throw error;
  } finally {
    await handle.close();
  }
}
