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
 *
 * The parts live beside this file: the request and its bounds
 * (extractRequest.ts), the table's description (describeTable.ts), the COPY
 * stream (copyOut.ts) and its decoder (copyDecoder.ts), the growing columns
 * (growingColumns.ts). The CLI's progress line is cli/progress.ts.
 */
import type * as dfd from "danfojs-node";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { escapeIdentifier, escapeLiteral } from "pg";
import { BinaryCopyReader } from "./copyDecoder";
import { copyOut } from "./copyOut";
import { columnType, describeTable, floatExpression, requireNumeric, timeTypeOf } from "./describeTable";
import { parseRequest, windowBounds, type Bound, type Request } from "./extractRequest";
import { GrowingColumns } from "./growingColumns";
import { InputError } from "../core/errors";
import { toDataFrame } from "../shapes/frame";
import { epochSecondsToIso, microsToSeconds } from "../core/time";
import type { DataConfig, Extraction, TimeType } from "../shapes/types";

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

/** Milliseconds between progress reports. */
const PROGRESS_EVERY_MS = 1000;

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
 * @param options `onProgress` (default none; the CLI prints it with `stderrProgress`, cli/progress.ts)
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
 * const db = await connect(config.database);
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

  const { start, end } = windowBounds(data, timeType, timeCol);
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
 * const db = await connect(config.database);
 * const raw = await extract(db, config.data).finally(() => db.destroy());
 * raw.shape; // [rows, 1 + axes]: the time column, then one column per axis
 */
export async function extract(db: Kysely<any>, data: DataConfig): Promise<dfd.DataFrame> {
  const extraction = await extractColumns(db, data);
  const { timeCol, timeType, axes, time, values } = extraction;
  const timeColumn = timeType === "float" ? time : Array.from(time, (seconds) => epochSecondsToIso(seconds, timeType));
  return toDataFrame([[timeCol, timeColumn], ...axes.map((axis, k) => [axis, values[k]] as const)]);
}
