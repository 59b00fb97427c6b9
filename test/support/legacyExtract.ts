/**
 * The extraction of ML Box before streaming (string_agg + base64, LIMIT/OFFSET
 * pages), kept verbatim as the oracle that the streamed extraction must equal.
 * Test-only: nothing in lib/ imports it.
 */
/**
 * Extraction: the training window of a sensor table as typed columns.
 *
 * WIDE tables (`ts, axis1..N`) are read column by column; LONG tables
 * (`ts, axis_id, value`) are pivoted to one column per configured axis id,
 * named `axis<id>`. The table and columns are checked through
 * information_schema first, so a typo gets a one-line InputError naming it.
 *
 * The hot path builds no per-row JS objects: PostgreSQL packs each row into
 * big-endian float8 bytes (`float8send`), aggregates a whole chunk of rows in
 * time order into one bytea (`string_agg(... order by ts)`) and sends it
 * base64-encoded, which is decoded straight into Float64Arrays. NULL becomes
 * NaN; float8 NaN and ±Infinity come through as such. Timestamps travel as
 * exact integer microseconds (`extract(epoch from ts) * 1e6`) and are
 * converted like pandas' `datetime64[ns]` → float seconds; a `timestamp`
 * without time zone is read as UTC wall time whatever the session or OS zone.
 */
import * as dfd from "danfojs-node";
import { closest, distance } from "fastest-levenshtein";
import { sql } from "kysely";
import type { Kysely, RawBuilder } from "kysely";
import { InputError } from "../../lib/core/errors";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds } from "../../lib/core/time";
import type { DataConfig, Extraction, Layout, TimeType } from "../../lib/shapes/types";

/** Options of {@link extractColumns}; every field is optional. */
export interface ExtractOptions {
  /**
   * Rows fetched per query; default: as many as fit in 128 MiB of packed
   * float8 (about 1.8 million rows of a WIDE table with 8 axes). Larger windows
   * are read in several chunks inside one repeatable-read transaction.
   */
  readonly chunkRows?: number;
}

/** Packed bytes per query chunk, before base64 (kept well below PostgreSQL's 1 GB value limit). */
const CHUNK_BYTES = 128 * 1024 * 1024;

/** information_schema `data_type`s read as float seconds / numeric values. */
const NUMERIC_TYPES = new Set(["smallint", "integer", "bigint", "real", "double precision", "numeric"]);

/** What the config asks for, validated without touching the database. */
interface Request {
  readonly table: string;
  readonly timeCol: string;
  readonly layout: Layout;
  /** WIDE: the value columns. LONG: empty. */
  readonly wideColumns: readonly string[];
  /** LONG: the axis ids. WIDE: empty. */
  readonly ids: readonly number[];
  readonly idCol: string;
  readonly valueCol: string;
  /** Output column names, in config order. */
  readonly axes: readonly string[];
}

/** A resolved table: its schema and its columns with information_schema types. */
interface TableInfo {
  readonly schema: string;
  readonly columns: ReadonlyMap<string, string>;
  readonly names: readonly string[];
}

/** One window bound: the SQL parameter and the comparable value in seconds. */
interface Bound {
  readonly param: number | string;
  readonly seconds: number;
  readonly text: string;
}

