/**
 * PGlite (PostgreSQL compiled to WebAssembly) behind a tiny
 * pg-Pool-compatible adapter, so Kysely's `PostgresDialect` talks to it
 * exactly as to a real server.
 *
 * `@electric-sql/pglite` declares its types only under package.json `exports`,
 * which TypeScript 5.0 with `moduleResolution: node10` (tslab) cannot read, so
 * it is loaded with `require` and typed by the small {@link PGliteLike}
 * interface declaring only what ML Box uses.
 */
import { Kysely, PostgresDialect } from "kysely";
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import { setSessionUtc } from "./sessionUtc";

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
 * @example
 * const pglite = await openPGlite(); // in memory
 * const db = kyselyForPGlite(pglite);
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
   * @example
   * new Kysely<any>({ dialect: new PostgresDialect({ pool: new PGlitePool(await openPGlite()) }) });
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
 * A Kysely instance over a PGlite instance (session time zone UTC).
 * @param pglite the instance; `db.destroy()` closes it unless `closeOnDestroy` is false
 * @param options `closeOnDestroy` (default true); `onDestroy` (default none): called after `db.destroy()`
 * @returns the Kysely instance
 * @example
 * const db = kyselyForPGlite(await openPGlite());
 * await sql`select 1`.execute(db);
 * await db.destroy(); // closes PGlite too
 */
export function kyselyForPGlite(pglite: PGliteLike, options: { readonly closeOnDestroy?: boolean; readonly onDestroy?: () => void } = {}): Kysely<any> {
  const { closeOnDestroy = true, onDestroy } = options;
  return new Kysely<any>({
    dialect: new PostgresDialect({ pool: new PGlitePool(pglite, { closeOnEnd: closeOnDestroy, onEnd: onDestroy }), onCreateConnection: setSessionUtc }),
  });
}
