/**
 * `score --follow`: keeps scoring rows of the configured table as they
 * arrive. Each poll reads in one snapshot (REPEATABLE READ on PostgreSQL)
 * the rows after the checkpointed position up to the safe horizon (see
 * followHorizon.ts: never past what an open writer could still commit
 * behind it), scores them, and writes the events, the caller's copy of them
 * (`beforeCommit`, e.g. the events file) and the new checkpoint before one
 * commit: a crash or a lost connection neither loses nor duplicates an event
 * in the table. Rows that arrive behind the position anyway are counted and
 * reported (`late`), never scored out of order; rows that cannot be scored in
 * order are refused or, with `scoring.on_bad_row: skip`, left unscored and
 * reported once each.
 *
 * The embedded database (PGlite) admits one process at a time, so the
 * follower opens the database for each poll and closes it right after.
 */
import { sql, type Kysely } from "kysely";
import { connect } from "../db/connect";
import { EmbeddedBusyError } from "../db/embeddedLock";
import { isInputError } from "../core/errors";
import { dropBadRows, type SkippedRow } from "./badRows";
import { ensureScoreTables, loadCheckpoint, saveCheckpoint } from "./eventStore";
import { ensureIncidentTables, scoredTables, writeScored } from "./incidentStore";
import { checkFollowTables } from "./followTables";
import { countThrough, FollowHorizon, openWriters } from "./followHorizon";
import { parseScoreBound, readScoreRows, scoringSetup, visibleScoreEnd } from "./replay";
import { formatScoreTime, initialScoreState, scoreBatch, type ScoreEvent, type ScoreResult, type ScoreState } from "./score";
import type { Config } from "../shapes/types";

/** Longest wait between reconnection attempts of the follower, in seconds. */
const MAX_BACKOFF_SECONDS = 30;

/** Counters of a follower since it started. */
export interface FollowStats {
  /** Rows that arrived at or before the position after it had been scored past (left unscored). */
  readonly late: number;
  /** Rows left unscored by `scoring.on_bad_row: skip`. */
  readonly skipped: number;
  /** Open transactions writing the table that held the last poll back (0: none). */
  readonly waitingFor: number;
}