function requireName(value: unknown, key: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InputError(`${key} must be a non-empty column/table name, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks the config's shape and decides the layout (WIDE for names, LONG for ids). */
function parseRequest(data: DataConfig): Request {
  const table = requireName(data.table, "data.table");
  const timeCol = requireName(data.time_col, "data.time_col");
  const axes = data.axes as readonly unknown[];
  if (!Array.isArray(axes) || axes.length === 0) {
    throw new InputError("data.axes must list at least one axis (column names for WIDE, axis ids for LONG)");
  }
  const strings = axes.filter((a) => typeof a === "string").length;
  const numbers = axes.filter((a) => typeof a === "number").length;
  if (strings + numbers !== axes.length) {
    const bad = axes.findIndex((a) => typeof a !== "string" && typeof a !== "number");
    throw new InputError(`data.axes[${bad}] must be a column name or an axis id, got ${JSON.stringify(axes[bad])}`);
  }
  if (strings > 0 && numbers > 0) {
    throw new InputError("data.axes mixes column names and axis ids: use only names (WIDE table) or only ids (LONG table)");
  }
  const seen = new Set<string>();
  const checkUnique = (name: string, index: number): void => {
    if (seen.has(name)) throw new InputError(`data.axes[${index}] repeats axis ${JSON.stringify(axes[index])}`);
    if (name === timeCol) throw new InputError(`data.axes[${index}] (${name}) is the time column data.time_col`);
    seen.add(name);
  };
  if (strings > 0) {
    const wideColumns = axes.map((a, i) => requireName(a, `data.axes[${i}]`));
    wideColumns.forEach(checkUnique);
    return { table, timeCol, layout: "wide", wideColumns, ids: [], idCol: "", valueCol: "", axes: wideColumns };
  }
  const ids = axes as readonly number[];
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id)) throw new InputError(`data.axes[${i}] must be an integer axis id, got ${id}`);
  });
  if (data.axis_id_col === undefined || data.axis_id_col === "") {
    throw new InputError("data.axis_id_col is required when data.axes are axis ids (LONG table): name the column holding the axis id");
  }
  if (data.value_col === undefined || data.value_col === "") {
    throw new InputError("data.value_col is required when data.axes are axis ids (LONG table): name the column holding the value");
  }
  const idCol = requireName(data.axis_id_col, "data.axis_id_col");
  const valueCol = requireName(data.value_col, "data.value_col");
  const names = ids.map((id) => `axis${id}`);
  names.forEach(checkUnique);
  return { table, timeCol, layout: "long", wideColumns: [], ids, idCol, valueCol, axes: names };
}

/** Schemas to look in: `data.schema`, else the connection's search_path. */
async function searchSchemas(db: Kysely<any>, schema: string | undefined): Promise<readonly string[]> {
  if (schema !== undefined && schema !== "") return [schema];
  const { rows } = await sql<{ s: string }>`
    select s::text as s from unnest(current_schemas(false)) with ordinality as u(s, n) order by n`.execute(db);
  return rows.length > 0 ? rows.map((r) => r.s) : ["public"];
}

function didYouMean(name: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(name, candidates);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean "${best}"?` : "";
}

/** Finds the table and its columns through information_schema (InputError when missing). */
async function describeTable(db: Kysely<any>, table: string, schemaSetting: string | undefined): Promise<TableInfo> {
  const schemas = await searchSchemas(db, schemaSetting);
  const { rows: found } = await sql<{ table_schema: string }>`
    select table_schema from information_schema.tables
    where table_name = ${table} and table_schema in (${sql.join(schemas)})`.execute(db);
  const present = new Set(found.map((r) => r.table_schema));
  const schema = schemas.find((s) => present.has(s));
  if (schema === undefined) {
    const listed = schemas.map((s) => `"${s}"`).join(", ");
    const where = schemaSetting ? `schema "${schemaSetting}" (data.schema)` : `${schemas.length === 1 ? "schema" : "schemas"} ${listed} (search_path)`;
    const { rows: elsewhere } = await sql<{ table_schema: string }>`
      select table_schema from information_schema.tables where table_name = ${table} order by table_schema`.execute(db);
    if (elsewhere.length > 0) {
      throw new InputError(`table "${table}" not found in ${where}; it exists in schema "${elsewhere[0].table_schema}": set data.schema`);
    }
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema in (${sql.join(schemas)})`.execute(db);
    throw new InputError(`table "${table}" not found in ${where}${didYouMean(table, tables.map((r) => r.table_name))}`);
  }
  const { rows } = await sql<{ column_name: string; data_type: string }>`
    select column_name, data_type from information_schema.columns
    where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db);
  return { schema, columns: new Map(rows.map((r) => [r.column_name, r.data_type])), names: rows.map((r) => r.column_name) };
}

function listColumns(info: TableInfo): string {
  const shown = info.names.slice(0, 30).join(", ");
  return info.names.length > 30 ? `${shown}, … (${info.names.length} columns)` : shown;
}

/** information_schema type of `column`, or InputError naming the config key and listing the columns. */
function columnType(info: TableInfo, table: string, column: string, key: string): string {
  const type = info.columns.get(column);
  if (type === undefined) {
    throw new InputError(`column "${column}" not found in table "${table}" (columns: ${listColumns(info)}): check ${key}${didYouMean(column, info.names)}`);
  }
  return type;
}

function requireNumeric(info: TableInfo, table: string, column: string, key: string): string {
  const type = columnType(info, table, column, key);
  if (!NUMERIC_TYPES.has(type)) {
    throw new InputError(`column "${column}" of table "${table}" has type ${type}, not a number: check ${key}`);
  }
  return type;
}

function timeTypeOf(type: string, table: string, column: string): TimeType {
  if (NUMERIC_TYPES.has(type)) return "float";
  if (type === "timestamp without time zone") return "timestamp";
  if (type === "timestamp with time zone") return "timestamptz";
  throw new InputError(
    `column "${column}" of table "${table}" has type ${type}: data.time_col must be float seconds, timestamp or timestamptz`,
  );
}

/** Parses `data.train_start`/`data.train_end` for a time column of `timeType`. */
function parseBound(value: unknown, key: string, timeType: TimeType, timeCol: string): Bound {
  if (timeType === "float") {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InputError(`${key} must be a finite number of seconds because column "${timeCol}" holds float seconds, got ${JSON.stringify(value)}`);
    }
    return { param: value, seconds: value, text: String(value) };
  }
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Date && !Number.isNaN(value.getTime())) text = value.toISOString(); // an unquoted YAML timestamp
  else {
    throw new InputError(`${key} must be an ISO-8601 timestamp string because column "${timeCol}" is ${timeType}, got ${JSON.stringify(value)}`);
  }
  let seconds: number;
  try {
    seconds = isoToEpochSeconds(text);
  } catch (error) {
    throw new InputError(`${key}: ${(error as Error).message}`);
  }
  // Normalised UTC text: a zone offset is applied here, since PostgreSQL would ignore it for `timestamp`.
  const iso = epochSecondsToIso(seconds, timeType);
  return { param: iso, seconds, text: iso };
}

