/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly)
 * behind a tiny pg-Pool-compatible adapter, so Kysely's `PostgresDialect`
 * talks to it exactly as to a real server.
 *
 * `@electric-sql/pglite` declares its types only under package.json `exports`,
 * which TypeScript 5.0 with `moduleResolution: node10` (tslab) cannot read, so
 * it is loaded with `require` and typed by the small {@link PGliteLike}
 * interface declaring only what ML Box uses.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import type { DatabaseConnection, PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import type * as Lockfile from "proper-lockfile";
import { InputError } from "../core/errors";

/** Result of `PGlite.query` (only the fields ML Box reads). */
export interface PGliteResults {
  readonly rows: unknown[];
  readonly command?: string;
  readonly affectedRows?: number;
  readonly rowCount?: number;
  /** What `COPY … TO '/dev/blob'` wrote. */
  readonly blob?: Blob;
}

/**
 * A statement that runs on PGlite's own API rather than as SQL text with
 * parameters (e.g. `COPY … TO '/dev/blob'`, whose output is the result's
 * `blob`). Passed to a Kysely connection as the query, it reaches
 * {@link PGliteClient.query} unchanged.
 */
export interface PGliteStatement {
  runOnPGlite(pglite: PGliteLike): Promise<PGliteResults>;
}

/** The part of a PGlite instance's API that ML Box uses. */
export interface PGliteLike {
  /** Resolves once the database is initialised (or rejects if it cannot be opened). */
  readonly waitReady: Promise<void>;
  /** True after `close()`. */
  readonly closed: boolean;
  /** Runs one statement with `$n` parameters (extended protocol). */
  query(sql: string, params?: unknown[]): Promise<PGliteResults>;
  /** Flushes to the data folder and shuts the instance down. */
  close(): Promise<void>;
}

/** Constructor of PGlite: no folder = in memory, else a folder on disk. */
type PGliteConstructor = new (dataDir?: string) => PGliteLike;

/** Loads the PGlite class from `@electric-sql/pglite` (CommonJS build). */
function loadPGlite(): PGliteConstructor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require("@electric-sql/pglite") as { PGlite: PGliteConstructor };
  return module.PGlite;
}

/**
 * Opens (creating if needed) a PGlite database.
 * @param dataDir folder of the database; omit for a fresh in-memory database
 * @returns the ready instance (the caller closes it)
 */
export async function openPGlite(dataDir?: string): Promise<PGliteLike> {
  const PGlite = loadPGlite();
  const instance = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await instance.waitReady;
  return instance;
}

/**
 * The single "connection" of a {@link PGlitePool}. Kysely keys its connection
 * setup (`onCreateConnection`) on this object, so it is the same object for
 * every checkout.
 */
class PGliteClient implements PostgresPoolClient {
  #pglite: PGliteLike;
  #release: (() => void) | undefined;

  constructor(pglite: PGliteLike) {
    this.#pglite = pglite;
  }

