/**
 * The in-database analysis of a window: its row count (LONG: distinct
 * times), first and last time, the check that a LONG table holds one value
 * per axis id and time, and the median time step, each in one query (a
 * second one only to name a duplicated axis id).
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { InputError } from "../core/errors";
import { epochSecondsToIso } from "../core/time";
import { medianSorted } from "../stats";
import { sparseSorted } from "./orderStatistics";
import { num } from "./sqlParts";
import type { SqlWindow } from "./window";

/** Rows of the in-memory frame and its first and last time (seconds). */
export interface WindowSummary {
  readonly rows: number;
  readonly firstTime: number;
  readonly lastTime: number;
}

/** Axis ids per bit mask of {@link duplicatedAtTime} (bit 63 would make the int8 negative). */
const IDS_PER_MASK = 63;

/**
 * True for a time (in a `group by t` over LONG rows) at which some axis id has
 * more than one row: each id sets its own bit of an int8 mask, and the sum of
 * the masks differs from their bitwise OR exactly when a bit is set twice.
 * Plain aggregates, so the grouping stays a hash aggregate (no sort).
 */
function duplicatedAtTime(window: SqlWindow): RawBuilder<unknown> {
  const masks: RawBuilder<unknown>[] = [];
  for (let from = 0; from < window.keys.length; from += IDS_PER_MASK) {
    const ids = window.keys.slice(from, from + IDS_PER_MASK);
    const mask = sql`(case k ${sql.join(ids.map((id, bit) => sql`when ${sql.lit(id)} then (1::int8 << ${sql.lit(bit)})`), sql` `)} else 0::int8 end)`;
    masks.push(sql`sum(${mask}) <> bit_or(${mask})`);
  }
  return sql.join(masks, sql` or `);
}

/**
 * Counts the window's rows (LONG: distinct times) and finds `time0` (its first
 * time). For LONG, the same pass checks that each time holds at most one row
 * per axis id, as the in-memory extraction does.
 * @throws InputError naming the first duplicated (time, axis id) of a LONG table
 */
export async function databaseWindowSummary(db: Kysely<any>, window: SqlWindow): Promise<WindowSummary> {
  if (window.layout === "wide") {
    const { rows } = await sql<{ n: unknown; lo: unknown; hi: unknown }>`
      select count(*) as n, min(t) as lo, max(t) as hi from (${window.times}) as w`.execute(db);
    return { rows: num(rows[0]?.n ?? 0), firstTime: num(rows[0]?.lo), lastTime: num(rows[0]?.hi) };
  }
  const { rows } = await sql<{ n: unknown; lo: unknown; hi: unknown; dup: unknown }>`
    select count(*) as n, min(t) as lo, max(t) as hi, min(t) filter (where dup) as dup
    from (select t, ${duplicatedAtTime(window)} as dup from (${window.rows}) as r group by t) as w`.execute(db);
  const duplicated = rows[0]?.dup;
  if (duplicated !== null && duplicated !== undefined) {
    // Only on failure: which id is duplicated at that time (the smallest, if several).
    const at = num(duplicated);
    const { rows: ids } = await sql<{ k: unknown }>`
      select k from (${window.rows}) as r where t = ${at}::float8 group by k having count(*) > 1 order by k limit 1`.execute(db);
    const time = window.timeType === "float" ? String(at) : epochSecondsToIso(at, window.timeType);
    throw new InputError(
      `duplicate (${window.timeCol}, ${window.idCol}) = (${time}, ${num(ids[0]?.k)}) in table "${window.table}": each time may hold one value per axis id`,
    );
  }
  return { rows: num(rows[0]?.n ?? 0), firstTime: num(rows[0]?.lo), lastTime: num(rows[0]?.hi) };
}

/**
 * Median time step as `medianTimeStep` (lib/analyze.ts): numpy's median of the
 * consecutive differences of the ascending times; 0 for fewer than 2 rows.
 * A plain WIDE table is read in its scan order first: when no difference is
 * negative there, that order ascends in time and its differences are the
 * sorted times' (no sort); else, and for other tables, the times are sorted.
 */
export async function databaseTimeStep(db: Kysely<any>, window: SqlWindow, rows: number): Promise<number> {
  const steps = rows - 1;
  if (steps < 1) return 0;
  const middle = steps >> 1;
  const ranks = steps % 2 === 1 ? [middle] : [middle - 1, middle];
  // Steps take few distinct values: count each, then find the ranks in the running counts (no sort of all steps).
  const stepsAt = async (order: RawBuilder<unknown>) => (await sql<{ v: unknown; below: unknown; through: unknown; lowest: unknown }>`
    select v, through - c as below, through, lowest from (
      select v, c, sum(c) over (order by v) as through, min(v) over () as lowest from (
        select d as v, count(*) as c from (select t - lag(t) over (${order}) as d from (${window.times}) as w) as s
        where d is not null group by d
      ) as g
    ) as cumulative
    where ${sql.join(ranks.map((rank) => sql`(through - c <= ${rank} and ${rank} < through)`), sql` or `)}`.execute(db)).rows;
  let found = window.layout === "wide" && window.plain ? await stepsAt(sql``) : undefined;
  if (found === undefined || found.some((row) => num(row.lowest) < 0)) found = await stepsAt(sql`order by t`);
  const values = new Map<number, number>();
  for (const rank of ranks) {
    const row = found.find((r) => num(r.below) <= rank && rank < num(r.through));
    if (row) values.set(rank, num(row.v));
  }
  return medianSorted(sparseSorted(steps, values));
}