/** The time column as float8: seconds for float columns, exact integer epoch microseconds for timestamps. */
function timeExpression(column: RawBuilder<unknown>, dataType: string, timeType: TimeType): RawBuilder<unknown> {
  // Exact for every timestamp: numeric epoch × 1e6 is an integer (|µs| < 2^53 up to year ~287,000).
  // (date_part's float seconds lose whole microseconds after 2106.)
  if (timeType !== "float") return sql`(extract(epoch from ${column}) * 1000000)::int8::float8`;
  return floatExpression(column, dataType);
}

/**
 * A numeric column as float8. `real` goes through its shortest text form, as
 * psycopg2 reads it (1.1::real → 1.1, not 1.100000023841858).
 */
function floatExpression(column: RawBuilder<unknown>, dataType: string): RawBuilder<unknown> {
  return dataType === "real" ? sql`${column}::text::float8` : sql`${column}::float8`;
}

/** 8 big-endian bytes of a float8 expression; NULL becomes NaN. */
function packed(expression: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`coalesce(float8send(${expression}), decode('7ff8000000000000', 'hex'))`;
}

/** Everything needed to run the window queries. */
interface Query {
  readonly from: RawBuilder<unknown>;
  readonly where: RawBuilder<unknown>;
  /** Packed row: time, then the values (WIDE) or axis id and value (LONG). */
  readonly row: RawBuilder<unknown>;
  /** Float8 columns per row. */
  readonly width: number;
  /** Sort keys of a single read: time (LONG: then axis id). */
  readonly keys: readonly RawBuilder<unknown>[];
  /** Sort keys of chunked reads: all columns, a total order, so pages never overlap or skip rows. */
  readonly totalKeys: readonly RawBuilder<unknown>[];
}