/** Options of {@link followScore}. */
export interface FollowOptions {
  /** Registry tag or `latest` (default), resolved once at start. */
  readonly version?: string;
  /** Where to start without a checkpoint (inclusive); default: the version's `train_end`. */
  readonly from?: string | number;
  /** Stops the follower after the current poll. */
  readonly signal?: AbortSignal;
  /** Status lines (start, resume, retries, reconnects, late and skipped rows). */
  readonly log?: (line: string) => void;
  /** Every event report, after it is committed. */
  readonly onEvent?: (event: ScoreEvent) => void;
  /**
   * A poll's events, after they are written to the table and before the
   * checkpoint commits. If it throws, nothing of the poll commits and the
   * follower stops with that error (e.g. the events file could not be written).
   */
  readonly beforeCommit?: (events: readonly ScoreEvent[]) => void | Promise<void>;
  /** After each successful poll: rows scored, the state and the counters. */
  readonly onPoll?: (rows: number, state: ScoreState, stats: FollowStats) => void;
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

/** An error retrying cannot help (out-of-order data, a lost table, a failed events file). */
class FatalScoreError extends Error {
  constructor(readonly inner: unknown) {
    super((inner as Error).message);
  }
}

/** `"name"` as `to_regclass` reads a quoted identifier. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** What one poll read and scored, in its snapshot. */
interface PollRead {
  readonly result: ScoreResult | null;
  readonly rowsRead: number;
  readonly skipped: readonly SkippedRow[];
  /** Rows from the start through the new position, counted in the snapshot; null before any position. */
  readonly through: number | null;
  readonly waitingFor: number;
}

/**
 * Keeps scoring rows of the configured table as they arrive, every
 * `scoring.poll_seconds`, until `signal` aborts (see the file header for the
 * guarantees). A failing poll (server restart, embedded database busy) is
 * retried with exponential backoff (1 s, 2 s, … up to 30 s), reported through `log`.
 * @throws InputError when the first poll fails (bad config, unreachable database), the data is out of
 *   order (`scoring.on_bad_row: stop`), a table of a stream already followed is missing, or `beforeCommit` fails.
 * @example
 * import { ensureRegistered, followScore, loadConfig, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const stop = new AbortController();
 * // Score what is there, then stop (without `signal` it follows new rows until the process ends).
 * await followScore(config, { signal: stop.signal, onEvent: (e) => console.log(e.axis, e.level, e.started_at), onPoll: () => stop.abort() });
 */
export async function followScore(config: Config, options: FollowOptions = {}): Promise<void> {
  const { signal, log = () => {}, onEvent = () => {}, onPoll = () => {}, beforeCommit } = options;
  const { model, data, stream, trainEnd } = await scoringSetup(config, options.version ?? "latest");
  const from = options.from !== undefined ? parseScoreBound(options.from, model.timeType, "--from", data.time_col) : trainEnd;
  const table = config.scoring.events_table;
  const tables = scoredTables(config);
  const skipBadRows = config.scoring.on_bad_row === "skip";
  const singleWriter = (process.env[config.database.url_env] ?? "").trim() === "";
  const relation = data.schema ? sql.id(data.schema, data.table) : sql.id(data.table);
  const relationText = data.schema ? `${quoted(data.schema)}.${quoted(data.table)}` : quoted(data.table);
  const time = sql.id(data.time_col);
  const castType = model.timeType === "float" ? "float8" : model.timeType;
  const show = (seconds: number): string => String(formatScoreTime(seconds, model.timeType));
  const horizon = new FollowHorizon();
  let late = 0;
  let skippedTotal = 0;
  let waiting = 0;
  let state: ScoreState | null = null;
  /** Rows from `from` through the position accounted for (scored, skipped or reported late). */
  let seen = 0;
  let succeeded = false;
  let failures = 0;

  const read = async (db: Kysely<any>, current: ScoreState): Promise<PollRead> => {
    let to: number | undefined;
    let waitingFor = 0;
    if (!singleWriter) {
      const writers = await openWriters(db, relationText);
      const end = horizon.next(writers, await visibleScoreEnd(db, data, model.timeType));
      waitingFor = writers.writers.length;
      if (end === null) to = -Infinity;
      else to = end;
    }
    const window = current.lastTime === null ? { from, to } : { after: current.lastTime, to };
    const rows = to === -Infinity ? null : await readScoreRows(db, data, model.timeType, window);
    let result: ScoreResult | null = null;
    let skipped: readonly SkippedRow[] = [];
    if (rows !== null) {
      let batch = { time: rows.time, values: rows.values };
      if (skipBadRows) ({ batch, skipped } = dropBadRows(batch, current.lastTime));
      try {
        result = scoreBatch(model, current, batch);
      } catch (error) {
        throw new FatalScoreError(error);
      }
    }
    const position = result?.state.lastTime ?? current.lastTime;
    const through = position === null ? null : await countThrough(db, relation, time, castType, from, formatScoreTime(position, model.timeType));
    return { result, rowsRead: rows?.time.length ?? 0, skipped, through, waitingFor };
  };

  while (!signal?.aborted) {
    try {
      const db = await connect(config.database, { brief: true });
      try {
        if (state === null) {
          try {
            await checkFollowTables(db, table, model.version, stream);
          } catch (error) {
            throw isInputError(error) ? new FatalScoreError(error) : error;
          }
          await ensureScoreTables(db, table, model.timeType);
          await ensureIncidentTables(db, config.scoring.incidents_table, model.timeType);
          const saved = await loadCheckpoint(db, table, model, stream);
          state = saved ?? initialScoreState(model, stream);
          const savedSeen = (saved as { seen_rows?: number } | null)?.seen_rows;
          seen = savedSeen ?? (state.lastTime === null ? 0 : await countThrough(db, relation, time, castType, from, formatScoreTime(state.lastTime, model.timeType)));
          if (!succeeded) {
            const where = saved?.lastTime != null ? `resuming after ${show(saved.lastTime)}` : `from ${from}`;
            log(`following ${stream} with model ${model.version}, ${where}, every ${config.scoring.poll_seconds} s`);
          }
        }
        succeeded = true; // the setup works: from now on a failure is the database's, and is retried
        const current: ScoreState = state;
        const polled = singleWriter ? await read(db, current) : await db.transaction().setIsolationLevel("repeatable read").execute((trx) => read(trx, current));
        const next = polled.result?.state ?? current;
        for (const row of polled.skipped) {
          log(`skipped row of ${stream} at ${Number.isFinite(row.time) ? show(row.time) : String(row.time)}: it ${row.why}${row.previous === null ? "" : ` the previous sample at ${show(row.previous)}`} (scoring.on_bad_row: skip; left unscored)`);
        }
        skippedTotal += polled.skipped.length;
        const arrivedLate = polled.through === null ? 0 : Math.max(0, polled.through - (seen + polled.rowsRead));
        if (arrivedLate > 0) {
          late += arrivedLate;
          log(`late rows: ${arrivedLate} row${arrivedLate === 1 ? "" : "s"} of ${stream} committed at or before the position ${show(next.lastTime as number)} after it was scored; left unscored (${late} since start)`);
        }
        if (polled.waitingFor > 0 && waiting === 0) log(`waiting for ${polled.waitingFor} open transaction${polled.waitingFor === 1 ? "" : "s"} writing ${stream} before scoring past what they could still commit`);
        waiting = polled.waitingFor;
        const events = polled.result?.events ?? [];
        if (polled.result !== null || arrivedLate > 0) {
          const through = polled.through ?? seen + polled.rowsRead;
          const saved = { ...next, seen_rows: through } as ScoreState;
          await db.transaction().execute(async (trx) => {
            // The events and the incidents they form (lib/scoring/incidentStore.ts), in the checkpoint's transaction.
            await writeScored(trx, tables, stream, events, next.lastTime);
            if (beforeCommit !== undefined && events.length > 0) {
              try {
                await beforeCommit(events);
              } catch (error) {
                throw new FatalScoreError(error);
              }
            }
            await saveCheckpoint(trx, table, model, saved, next.lastTime === null ? null : formatScoreTime(next.lastTime, model.timeType));
          });
          seen = through;
          state = next;
          events.forEach(onEvent);
        }
        onPoll(polled.rowsRead, state, { late, skipped: skippedTotal, waitingFor: waiting });
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
