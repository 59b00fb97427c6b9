/**
 * Scoring the configured table with a registered model: a replay of a time
 * window (`score`) and a follower that keeps scoring new rows (`score --follow`).
 *
 * The whole table is one stream, named after `data.table` (`schema.table`
 * when `data.schema` is set). Events go to `scoring.events_table`, written
 * idempotently (see lib/scoreStore.ts); the follower checkpoints its position
 * and open runs in the same transaction as the events, so a crash or a lost
 * database connection between polls neither loses nor duplicates an event.
 *
 * The embedded database (PGlite) admits one process at a time, so the
 * follower opens the database for each poll and closes it right after: in
 * between, `npm start` and the notebooks can use it.
 */
import { sql, type Kysely } from "kysely";
import { connect } from "../db/connect";
import { EmbeddedBusyError } from "../db/embeddedLock";
import { missingTableHint } from "../db/demoNotices";
import { InputError } from "../core/errors";
import { extractColumns } from "../db/extract";
import { loadVersion, type LoadedVersion } from "../registry";
import { formatScoreTime, initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreResult, type ScoreState, type ScoringModel } from "./score";
import { ensureScoreTables, loadCheckpoint, saveCheckpoint, writeEvents } from "./eventStore";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds, secondsToMicros } from "../core/time";
import { parseTimeBound } from "../shapes/timeBound";
import type { Config, DataConfig, Extraction, TimeType } from "../shapes/types";

/** Longest wait between reconnection attempts of the follower, in seconds. */
const MAX_BACKOFF_SECONDS = 30;

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
 * Reads the rows of `data.table` in `window` (time order) as typed columns, or
 * null when there are none. The end defaults to just after the last row at
 * the time of reading, so rows written meanwhile are left for the next read.
 * @throws InputError for a missing table or time column, or bad bounds.
 */
