/**
 * The session setup every ML Box connection runs, server or embedded: the
 * time zone is UTC.
 */
import { CompiledQuery } from "kysely";
import type { DatabaseConnection } from "kysely";

/**
 * Kysely `onCreateConnection` hook shared by every ML Box connection: the
 * session time zone is UTC, so `timestamptz` values, zone-less literals and
 * `date_trunc`/`to_char` never depend on the server's or the OS's zone.
 * @param connection the new connection
 * @example
 * new Kysely<any>({ dialect: new PostgresDialect({ pool, onCreateConnection: setSessionUtc }) });
 */
export async function setSessionUtc(connection: DatabaseConnection): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw("set time zone 'UTC'"));
}