/** SQL returning one row `{ data }`: the packed rows of one chunk, in order, base64-encoded. */
function chunkSql(query: Query, limit: number, offset: number, chunked: boolean): RawBuilder<{ data: string | null }> {
  const { from, where, row, keys, totalKeys } = query;
  if (!chunked) {
    return sql<{ data: string | null }>`
      select encode(string_agg(${row}, ''::bytea order by ${sql.join(keys)}), 'base64') as data
      from ${from} where ${where}`;
  }
  // The page is cut by the inner ORDER BY; the aggregate's own ORDER BY is what
  // guarantees the order of the bytes (a subquery's order alone does not).
  const aliases = totalKeys.map((_, k) => sql.id(`k${k}`));
  return sql<{ data: string | null }>`
    select encode(string_agg(s.r, ''::bytea order by ${sql.join(aliases.map((alias) => sql`s.${alias}`))}), 'base64') as data
    from (
      select ${row} as r, ${sql.join(totalKeys.map((key, k) => sql`${key} as ${aliases[k]}`))}
      from ${from} where ${where}
      order by ${sql.join(totalKeys)} limit ${limit} offset ${offset}
    ) as s`;
}

/** Reads the packed float8 rows of the window into `width` columns of (up to) `total` rows. */
async function fetchColumns(db: Kysely<any>, query: Query, total: number, chunkRows: number): Promise<Float64Array[]> {
  const columns = Array.from({ length: query.width }, () => new Float64Array(total));
  const rowBytes = 8 * query.width;
  const chunked = total > chunkRows;
  let filled = 0;
  for (let offset = 0; offset < total; offset += chunkRows) {
    const { rows } = await chunkSql(query, chunkRows, offset, chunked).execute(db);
    const bytes = Buffer.from(rows[0]?.data ?? "", "base64");
    const count = Math.min(Math.floor(bytes.length / rowBytes), total - filled);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0, at = 0; i < count; i++) {
      const target = filled + i;
      for (let c = 0; c < query.width; c++, at += 8) columns[c][target] = view.getFloat64(at);
    }
    filled += count;
    if (!chunked || count < chunkRows) break;
  }
  return filled === total ? columns : columns.map((column) => column.slice(0, filled));
}

function formatTime(raw: number, timeType: TimeType): string {
  return timeType === "float" ? String(raw) : epochSecondsToIso(microsToSeconds(raw), timeType);
}

/**
 * Pivots LONG rows sorted by (time, axis id) into one column per id, in one
 * pass; a time missing an axis gets NaN.
 */
function pivot(
  time: Float64Array,
  id: Float64Array,
  value: Float64Array,
  request: Request,
  timeType: TimeType,
): { readonly time: Float64Array; readonly values: Float64Array[] } {
  const n = time.length;
  let rows = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (time[i] !== time[i - 1]) rows++;
  const slot = new Map<number, number>(request.ids.map((axisId, k) => [axisId, k]));
  const outTime = new Float64Array(rows);
  const values = request.ids.map(() => new Float64Array(rows).fill(Number.NaN));
  const seen = new Uint8Array(request.ids.length);
  let row = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || time[i] !== time[i - 1]) {
      row++;
      outTime[row] = time[i];
    } else if (id[i] === id[i - 1]) {
      throw new InputError(
        `duplicate (${request.timeCol}, ${request.idCol}) = (${formatTime(time[i], timeType)}, ${id[i]}) in table "${request.table}": each time may hold one value per axis id`,
      );
    }
    const k = slot.get(id[i]);
    if (k === undefined) continue; // not a configured axis (the query filters these out anyway)
    values[k][row] = value[i];
    seen[k] = 1;
  }
  const missing = request.ids.findIndex((_, k) => seen[k] === 0);
  if (missing !== -1) {
    throw new InputError(
      `axis id ${request.ids[missing]} (data.axes[${missing}]) has no rows in table "${request.table}" in the training window: check data.axes`,
    );
  }
  return { time: outTime, values };
}

