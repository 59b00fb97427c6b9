/**
 * Scoring the configured table with a registered model: a replay of a time
 * window (`score`); the follower that keeps scoring new rows (`score --follow`)
 * is lib/scoring/follow.ts and reads through the functions here.
 *
 * The whole table is one stream, named after `data.table` (`schema.table`
 * when `data.schema` is set). Events go to `scoring.events_table`, written
 * idempotently (see lib/scoring/eventStore.ts) with the incidents they form (lib/scoring/incidentStore.ts); the follower checkpoints its position
 * and open runs in the same transaction as the events, so a crash or a lost
 * database connection between polls neither loses nor duplicates an event.
 *
 * The embedded database (PGlite) admits one process at a time, so the
 * follower opens the database for each poll and closes it right after: in
 * between, `npm start` and the notebooks can use it.
 */
import { sql, type Kysely } from "kysely";
import { connect } from "../db/connect";
import { missingTableHint } from "../db/demoNotices";
import { InputError } from "../core/errors";
import { cutText } from "../core/boundedText";
import { dropBadRows, type SkippedRow } from "./badRows";
import { extractColumns } from "../db/extract";
import { loadVersion, type LoadedVersion } from "../registry";
import { formatScoreTime, initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoringModel } from "./score";
import { ensureScoreTables } from "./eventStore";
import { ensureIncidentTables, writeScored, type IncidentChange } from "./incidentStore";
import { ensureAlertingTables, notifyingTables } from "./alerting/alertingSetup";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds, secondsToMicros } from "../core/time";
import { parseTimeBound } from "../shapes/timeBound";
import type { Config, DataConfig, Extraction, TimeType } from "../shapes/types";

/** The rows to read: `from` (inclusive) or `after` (exclusive, seconds), up to `to` (exclusive) or the last row. */
export interface ScoreWindow {
  /** Inclusive start, as in `data.train_start`: seconds, or ISO-8601 text for timestamps. */
  readonly from?: number | string;
  /** Exclusive start in seconds (epoch seconds for timestamps); wins over `from`. */
  readonly after?: number | null;
  /** Exclusive end, as `data.train_end`; default: through the last row. */
  readonly to?: number | string;
}

/** The stream name of the configured table: `data.table`, or `schema.table`. */
export function scoreStreamName(data: DataConfig): string {
  return data.schema ? `${data.schema}.${data.table}` : data.table;
}

/** The smallest double above `x`. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const buffer = new Float64Array([x]);
  const bits = new BigInt64Array(buffer.buffer);
  bits[0] += x > 0 ? 1n : -1n;
  return buffer[0];
}

/**
 * A window bound given on the command line, for a time column of `timeType`:
 * a number of seconds, or ISO-8601 text (normalised to UTC with microseconds,
 * see {@link parseTimeBound}).
 * @throws InputError naming `key` when it does not fit the time column.
 * @example
 * parseScoreBound("120.5", "float", "--from", "t"); // 120.5
 * parseScoreBound("2025-09-01T00:00:00Z", "timestamptz", "--to", "ts"); // "2025-09-01T00:00:00.000000Z"
 */
export function parseScoreBound(value: string | number, timeType: TimeType, key: string, timeCol: string): number | string {
  if (timeType === "float") {
    // Command-line text is read as a number here; the bound itself is checked as the config's are.
    const seconds = typeof value === "number" ? value : Number(value.trim());
    if (typeof value === "string" && value.trim() === "") throw new InputError(`${key} must be a number of seconds, got ""`);
    if (!Number.isFinite(seconds)) throw new InputError(`${key} must be a number of seconds (the time column holds seconds), got ${JSON.stringify(value)}`);
    return parseTimeBound(seconds, key, timeType, timeCol).seconds;
  }
  return parseTimeBound(value, key, timeType, timeCol).text;
}

/** Seconds of a bound (number, or ISO text). */
function boundSeconds(bound: number | string): number {
  return typeof bound === "number" ? bound : isoToEpochSeconds(bound);
}

/** A bound in seconds as `extractColumns` takes it: a number, or exact ISO text for timestamps. */
function boundParam(seconds: number, timeType: TimeType): number | string {
  return timeType === "float" ? seconds : epochSecondsToIso(seconds, timeType);
}

