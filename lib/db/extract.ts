/**
 * Extraction: the training window of a sensor table as typed columns.
 *
 * WIDE tables (`ts, axis1..N`) are read column by column; LONG tables
 * (`ts, axis_id, value`) are pivoted to one column per configured axis id,
 * named `axis<id>`. The table and columns are checked through
 * information_schema first, so a typo gets a one-line InputError naming it.
 *
 * The window is read in one pass, ordered by the time column only, as
 * PostgreSQL's binary `COPY (SELECT …) TO STDOUT` stream (PGlite: `COPY … TO
 * '/dev/blob'`), and decoded chunk by chunk straight into growing
 * Float64Arrays: no per-row JS objects, no whole-window string, no paging, and
 * the server streams rows as its plan yields them. COPY takes no parameters,
 * so the only values in its text are already-parsed bounds and axis ids,
 * escaped by `pg`'s `escapeLiteral` (identifiers by `escapeIdentifier`).
 * NULL becomes NaN; float8 NaN and ±Infinity come through as such.
 * Timestamps travel as PostgreSQL's own integer microseconds and are
 * converted like pandas' `datetime64[ns]` → float seconds; a `timestamp`
 * without time zone is read as UTC wall time whatever the session or OS zone.
 */
import type * as dfd from "danfojs-node";
import { CompiledQuery, sql } from "kysely";
import type { Kysely } from "kysely";
import { escapeIdentifier, escapeLiteral } from "pg";
import { to as copyTo } from "pg-copy-streams";
import type { PGliteLike, PGliteResults, PGliteStatement } from "./embedded";
import { InputError } from "../core/errors";
import { toDataFrame } from "../shapes/frame";
import { didYouMean, parseWithSchema, z } from "../core/schema";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds } from "../core/time";
import type { DataConfig, Extraction, Layout, TimeType } from "../shapes/types";

/** How far a running extraction got (see {@link ExtractOptions.onProgress}). */
export interface ExtractProgress {
  /** Database rows read so far (LONG: one per sample and axis). */
  readonly rows: number;
  /** Seconds since the read started. */
  readonly seconds: number;
  /** The planner's estimate of the window's database rows (cheap, approximate), if known. */
  readonly estimatedRows: number | undefined;
  /** True for the last report, once every row is in. */
  readonly done: boolean;
}

/** Options of {@link extractColumns}; every field is optional. */
export interface ExtractOptions {
  /** Called about once a second while rows arrive and once at the end; default: none. */
  readonly onProgress?: (progress: ExtractProgress) => void;
}

/** information_schema `data_type`s read as float seconds / numeric values. */
const NUMERIC_TYPES = new Set(["smallint", "integer", "bigint", "real", "double precision", "numeric"]);

/** PostgreSQL's timestamp epoch (2000-01-01) in Unix microseconds. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;

/** Binary COPY signature: `PGCOPY\n\377\r\n\0`. */
const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);

/** Milliseconds between progress reports. */
const PROGRESS_EVERY_MS = 1000;

const nameSchema = z.string().trim().min(1);

/**
 * The `data:` keys extraction reads. Config loading checks them too; this
 * schema guards direct library calls. Table and column existence need the
 * database and are checked in {@link describeTable}.
 */
