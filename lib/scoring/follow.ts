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
 * Without a fixed `version` it scores with the version `serving.alias`
 * (default `production`) names, and re-reads the alias between polls: after
 * a `registry promote` it switches at the next poll that finds no run in
 * progress (so no event is cut in two), writes a checkpoint of the new
 * version at the position reached, and logs the switch. Restarted after a
 * promotion, it resumes on the version of the stream's newest checkpoint
 * and switches the same way, instead of scoring the history again.
 *
 * The embedded database (PGlite) admits one process at a time, so the
 * follower opens the database for each poll and closes it right after.
 */
import { sql, type Kysely } from "kysely";
import { connect } from "../db/connect";
import { EmbeddedBusyError } from "../db/embeddedLock";
import { isInputError } from "../core/errors";
import { dropBadRows, type SkippedRow } from "./badRows";
import { checkpointTable, ensureScoreTables, loadCheckpoint, saveCheckpoint } from "./eventStore";
import { ensureIncidentTables, writeScored } from "./incidentStore";
import { alertingEnabled, ensureAlertingTables, notifyingTables } from "./alerting/alertingSetup";
import { deliverOutbox, type DeliveryOutcome } from "./alerting/deliverOutbox";
import type { Receiver } from "./alerting/outboxTable";
import { checkFollowTables } from "./followTables";
import { countThrough, FollowHorizon, openWriters } from "./followHorizon";
import { parseScoreBound, readScoreRows, scoringSetup, visibleScoreEnd } from "./replay";
import { resolveTag } from "../registry/read";
import { errorText } from "../core/errorText";
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
  /** A registry tag or `latest`, resolved once at start; default: the alias `serving.alias` names, followed between polls. */
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
  /** After each notification sent (alerting configured): its outcome and receiver. */
  readonly onNotification?: (outcome: DeliveryOutcome, receiver: Receiver) => void;
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
  const fixed = options.version !== undefined;
  const tag = options.version ?? config.serving.alias;
  const first = await resolveTag(config.registry.root_dir, tag);
  if (first.notice !== null) log(`note: ${first.notice}`);
  const setup = await scoringSetup(config, first.version);
  let { model, data } = setup;
  const { stream, trainEnd } = setup;
  // Where counting starts (`seen`): the followed version's train_end unless --from; it moves with a switch.
  let from: number | string = options.from !== undefined ? parseScoreBound(options.from, model.timeType, "--from", data.time_col) : trainEnd;
  const table = config.scoring.events_table;
  const tables = notifyingTables(config);
  const notifying = alertingEnabled(config);
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
  /** The last alias line logged (said once until it changes). */
  let aliasNote = "";
  const noteOnce = (line: string): void => {
    if (line !== aliasNote) log(line);
    aliasNote = line;
  };

  /**
   * At start: when the stream's newest checkpoint is of another version than the alias names (the alias moved
   * while the follower was stopped), go on with that version from its checkpoint; {@link followAlias} then
   * switches at the first poll with no run in progress, as for a running follower.
   */
  const resumeOnCheckpointedVersion = async (db: Kysely<any>): Promise<void> => {
    const { rows } = await sql<{ model_version: string }>`select model_version from ${sql.id(checkpointTable(table))}
      where stream = ${stream} order by updated_at desc limit 1`
      .execute(db)
      .catch(() => ({ rows: [] as { model_version: string }[] }));
    const last = rows[0]?.model_version;
    if (last === undefined || last === model.version) return;
    try {
      const previous = await scoringSetup(config, last);
      if (previous.data.table !== data.table || previous.data.time_col !== data.time_col || previous.model.timeType !== model.timeType) return;
      log(`model: ${tag} names ${model.version}, the checkpoint of ${stream} is of ${last}: resuming on ${last}, switching once no run is in progress`);
      model = previous.model;
      data = previous.data;
      if (options.from === undefined) from = previous.trainEnd;
    } catch (error) {
      log(`model: the checkpoint of ${stream} is of ${last}, which cannot be loaded (${errorText(error)}): starting on ${model.version}`);
    }
  };

  /** At a poll boundary: the state to go on with, on the version the alias names when it moved and no run is in progress. */
  const followAlias = async (db: Kysely<any>, current: ScoreState): Promise<ScoreState> => {
    let target: string;
    try {
      target = (await resolveTag(config.registry.root_dir, tag)).version;
    } catch (error) {
      noteOnce(`model: cannot read alias ${tag}, keeping ${model.version}: ${errorText(error)}`);
      return current;
    }
    if (target === model.version) return current;
    if (current.runs.some((run) => run.length > 0)) {
      noteOnce(`model: ${tag} now names ${target}; staying on ${model.version} until no run is in progress`);
      return current;
    }
    let next: Awaited<ReturnType<typeof scoringSetup>>;
    try {
      next = await scoringSetup(config, target);
    } catch (error) {
      noteOnce(`model: cannot load ${target} (${tag}), keeping ${model.version}: ${errorText(error)}`);
      return current;
    }
    const same = next.data.table === data.table && next.data.schema === data.schema && next.data.time_col === data.time_col && next.model.timeType === model.timeType;
    if (!same) {
      noteOnce(`model: ${tag} now names ${target}, trained on another table or time column: keeping ${model.version} (restart the follower to change tables)`);
      return current;
    }
    const moved: ScoreState = { ...initialScoreState(next.model, stream), lastTime: current.lastTime };
    const position = moved.lastTime === null ? null : formatScoreTime(moved.lastTime, next.model.timeType);
    // Rows counted from where a restart on the new version counts them (its train_end, unless --from).
    const nextFrom = options.from !== undefined ? from : next.trainEnd;
    const nextSeen = position === null ? 0 : await countThrough(db, relation, time, castType, nextFrom, position);
    // The new version's checkpoint at the position reached: a restart continues there, on it.
    await saveCheckpoint(db, table, next.model, { ...moved, seen_rows: nextSeen } as ScoreState, position);
    log(`model: ${tag} is now ${target} (was ${model.version}); switched${position === null ? "" : ` after ${String(position)}`}`);
    aliasNote = "";
    model = next.model;
    data = next.data;
    from = nextFrom;
    seen = nextSeen;
    return moved;
  };

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

  /** After each poll: one pass over the outbox (lib/scoring/alerting/); a receiver's failure only delays its messages. */
  const deliver = async (db: Kysely<any>): Promise<void> => {
    try {
      await deliverOutbox(db, { incidentsTable: config.scoring.incidents_table, alerting: config.alerting, log, onOutcome: options.onNotification });
    } catch (error) {
      log(`notifications: delivery pass failed (${errorText(error)}); trying again after the next poll`);
    }
  };

  while (!signal?.aborted) {
    try {
      const db = await connect(config.database, { brief: true });
      try {
        if (state === null) {
          if (!succeeded && !fixed) await resumeOnCheckpointedVersion(db);
          try {
            await checkFollowTables(db, table, model.version, stream);
          } catch (error) {
            throw isInputError(error) ? new FatalScoreError(error) : error;
          }
          await ensureScoreTables(db, table, model.timeType);
          await ensureIncidentTables(db, config.scoring.incidents_table, model.timeType);
          await ensureAlertingTables(db, config);
          const saved = await loadCheckpoint(db, table, model, stream);
          state = saved ?? initialScoreState(model, stream);
          const savedSeen = (saved as { seen_rows?: number } | null)?.seen_rows;
          seen = savedSeen ?? (state.lastTime === null ? 0 : await countThrough(db, relation, time, castType, from, formatScoreTime(state.lastTime, model.timeType)));
          if (!succeeded) {
            const where = saved?.lastTime != null ? `resuming after ${show(saved.lastTime)}` : `from ${from}`;
            log(`following ${stream} with model ${model.version}${fixed ? "" : ` (${tag})`}, ${where}, every ${config.scoring.poll_seconds} s`);
          }
        } else if (!fixed) {
          state = await followAlias(db, state);
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
        if (notifying) await deliver(db);
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
