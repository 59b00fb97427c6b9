/**
 * Reading the on-disk model registry: one folder per version under a root
 * (`ModelRegistry/artifacts/<version>/`) plus `latest`, naming the most
 * recently registered version (a symlink, or a copied folder holding a
 * `LATEST_VERSION` file), and `aliases.json`, naming the version each alias
 * (`production`, …) points at (./aliasFile.ts). Hidden entries (`.tmp-*`,
 * `.old-latest-*`, the lock) are never versions.
 */
import * as fs from "fs";
import * as path from "path";
import { ARTIFACT_FILES, OPTIONAL_ARTIFACT_FILES, type Artifacts, type VersionRows } from "../shapes/artifacts";
import { decodeArtifacts, decodeMeta, decodeMetrics, decodePca, decodeSelection } from "./artifactText";
import { InputError } from "../core/errors";
import { errorText } from "../core/errorText";
import { DEFAULT_ALIAS } from "../shapes/aliasName";
import { readAliasFile, type AliasFile } from "./aliasFile";

const fsp = fs.promises;

/** `registry.version_tag` value that picks the next free `vN`. */
export const AUTO_VERSION_TAG = "auto";

/** Name of the entry in the registry root that points to the most recently registered version. */
export const LATEST_TAG = "latest";

/** Inside a copied `latest` folder (when symlinks are impossible): the name of the version it copies. */
export const LATEST_MARKER = "LATEST_VERSION";

/**
 * Prefix of the name `latest` is moved aside to while a copied `latest` is
 * replaced, followed by the time in ms: when a run was killed in that
 * moment, the newest of them is the `latest` that was.
 */
export const OLD_LATEST_PREFIX = ".old-latest-";

const TAG_PATTERN = /^[A-Za-z0-9._-]+$/;
/** `vN` version names. */
export const AUTO_PATTERN = /^v(\d+)$/;
const MAX_TAG_LENGTH = 128;

/** One version read back by {@link loadVersion}. */
export interface LoadedVersion extends Artifacts {
  /** The real version name (never `latest`). */
  readonly version: string;
  /** Absolute folder of the version. */
  readonly dir: string;
  /** Whether `latest` names this version. */
  readonly isLatest: boolean;
  /** The aliases naming this version (`production`, …), by name. */
  readonly aliases: readonly string[];
  /** Set when the tag was resolved by a documented fallback (a registry made before aliases: `production` → `latest`): say it once. */
  readonly notice: string | null;
}

