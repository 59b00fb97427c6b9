/**
 * How far `score --follow` may advance with several writers feeding the
 * table. A row becomes visible when its transaction commits, not when it is
 * inserted: a writer that holds its transaction open can commit rows with an
 * earlier time than rows other writers have already committed. Scoring up to
 * the largest visible time would leave those rows behind the position.
 *
 * The follower therefore reads each poll in one REPEATABLE READ snapshot S
 * and asks PostgreSQL which transactions were still open in S
 * (`pg_current_snapshot()`, `pg_snapshot_xip`) and which of them write the
 * table (a RowExclusiveLock on it or one of its partitions, held by a
 * transaction id in `pg_locks`; one
 * that finished between S and the lock query counts as a writer, since it can
 * no longer be asked). With no open writer it may score every visible row.
 * With open writers, it scores only up to what was visible in the last poll's
 * snapshot taken before the oldest of them got its transaction id: rows a
 * writer inserts are at least as late as the rows committed before it
 * started, so nothing it commits later can land behind that position.
 *
 * For a view (or anything but a table: no locks to ask), every open
 * transaction holding an id counts as a writer. The embedded database has a
 * single writer at a time (the follower holds it during a poll) and needs
 * none of this.
 *
 * What arrives behind the position anyway (a writer that inserts rows older
 * than what was committed before it began) is counted by {@link countThrough}
 * and reported by the follower, never scored out of order.
 */
import { sql, type Kysely } from "kysely";

/** Poll snapshots kept while a writer stays open (a bound on memory, not on correctness: see {@link FollowHorizon}). */
const MAX_HISTORY = 10_000;

/** The open transactions of a snapshot that may write the followed table. */
export interface OpenWriters {
  /** `pg_snapshot_xmax` of the poll's snapshot: transactions from here on had not started. */
  readonly xmax: bigint;
  /** Transaction ids (xid8) that were open in the snapshot and may write the table; empty: none. */
  readonly writers: readonly bigint[];
}

/** A 32-bit `xid` as the full 64-bit `xid8` nearest below `reference` (same epoch, or the one before). */
function widenXid(xid: bigint, reference: bigint): bigint {
  const candidate = (reference & ~0xffffffffn) | xid;
  return candidate > reference ? candidate - 0x100000000n : candidate;
}

/**
 * The open writers of `table` in the current transaction's snapshot; run it
 * first in a REPEATABLE READ transaction (its snapshot is the transaction's).
 * @param table the followed relation, `sql.id(...)` ready
 * @param tableText its name as `to_regclass` takes it (`"schema"."table"`)
 * @example
 * await db.transaction().setIsolationLevel("repeatable read").execute((trx) => openWriters(trx, "\"samples\""));
 */
export async function openWriters(db: Kysely<any>, tableText: string): Promise<OpenWriters> {
  const { rows } = await sql<{ snap: string; kind: string | null }>`select pg_current_snapshot()::text as snap,
    (select relkind::text from pg_class where oid = to_regclass(${tableText})) as kind`.execute(db);
  const [, xmaxText, xipText] = rows[0].snap.split(":");
  const xmax = BigInt(xmaxText);
  const open = xipText === "" ? [] : xipText.split(",").map(BigInt);
  if (open.length === 0) return { xmax, writers: [] };
  const kind = rows[0].kind;
  if (kind !== "r" && kind !== "p") return { xmax, writers: open };
  // Open now and holding a write lock on the table (or a partition of it).
  // Its transaction ids (each transaction holds an ExclusiveLock on its own; pg_locks shows them to every role).
  const { rows: locked } = await sql<{ xid: string }>`select distinct x.transactionid::text as xid
    from pg_locks l join pg_locks x on x.pid = l.pid and x.locktype = 'transactionid' and x.mode = 'ExclusiveLock' and x.granted
    where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
      and l.mode in ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
      and (l.relation = to_regclass(${tableText}) or l.relation in (select relid from pg_partition_tree(to_regclass(${tableText}))))`.execute(db);
  const lockedIds = new Set(locked.map((row) => widenXid(BigInt(row.xid), xmax)));
  // Open in the snapshot but finished since: whether it wrote the table cannot be asked any more.
  const { rows: finished } = await sql<{ xid: string }>`select x::text as xid from unnest(${open.map(String)}::text[]) as t(x)
    where pg_xact_status(x::xid8) is distinct from 'in progress'`.execute(db);
  const finishedIds = new Set(finished.map((row) => BigInt(row.xid)));
  return { xmax, writers: open.filter((xid) => lockedIds.has(xid) || finishedIds.has(xid)) };
}

/**
 * The follower's safe end, poll by poll: the exclusive end of the times it may
 * score. Feed it each poll's writers and the exclusive end of what the poll's
 * snapshot shows; it remembers past polls' ends while writers stay open.
 * @example
 * const horizon = new FollowHorizon();
 * horizon.next({ xmax: 10n, writers: [] }, 100); // 100: no open writer
 */
export class FollowHorizon {
  private history: { xmax: bigint; end: number | null }[] = [];

  /**
   * The end (exclusive, seconds) this poll may score up to, or null for
   * "nothing new yet"; `visibleEnd` is the exclusive end of the rows the
   * snapshot shows (null: none).
   */
  next(writers: OpenWriters, visibleEnd: number | null): number | null {
    this.history.push({ xmax: writers.xmax, end: visibleEnd });
    if (this.history.length > MAX_HISTORY) this.history.shift();
    if (writers.writers.length === 0) {
      this.history = [this.history[this.history.length - 1]];
      return visibleEnd;
    }
    const oldest = writers.writers.reduce((a, b) => (a < b ? a : b));
    // The last snapshot in which the oldest writer had not started.
    let found = -1;
    for (let i = this.history.length - 1; i >= 0; i--) {
      if (this.history[i].xmax <= oldest) {
        found = i;
        break;
      }
    }
    if (found < 0) return null;
    this.history = this.history.slice(found);
    return this.history[0].end;
  }
}

/**
 * Rows with `from <= time <= through` (`from` null: no lower bound): what the
 * follower has seen up to its position, to tell rows that arrived behind it.
 */
export async function countThrough(db: Kysely<any>, table: ReturnType<typeof sql.id>, time: ReturnType<typeof sql.id>, castType: string, from: number | string | null, through: number | string): Promise<number> {
  const cast = sql.raw(castType);
  const lower = from === null ? sql`true` : sql`${time} >= cast(${from} as ${cast})`;
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from ${table} where ${lower} and ${time} <= cast(${through} as ${cast})`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
