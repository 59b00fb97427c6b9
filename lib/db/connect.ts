/**
 * Opening the database: a PostgreSQL server named by a URL in an environment
 * variable, or, when that variable is unset, the embedded PGlite demo database.
 *
 * Every session runs with `TimeZone = UTC`. Error messages name the host,
 * port, user and environment variable to check, and never the password.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { generateDemoData, seedDemoTables } from "./demoData";
import { openEmbeddedDatabase } from "./embedded";
import { DEMO_BUILD_NOTICE, markEmbedded } from "./demoNotices";
import { ensureEmbeddedDatabase } from "./embeddedSeed";
import { setSessionUtc } from "./sessionUtc";
import { InputError, isInputError, toInputError } from "../core/errors";
import { EMBEDDED_PREFIX, parseDatabaseUrl, redactDatabaseUrl, scrubSecrets, urlScheme } from "../core/redact";
import type { DatabaseConfig } from "../shapes/types";

/** Options of {@link connect}; every field is optional. */
export interface ConnectOptions {
  /**
   * An embedded database is held only briefly, so other processes wait for it instead of failing
   * (see `openEmbeddedDatabase`); default false.
   */
  readonly brief?: boolean;
  /**
   * Called with {@link DEMO_BUILD_NOTICE} just before the first run builds the embedded demo database;
   * default: the notice as one line on stderr.
   */
  readonly onDemoBuild?: (notice: string) => void;
}

/** Milliseconds to wait for a server to accept a connection. */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a database URL names, for messages (never the password). */
interface UrlParts {
  /** `postgresql` connection string for `pg` (driver suffix dropped). */
  readonly connectionString: string;
  /** `host:port`, `[v6]:port` or the socket folder. */
  readonly where: string;
  readonly user: string;
  readonly database: string;
}

const EXPECTED = "use postgresql://user:password@host:5432/database, with @ : / ? # in the password percent-encoded (%40 for @)";

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parses a PostgreSQL URL; InputError for unsupported schemes and anything
 * that is not a URL (libpq `key=value` strings included), never echoing it.
 */