/**
 * The exclusive end of the rows of `data.table` now visible (just after the
 * last finite time), in seconds, or null when there are none.
 * @throws InputError for a missing table or time column.
 * @example
 * const end = await visibleScoreEnd(db, config.data, "float"); // e.g. 1000.0000000000001
 */
export async function visibleScoreEnd(db: Kysely<any>, data: DataConfig, timeType: TimeType): Promise<number | null> {
  const table = data.schema ? sql.id(data.schema, data.table) : sql.id(data.table);
  const time = sql.id(data.time_col);
  // Latest time: exact integer microseconds for timestamps; finite seconds for floats.
  const latest =
    timeType === "float"
      ? sql<{ hi: number | string | null }>`select max(${time}::float8) as hi from ${table} where ${time}::float8 < 'Infinity'::float8`
      : sql<{ hi: number | string | null }>`select (extract(epoch from max(${time})) * 1000000)::int8::float8 as hi from ${table} where isfinite(${time})`;
  let hiRaw: number | string | null;
  try {
    hiRaw = (await latest.execute(db)).rows[0]?.hi ?? null;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "42P01") throw new InputError(`table "${cutText(scoreStreamName(data))}" not found: check data.table${missingTableHint(db)}`);
    if (code === "42703") throw new InputError(`column "${cutText(data.time_col)}" not found in table "${cutText(scoreStreamName(data))}": check data.time_col`);
    throw error;
  }
  if (hiRaw === null) return null;
  const hi = Number(hiRaw);
  return timeType === "float" ? nextUp(hi) : microsToSeconds(hi + 1);
}

/**
 * Reads the rows of `data.table` in `window` (time order) as typed columns, or
 * null when there are none. The end defaults to just after the last row at
 * the time of reading, so rows written meanwhile are left for the next read.
 * @throws InputError for a missing table or time column, or bad bounds.
 */