const requestSchema = z.object({
  data: z
    .object({
      table: nameSchema,
      schema: nameSchema.optional(),
      time_col: nameSchema,
      axes: z
        .array(z.union([nameSchema, z.number().int().safe()], { errorMap: () => ({ message: "must be a column name or a whole-number axis id" }) }))
        .min(1),
      axis_id_col: nameSchema.optional(),
      value_col: nameSchema.optional(),
    })
    .superRefine((data, context) => {
      const issue = (path: (string | number)[], message: string): void => context.addIssue({ code: "custom", path, message });
      const long = typeof data.axes[0] === "number";
      if (data.axes.some((axis) => typeof axis !== typeof data.axes[0])) {
        return issue(["axes"], "mixes column names and axis ids: use only names (WIDE table) or only ids (LONG table)");
      }
      const names = data.axes.map((axis) => (long ? `axis${axis}` : String(axis)));
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) issue(["axes", i], `repeats axis ${JSON.stringify(data.axes[i])}`);
        if (name === data.time_col) issue(["axes", i], `(${name}) is the time column data.time_col`);
      });
      if (!long) return;
      if (data.axis_id_col === undefined) issue(["axis_id_col"], "is required when data.axes are axis ids (LONG table): name the column holding the axis id");
      if (data.value_col === undefined) issue(["value_col"], "is required when data.axes are axis ids (LONG table): name the column holding the value");
    }),
});

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

/** Checks the config's shape and decides the layout (WIDE for names, LONG for ids). */
function parseRequest(config: DataConfig): Request {
  const data = parseWithSchema(requestSchema, { data: config }).data;
  const { table, time_col: timeCol } = data;
  if (typeof data.axes[0] === "string") {
    const wideColumns = data.axes as string[];
    return { table, timeCol, layout: "wide", wideColumns, ids: [], idCol: "", valueCol: "", axes: wideColumns };
  }
  const ids = data.axes as number[];
  return {
    table,
    timeCol,
    layout: "long",
    wideColumns: [],
    ids,
    idCol: data.axis_id_col ?? "",
    valueCol: data.value_col ?? "",
    axes: ids.map((id) => `axis${id}`),
  };
}

/** A resolved table: its schema and its columns with information_schema types. */
interface TableInfo {
  readonly schema: string;
  readonly columns: ReadonlyMap<string, string>;
  readonly names: readonly string[];
}

/** One window bound: the parsed value as SQL literal text and in seconds. */
interface Bound {
  readonly literal: string;
  readonly seconds: number;
  readonly text: string;
}

/** Schemas to look in: `data.schema`, else the connection's search_path. */
async function searchSchemas(db: Kysely<any>, schema: string | undefined): Promise<readonly string[]> {
  if (schema !== undefined && schema !== "") return [schema];
  const { rows } = await sql<{ s: string }>`
    select s::text as s from unnest(current_schemas(false)) with ordinality as u(s, n) order by n`.execute(db);
  return rows.length > 0 ? rows.map((r) => r.s) : ["public"];
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
    // The shortest round-trip text: PostgreSQL's float8 input reads back the same double.
    return { literal: `${escapeLiteral(String(value))}::float8`, seconds: value, text: String(value) };
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
  return { literal: `${escapeLiteral(iso)}::${timeType}`, seconds, text: iso };
}

/**
 * A numeric column as float8 SQL. `real` goes through its shortest text form,
 * as psycopg2 reads it (1.1::real → 1.1, not 1.100000023841858).
 */
function floatExpression(column: string, dataType: string): string {
  if (dataType === "double precision") return column;
  return dataType === "real" ? `${column}::text::float8` : `${column}::float8`;
}

/**
 * Decodes PostgreSQL's binary COPY format (signature, flags, header
 * extension, tuples, trailer) chunk by chunk, whatever the chunk boundaries.
 * Every field must be 8 bytes (float8 or timestamp) or NULL (→ NaN); the
 * first field is integer microseconds when `timestampFirst`, then converted to
 * Unix microseconds.
 */
class BinaryCopyReader {
  readonly #width: number;
  readonly #timestampFirst: boolean;
  readonly #onRow: (row: Float64Array) => void;
  readonly #row: Float64Array;
  #rest: Buffer | undefined;
  #headerRead = false;
  #ended = false;
  /** Tuples decoded so far. */
  rows = 0;

  constructor(width: number, timestampFirst: boolean, onRow: (row: Float64Array) => void) {
    this.#width = width;
    this.#timestampFirst = timestampFirst;
    this.#onRow = onRow;
    this.#row = new Float64Array(width);
  }

