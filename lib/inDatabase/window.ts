/**
 * The training window as SQL relations, for training inside the database
 * (`compute.mode: database`): nothing here reads rows into the client.
 *
 * Every relation yields float8 seconds `t` computed exactly as the in-memory
 * path does (float columns as float8, `real` through its shortest text like
 * psycopg2; timestamps as pandas' `float64(int64 ns) / 1e9`), so the numbers
 * downstream match. LONG tables keep their own axis-id column as the group
 * key `k`, so per-axis aggregates line up with a table partitioned by axis id
 * (partitionwise aggregation, pushed to `postgres_fdw` shards).
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { InputError } from "../core/errors";
import { didYouMean } from "../core/schema";
import { NUMERIC_TYPES, timeTypeOf } from "../db/describeTable";
import { missingTableHint } from "../db/demoNotices";
import { isoToEpochSeconds } from "../core/time";
import { parseTimeBound } from "../shapes/timeBound";
import type { DataConfig, Layout, TimeType } from "../shapes/types";

/** The window of one config, resolved against the database. */
export interface SqlWindow {
  readonly layout: Layout;
  readonly timeType: TimeType;
  readonly timeCol: string;
  readonly table: string;
  /** LONG: the axis-id column (`data.axis_id_col`); WIDE: "". */
  readonly idCol: string;
  /** Output axis names (WIDE column names, LONG `axis<id>`), in config order. */
  readonly axes: readonly string[];
  /** Group key of each axis in {@link rows}: WIDE its index, LONG its axis id. */
  readonly keys: readonly number[];
  /** `(k, t, y)`: one row per sample and axis (WIDE unpivoted). */
  readonly rows: RawBuilder<unknown>;
  /** `(t)`: one row per row of the in-memory frame, i.e. distinct times for LONG. */
  readonly times: RawBuilder<unknown>;
  /** `(k, idx, t, y)`: as {@link rows} plus the 1-based row position of `t` in the in-memory frame. */
  readonly indexedRows: RawBuilder<unknown>;
  /** `select * from <table> where <window>` (for size estimates). */
  readonly raw: RawBuilder<unknown>;
  /**
   * `offset 0` when the table is a plain one, else empty: appended to a
   * subquery that computes per-row expressions (time in seconds, predicted
   * value, residual), it keeps PostgreSQL from inlining them into every
   * reference above (it does no common-subexpression elimination, so a
   * residual used by five aggregates would be computed five times). Left out
   * for partitioned and foreign tables, whose aggregates must stay directly
   * over the scan to be pushed to the partitions (postgres_fdw shards).
   */
  readonly fence: RawBuilder<unknown>;
  /** WIDE: `(t, c0, c1, …)`, one row per time with axis `i` in column `c<i>`; LONG: undefined. */
  readonly wide?: RawBuilder<unknown>;
  /** WIDE: as {@link wide}, of a random `fraction` of the rows (drawn before their columns are computed). */
  readonly wideSample?: (fraction: number) => RawBuilder<unknown>;
  /** Whether the table is a plain one (see {@link fence}): partitioned and foreign tables keep per-axis aggregates apart. */
  readonly plain: boolean;
}

function nonEmpty(value: unknown, key: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new InputError(`${key} must be a non-empty column/table name, got ${JSON.stringify(value)}`);
  return value;
}

/** A window bound as a SQL parameter of the time column's type (see {@link parseTimeBound}). */
function boundParameter(value: unknown, key: string, timeType: TimeType, timeCol: string): number | string {
  const bound = parseTimeBound(value, key, timeType, timeCol);
  return timeType === "float" ? bound.seconds : bound.text;
}

/** The column types of `table` (first schema of `data.schema` / search_path holding it). */
async function columnTypes(db: Kysely<any>, table: string, schema: string | undefined): Promise<{ schema: string; types: Map<string, string> }> {
  const { rows } = await sql<{ table_schema: string; column_name: string; data_type: string; n: number }>`
    select c.table_schema, c.column_name, c.data_type, s.n
    from information_schema.columns c
    join unnest(${schema ? sql`array[${schema}]::text[]` : sql`current_schemas(false)::text[]`}) with ordinality as s(name, n) on s.name = c.table_schema
    where c.table_name = ${table} order by s.n, c.ordinal_position`.execute(db);
  if (rows.length === 0) throw new InputError(`table "${table}" not found${schema ? ` in schema "${schema}"` : ""}: check data.table${schema ? " and data.schema" : ""}${missingTableHint(db)}`);
  const first = rows[0].table_schema;
  return { schema: first, types: new Map(rows.filter((r) => r.table_schema === first).map((r) => [r.column_name, r.data_type])) };
}

/** True when `schema.table` is an ordinary table (or view): not partitioned, not foreign. */
async function isPlainTable(db: Kysely<any>, schema: string, table: string): Promise<boolean> {
  const { rows } = await sql<{ relkind: string }>`
    select c.relkind::text as relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${table}`.execute(db);
  return rows.length > 0 && !["p", "f"].includes(rows[0].relkind);
}

/**
 * Resolves `data` against the database into the SQL relations of the window
 * (see {@link SqlWindow}); reads only information_schema.
 *
 * @throws InputError naming the table, column or key to fix.
 */
