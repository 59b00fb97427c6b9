/**
 * The embedded default database: the PGlite folder `database.embedded_dir`,
 * opened once per process and shared by every connection of it, locked
 * against other processes.
 *
 * Its parts live beside this file: the PGlite adapter (pglite.ts), the
 * cross-process lock (embeddedLock.ts), the seeding on first use
 * (embeddedSeed.ts); they are re-exported here for existing importers.
 */
import * as path from "node:path";
import { Kysely, PostgresDialect } from "kysely";
import type { PostgresPool } from "kysely";
import { InputError } from "../core/errors";
import { LOCK_STALE_MS } from "../core/lockfile";
import { lockDataDir } from "./embeddedLock";
import { PGlitePool, openPGlite, type PGliteLike } from "./pglite";
import { setSessionUtc } from "./sessionUtc";

export { EmbeddedBusyError } from "./embeddedLock";
export { ensureEmbeddedDatabase } from "./embeddedSeed";
export { PGlitePool, kyselyForPGlite, openPGlite, type PGliteLike, type PGliteResults, type PGliteStatement } from "./pglite";
export { setSessionUtc } from "./sessionUtc";

/** One open embedded folder, shared by every connection of this process. */
interface SharedDir {
  readonly pool: PGlitePool;
  refs: number;
  /** Set when the last connection ended; resolves once PGlite is closed and the lock released. */
  closed: Promise<void> | undefined;
  /** Set when another process took the lock over: no more queries. */
  lost: InputError | undefined;
}

/** Options of {@link openEmbeddedDatabase}. */
export interface OpenEmbeddedOptions {
  /**
   * This process will hold the folder only briefly (one poll of `score --follow`): other processes wait
   * for it (up to a minute) instead of failing with "in use". Default false.
   */
  readonly brief?: boolean;
}

/** Embedded folders open in this process, by absolute path. */
const openDirs = new Map<string, Promise<SharedDir>>();

async function openShared(dir: string, envName: string, brief: boolean): Promise<SharedDir> {
  let shared: SharedDir | undefined;
  let lostEarly: InputError | undefined;
  const onLost = (): void => {
    const lost = new InputError(`lost the lock of the embedded database at ${dir} to another process (this one was stalled for over ${LOCK_STALE_MS / 1000} s): run again`);
    if (shared) shared.lost = lost;
    else lostEarly = lost;
  };
  const lock = await lockDataDir(dir, envName, onLost, brief);
  // After a takeover the lock is no longer ours to remove.
  const release = (): Promise<void> => lock().catch(() => undefined);
  let pglite: PGliteLike;
  try {
    pglite = await openPGlite(dir);
  } catch (error) {
    await release();
    throw new InputError(`cannot open the embedded database at ${dir} (${(error as Error).message}): delete the folder to recreate it, or set database.embedded_dir`);
  }
  shared = { pool: new PGlitePool(pglite, { onEnd: release }), refs: 0, closed: undefined, lost: lostEarly };
  return shared;
}

/**
 * Opens the PGlite database in `dir` (which must exist, see
 * {@link ensureEmbeddedDatabase}) as a Kysely instance. Within one process,
 * every call for the same folder shares one PGlite instance (and its one
 * session, so transactions still run one at a time); it is closed when the
 * last Kysely is destroyed. Across processes the folder is locked, since
 * PGlite does not guard against two processes writing one folder.
 * @param dir the database folder
 * @param envName the variable that would name a server instead (for the message); default `DB_URL`
 * @param options `brief` (default false): see {@link OpenEmbeddedOptions}
 * @returns the Kysely instance; `destroy()` it when done
 * @throws EmbeddedBusyError (an InputError) when another live process has the folder open; InputError when PGlite cannot open it
 * @example
 * const db = await openEmbeddedDatabase(config.database.embedded_dir);
 * try { await sql`select 1`.execute(db); } finally { await db.destroy(); }
 */
export async function openEmbeddedDatabase(dir: string, envName = "DB_URL", options: OpenEmbeddedOptions = {}): Promise<Kysely<any>> {
  const key = path.resolve(dir);
  let shared: SharedDir;
  let entry: Promise<SharedDir>;
  for (;;) {
    const existing = openDirs.get(key);
    if (existing) entry = existing;
    else {
      const opening = openShared(key, envName, options.brief ?? false);
      entry = opening;
      openDirs.set(key, opening);
      opening.catch(() => {
        if (openDirs.get(key) === opening) openDirs.delete(key);
      });
    }
    shared = await entry;
    if (!shared.closed) break;
    await shared.closed; // the last connection is closing it: open it afresh
  }
  shared.refs++;
  let ended = false;
  const handle: PostgresPool = {
    connect: () => (shared.lost ? Promise.reject(shared.lost) : shared.pool.connect()),
    end: async () => {
      if (ended) return;
      ended = true;
      shared.refs--;
      if (shared.refs > 0) return;
      if (openDirs.get(key) === entry) openDirs.delete(key);
      shared.closed = shared.pool.end();
      await shared.closed;
    },
  };
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: handle, onCreateConnection: setSessionUtc }) });
  // Kysely ends its pool on destroy() only once a query ran: run one now, or destroying an unused instance
  // would keep the folder (and its lock) open for good.
  try {
    await db.connection().execute(async () => undefined);
  } catch (error) {
    await handle.end();
    throw error;
  }
  return db;
}