export async function readScoreRows(db: Kysely<any>, data: DataConfig, timeType: TimeType, window: ScoreWindow): Promise<Extraction | null> {
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
    if (code === "42P01") throw new InputError(`table "${scoreStreamName(data)}" not found: check data.table${missingTableHint(db)}`);
    if (code === "42703") throw new InputError(`column "${data.time_col}" not found in table "${scoreStreamName(data)}": check data.time_col`);
    throw error;
  }
  if (hiRaw === null) return null;
  const hi = Number(hiRaw);
  let endSeconds = timeType === "float" ? nextUp(hi) : microsToSeconds(hi + 1);
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
interface ScoringSetup {
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

async function setup(config: Config, version: string): Promise<ScoringSetup> {
  const loaded = await loadVersion(config.registry.root_dir, version);
  const model = scoringModel(loaded, { maxGapSeconds: config.scoring.max_gap_seconds });
  // The model's own axes, read from the configured table.
  return { model, data: versionDataConfig(config, loaded), stream: scoreStreamName(config.data), trainEnd: loaded.meta.data.train_end };
}

/** Options of {@link replayScore}. */
export interface ReplayOptions {
  /** Registry tag or `latest` (default). */
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
 * const replay = await replayScore(config); // the rows after the latest version's training window, events written to scoring.events_table
 * [replay.rows, replay.events.length];
 */
export async function replayScore(config: Config, options: ReplayOptions = {}): Promise<ReplayResult> {
  const { model, data, stream, trainEnd } = await setup(config, options.version ?? "latest");
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
    const result = scoreBatch(model, initialScoreState(model, stream), { time: rows.time, values: rows.values });
    await ensureScoreTables(db, config.scoring.events_table, model.timeType);
    await db.transaction().execute((trx) => writeEvents(trx, config.scoring.events_table, result.events));
    return {
      model,
      stream,
      rows: rows.time.length,
      firstTime: formatScoreTime(rows.time[0], model.timeType),
      lastTime: formatScoreTime(rows.time[rows.time.length - 1], model.timeType),
      events: result.events,
      time: rows.time,
      residuals: result.residuals,
      eventsTable: config.scoring.events_table,
    };
  } finally {
    await db.destroy();
  }
}

/** Options of {@link followScore}. */
export interface FollowOptions {
  /** Registry tag or `latest` (default), resolved once at start. */
  readonly version?: string;
  /** Where to start without a checkpoint (inclusive); default: the version's `train_end`. */
  readonly from?: string | number;
  /** Stops the follower after the current poll. */
  readonly signal?: AbortSignal;
  /** Status lines (start, resume, retries, reconnects). */
  readonly log?: (line: string) => void;
  /** Every event report, after it is committed. */
  readonly onEvent?: (event: ScoreEvent) => void;
  /** After each successful poll: rows scored and the state. */
  readonly onPoll?: (rows: number, state: ScoreState) => void;
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** An error of the data itself (out-of-order times, …): retrying cannot help. */
class FatalScoreError extends Error {
  constructor(readonly inner: unknown) {
    super((inner as Error).message);
  }
}

/**
 * Keeps scoring rows of the configured table as they arrive, every
 * `scoring.poll_seconds`, until `signal` aborts. Each poll opens the database,
 * reads the rows after the checkpointed position, scores them and writes the
 * events together with the new checkpoint in one transaction, then closes the
 * database. A failing poll (server restart, embedded database busy) is retried
 * with exponential backoff (1 s, 2 s, … up to 30 s), reported through `log`.
 * @throws InputError when the first poll fails (bad config, unreachable database) or the data is out of order.
 *
 * @example
 * import { ensureRegistered, followScore, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const stop = new AbortController();
 * // Score what is there, then stop (without `signal` it follows new rows until the process ends).
 * await followScore(config, { signal: stop.signal, onEvent: (e) => console.log(e.axis, e.level, e.started_at), onPoll: () => stop.abort() });
 */
export async function followScore(config: Config, options: FollowOptions = {}): Promise<void> {
  const { signal, log = () => {}, onEvent = () => {}, onPoll = () => {} } = options;
  const { model, data, stream, trainEnd } = await setup(config, options.version ?? "latest");
  const from = options.from !== undefined ? parseScoreBound(options.from, model.timeType, "--from", data.time_col) : trainEnd;
  const table = config.scoring.events_table;
  let state: ScoreState | null = null;
  let succeeded = false;
  let failures = 0;
  while (!signal?.aborted) {
    try {
      const db = await connect(config.database, { brief: true });
      try {
        if (state === null) {
          await ensureScoreTables(db, table, model.timeType);
          const saved = await loadCheckpoint(db, table, model, stream);
          state = saved ?? initialScoreState(model, stream);
          if (!succeeded) {
            const where = saved?.lastTime != null ? `resuming after ${formatScoreTime(saved.lastTime, model.timeType)}` : `from ${from}`;
            log(`following ${stream} with model ${model.version}, ${where}, every ${config.scoring.poll_seconds} s`);
          }
        }
        succeeded = true; // the setup works: from now on a failure is the database's, and is retried
        const rows = await readScoreRows(db, data, model.timeType, state.lastTime === null ? { from } : { after: state.lastTime });
        if (rows !== null) {
          let result: ScoreResult;
          try {
            result = scoreBatch(model, state, { time: rows.time, values: rows.values });
          } catch (error) {
            throw new FatalScoreError(error);
          }
          const next = result.state;
          await db.transaction().execute(async (trx) => {
            await writeEvents(trx, table, result.events);
            await saveCheckpoint(trx, table, model, next, formatScoreTime(next.lastTime as number, model.timeType));
          });
          state = next;
          result.events.forEach(onEvent);
        }
        onPoll(rows === null ? 0 : rows.time.length, state);
      } finally {
        await db.destroy();
      }
      if (failures > 0) log(`reconnected after ${failures} failed attempt${failures === 1 ? "" : "s"}`);
      failures = 0;
    } catch (error) {
      if (error instanceof FatalScoreError) throw error.inner;
      // Before a first poll succeeded an error means a bad setup, except an embedded database busy for a while.
      if (!succeeded && !(error instanceof EmbeddedBusyError)) throw error;
      state = null; // reload the checkpoint: the failed transaction may or may not have committed
      failures++;
      const wait = Math.min(MAX_BACKOFF_SECONDS, 2 ** (failures - 1));
      log(`poll failed (${String((error as Error).message).split("\n")[0]}); reconnecting in ${wait} s`);
      await sleep(wait * 1000, signal);
      continue;
    }
    await sleep(config.scoring.poll_seconds * 1000, signal);
  }
}
