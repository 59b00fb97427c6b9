/**
 * The one password redactor of ML Box. Every database URL that is printed,
 * stored in `meta.yaml` or put into an error message goes through here, and a
 * value that does not parse as a URL is never echoed at all: it may be a
 * libpq `key=value` string with a password, or whatever secret the variable
 * named by `database.url_env` happens to hold.
 */

/** How {@link describeDatabase} (lib/connect.ts) names the embedded database. */
export const EMBEDDED_PREFIX = "embedded PGlite at ";

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Query parameters whose values are secrets (`password`, `sslpassword`). */
const SECRET_PARAMETER = /password/i;

/**
 * The scheme of a URL as written (`postgresql+psycopg2` of
 * `postgresql+psycopg2://…`), or undefined when `value` does not start with one.
 * @param value a URL (or anything else)
 * @returns the scheme without `://`
 */
export function urlScheme(value: string): string | undefined {
  return SCHEME.exec(value.trim())?.[1];
}

/** A database URL as {@link parseDatabaseUrl} reads it. */
export interface ParsedDatabaseUrl {
  /** The scheme as written, e.g. `postgresql+psycopg2`. */
  readonly scheme: string;
  /** The URL with its scheme replaced by `postgresql` (what `pg` is given). */
  readonly url: URL;
}

/**
 * Parses a database URL with the WHATWG URL parser (as `pg` does), the
 * scheme read as `postgresql`. Undefined when it does not parse or is
 * ambiguous: an `@` after the host (in path, query or fragment) means a
 * password with an unencoded `/`, `?` or `#` (`postgresql://u:12?ss@h/db`),
 * which the parser would read as host, port and query, and echo.
 * @param value the URL, e.g. `postgresql://user:password@host:5432/db`
 * @returns the scheme and the parsed URL, or undefined
 */
export function parseDatabaseUrl(value: string): ParsedDatabaseUrl | undefined {
  const text = value.trim();
  const scheme = urlScheme(text);
  if (scheme === undefined) return undefined;
  const rest = text.slice(scheme.length + 3);
  const authorityEnd = rest.search(/[/?#]/);
  if (authorityEnd !== -1 && rest.includes("@", authorityEnd)) return undefined;
  try {
    return { scheme, url: new URL(`postgresql://${rest}`) };
  } catch {
    return undefined;
  }
}

/**
 * A database URL without any password, safe to print:
 * `postgresql://user:secret@host/db?password=x&sslmode=require` →
 * `postgresql://user@host/db?sslmode=require`. Anything that does not parse
 * as a URL (see {@link parseDatabaseUrl}) becomes `an unparsable URL of N
 * characters`, never the value itself.
 * @param value a database URL (or anything else)
 * @returns the URL without password
 */
export function redactDatabaseUrl(value: string): string {
  const parsed = parseDatabaseUrl(value);
  if (!parsed) return `an unparsable URL of ${value.trim().length} characters`;
  const url = new URL(parsed.url.href);
  url.password = "";
  const secretKeys = [...url.searchParams.keys()].filter((key) => SECRET_PARAMETER.test(key));
  // Deleting re-encodes the whole query, so only touch it when there is something to drop.
  for (const key of secretKeys) url.searchParams.delete(key);
  return `${parsed.scheme}://${url.href.slice("postgresql://".length)}`;
}

/**
 * A database description (as stored in `meta.yaml` lineage) safe to print:
 * `embedded PGlite at <folder>` unchanged, anything else through
 * {@link redactDatabaseUrl}.
 * @param description `describeDatabase()` output, or an older stored value
 * @returns the description without password
 */
export function redactDatabase(description: string): string {
  return description.startsWith(EMBEDDED_PREFIX) ? description : redactDatabaseUrl(description);
}

function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * `text` (e.g. an error message from `pg`) without any trace of the
 * connection string `value`: the whole value becomes its
 * {@link redactDatabaseUrl} form, and its password (as written and decoded)
 * and secret query parameters become `***`.
 * @param text the text to clean
 * @param value the connection string (undefined or empty: `text` unchanged)
 * @returns the cleaned text
 */
export function scrubSecrets(text: string, value: string | undefined): string {
  const raw = (value ?? "").trim();
  if (!raw) return text;
  let result = text.split(raw).join(redactDatabaseUrl(raw));
  const parsed = parseDatabaseUrl(raw);
  if (!parsed) return result;
  const { url } = parsed;
  const secrets = [url.password, decodeOr(url.password)];
  for (const [key, secret] of url.searchParams) if (SECRET_PARAMETER.test(key)) secrets.push(secret, encodeURIComponent(secret));
  for (const secret of secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) result = result.split(secret).join("***");
  return result;
}
