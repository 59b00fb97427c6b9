/**
 * Seeding the embedded demo database on first use: a fresh PGlite folder
 * filled in a sibling temp folder and renamed into place only when complete,
 * so an interrupted or concurrent first start never leaves a half-filled
 * database.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Kysely } from "kysely";
import { InputError } from "../core/errors";
import { kyselyForPGlite, openPGlite } from "./pglite";

/** Temp folders of interrupted seedings older than this are deleted. */
const STALE_SEEDING_MS = 60 * 60 * 1000;

function isPGliteDataDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, "PG_VERSION"));
}

function removeStaleSeedings(dir: string): void {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.seeding-`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const full = path.join(parent, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > STALE_SEEDING_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // another process is cleaning up too
    }
  }
}

/**
 * Makes sure `dir` holds a PGlite database, creating and seeding it on first
 * use. Seeding happens in a sibling temp folder that is renamed into place
 * only when complete, so an interrupted or concurrent first start never leaves
 * a half-filled database: if two processes seed at once, the first rename wins
 * and the other discards its copy.
 * @param dir the database folder (`config.database.embedded_dir`)
 * @param seed fills a fresh database (called with a Kysely over it)
 * @param options `onBuild` (default none): called once this call found it must build the database, before it does
 * @returns true when this call created the database
 * @throws InputError when `dir` exists, is not empty and is not a PGlite database;
 *   the file-system error (EACCES, ENOTDIR) when `dir` cannot be read, written or created
 * @example
 * const created = await ensureEmbeddedDatabase(".mlbox/pgdata", (db) => seedDemoTables(db, generateDemoData()));
 */
export async function ensureEmbeddedDatabase(
  dir: string,
  seed: (db: Kysely<any>) => Promise<void>,
  options: { readonly onBuild?: () => void } = {},
): Promise<boolean> {
  // existsSync would hide EACCES/ENOTDIR, which then fail deep inside PGlite: raise them here, naming the folder.
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (isPGliteDataDir(dir)) return false;
  if (fs.existsSync(dir)) {
    const entries = fs.statSync(dir).isDirectory() ? fs.readdirSync(dir) : ["(a file)"];
    if (entries.length > 0) {
      throw new InputError(`database.embedded_dir "${dir}" exists but is not a PGlite database: point it to a new folder or delete it`);
    }
    fs.rmdirSync(dir);
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  removeStaleSeedings(dir);
  options.onBuild?.();
  const temp = `${dir}.seeding-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    const db = kyselyForPGlite(await openPGlite(temp));
    try {
      await seed(db);
    } finally {
      await db.destroy();
    }
    try {
      fs.renameSync(temp, dir);
      return true;
    } catch (error) {
      if (isPGliteDataDir(dir)) return false; // another process finished first
      throw error;
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}