export async function readScoreRows(db: Kysely<any>, data: DataConfig, timeType: TimeType, window: ScoreWindow): Promise<Extraction | null> {
  const table = data.schema ? sql.id(data.schema, data.table) : sql.id(data.table);
  const time = sql.id(data.time_col);
  const visible = await visibleScoreEnd(db, data, timeType);
  if (visible === null) return null;
  let endSeconds = visible;
  if (window.to !== undefined) endSeconds = Math.min(endSeconds, boundSeconds(window.to));
  let startSeconds: number;
  if (window.after !== undefined && window.after !== null) {
    startSeconds = timeType === "float" ? nextUp(window.after) : microsToSeconds(secondsToMicros(window.after) + 1);
  } else if (window.from !== undefined) {
    startSeconds = boundSeconds(window.from);
  } else {
    startSeconds = -Infinity;
  }
  if (!(startSeconds < endSeconds)) return null;
  const train_start = Number.isFinite(startSeconds) ? boundParam(startSeconds, timeType) : timeType === "float" ? -Number.MAX_VALUE : "0001-01-01T00:00:00Z";
  const train_end = boundParam(endSeconds, timeType);
  const castType = sql.raw(timeType === "float" ? "float8" : timeType);
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${table}
    where ${time} >= cast(${train_start} as ${castType}) and ${time} < cast(${train_end} as ${castType})`.execute(db);
  if (Number(rows[0]?.n ?? 0) === 0) return null;
  return extractColumns(db, { ...data, train_start, train_end });
}

/** The model, the data block (with the model's axes) and the stream a scoring run uses. */
export interface ScoringSetup {
  readonly model: ScoringModel;
  readonly data: DataConfig;
  readonly stream: string;
  /** Default start of the scoring window: the version's `train_end`. */
  readonly trainEnd: number | string;
}

/**
 * The configured data block with the axes of `version` in config form: the WIDE column names, or for a
 * LONG table the axis ids behind the model's `axis<id>` columns.
 */
export function versionDataConfig(config: Config, version: LoadedVersion): DataConfig {
  const { layout, axes } = version.meta.data;
  if (layout !== "long") return { ...config.data, axes };
  const ids = axes.map((axis) => {
    const id = /^axis(-?\d+)$/.exec(String(axis));
    if (id === null) throw new InputError(`model version ${version.version} was trained on a LONG table but its axis "${axis}" is not axis<id>`);
    return Number(id[1]);
  });
  return { ...config.data, axes: ids };
}

/** The model, data block and stream of a scoring run with `version` of the registry. */
export async function scoringSetup(config: Config, version: string): Promise<ScoringSetup> {
  const loaded = await loadVersion(config.registry.root_dir, version);
  const model = scoringModel(loaded, { maxGapSeconds: config.scoring.max_gap_seconds });
  // The model's own axes, read from the configured table.
  return { model, data: versionDataConfig(config, loaded), stream: scoreStreamName(config.data), trainEnd: loaded.meta.data.train_end };
}

/** Options of {@link replayScore}. */
export interface ReplayOptions {
  /** Registry tag, `latest` or an alias; default: the alias `serving.alias` (`production`) names. */
  readonly version?: string;
  /** Inclusive start (seconds or ISO-8601); default: the version's `train_end`. */
  readonly from?: string | number;
  /** Exclusive end; default: through the last row. */
  readonly to?: string | number;
}

/** What a replay scored and found. */
export interface ReplayResult {
  readonly model: ScoringModel;
  readonly stream: string;
  /** Rows scored. */
  readonly rows: number;
  /** First and last time scored, as the time column holds them. */
  readonly firstTime: number | string;
  readonly lastTime: number | string;
  /** Every event, once: closed ones, then those still open at the last row (`ended_at` null). */
  readonly events: readonly ScoreEvent[];
  /** Time (seconds) and per-axis residuals of every row scored. */
  readonly time: Float64Array;
  readonly residuals: readonly Float64Array[];
  /** Where the events were written. */
  readonly eventsTable: string;
  /** Incidents this replay opened, changed or closed in `scoring.incidents_table` (none when re-run). */
  readonly incidents: readonly IncidentChange[];
  /** Rows left unscored by `scoring.on_bad_row: skip` (empty with `stop`). */
  readonly skipped: readonly SkippedRow[];
}

/**
 * Scores a window of the configured table with a registered version in one
 * pass and writes the events to `scoring.events_table` (created when
 * missing) idempotently: replaying the same window again adds nothing.
 * @throws InputError for bad bounds, an unknown version, a window without rows, or out-of-order/duplicated times.
 *
 * @example
 * import { ensureRegistered, loadConfig, replayScore, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const replay = await replayScore(config); // the rows after the production version's training window, events written to scoring.events_table
 * [replay.rows, replay.events.length];
 */
export async function replayScore(config: Config, options: ReplayOptions = {}): Promise<ReplayResult> {
  const { model, data, stream, trainEnd } = await scoringSetup(config, options.version ?? config.serving.alias);
  const from = options.from !== undefined ? parseScoreBound(options.from, model.timeType, "--from", data.time_col) : trainEnd;
  const to = options.to !== undefined ? parseScoreBound(options.to, model.timeType, "--to", data.time_col) : undefined;
  if (to !== undefined && !(boundSeconds(from) < boundSeconds(to))) {
    throw new InputError(`--from (${from}) must be before --to (${to})`);
  }
  const db = await connect(config.database);
  try {
    const rows = await readScoreRows(db, data, model.timeType, { from, to });
    if (rows === null) {
      const why = options.from === undefined ? ` (the default start is model ${model.version}'s train_end)` : "";
      throw new InputError(`no rows to score in table "${stream}" with ${data.time_col} in [${from}, ${to ?? "last row"}]${why}: pass --from/--to`);
    }
    const read = { time: rows.time, values: rows.values };
    const { batch, skipped } = config.scoring.on_bad_row === "skip" ? dropBadRows(read, null) : { batch: read, skipped: [] };
    const result = scoreBatch(model, initialScoreState(model, stream), batch);
    await ensureScoreTables(db, config.scoring.events_table, model.timeType);
    await ensureIncidentTables(db, config.scoring.incidents_table, model.timeType);
    await ensureAlertingTables(db, config);
    // Events, the incidents they form and the notifications those owe (queued only: `notify` sends them), in one transaction.
    const position = batch.time[batch.time.length - 1];
    const incidents = await db.transaction().execute((trx) => writeScored(trx, notifyingTables(config), stream, result.events, position));
    return {
      model,
      stream,
      rows: batch.time.length,
      firstTime: formatScoreTime(batch.time[0], model.timeType),
      lastTime: formatScoreTime(batch.time[batch.time.length - 1], model.timeType),
      events: result.events,
      time: batch.time,
      residuals: result.residuals,
      eventsTable: config.scoring.events_table,
      incidents,
      skipped,
    };
  } finally {
    await db.destroy();
  }
}