function parseUrl(raw: string, envName: string): UrlParts {
  const scheme = urlScheme(raw);
  if (scheme !== undefined && !/^postgres(ql)?(\+|$)/i.test(scheme)) {
    throw new InputError(`unsupported database URL scheme "${scheme}" in ${envName}: ${EXPECTED}`);
  }
  const parsed = parseDatabaseUrl(raw);
  if (!parsed) {
    throw new InputError(
      `the value of ${envName} is not a valid database URL (${redactDatabaseUrl(raw)}): ${EXPECTED}; key=value connection strings are not supported`,
    );
  }
  const { url } = parsed;
  const socketHost = url.searchParams.get("host");
  const host = decodeOr(url.hostname) || socketHost || "localhost";
  const where = host.startsWith("/") ? `socket ${host}` : `${host}:${url.port || "5432"}`;
  const user = decodeOr(url.username) || url.searchParams.get("user") || process.env.PGUSER || process.env.USER || "";
  const database = decodeOr(url.pathname.replace(/^\//, "")) || user;
  return { connectionString: url.href, where, user, database };
}

/** Turns a connection failure into a one-line InputError without the password. */
function connectionError(error: unknown, parts: UrlParts, envName: string, raw: string): InputError {
  const mapped = toInputError(error);
  if (isInputError(mapped)) return mapped;
  const err = error as { code?: string; message?: string };
  const code = err.code ?? "";
  const message = scrubSecrets(String(err.message ?? error), raw).split("\n")[0];
  const unreachable = (why: string): InputError =>
    new InputError(`cannot reach the database at ${parts.where} (${why}): check ${envName}`);
  switch (code) {
    case "ECONNREFUSED":
      return unreachable("connection refused");
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return unreachable("host not found");
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return unreachable(code === "ETIMEDOUT" ? "timed out" : "host unreachable");
    case "ECONNRESET":
      return unreachable("connection reset");
    case "ENOENT":
      return unreachable("no such socket");
    case "28P01":
      return new InputError(`password authentication failed for user "${parts.user}" at ${parts.where}: check ${envName}`);
    case "28000":
      return new InputError(`the database at ${parts.where} rejected user "${parts.user}" (${message}): check ${envName}`);
    case "3D000":
      return new InputError(`database "${parts.database}" does not exist at ${parts.where}: check ${envName}`);
    default:
      break;
  }
  if (/timeout/i.test(message)) return unreachable("timed out");
  return new InputError(`cannot connect to the database at ${parts.where} as user "${parts.user}" (${message}): check ${envName}`);
}

/**
 * Human-readable description of the database a `database:` section points to:
 * the URL from `database.url_env` without its password, or
 * `embedded PGlite at <dir>` when that variable is unset or empty.
 * @param database the `database:` section of a loaded config
 * @returns e.g. `postgresql://mlbox@db.local:5432/plant`
 *
 * @example
 * import { describeDatabase, loadConfig, resolveConfigPath } from "mlbox";
 * describeDatabase(loadConfig(resolveConfigPath()).database); // e.g. "embedded PGlite at …/.mlbox/pglite"; never a password
 */
export function describeDatabase(database: DatabaseConfig): string {
  const raw = (process.env[database.url_env] ?? "").trim();
  return raw ? redactDatabaseUrl(raw) : `${EMBEDDED_PREFIX}${database.embedded_dir}`;
}

/**
 * Opens the database named by `process.env[database.url_env]`:
 * `postgres://`/`postgresql://` URLs (also SQLAlchemy style
 * `postgresql+psycopg2://`, the `+driver` is dropped) through a `pg` Pool;
 * unset or empty means the embedded PGlite database in
 * `database.embedded_dir`, created with the demo tables on first use.
 * Every session's `TimeZone` is UTC. The database is probed with `select 1`,
 * so a wrong URL fails here, not in the first real query.
 * @param database the `database:` section of a loaded config
 * @param options `brief` (default false), `onDemoBuild` (default: a line on stderr), see {@link ConnectOptions}
 * @returns a Kysely instance; call `destroy()` when done
 * @throws InputError for an unsupported scheme, a malformed URL, an unreachable
 *   server (`cannot reach the database at 127.0.0.1:5999 (connection refused): check DB_URL`),
 *   failed authentication (naming user and host) or a missing database, never showing the password
 *
 * @example
 * import { connect, loadConfig, resolveConfigPath } from "mlbox";
 * const db = await connect(loadConfig(resolveConfigPath()).database);
 * const tables = await db.introspection.getTables().finally(() => db.destroy());
 * tables.map((t) => t.name);
 */
export async function connect(database: DatabaseConfig, options: ConnectOptions = {}): Promise<Kysely<any>> {
  const envName = database.url_env;
  const raw = (process.env[envName] ?? "").trim();
  if (!raw) {
    const onDemoBuild = options.onDemoBuild ?? ((notice: string) => process.stderr.write(`${notice}\n`));
    return connectEmbedded(database.embedded_dir, envName, options.brief ?? false, () => onDemoBuild(DEMO_BUILD_NOTICE));
  }
  const parts = parseUrl(raw, envName);
  const pool = new Pool({ connectionString: parts.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "mlbox" });
  // An idle client whose server goes away emits 'error' on the pool; without a
  // listener that would crash the process. The next query reports the problem.
  pool.on("error", () => undefined);
  // Likewise a checked-out client whose server goes away (a restart mid-transaction): its query fails instead.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool, onCreateConnection: setSessionUtc }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw connectionError(error, parts, envName, raw);
  }
  return db;
}

/** Opens (creating and seeding on first use, after `onBuild`) the embedded PGlite database. */
async function connectEmbedded(dir: string, envName: string, brief: boolean, onBuild: () => void): Promise<Kysely<any>> {
  let db: Kysely<any> | undefined;
  try {
    await ensureEmbeddedDatabase(dir, (seeded) => seedDemoTables(seeded, generateDemoData()), { onBuild });
    db = await openEmbeddedDatabase(dir, envName, { brief });
    await sql`select 1`.execute(db);
    markEmbedded(db, envName);
    return db;
  } catch (error) {
    await db?.destroy().catch(() => undefined);
    // An unreadable or unwritable folder (or one below a file) is the config's to fix.
    throw toInputError(error, { key: "database.embedded_dir" });
  }
}