export async function sqlWindow(db: Kysely<any>, data: DataConfig): Promise<SqlWindow> {
  const table = nonEmpty(data.table, "data.table");
  const timeCol = nonEmpty(data.time_col, "data.time_col");
  const { schema, types } = await columnTypes(db, table, data.schema);
  const typeOf = (column: string, key: string): string => {
    const type = types.get(column);
    if (type === undefined) throw new InputError(`column "${column}" not found in table "${table}": check ${key}${didYouMean(column, [...types.keys()])}`);
    return type;
  };
  const numeric = (column: string, key: string): RawBuilder<unknown> => {
    const type = typeOf(column, key);
    if (!NUMERIC_TYPES.has(type)) throw new InputError(`column "${column}" of table "${table}" has type ${type}, not a number: check ${key}`);
    return type === "real" ? sql`${sql.id(column)}::text::float8` : sql`${sql.id(column)}::float8`;
  };
  const timeDataType = typeOf(timeCol, "data.time_col");
  const timeType = timeTypeOf(timeDataType, table, timeCol);
  const timeRef = sql.id(timeCol);
  const cast = sql.raw(timeType === "float" ? "float8" : timeType);
  const start = boundParameter(data.train_start, "data.train_start", timeType, timeCol);
  const end = boundParameter(data.train_end, "data.train_end", timeType, timeCol);
  // pandas: float64(int64 nanoseconds) / 1e9, from the exact integer microseconds. Within ±2^31 s of the
  // epoch (1901–2038) float8 suffices and is much faster than numeric extract(): date_part's seconds are
  // within 0.12 µs, so rounding their µs recovers the integer (checked against extract() on 2·10⁶ random
  // instants). The epoch comes from `ts - epoch` (immutable, unlike date_part/extract on timestamptz), so
  // postgres_fdw ships it to a shard.
  const epoch = sql.raw(timeType === "timestamptz" ? "'1970-01-01 00:00:00+00'::timestamptz" : "'1970-01-01 00:00:00'::timestamp");
  const near = [start, end].every((bound) => typeof bound === "string" && Math.abs(isoToEpochSeconds(bound)) < 2 ** 31);
  const t = timeType === "float"
    ? numeric(timeCol, "data.time_col")
    : near
      ? sql`(round(date_part('epoch', ${timeRef} - ${epoch}) * 1000000) * 1000) / 1e9::float8`
      : sql`((extract(epoch from (${timeRef} - ${epoch})) * 1000000)::int8 * 1000)::float8 / 1e9::float8`;
  const from = sql`${sql.id(schema, table)}`;
  const plain = await isPlainTable(db, schema, table);
  const fence = plain ? sql`offset 0` : sql``;
  let where = sql`${timeRef} >= cast(${start} as ${cast}) and ${timeRef} < cast(${end} as ${cast})`;
  const axes = data.axes;
  if (axes.length === 0) throw new InputError("data.axes must list at least one axis");

  if (typeof axes[0] === "string") {
    const columns = axes.map((axis, i) => numeric(nonEmpty(axis, `data.axes[${i}]`), `data.axes[${i}]`));
    const keys = axes.map((_, i) => i);
    const select = sql`select ${t} as t, ${sql.join(columns.map((c, i) => sql`${c} as ${sql.id(`c${i}`)}`))} from ${from}`;
    const wide = sql`${select} where ${where}`;
    // Unpivoted by unnest in the select list (a ProjectSet: no join, which the planner would memoize per row).
    const unpivot = (w: string): RawBuilder<unknown> =>
      sql`unnest(array[${sql.join(keys.map((i) => sql.lit(i)))}]::int[]) as k, unnest(array[${sql.join(keys.map((i) => sql`${sql.id(w, `c${i}`)}`))}]::float8[]) as y`;
    return {
      layout: "wide",
      timeType,
      timeCol,
      table,
      idCol: "",
      axes: axes as readonly string[],
      keys,
      rows: sql`select ${unpivot("w")}, w.t from (${wide} ${fence}) as w`,
      times: sql`select t from (${wide}) as w`,
      indexedRows: sql`select ${unpivot("w")}, w.idx, w.t from (select row_number() over (order by x.t) as idx, x.* from (${wide} ${fence}) as x) as w`,
      raw: sql`select * from ${from} where ${where}`,
      fence,
      plain,
      wide: sql`${wide} ${fence}`,
      wideSample: (fraction) => sql`${select} where ${where} and random() < ${fraction}::float8 ${fence}`,
    };
  }
  const ids = axes.map((id, i) => {
    if (typeof id !== "number" || !Number.isSafeInteger(id)) throw new InputError(`data.axes[${i}] must be an integer axis id, got ${JSON.stringify(id)}`);
    return id;
  });
  const idCol = nonEmpty(data.axis_id_col, "data.axis_id_col");
  const value = numeric(nonEmpty(data.value_col, "data.value_col"), "data.value_col");
  numeric(idCol, "data.axis_id_col");
  where = sql`${where} and ${sql.id(idCol)} in (${sql.join(ids.map((id) => sql.lit(id)))})`;
  // The id column itself is the key (not an expression of it), so GROUP BY k matches an axis-id partition key.
  const rows = sql`select ${sql.id(idCol)} as k, ${t} as t, ${value} as y from ${from} where ${where}`;
  return {
    layout: "long",
    timeType,
    timeCol,
    table,
    idCol,
    axes: ids.map((id) => `axis${id}`),
    keys: ids,
    rows,
    times: sql`select distinct t from (${rows}) as r`,
    indexedRows: sql`select r.k, dense_rank() over (order by r.t) as idx, r.t, r.y from (${rows} ${fence}) as r`,
    raw: sql`select * from ${from} where ${where}`,
    fence,
    plain,
  };
}