/**
 * Reads the training window `[data.train_start, data.train_end)` of
 * `data.table` as typed columns, ordered by time.
 *
 * Axes given as strings select WIDE columns; axes given as numbers select
 * LONG rows by `data.axis_id_col` (output columns `axis<id>` in config order).
 * For float seconds the bounds are numbers; for `timestamp`/`timestamptz`
 * ISO-8601 strings (zone-less = UTC; for a `timestamp` column the instant's
 * UTC wall time is compared).
 * @param db a Kysely over PostgreSQL or PGlite (see `connect`)
 * @param data the `data:` block of the config
 * @param options `chunkRows` (default: as many rows as fit in 128 MiB)
 * @returns time in epoch seconds (pandas-exact for timestamps) and one Float64Array per axis, NaN where missing
 * @throws InputError naming the key, table, column or value to fix: missing
 *   table/column, mixed or duplicate axes, LONG without `data.axis_id_col` /
 *   `data.value_col`, a time column that is not float/timestamp, bounds of the
 *   wrong type or out of order, an empty window, an axis id without rows,
 *   duplicate (time, axis id) rows
 */
export async function extractColumns(db: Kysely<any>, data: DataConfig, options: ExtractOptions = {}): Promise<Extraction> {
  const request = parseRequest(data);
  const { table, timeCol, layout } = request;
  const info = await describeTable(db, table, data.schema);
  const timeDataType = columnType(info, table, timeCol, "data.time_col");
  const timeType = timeTypeOf(timeDataType, table, timeCol);
  const tableRef = sql.id(info.schema, table);
  const timeRef = sql.id(timeCol);

  let row: RawBuilder<unknown>;
  let keys: RawBuilder<unknown>[];
  let totalKeys: RawBuilder<unknown>[];
  let filter: RawBuilder<unknown> = sql`true`;
  let width: number;
  if (layout === "wide") {
    const types = request.wideColumns.map((column, i) => requireNumeric(info, table, column, `data.axes[${i}]`));
    const refs = request.wideColumns.map((column) => sql.id(column));
    row = sql.join([packed(timeExpression(timeRef, timeDataType, timeType)), ...refs.map((ref, i) => packed(floatExpression(ref, types[i])))], sql` || `);
    keys = [timeRef];
    totalKeys = [timeRef, ...refs];
    width = 1 + refs.length;
  } else {
    const idType = requireNumeric(info, table, request.idCol, "data.axis_id_col");
    const valueType = requireNumeric(info, table, request.valueCol, "data.value_col");
    const idRef = sql.id(request.idCol);
    const valueRef = sql.id(request.valueCol);
    row = sql.join([packed(timeExpression(timeRef, timeDataType, timeType)), packed(floatExpression(idRef, idType)), packed(floatExpression(valueRef, valueType))], sql` || `);
    keys = [timeRef, idRef];
    totalKeys = [timeRef, idRef, valueRef];
    filter = sql`${idRef} in (${sql.join(request.ids)})`;
    width = 3;
  }

  const start = parseBound(data.train_start, "data.train_start", timeType, timeCol);
  const end = parseBound(data.train_end, "data.train_end", timeType, timeCol);
  if (!(start.seconds < end.seconds)) {
    throw new InputError(`data.train_start (${start.text}) must be before data.train_end (${end.text})`);
  }
  const castType = sql.raw(timeType === "float" ? "float8" : timeType);
  const where = sql`${timeRef} >= cast(${start.param} as ${castType}) and ${timeRef} < cast(${end.param} as ${castType}) and ${filter}`;
  const { chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / (8 * width))) } = options;

  const read = async (trx: Kysely<any>): Promise<Float64Array[]> => {
    const { rows } = await sql<{ n: string | number }>`select count(*) as n from ${tableRef} where ${where}`.execute(trx);
    const total = Number(rows[0]?.n ?? 0);
    if (total === 0) throw await emptyWindowError(trx, request, tableRef, timeRef, timeDataType, timeType, start, end);
    return fetchColumns(trx, { from: tableRef, where, row, width, keys, totalKeys }, total, chunkRows);
  };
  const columns = db.isTransaction ? await read(db) : await db.transaction().setIsolationLevel("repeatable read").execute(read);

  let time: Float64Array;
  let values: Float64Array[];
  if (layout === "wide") {
    time = columns[0];
    values = columns.slice(1);
  } else {
    ({ time, values } = pivot(columns[0], columns[1], columns[2], request, timeType));
  }
  if (timeType !== "float") for (let i = 0; i < time.length; i++) time[i] = microsToSeconds(time[i]);
  return { timeCol, timeType, layout, axes: request.axes, time, values };
}