  push(chunk: Uint8Array): void {
    let buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const rest = this.#rest;
    this.#rest = undefined;
    if (rest !== undefined && this.#headerRead) {
      // Finish the partial tuple from the chunk's first bytes (a tuple is at most 2 + 12·width), not by copying the whole chunk.
      const head = Buffer.concat([rest, buffer.subarray(0, 2 + 12 * this.#width)]);
      const used = this.#parse(head, 0);
      if (used < rest.length) {
        this.#rest = Buffer.concat([rest, buffer]); // still incomplete: the chunk was tiny
        return;
      }
      buffer = buffer.subarray(used - rest.length);
    } else if (rest !== undefined) buffer = Buffer.concat([rest, buffer]);
    let at = 0;
    if (!this.#headerRead) {
      if (buffer.length < 19 || buffer.length < 19 + buffer.readInt32BE(15)) {
        this.#rest = Buffer.from(buffer);
        return;
      }
      if (!buffer.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error("binary COPY: bad signature");
      at = 19 + buffer.readInt32BE(15);
      this.#headerRead = true;
    }
    at = this.#parse(buffer, at);
    if (at < buffer.length) this.#rest = Buffer.from(buffer.subarray(at)); // a partial tuple: copy it, not the chunk it sits in
  }

  /** Decodes the whole tuples (and the trailer) of `buffer` from `at`; returns where the first incomplete one starts. */
  #parse(buffer: Buffer, at: number): number {
    const width = this.#width;
    const row = this.#row;
    const onRow = this.#onRow;
    const timestampFirst = this.#timestampFirst;
    const end = buffer.length;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength); // faster than Buffer's readers
    // A tuple with no NULL: 2 bytes of field count, then 4 of length and 8 of value per field. NULLs only shorten it.
    const longest = 2 + 12 * width;
    while (!this.#ended && at + 2 <= end) {
      const fields = view.getInt16(at);
      if (fields === -1) {
        this.#ended = true;
        at += 2;
        break;
      }
      if (fields !== width) throw new Error(`binary COPY: ${fields} fields in a tuple, expected ${width}`);
      // Most tuples lie whole inside the chunk: those are read without a bounds check per field.
      const next = at + longest <= end ? readTuple(view, at + 2, row, timestampFirst) : readPartialTuple(view, at + 2, end, row, timestampFirst);
      if (next < 0) break;
      this.rows++;
      onRow(row);
      at = next;
    }
    return at;
  }

  /** Checks the stream ended with its trailer. */
  finish(): void {
    if (!this.#ended || this.#rest !== undefined) throw new Error("binary COPY: the stream ended early");
  }
}

/**
 * Reads the fields of a tuple that lies whole in `view` from `p` (just after its field count) into `row`;
 * returns where the next tuple starts. The first field is a timestamp when `timestampFirst`.
 */
function readTuple(view: DataView, p: number, row: Float64Array, timestampFirst: boolean): number {
  for (let f = 0; f < row.length; f++) {
    const length = view.getInt32(p);
    if (length === 8) {
      row[f] = f === 0 && timestampFirst ? unixMicros(view, p + 4) : view.getFloat64(p + 4);
      p += 12;
    } else if (length === -1) {
      row[f] = Number.NaN;
      p += 4;
    } else throw new Error(`binary COPY: a field of ${length} bytes, expected 8`);
  }
  return p;
}

/** {@link readTuple} for a tuple that may run past `end`: returns −1 when it does (it is read again with the next chunk). */
function readPartialTuple(view: DataView, p: number, end: number, row: Float64Array, timestampFirst: boolean): number {
  for (let f = 0; f < row.length; f++) {
    if (p + 4 > end) return -1;
    const length = view.getInt32(p);
    p += 4;
    if (length === -1) {
      row[f] = Number.NaN;
      continue;
    }
    if (length !== 8) throw new Error(`binary COPY: a field of ${length} bytes, expected 8`);
    if (p + 8 > end) return -1;
    row[f] = f === 0 && timestampFirst ? unixMicros(view, p) : view.getFloat64(p);
    p += 8;
  }
  return p;
}

/** Unix microseconds of a binary timestamp at `at` (µs since 2000-01-01), exact, rounded once like int8 → float8. */
function unixMicros(view: DataView, at: number): number {
  const high = view.getInt32(at);
  if (high >= -(2 ** 20) && high < 2 ** 20) return high * 2 ** 32 + view.getUint32(at + 4) + POSTGRES_EPOCH_MICROS; // < 2^53: exact
  return Number(view.getBigInt64(at) + BigInt(POSTGRES_EPOCH_MICROS));
}

/**
 * Float64Array columns that double their capacity as rows arrive. A large
 * column's pages take memory only once written (the allocator maps them
 * zeroed), so capacity beyond the rows costs address space, not memory: the
 * columns start a little larger than the planner's estimate, and are handed
 * out as views of their first rows rather than copied to size. They live in
 * SharedArrayBuffers, so the pipeline's worker threads read them in place.
 */
class GrowingColumns {
  columns: Float64Array[];
  length = 0;

  constructor(width: number, capacity: number) {
    this.columns = Array.from({ length: width }, () => sharedColumn(Math.max(1, capacity)));
  }

  /** Makes room for row index `row`. */
  reserve(row: number): void {
    const capacity = this.columns[0].length;
    if (row < capacity) return;
    const grown = Math.max(row + 1, capacity * 2);
    for (let c = 0; c < this.columns.length; c++) {
      const column = sharedColumn(grown);
      column.set(this.columns[c]);
      this.columns[c] = column;
    }
  }

  /** The columns' first `length` rows (views: see the class comment). */
  finish(): Float64Array[] {
    return this.columns.map((column) => column.subarray(0, this.length));
  }
}

/** A zeroed Float64Array of `length` values in a SharedArrayBuffer. */
function sharedColumn(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/**
 * Runs `COPY (select) TO STDOUT (FORMAT binary)` on one connection of `db`
 * (its transaction, if it is one) and feeds the bytes to `reader` as they
 * arrive. On PGlite the same COPY goes to `/dev/blob`, read back in chunks.
 */
async function copyOut(db: Kysely<any>, select: string, reader: BinaryCopyReader): Promise<void> {
  const stream = copyTo(`copy (${select}) to stdout (format binary)`);
  stream.on("error", () => undefined); // reported by the iteration below; never an unhandled 'error' event
  let blob: Blob | undefined;
  let embedded = false;
  const statement: PGliteStatement = {
    runOnPGlite: async (pglite: PGliteLike): Promise<PGliteResults> => {
      embedded = true;
      const result = await pglite.query(`copy (${select}) to '/dev/blob' (format binary)`);
      blob = result.blob;
      return { ...result, blob: undefined };
    },
  };
  // pg runs a query object with `submit` as is (pg-copy-streams); the PGlite adapter runs `runOnPGlite`.
  const query = Object.assign(stream, statement);
  const run = async (connection: Kysely<any>): Promise<void> => {
    await connection.executeQuery(CompiledQuery.raw(query as unknown as string));
    const chunks: AsyncIterable<Uint8Array> = embedded ? blobChunks(blob) : stream;
    let failure: { error: unknown } | undefined;
    for await (const chunk of chunks) {
      // After bad data (a duplicate) the rest is drained, not dropped: a pg connection left mid-COPY hangs its next query.
      if (failure !== undefined) continue;
      try {
        reader.push(chunk);
      } catch (error) {
        failure = { error };
      }
    }
    if (failure !== undefined) throw failure.error;
    reader.finish();
  };
  await (db.isTransaction ? run(db) : db.connection().execute(run));
}

async function* blobChunks(blob: Blob | undefined): AsyncIterable<Uint8Array> {
  if (blob === undefined) throw new Error("PGlite's COPY wrote no blob");
  const step = 1 << 20;
  for (let at = 0; at < blob.size; at += step) yield new Uint8Array(await blob.slice(at, at + step).arrayBuffer());
}

/** The planner's row estimate for `select` (no rows are read), or undefined. */
async function estimateRows(db: Kysely<any>, select: string): Promise<number | undefined> {
  try {
    const { rows } = await sql<{ "QUERY PLAN": unknown }>`${sql.raw(`explain (format json) ${select}`)}`.execute(db);
    const raw = rows[0]?.["QUERY PLAN"];
    const plan = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan?: { "Plan Rows"?: number } }[];
    const estimate = plan[0]?.Plan?.["Plan Rows"];
    return typeof estimate === "number" && Number.isFinite(estimate) ? estimate : undefined;
  } catch {
    return undefined;
  }
}

function formatTime(raw: number, timeType: TimeType): string {
  return timeType === "float" ? String(raw) : epochSecondsToIso(microsToSeconds(raw), timeType);
}

/**
 * Where decoded rows go: WIDE rows straight into columns; LONG rows (time,
 * id, value in time order) pivoted on the fly into one column per configured
 * id, a time missing an axis getting NaN. Times arrive raw (float seconds or
 * Unix microseconds) and are stored as seconds.
 */
function rowSink(request: Request, timeType: TimeType, out: GrowingColumns): { readonly push: (row: Float64Array) => void; readonly missingAxis: () => number } {
  const toSeconds = timeType === "float" ? (raw: number) => raw : microsToSeconds;
  if (request.layout === "wide") {
    const width = out.columns.length;
    const push = (row: Float64Array): void => {
      const at = out.length++;
      out.reserve(at);
      const columns = out.columns;
      columns[0][at] = toSeconds(row[0]);
      for (let c = 1; c < width; c++) columns[c][at] = row[c];
    };
    return { push, missingAxis: () => -1 };
  }
  const slot = new Map<number, number>(request.ids.map((axisId, k) => [axisId, k + 1]));
  const filledAt = new Float64Array(request.ids.length + 1).fill(-1);
  let lastTime = Number.NaN;
  const push = (row: Float64Array): void => {
    const time = row[0];
    if (out.length === 0 || time !== lastTime) {
      const at = out.length++;
      out.reserve(at);
      out.columns[0][at] = toSeconds(time);
      for (let c = 1; c < out.columns.length; c++) out.columns[c][at] = Number.NaN;
      lastTime = time;
    }
    const k = slot.get(row[1]);
    if (k === undefined) return; // not a configured axis (the query filters these out anyway)
    const at = out.length - 1;
    if (filledAt[k] === at) {
      throw new InputError(
        `duplicate (${request.timeCol}, ${request.idCol}) = (${formatTime(time, timeType)}, ${row[1]}) in table "${request.table}": each time may hold one value per axis id`,
      );
    }
    filledAt[k] = at;
    out.columns[k][at] = row[2];
  };
  // An id seen at least once has filledAt ≥ 0 (even when its values are NaN).
  return { push, missingAxis: () => request.ids.findIndex((_, k) => filledAt[k + 1] === -1) };
}

/**
 * Reads the training window `[data.train_start, data.train_end)` of
 * `data.table` as typed columns, ordered by time, in one streamed pass.
 *
 * Axes given as strings select WIDE columns; axes given as numbers select
 * LONG rows by `data.axis_id_col` (output columns `axis<id>` in config order).
 * For float seconds the bounds are numbers; for `timestamp`/`timestamptz`
 * ISO-8601 strings (zone-less = UTC; for a `timestamp` column the instant's
 * UTC wall time is compared). Rows with equal times keep the server's order.
 * @param db a Kysely over PostgreSQL or PGlite (see `connect`), or a transaction or connection of one
 * @param data the `data:` block of the config
 * @param options `onProgress` (default none), see {@link stderrProgress}
 * @returns time in epoch seconds (pandas-exact for timestamps) and one Float64Array per axis, NaN where missing
 * @throws InputError naming the key, table, column or value to fix: missing
 *   table/column, mixed or duplicate axes, LONG without `data.axis_id_col` /
 *   `data.value_col`, a time column that is not float/timestamp, bounds of the
 *   wrong type or out of order, an empty window, an axis id without rows,
 *   duplicate (time, axis id) rows
 *
 * @example
 * import { connect, extractColumns, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const db = await connect(config);
 * const window = await extractColumns(db, config.data).finally(() => db.destroy());
 * [window.time.length, window.axes, window.timeType];
 */
export async function extractColumns(db: Kysely<any>, data: DataConfig, options: ExtractOptions = {}): Promise<Extraction> {
  const request = parseRequest(data);
  const { table, timeCol, layout } = request;
  const info = await describeTable(db, table, data.schema);
  const timeDataType = columnType(info, table, timeCol, "data.time_col");
  const timeType = timeTypeOf(timeDataType, table, timeCol);
  const tableRef = `${escapeIdentifier(info.schema)}.${escapeIdentifier(table)}`;
  const timeRef = escapeIdentifier(timeCol);

  let fields: string[];
  let filter = "";
  if (layout === "wide") {
    const types = request.wideColumns.map((column, i) => requireNumeric(info, table, column, `data.axes[${i}]`));
    fields = request.wideColumns.map((column, i) => floatExpression(escapeIdentifier(column), types[i]));
  } else {
    const idType = requireNumeric(info, table, request.idCol, "data.axis_id_col");
    const valueType = requireNumeric(info, table, request.valueCol, "data.value_col");
    const idRef = escapeIdentifier(request.idCol);
    fields = [floatExpression(idRef, idType), floatExpression(escapeIdentifier(request.valueCol), valueType)];
    filter = ` and ${idRef} in (${request.ids.map((id) => escapeLiteral(String(id))).join(", ")})`;
  }

  const start = parseBound(data.train_start, "data.train_start", timeType, timeCol);
  const end = parseBound(data.train_end, "data.train_end", timeType, timeCol);
  if (!(start.seconds < end.seconds)) {
    throw new InputError(`data.train_start (${start.text}) must be before data.train_end (${end.text})`);
  }
  // Timestamps go out as they are stored (8-byte integer microseconds): exact, and no per-row conversion on the server.
  const timeField = timeType === "float" ? floatExpression(timeRef, timeDataType) : timeRef;
  const where = `${timeRef} >= ${start.literal} and ${timeRef} < ${end.literal}${filter}`;
  const select = `select ${[timeField, ...fields].join(", ")} from ${tableRef} where ${where} order by ${timeRef}`;

  const estimate = await estimateRows(db, select);
  const perRow = layout === "wide" ? 1 : request.ids.length;
  // 10 % above the estimate: a slightly low estimate would otherwise double every column (see GrowingColumns).
  const capacity = Math.min(2 ** 26, 1024 + Math.ceil((1.1 * (estimate ?? 0)) / perRow));
  const out = new GrowingColumns(1 + request.axes.length, capacity);
  const sink = rowSink(request, timeType, out);
  const { onProgress } = options;
  const started = performance.now();
  let nextReport = started + PROGRESS_EVERY_MS;
  const reader = new BinaryCopyReader(1 + fields.length, timeType !== "float", (row) => {
    sink.push(row);
    // Rows arrive in chunks of hundreds: checking the clock every 4096 rows costs nothing.
    if (onProgress !== undefined && (reader.rows & 4095) === 0 && performance.now() >= nextReport) {
      nextReport = performance.now() + PROGRESS_EVERY_MS;
      onProgress({ rows: reader.rows, seconds: (performance.now() - started) / 1000, estimatedRows: estimate, done: false });
    }
  });
  await copyOut(db, select, reader);
  onProgress?.({ rows: reader.rows, seconds: (performance.now() - started) / 1000, estimatedRows: estimate, done: true });
  if (out.length === 0) throw await emptyWindowError(db, request, tableRef, timeRef, timeDataType, timeType, start, end);
  const missing = sink.missingAxis();
  if (missing !== -1) {
    throw new InputError(
      `axis id ${request.ids[missing]} (data.axes[${missing}]) has no rows in table "${request.table}" in the training window: check data.axes`,
    );
  }
  const [time, ...values] = out.finish();
  return { timeCol, timeType, layout, axes: request.axes, time, values };
}

/** InputError for an empty window, with the table's actual time range as a hint. */
async function emptyWindowError(
  db: Kysely<any>,
  request: Request,
  tableRef: string,
  timeRef: string,
  timeDataType: string,
  timeType: TimeType,
  start: Bound,
  end: Bound,
): Promise<InputError> {
  // Timestamps as exact epoch microseconds (numeric epoch × 1e6 is an integer), floats as float8.
  const expression = timeType === "float" ? floatExpression(timeRef, timeDataType) : `(extract(epoch from ${timeRef}) * 1000000)::int8::float8`;
  // NaN sorts above +Infinity in PostgreSQL, so this keeps finite values only.
  const finite = timeType === "float" ? `${timeRef}::float8 > '-Infinity'::float8 and ${timeRef}::float8 < 'Infinity'::float8` : `isfinite(${timeRef})`;
  const { rows } = await sql<{ lo: number | null; hi: number | null }>`${sql.raw(
    `select min(${expression}) as lo, max(${expression}) as hi from ${tableRef} where ${finite}`,
  )}`.execute(db);
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

/** Options of {@link stderrProgress}. */
export interface StderrProgressOptions {
  /** Print nothing; default false. */
  readonly quiet?: boolean;
  /** Print even when stderr is not a terminal (one line per report then); default false. */
  readonly force?: boolean;
  /** Where to write; default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/**
 * A progress reporter for {@link extractColumns} that writes
 * `extract  1,234,567 rows  812,345 rows/s  ~45%` to stderr (the percentage
 * from the planner's estimate, when it has one), redrawn in place on a
 * terminal. Reads that finish within a second print nothing.
 * @param options `quiet` (default false), `force` (default false: only when stderr is a TTY), `stream` (default stderr)
 * @returns the `onProgress` callback, or undefined when nothing should be printed
 */
export function stderrProgress(options: StderrProgressOptions = {}): ((progress: ExtractProgress) => void) | undefined {
  const { quiet = false, force = false, stream = process.stderr } = options;
  const tty = stream.isTTY === true;
  if (quiet || !(tty || force)) return undefined;
  let printed = false;
  return ({ rows, seconds, estimatedRows, done }) => {
    if (!printed && done) return; // short read: stay silent
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const share = estimatedRows !== undefined && estimatedRows > 0 ? `  ~${Math.min(done ? 100 : 99, Math.floor((100 * rows) / estimatedRows))}%` : "";
    const line = `extract  ${rows.toLocaleString("en-US")} rows  ${rate.toLocaleString("en-US")} rows/s${done ? "" : share}${done ? "  done" : ""}`;
    stream.write(tty ? `\r${line}\x1b[K${done ? "\n" : ""}` : `${line}\n`);
    printed = true;
  };
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
 *
 * @example
 * import { connect, extract, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const db = await connect(config);
 * const raw = await extract(db, config.data).finally(() => db.destroy());
 * raw.shape; // [rows, 1 + axes]: the time column, then one column per axis
 */
export async function extract(db: Kysely<any>, data: DataConfig): Promise<dfd.DataFrame> {
  const extraction = await extractColumns(db, data);
  const { timeCol, timeType, axes, time, values } = extraction;
  const timeColumn = timeType === "float" ? time : Array.from(time, (seconds) => epochSecondsToIso(seconds, timeType));
  return toDataFrame([[timeCol, timeColumn], ...axes.map((axis, k) => [axis, values[k]] as const)]);
}
