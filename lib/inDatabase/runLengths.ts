/**
 * Run lengths of a WIDE window's level flags (residual ≥ MinC / ≥ MaxC per
 * axis; NaN ends a run) in one ordered pass, counted per (axis, level,
 * length), without unpivoting the window and without sorting more than the
 * rows where some flag changes.
 *
 * The pass packs every flag of a row into int8 masks and compares them with
 * the previous row's (`lag`): only rows where some flag rises or falls (and
 * the last row) are kept. Ordered by position, each keeps, per flag, the
 * position of the latest rise (a running `max`), so a row where a flag falls
 * knows the length of the run that ended before it. A plain table is read in its scan order first: when that order
 * turns out to be ascending in `t` (checked in the same pass: no row earlier
 * than the one before it, and the kept rows still in position order), it is a
 * time order and no row was sorted; else the pass runs again, sorted.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { LinearModelSet } from "../shapes/types";
import { NOT_NAN, num } from "./sqlParts";
import type { SqlWindow } from "./window";

/** Flags per int8 mask (bit 63 would make the int8 negative). */
const FLAGS_PER_MASK = 62;

/** How many runs of one length one axis's flag at one level makes. */
export interface RunLengthCount {
  /** The axis's group key (WIDE: its index). */
  readonly k: number;
  /** 0: residual ≥ MinC, 1: ≥ MaxC. */
  readonly lvl: number;
  readonly len: number;
  readonly c: number;
}

/**
 * The pass's row orders: `scan`, the table's (checked to ascend in `t`), and the kept rows in the order they come
 * (checked to ascend in position); `time`, sorted by `t` and the kept rows by position.
 */
type RowOrder = "scan" | "time";

function runLengthsSql(
  window: SqlWindow & { readonly wide: RawBuilder<unknown> },
  time0: number,
  models: LinearModelSet,
  levels: readonly { readonly MinC: number; readonly MaxC: number }[],
  rows: number,
  order: RowOrder,
): RawBuilder<unknown> {
  const flags = window.axes.flatMap((_, i) => {
    const { coef, intercept } = models.models[i];
    const res = sql`(${sql.id(`c${i}`)} - (((t - ${time0}::float8) * ${coef}::float8) + ${intercept}::float8))`;
    return [levels[i].MinC, levels[i].MaxC].map((level) => sql`(${res} >= ${level}::float8 and ${NOT_NAN(res)})`);
  });
  const masks: RawBuilder<unknown>[][] = [];
  flags.forEach((flag, j) => {
    if (j % FLAGS_PER_MASK === 0) masks.push([]);
    // The bit by shifting in SQL: 2 ** 55 and up are not written exactly by JavaScript (2 ** 61 prints as 2305843009213694000).
    masks[masks.length - 1].push(sql`(case when ${flag} then 1::int8 << ${sql.lit(j % FLAGS_PER_MASK)} else 0::int8 end)`);
  });
  const id = (name: string, n: number): RawBuilder<unknown> => sql.id(`${name}${n}`);
  const mask = (j: number): number => Math.floor(j / FLAGS_PER_MASK);
  const bit = (j: number, of: string): RawBuilder<unknown> => sql`((${id(of, mask(j))} >> ${sql.lit(j % FLAGS_PER_MASK)}) & 1)`;
  // Flag j starts a run at this row (set here, not at the previous row) / ends one at the previous row (set there, not here).
  const starts = (j: number): RawBuilder<unknown> => sql`(${bit(j, "m")} = 1 and ${bit(j, "p")} = 0)`;
  const falls = (j: number): RawBuilder<unknown> => sql`(${bit(j, "m")} = 0 and ${bit(j, "p")} = 1)`;
  const changed = masks.map((_, n) => sql`${id("m", n)} <> ${id("p", n)}`);
  const last = sql.lit(rows);
  const codes = [
    // A run ends before the row where its flag falls, or lasts through the last row.
    ...flags.map((_, j) => sql`case when ${falls(j)} then (idx - ${id("s", j)}) * ${sql.lit(flags.length)} + ${sql.lit(j)}
      when idx = ${last} and ${bit(j, "m")} = 1 then (idx + 1 - ${id("s", j)}) * ${sql.lit(flags.length)} + ${sql.lit(j)} end`),
    // In scan order, a row earlier than the one before it, or a kept row before the previous kept one: code -1.
    ...(order === "scan" ? [sql`case when unordered then -1::int8 end`] : []),
  ];
  return sql`
    select code, count(*) as c from (
      select unnest(array_remove(array[${sql.join(codes)}]::int8[], null)) as code
      from (
        select idx, ${sql.join(masks.map((_, n) => sql`${id("m", n)}, ${id("p", n)}`))},
          ${order === "scan" ? sql`unordered or coalesce(idx < lag(idx) over v, false) as unordered, ` : sql``}
          ${sql.join(flags.map((_, j) => sql`max(case when ${starts(j)} then idx end) over v as ${id("s", j)}`))}
        from (
          select row_number() over w as idx, ${sql.join(masks.map((_, n) => sql`${id("m", n)}, lag(${id("m", n)}, 1, 0::int8) over w as ${id("p", n)}`))}
            ${order === "scan" ? sql`, coalesce(t < lag(t) over w, false) as unordered` : sql``}
          from (select t, ${sql.join(masks.map((parts, n) => sql`${sql.join(parts, sql` | `)} as ${id("m", n)}`))} from (${window.wide}) as x ${window.fence}) as flagged
          window w as (${order === "time" ? sql`order by t` : sql``})
        ) as masked
        where ${sql.join(changed, sql` or `)} or idx = ${last}${order === "scan" ? sql` or unordered` : sql``}
        window v as (${order === "time" ? sql`order by idx ` : sql``}rows between unbounded preceding and current row)
      ) as started
    ) as ended
    group by code`;
}

/**
 * Runs counted per (axis, level, length) of a WIDE window of `rows` rows (see the file's comment); a run
 * lasting through the last row is `rows + 1 −` its start long.
 */
export async function wideRunLengths(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  levels: readonly { readonly MinC: number; readonly MaxC: number }[],
  rows: number,
): Promise<RunLengthCount[]> {
  const wide = window.wide;
  if (wide === undefined) throw new Error("wideRunLengths needs a WIDE window");
  const flagCount = window.axes.length * 2;
  const run = async (order: RowOrder): Promise<{ code: unknown; c: unknown }[]> =>
    (await sql<{ code: unknown; c: unknown }>`${runLengthsSql({ ...window, wide }, time0, models, levels, rows, order)}`.execute(db)).rows;
  let counted = window.plain ? await run("scan") : undefined;
  if (counted === undefined || counted.some((row) => num(row.code) < 0)) counted = await run("time");
  return counted.map((row) => {
    const code = num(row.code);
    const j = code % flagCount;
    return { k: window.keys[Math.floor(j / 2)], lvl: j % 2, len: Math.floor(code / flagCount), c: num(row.c) };
  });
}
