/**
 * Moving registry aliases (`production`, `staging`, …): `registry promote`
 * and the first registration. The aliases file (./aliasFile.ts) is replaced
 * whole (written to a temporary file, fsynced, renamed over, root fsynced)
 * under the registry lock, so readers see the old file or the new one and
 * two promotions or a promotion and a registration never interleave. Each
 * move is appended to the alias's history with who made it and when.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../core/errors";
import { aliasNameProblem, DEFAULT_ALIAS } from "../shapes/aliasName";
import { ALIASES_FILE, aliasFileText, readAliasFile, type AliasFile, type AliasMove } from "./aliasFile";
import { NODE_FILE_SYSTEM, fsyncDir, pathExists, tempName, writeSynced, type StoreFileSystem } from "./durableFiles";
import { withLock } from "./lock";
import { resolveTag, versionNames } from "./read";

const fsp = fs.promises;

/** Options of {@link promoteAlias}. */
export interface PromoteOptions {
  /** The alias to move; defaults to `production`. */
  readonly alias?: string;
  /** Who promotes; defaults to {@link currentUser}(). */
  readonly by?: string;
  /** When; defaults to now. */
  readonly at?: Date;
  /** File operations; defaults to Node's. */
  readonly fileSystem?: StoreFileSystem;
}

/** What {@link promoteAlias} did. */
export interface Promotion {
  readonly alias: string;
  /** The version the alias names now. */
  readonly version: string;
  /** The version it named before (null: the alias is new). */
  readonly from: string | null;
  /** False when the alias already named that version (nothing was written). */
  readonly changed: boolean;
}

/**
 * Who is acting, for an alias's history: `MLBOX_USER` when set, else the OS
 * user name ("unknown" when the OS has none).
 * @example
 * currentUser(); // e.g. "alice"
 */
export function currentUser(): string {
  const fromEnv = (process.env.MLBOX_USER ?? "").trim();
  if (fromEnv !== "") return fromEnv.slice(0, 200);
  try {
    return os.userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/** Throws the one-line InputError for a bad alias name. */
function checkAliasName(alias: string, key: string): void {
  const problem = aliasNameProblem(alias);
  if (problem !== null) throw new InputError(`${key} ${JSON.stringify(alias.slice(0, 60))} ${problem} (nothing was changed)`);
}

/**
 * Points `alias` (default `production`) at the version `tag` names (a
 * version, `latest` or another alias), under the registry lock, appending
 * `{ version, from, by, at }` to its history. In a registry made before
 * aliases, the file is created and `production` pinned to `latest` first
 * (unless it is the alias promoted). Promoting to the version the alias
 * already names changes nothing.
 * @throws InputError for a missing tag or an invalid alias name, before anything is written.
 * @example
 * import { loadConfig, promoteAlias, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const moved = await promoteAlias(config.registry.root_dir, "latest"); // production → the newest version
 * [moved.alias, moved.from, moved.version, moved.changed];
 */
export async function promoteAlias(rootDir: string, tag: string, options: PromoteOptions = {}): Promise<Promotion> {
  const root = path.resolve(rootDir);
  const alias = options.alias ?? DEFAULT_ALIAS;
  checkAliasName(alias, "--alias");
  await resolveTag(root, tag); // a missing tag fails before the lock is taken
  if ((await versionNames(root)).includes(alias)) {
    throw new InputError(`--alias "${alias}" is the name of a version in ${root}: choose another alias name (nothing was changed)`);
  }
  const fileSystem = options.fileSystem ?? NODE_FILE_SYSTEM;
  return withLock(root, async (assertHeld) => {
    const resolved = await resolveTag(root, tag);
    const at = (options.at ?? new Date()).toISOString();
    const by = options.by ?? currentUser();
    let file: AliasFile = resolved.aliasFile ?? { aliases: {} };
    if (resolved.aliasFile === null && resolved.latest !== null && alias !== DEFAULT_ALIAS) {
      file = withMove(file, DEFAULT_ALIAS, { version: resolved.latest, from: null, by, at, note: "pinned to latest when aliases.json was created" });
    }
    const from = file.aliases[alias]?.version ?? null;
    if (from === resolved.version && resolved.aliasFile !== null) return { alias, version: from, from, changed: false };
    file = withMove(file, alias, { version: resolved.version, from, by, at });
    assertHeld();
    await writeAliasFile(root, file, fileSystem);
    return { alias, version: resolved.version, from, changed: true };
  });
}

/**
 * Called by a registration, holding the lock, once `version` is published:
 * when the registry has no aliases file, writes one with `production` at
 * `version` for a first version, or, in a registry made before aliases, at
 * `previousLatest` (what was served before), so a new version is served
 * only once promoted. Returns the version `production` names afterwards
 * (null when the file has no `production`).
 */
export async function setFirstAlias(root: string, version: string, previousLatest: string | null, fileSystem: StoreFileSystem): Promise<string | null> {
  const existing = await readAliasFile(root);
  if (existing !== null) return existing.aliases[DEFAULT_ALIAS]?.version ?? null;
  const target = previousLatest !== null && previousLatest !== version ? previousLatest : version;
  const note = target === version ? "first version registered" : `pinned to latest when ${version} was registered (registry made before aliases)`;
  const file = withMove({ aliases: {} }, DEFAULT_ALIAS, { version: target, from: null, by: currentUser(), at: new Date().toISOString(), note });
  await writeAliasFile(root, file, fileSystem);
  return target;
}

/** `file` with `alias` moved by `move`, its history kept. */
function withMove(file: AliasFile, alias: string, move: AliasMove): AliasFile {
  const history = file.aliases[alias]?.history ?? [];
  return { aliases: { ...file.aliases, [alias]: { version: move.version, history: [...history, move] } } };
}

/** Replaces `<root>/aliases.json` by `file`: temporary file, fsync, rename over, fsync of the root. */
async function writeAliasFile(root: string, file: AliasFile, fileSystem: StoreFileSystem): Promise<void> {
  const tmp = path.join(root, tempName("tmp-aliases"));
  try {
    await writeSynced(tmp, aliasFileText(file), fileSystem);
    await fileSystem.rename(tmp, path.join(root, ALIASES_FILE));
  } catch (error) {
    if (await pathExists(tmp)) await fsp.rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(root, fileSystem);
}