/** How {@link resolveTag} found a version. */
export interface ResolvedTag {
  /** The real version name. */
  readonly version: string;
  /** `latest`, a version name, an alias of aliases.json, or `production` standing for `latest` in a registry without aliases.json. */
  readonly via: "latest" | "version" | "alias" | "fallback";
  /** The version `latest` names (null: none). */
  readonly latest: string | null;
  /** aliases.json as read (null: the registry has none). */
  readonly aliasFile: AliasFile | null;
  /** One line to show the user once, for the fallback; null otherwise. */
  readonly notice: string | null;
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
  /** The aliases naming this version, by name. */
  readonly aliases: readonly string[];
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
 * Reads one version back as typed artifacts. `tag` is a version name,
 * `latest` or an alias such as `production` (resolved to the real version
 * name by {@link resolveTag}). A missing version is an
 * {@link InputError} listing the available ones; a malformed artifact is an
 * {@link InputError} naming the file, the key and the value.
 *
 * @example
 * import { ensureRegistered, loadConfig, loadVersion, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const latest = await loadVersion(config.registry.root_dir, "latest"); // or a tag: "v1"
 * [latest.version, latest.models.type, latest.metrics];
 */
export async function loadVersion(rootDir: string, tag: string): Promise<LoadedVersion> {
  const root = path.resolve(rootDir);
  const resolved = await resolveTag(root, tag);
  const { version, latest } = resolved;
  const dir = path.join(root, version);
  if (!(await isFile(path.join(dir, ARTIFACT_FILES.meta)))) {
    throw new InputError(`version "${tag}" not found in ${root}${await availableText(root)}`);
  }
  const keys = Object.keys(ARTIFACT_FILES) as (keyof typeof ARTIFACT_FILES)[];
  const files = Object.fromEntries(keys.map((key) => [key, path.join(dir, ARTIFACT_FILES[key])])) as Record<keyof typeof ARTIFACT_FILES, string>;
  const texts = await Promise.all(keys.map((key) => readArtifact(files[key])));
  const artifacts = decodeArtifacts(Object.fromEntries(keys.map((key, i) => [key, texts[i]])) as typeof files, files);
  const selectionFile = path.join(dir, OPTIONAL_ARTIFACT_FILES.selection);
  const selection = (await isFile(selectionFile)) ? decodeSelection(await readArtifact(selectionFile), selectionFile) : undefined;
  const pcaFile = path.join(dir, OPTIONAL_ARTIFACT_FILES.pca);
  const pca = artifacts.models.type === "pca" ? decodePca(await readArtifact(pcaFile), pcaFile) : undefined;
  const aliases = aliasesOf(resolved.aliasFile, version);
  return { version, dir, isLatest: version === latest, aliases, notice: resolved.notice, ...artifacts, ...(selection === undefined ? {} : { selection }), ...(pca === undefined ? {} : { pca }) };
}

/**
 * Lists the versions of a registry (folders holding a `meta.yaml`), `vN`
 * versions first in numeric order (v2 before v10), then other tags by name.
 * A missing or empty root gives `[]`; a malformed `meta.yaml` or `metrics.csv`
 * is an {@link InputError} naming the file.
 *
 * @example
 * import { ensureRegistered, listVersions, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * (await listVersions(config.registry.root_dir)).map((v) => [v.version, v.saved_at]); // oldest first
 */
export async function listVersions(rootDir: string): Promise<VersionSummary[]> {
  const root = path.resolve(rootDir);
  const [names, latest, aliasFile] = await Promise.all([versionNames(root), resolveLatest(root), readAliasFile(root)]);
  return Promise.all(
    names.map(async (version): Promise<VersionSummary> => {
      const meta = path.join(root, version, ARTIFACT_FILES.meta);
      const metrics = path.join(root, version, ARTIFACT_FILES.metrics);
      const [metaText, metricsText] = await Promise.all([readArtifact(meta), readArtifact(metrics)]);
      const { saved_at, model, rows } = decodeMeta(metaText, meta);
      const axes = decodeMetrics(metricsText, metrics).map((m) => m.axis);
      return { version, saved_at, model_type: model.type, axes, rows, isLatest: version === latest, aliases: aliasesOf(aliasFile, version) };
    }),
  );
}

/** The names of the aliases of `file` naming `version`, sorted. */
export function aliasesOf(file: AliasFile | null, version: string): string[] {
  if (file === null) return [];
  return Object.keys(file.aliases)
    .filter((name) => file.aliases[name].version === version)
    .sort();
}

/**
 * Finds the version a tag names: `latest`; a version name; an alias of
 * `aliases.json`; or, in a registry made before aliases existed (versions
 * but no aliases.json), `production` standing for `latest`, with a notice
 * telling the user to run `registry promote` (the next registration or
 * promotion writes aliases.json, pinning `production`).
 * @throws InputError naming the tag, the versions and the aliases there are.
 * @example
 * const { version, via } = await resolveTag("ModelRegistry/artifacts", "production"); // e.g. "v1", "alias"
 */
export async function resolveTag(rootDir: string, tag: string): Promise<ResolvedTag> {
  const root = path.resolve(rootDir);
  const [latest, aliasFile] = await Promise.all([resolveLatest(root), readAliasFile(root)]);
  const found = (version: string, via: ResolvedTag["via"], notice: string | null = null): ResolvedTag => ({ version, via, latest, aliasFile, notice });
  if (tag === LATEST_TAG) {
    if (latest === null) throw new InputError(`registry ${root} has no "latest" version${await availableText(root)}`);
    return found(latest, "latest");
  }
  validateVersionTag(tag, "version");
  if (await isFile(path.join(root, tag, ARTIFACT_FILES.meta))) return found(tag, "version");
  const alias = aliasFile?.aliases[tag];
  if (alias !== undefined) {
    if (!(await isFile(path.join(root, alias.version, ARTIFACT_FILES.meta)))) {
      throw new InputError(`alias "${tag}" names version "${alias.version}", which is not in ${root}: run \`npm start -- registry promote <tag> --alias ${tag}\` with a version there${await availableText(root)}`);
    }
    return found(alias.version, "alias");
  }
  if (aliasFile === null && tag === DEFAULT_ALIAS && latest !== null) {
    const notice = `registry ${root} has no aliases.json (made before aliases existed): "${DEFAULT_ALIAS}" stands for latest (${latest}) until you run \`npm start -- registry promote <tag>\``;
    return found(latest, "fallback", notice);
  }
  const names = aliasFile === null ? [] : Object.keys(aliasFile.aliases).sort();
  const aliasText = names.length === 0 ? "" : `; aliases: ${names.map((name) => `${name} → ${aliasFile?.aliases[name].version}`).join(", ")}`;
  throw new InputError(`version "${tag}" not found in ${root}${await availableText(root)}${aliasText}`);
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

/** The registered versions in `root`, in {@link compareVersions} order. */
export async function versionNames(root: string): Promise<string[]> {
  const names = (await readNames(root)).filter((name) => !name.startsWith(".") && TAG_PATTERN.test(name));
  const checks = await Promise.all(names.map((name) => isFile(path.join(root, name, ARTIFACT_FILES.meta))));
  // A copied `latest` folder on a case-insensitive file system is still named "latest".
  return names.filter((name, i) => checks[i] && name.toLowerCase() !== LATEST_TAG).sort(compareVersions);
}

async function availableText(root: string): Promise<string> {
  const names = await versionNames(root);
  return names.length === 0 ? ": the registry is empty" : `; available: ${names.join(", ")}`;
}

/**
 * The version `latest` names, or null when there is none. When `latest` is
 * missing because a run was killed while replacing it, the newest
 * `.old-latest-*` entry stands in for it (the next registration puts it back).
 */
export async function resolveLatest(root: string): Promise<string | null> {
  const named = await namedVersion(root, path.join(root, LATEST_TAG));
  if (named !== undefined) return named;
  const aside = await newestOldLatest(root);
  return aside === null ? null : ((await namedVersion(root, path.join(root, aside))) ?? null);
}

/** The newest `.old-latest-<ms>-…` entry of `root`, or null. */
export async function newestOldLatest(root: string): Promise<string | null> {
  const stamp = (name: string): number => Number(/^\d+/.exec(name.slice(OLD_LATEST_PREFIX.length))?.[0] ?? -1);
  const asides = (await readNames(root)).filter((name) => name.startsWith(OLD_LATEST_PREFIX));
  return asides.reduce<string | null>((best, name) => (best === null || stamp(name) > stamp(best) ? name : best), null);
}

/** The version a `latest`-like entry names (null when it names none), or undefined when the entry does not exist. */
async function namedVersion(root: string, entry: string): Promise<string | null | undefined> {
  let stat: fs.Stats;
  try {
    stat = await fsp.lstat(entry);
  } catch {
    return undefined;
  }
  let name: string;
  if (stat.isSymbolicLink()) {
    name = path.basename(await fsp.readlink(entry));
  } else if (stat.isDirectory()) {
    try {
      name = (await fsp.readFile(path.join(entry, LATEST_MARKER), "utf8")).trim();
    } catch {
      return null;
    }
  } else {
    return null;
  }
  if (name === LATEST_TAG || name.startsWith(".") || !TAG_PATTERN.test(name)) return null;
  return (await isFile(path.join(root, name, ARTIFACT_FILES.meta))) ? name : null;
}

/** The `code` of a Node.js system error, or "". */
export function errorCode(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "";
}

/** The first line of an error's message: its home is core/errorText.ts, re-exported for this folder's importers. */
export { errorText };

/** Entry names of `dir`; [] when it does not exist. */
export async function readNames(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return [];
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

async function readArtifact(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, "utf8");
  } catch (error) {
    throw new InputError(`registry file ${file} cannot be read: ${errorText(error)}`);
  }
}
