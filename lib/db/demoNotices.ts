/**
 * What ML Box tells a newcomer about the embedded demo database, which it
 * uses whenever the database URL variable (`database.url_env`, default
 * `DB_URL`) is unset: that it is being built on the first run (before the
 * wait), and, when a configured table is missing from it, that this was the
 * demo database and how to point at your own.
 */
import type { Kysely } from "kysely";

/** Printed once, before the first run builds the demo database. */
export const DEMO_BUILD_NOTICE = "building the embedded demo database on this first run (takes 7-10 s; later runs reuse it)…";

/** Kysely instances over the embedded database, with the variable that would name a server instead. */
const embeddedDatabases = new WeakMap<Kysely<any>, string>();

/**
 * Notes that `db` is the embedded demo database, opened because `envName` is
 * unset (see {@link missingTableHint}). `connect` calls it.
 * @param db the Kysely instance `connect` returns
 * @param envName the unset variable, e.g. `DB_URL`
 * @example
 * markEmbedded(db, config.database.url_env);
 */
export function markEmbedded(db: Kysely<any>, envName: string): void {
  embeddedDatabases.set(db, envName);
}

/**
 * The end of a "table not found" message: on the embedded demo database, one
 * clause saying so and how to point at your own; else "".
 * @param db the Kysely instance the table was looked up in
 * @returns e.g. `; DB_URL is unset, so this is the embedded demo database: …`
 * @example
 * throw new InputError(`table "robot_7" not found in schema "public"${missingTableHint(db)}`);
 */
export function missingTableHint(db: Kysely<any>): string {
  const envName = embeddedDatabases.get(db);
  if (envName === undefined) return "";
  return `; ${envName} is unset, so this is the embedded demo database: to read your own, set ${envName} in .env to its postgresql:// URL (see README "Using your own database")`;
}
