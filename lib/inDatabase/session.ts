/**
 * A session for in-database stages: one pooled connection, pinned for a
 * stage's queries, with `synchronize_seqscans` off so that a sequential
 * scan starts at the table's first block (not wherever an earlier or
 * concurrent scan of the same table left off). The scan-order passes
 * (./runLengths, the time step) then meet a table stored in time order in
 * that order, and the sums see the rows in the same order every run. The
 * setting is the session's own and is reset before the connection goes back
 * to the pool. Sessions must not nest: a pool of one connection (PGlite)
 * would wait for itself.
 */
import { sql, type Kysely } from "kysely";

/**
 * Runs `work` on one connection of `db` with sequential scans unsynchronized (see the file's comment).
 * @example
 * const dt = await onAnalyticSession(db, (session) => databaseTimeStep(session, window, rows));
 */
export async function onAnalyticSession<T>(db: Kysely<any>, work: (session: Kysely<any>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (session) => {
    await sql`set synchronize_seqscans = off`.execute(session);
    try {
      return await work(session);
    } finally {
      await sql`reset synchronize_seqscans`.execute(session).catch(() => undefined);
    }
  });
}