  /** @internal Hands the client to a new holder. */
  checkout(release: () => void): this {
    this.#release = release;
    return this;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    let run: Promise<PGliteResults>;
    if (typeof sqlOrCursor === "string") run = this.#pglite.query(sqlOrCursor, parameters ? [...parameters] : []);
    else if (typeof (sqlOrCursor as Partial<PGliteStatement>).runOnPGlite === "function") run = (sqlOrCursor as unknown as PGliteStatement).runOnPGlite(this.#pglite);
    else throw new Error("the embedded database (PGlite) does not support streaming queries");
    return run.then((result) => ({
      command: (result.command ?? "SELECT") as PostgresQueryResult<R>["command"],
      rowCount: result.affectedRows ?? result.rowCount ?? result.rows.length,
      rows: result.rows as R[],
    }));
  }

  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

/**
 * A pg-`Pool`-compatible wrapper of one PGlite instance for Kysely's
 * `PostgresDialect`. PGlite is a single session, so the pool has exactly one
 * client and `connect()` waits until the previous holder released it: a
 * transaction has the database to itself. (Do not use the outer `Kysely`
 * inside a transaction callback: that waits for the transaction to end.)
 */
export class PGlitePool implements PostgresPool {
  readonly #pglite: PGliteLike;
  readonly #client: PGliteClient;
  readonly #closeOnEnd: boolean;
  #tail: Promise<void> = Promise.resolve();
  #ended = false;

  readonly #onEnd: (() => void | Promise<void>) | undefined;

  /**
   * @param pglite the instance to serve
   * @param options `closeOnEnd` (default true): close the instance in `end()`;
   *   `onEnd` (default none): called once after `end()` closed it, and awaited
   */
  constructor(pglite: PGliteLike, options: { readonly closeOnEnd?: boolean; readonly onEnd?: () => void | Promise<void> } = {}) {
    const { closeOnEnd = true, onEnd } = options;
    this.#pglite = pglite;
    this.#client = new PGliteClient(pglite);
    this.#closeOnEnd = closeOnEnd;
    this.#onEnd = onEnd;
  }

  /** Waits for the client to be free and checks it out. */
  connect(): Promise<PostgresPoolClient> {
    if (this.#ended) return Promise.reject(new Error("the embedded database has been closed"));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => this.#client.checkout(release));
  }

  /** Waits for the current holder and closes PGlite (when owned). */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#tail;
    try {
      if (this.#closeOnEnd && !this.#pglite.closed) await this.#pglite.close();
    } finally {
      await this.#onEnd?.();
    }
  }
}

/**
 * Kysely `onCreateConnection` hook shared by every ML Box connection: the
 * session time zone is UTC, so `timestamptz` values, zone-less literals and
 * `date_trunc`/`to_char` never depend on the server's or the OS's zone.
 * @param connection the new connection
 */
export async function setSessionUtc(connection: DatabaseConnection): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw("set time zone 'UTC'"));
}

/**
 * A Kysely instance over a PGlite instance (session time zone UTC).
 * @param pglite the instance; `db.destroy()` closes it unless `closeOnDestroy` is false
 * @param options `closeOnDestroy` (default true); `onDestroy` (default none): called after `db.destroy()`
 * @returns the Kysely instance
 */
export function kyselyForPGlite(pglite: PGliteLike, options: { readonly closeOnDestroy?: boolean; readonly onDestroy?: () => void } = {}): Kysely<any> {
  const { closeOnDestroy = true, onDestroy } = options;
  return new Kysely<any>({
    dialect: new PostgresDialect({ pool: new PGlitePool(pglite, { closeOnEnd: closeOnDestroy, onEnd: onDestroy }), onCreateConnection: setSessionUtc }),
  });
}

/**
 * A lock not refreshed for this long was left by a process that died
 * (proper-lockfile refreshes its holder's lock every half of it).
 */
/** proper-lockfile, loaded when a lock is first taken (about 7 MiB that a run holds only from then on). */
const lockfile = (): typeof Lockfile => require("proper-lockfile") as typeof Lockfile;

const LOCK_STALE_MS = 10_000;

function isStale(file: string): boolean {
  try {
    return fs.statSync(file).mtimeMs < Date.now() - LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/** How long a process waits for a brief holder (see {@link OpenEmbeddedOptions.brief}) to release the folder. */
const BRIEF_WAIT_MS = 60_000;

/** File inside the lock folder of a brief holder (its pid). */
const BRIEF_MARKER = "brief";

/** File inside the lock folder of any other holder (its pid). */
const EXCLUSIVE_MARKER = "exclusive";

/**
 * A lock folder without a marker is being taken or released: the marker is
 * written right after the folder is made and removed right before it is
 * removed. Other processes look again for this long before taking it for a
 * holder that will not let go soon (or an older ML Box's lock).
 */
const TRANSITION_MS = 3_000;

/** Thrown when another process holds the embedded database: an {@link InputError} that a retry may cure. */
export class EmbeddedBusyError extends InputError {}

/** What the marker in the lock folder says about its holder: brief, exclusive, or none (taking or releasing it). */
function holderKind(lockPath: string): "brief" | "exclusive" | undefined {
  if (fs.existsSync(path.join(lockPath, BRIEF_MARKER))) return "brief";
  if (fs.existsSync(path.join(lockPath, EXCLUSIVE_MARKER))) return "exclusive";
  return undefined;
}

/**
 * Removes the lock at `lockPath` if it is stale, deciding under a second
 * lock, `<lock>.break` (an atomic mkdir held for microseconds). Without it,
 * two processes that both saw the same stale lock would remove it one after
 * the other, the second removing the fresh lock the first had just taken.
 * A leftover file (an older ML Box's pid file, garbage) goes the same way.
 */
function removeStaleLock(lockPath: string): void {
  const breaker = `${lockPath}.break`;
  try {
    fs.mkdirSync(breaker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another process is deciding right now; a stale breaker's process died while deciding.
    if (!isStale(breaker)) return;
    fs.rmSync(breaker, { recursive: true, force: true });
    return removeStaleLock(lockPath);
  }
  try {
    if (isStale(lockPath)) fs.rmSync(lockPath, { recursive: true, force: true });
  } finally {
    fs.rmdirSync(breaker);
  }
}

/**
 * Locks `dir` with proper-lockfile (the folder `<dir>.lock`, kept fresh while
 * held, stale {@link LOCK_STALE_MS} after its process died, whatever that
 * process's pid) so that two processes never open one PGlite folder at once:
 * PGlite does not lock it, and two writers would corrupt it.
 * @param dir the database folder
 * @param envName named in the message as the alternative
 * @param onLost called if another process takes the lock over (this process was stalled past the stale time)
 * @returns releases the lock
 * @throws EmbeddedBusyError naming the folder when another process holds it (a brief holder is waited for up to a minute)
 */
async function lockDataDir(dir: string, envName: string, onLost: (error: Error) => void, brief: boolean): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  const marker = path.join(lockPath, brief ? BRIEF_MARKER : EXCLUSIVE_MARKER);
  let ours = false;
  // proper-lockfile removes a stale lock with a plain rmdir; route that through removeStaleLock.
  const lockFs = {
    ...fs,
    // The marker is written with the folder, before proper-lockfile notes the folder's mtime: written later, it
    // changed that mtime, and proper-lockfile's next refresh (after 5 s) took the lock for lost.
    mkdir(target: string, callback: (error: NodeJS.ErrnoException | null) => void): void {
      if (target !== lockPath) return fs.mkdir(target, callback);
      let failure: NodeJS.ErrnoException | null = null;
      try {
        fs.mkdirSync(target);
        ours = true;
        fs.writeFileSync(marker, String(process.pid));
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
        if (ours) fs.rmSync(target, { recursive: true, force: true });
        ours = false;
      }
      process.nextTick(callback, failure);
    },
    rmdir(target: string, callback: (error: NodeJS.ErrnoException | null) => void): void {
      if (target !== lockPath || ours) return fs.rmdir(target, callback);
      let failure: NodeJS.ErrnoException | null = null;
      try {
        removeStaleLock(lockPath);
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
      }
      process.nextTick(callback, failure);
    },
  };
  const deadline = Date.now() + BRIEF_WAIT_MS;
  let unmarkedSince: number | undefined;
  for (;;) {
    try {
      const release = await lockfile().lock(dir, { lockfilePath: lockPath, realpath: false, stale: LOCK_STALE_MS, fs: lockFs, onCompromised: onLost });
      return async () => {
        fs.rmSync(marker, { force: true }); // the lock folder must be empty to be released
        await release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      const holder = holderKind(lockPath);
      if (holder !== undefined) unmarkedSince = undefined;
      else unmarkedSince ??= Date.now();
      // A brief holder (one poll of `score --follow`) is waited for instead of refused; so is one taking or releasing the lock.
      if ((holder === "brief" && Date.now() < deadline) || (holder === undefined && Date.now() - (unmarkedSince as number) < TRANSITION_MS)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
    }
    throw new EmbeddedBusyError(
      `the embedded database at ${dir} is in use by another ML Box process (PGlite allows one process at a time): stop it or set ${envName} to a PostgreSQL server; a lock left by a killed process expires ${LOCK_STALE_MS / 1000} s after it died`,
    );
  }
}

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
 * @returns true when this call created the database
 * @throws InputError when `dir` exists, is not empty and is not a PGlite database;
 *   the file-system error (EACCES, ENOTDIR) when `dir` cannot be read, written or created
 */
export async function ensureEmbeddedDatabase(dir: string, seed: (db: Kysely<any>) => Promise<void>): Promise<boolean> {
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