/** InputError for an empty window, with the table's actual time range as a hint. */
async function emptyWindowError(
  db: Kysely<any>,
  request: Request,
  tableRef: RawBuilder<unknown>,
  timeRef: RawBuilder<unknown>,
  timeDataType: string,
  timeType: TimeType,
  start: Bound,
  end: Bound,
): Promise<InputError> {
  const expression = timeExpression(timeRef, timeDataType, timeType);
  // NaN sorts above +Infinity in PostgreSQL, so this keeps finite values only.
  const finite = timeType === "float" ? sql`${timeRef}::float8 > '-Infinity'::float8 and ${timeRef}::float8 < 'Infinity'::float8` : sql`isfinite(${timeRef})`;
  const { rows } = await sql<{ lo: number | null; hi: number | null }>`
    select min(${expression}) as lo, max(${expression}) as hi from ${tableRef} where ${finite}`.execute(db);
  const lo = rows[0]?.lo;
  const hi = rows[0]?.hi;
  const span = lo === null || lo === undefined || hi === null || hi === undefined
    ? `table "${request.table}" has no rows with a ${request.timeCol}`
    : `table "${request.table}" spans ${formatTime(Number(lo), timeType)} to ${formatTime(Number(hi), timeType)}`;
  const ids = request.layout === "long" ? `${request.idCol} in (${request.ids.join(", ")}) and ` : "";
  return new InputError(
    `no rows in table "${request.table}" with ${ids}${request.timeCol} in [${start.text}, ${end.text}) (${span}): check data.train_start and data.train_end`,
  );
}

/** True for names a JS object would reorder (array-index keys like "1"). */
function isIndexLike(name: string): boolean {
  return /^(0|[1-9]\d*)$/.test(name) && Number(name) < 4_294_967_295;
}

/**
 * Reads the training window as a danfo DataFrame `[time_col, ...axes]`
 * (see {@link extractColumns}). For `timestamp`/`timestamptz` columns the time
 * column holds ISO-8601 strings with microseconds (`2025-09-01T00:00:01.881000Z`
 * for timestamptz, no `Z` for timestamp); float seconds stay numbers. Axis
 * columns are numbers with NaN for missing values.
 * @param db a Kysely over PostgreSQL or PGlite
 * @param data the `data:` block of the config
 * @returns the DataFrame
 * @throws InputError as {@link extractColumns}
 */
export async function extract(db: Kysely<any>, data: DataConfig): Promise<dfd.DataFrame> {
  const extraction = await extractColumns(db, data);
  const { timeCol, timeType, axes, time, values } = extraction;
  const timeColumn: (string | number)[] =
    timeType === "float" ? Array.from(time) : Array.from(time, (seconds) => epochSecondsToIso(seconds, timeType));
  const columns = [timeCol, ...axes];
  const dtypes = [timeType === "float" ? "float32" : "string", ...axes.map(() => "float32")];
  const valueColumns = values.map((column) => Array.from(column));
  if (!columns.some(isIndexLike)) {
    const object: Record<string, (string | number)[]> = { [timeCol]: timeColumn };
    axes.forEach((name, k) => {
      object[name] = valueColumns[k];
    });
    return new dfd.DataFrame(object, { columns, dtypes });
  }
  // Row form keeps the column order when a name looks like an array index.
  const rows = timeColumn.map((t, i) => [t, ...valueColumns.map((column) => column[i])]);
  return new dfd.DataFrame(rows, { columns, dtypes });
}
