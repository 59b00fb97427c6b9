/**
 * Where scoring keeps its results in the database: the events table
 * (`scoring.events_table`, default `mlbox_events`) and, next to it,
 * `<events_table>_checkpoints` holding the position, open runs and statistic
 * states of `score --follow` per model version and stream. Both are created when
 * missing. Events are keyed by (model_version, stream, axis, level,
 * started_at), so writing the same event again never duplicates it; an open
 * row is completed when its event closes, a closed row is never reopened.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { InputError } from "../core/errors";
import { parseWithSchema, z } from "../core/schema";
import { twoSidedModel } from "./twoSided";
import { SCORE_LEVELS, type ScoreEvent, type ScoreState, type ScoringModel } from "./score";
import type { TimeType } from "../shapes/types";

/** Events per INSERT statement (12 parameters each, well below PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000;

/**
 * SQL type of the event (and incident) time columns: the type the data's time column has.
 * @example
 * timeSqlType("float"); // "double precision"
 */
export function timeSqlType(timeType: TimeType): string {
  return timeType === "float" ? "double precision" : timeType === "timestamp" ? "timestamp" : "timestamptz";
}

/** The checkpoint table's name for an events table. */
export function checkpointTable(eventsTable: string): string {
  return `${eventsTable}_checkpoints`;
}

/** Turns "table/column is missing" errors of a foreign table into a one-line InputError. */
function explain(error: unknown, table: string): never {
  const code = (error as { code?: string }).code;
  if (code === "42703" || code === "42P10" || code === "42804") {
    throw new InputError(`table "${table}" exists but is not an ML Box events/checkpoint table (${(error as Error).message}): set scoring.events_table to another name`);
  }
  throw error;
}

/**
 * Creates the events table and its checkpoint table when missing. Event times
 * get the SQL type of the data's time column (`double precision`, `timestamp`
 * or `timestamptz`).
 */
export async function ensureScoreTables(db: Kysely<any>, eventsTable: string, timeType: TimeType): Promise<void> {
  const time = sql.raw(timeSqlType(timeType));
  try {
    await sql`create table if not exists ${sql.id(eventsTable)} (
      model_version text not null,
      stream text not null,
      axis text not null,
      level text not null,
      started_at ${time} not null,
      fired_at ${time} not null,
      ended_at ${time},
      samples integer not null,
      peak_residual double precision not null,
      threshold double precision not null,
      primary key (model_version, stream, axis, level, started_at))`.execute(db);
    // Added to tables created before it (rows kept): a pca event's contributions, JSON; null for per-axis events.
    await sql`alter table ${sql.id(eventsTable)} add column if not exists contributions jsonb`.execute(db);
    // Added likewise: the event fell inside a silence (lib/scoring/silences.ts): recorded, not notified.
    await sql`alter table ${sql.id(eventsTable)} add column if not exists silenced boolean not null default false`.execute(db);
    await sql`create table if not exists ${sql.id(checkpointTable(eventsTable))} (
      model_version text not null,
      stream text not null,
      position ${time},
      state jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (model_version, stream))`.execute(db);
  } catch (error) {
    // Two processes creating the table at once: the loser sees a unique violation; the table exists.
    if ((error as { code?: string }).code !== "23505") throw error;
  }
}

/** Events per INSERT statement (exported for callers that put one chunk into a statement of their own). */
export const EVENTS_PER_STATEMENT = INSERT_CHUNK;

/**
 * The idempotent insert of at most {@link EVENTS_PER_STATEMENT} events (insert, or complete an open row), not yet
 * run: {@link writeEvents} runs it per chunk, the service as part of one statement with its other writes.
 * @example
 * await eventsInsert("mlbox_events", events, []).execute(trx);
 */
export function eventsInsert(eventsTable: string, events: readonly ScoreEvent[], silenced: readonly boolean[]): RawBuilder<unknown> {
  const rows = events.map(
    (e, i) =>
      sql`(${e.model_version}, ${e.stream}, ${e.axis}, ${e.level}, ${e.started_at}, ${e.fired_at}, ${e.ended_at}, ${e.samples}, ${e.peak_residual}, ${e.threshold}, cast(${e.contributions === undefined ? null : JSON.stringify(e.contributions)} as jsonb), ${silenced[i] === true})`,
  );
  return sql`insert into ${sql.id(eventsTable)} as e (model_version, stream, axis, level, started_at, fired_at, ended_at, samples, peak_residual, threshold, contributions, silenced)
        values ${sql.join(rows)}
        on conflict (model_version, stream, axis, level, started_at) do update
        set fired_at = excluded.fired_at, ended_at = excluded.ended_at, samples = excluded.samples,
            peak_residual = excluded.peak_residual, threshold = excluded.threshold, contributions = excluded.contributions,
            silenced = e.silenced or excluded.silenced
        where e.ended_at is null`;
}

/**
 * Writes events idempotently (insert, or complete an open row). Run it in the
 * same transaction as {@link saveCheckpoint} to keep follow mode exact.
 * `silenced` (per event; default none) marks those inside a silence.
 */
export async function writeEvents(db: Kysely<any>, eventsTable: string, events: readonly ScoreEvent[], silenced: readonly boolean[] = []): Promise<void> {
  for (let from = 0; from < events.length; from += INSERT_CHUNK) {
    try {
      await eventsInsert(eventsTable, events.slice(from, from + INSERT_CHUNK), silenced.slice(from, from + INSERT_CHUNK)).execute(db);
    } catch (error) {
      explain(error, eventsTable);
    }
  }
}

/** Saves the follow position, open runs and statistic states of one stream (same transaction as the events). */
export async function saveCheckpoint(db: Kysely<any>, eventsTable: string, model: ScoringModel, state: ScoreState, position: number | string | null): Promise<void> {
  try {
    await sql`insert into ${sql.id(checkpointTable(eventsTable))} (model_version, stream, position, state, updated_at)
      values (${model.version}, ${state.stream}, ${position}, cast(${JSON.stringify(state)} as jsonb), now())
      on conflict (model_version, stream) do update set position = excluded.position, state = excluded.state, updated_at = excluded.updated_at`.execute(db);
  } catch (error) {
    explain(error, checkpointTable(eventsTable));
  }
}

const runSchema = z
  .object({
    axis: z.string(),
    level: z.enum(SCORE_LEVELS),
    length: z.number().int().min(0),
    started_at: z.number().nullable(),
    fired_at: z.number().nullable(),
    peak_residual: z.number().nullable(),
  })
  .strict();
/** `statistics` (per axis, null: none yet) is absent in checkpoints written before statistics existed: those start them fresh. */
const stateSchema = z
  .object({
    stream: z.string(),
    lastTime: z.number().nullable(),
    runs: z.array(runSchema),
    statistics: z.array(z.number().nullable()).optional(),
    /** Rows from the follower's start through the position it accounted for (absent: counted again on resume). */
    seen_rows: z.number().int().min(0).optional(),
    /** A pca version's model state (lib/scoring/pcaBatch.ts). */
    pca: z
      .object({
        previous: z.array(z.number().nullable()),
        smoothed: z.array(z.number()),
        peaks: z.array(z.object({ s: z.array(z.number()), row: z.array(z.number()) }).strict().nullable()),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The saved state of `stream` for `model`, or null when there is none.
 * @throws InputError when the saved state does not fit the model's axes.
 */
export async function loadCheckpoint(db: Kysely<any>, eventsTable: string, model: ScoringModel, stream: string): Promise<ScoreState | null> {
  let rows: { state: unknown }[];
  try {
    ({ rows } = await sql<{ state: unknown }>`select state from ${sql.id(checkpointTable(eventsTable))}
      where model_version = ${model.version} and stream = ${stream}`.execute(db));
  } catch (error) {
    explain(error, checkpointTable(eventsTable));
  }
  if (rows.length === 0) return null;
  const raw = typeof rows[0].state === "string" ? JSON.parse(rows[0].state) : rows[0].state;
  const where = `checkpoint of ${model.version}/${stream} in ${checkpointTable(eventsTable)}`;
  return checkedState(model, raw, where);
}

/**
 * A saved stream state (a checkpoint's, or the service's `<events_table>_streams` row) checked against the
 * model it is to continue with: its runs must be the model's (a pca version's are T2 and SPE; a two-sided
 * version's include the lower sides), its statistic and pca states must fit. One rule for follow and serve.
 * @param where names the row in messages, e.g. `checkpoint of v3/robot in mlbox_events_checkpoints`
 * @throws InputError naming `where` when the state does not fit.
 * @example
 * checkedState(model, JSON.parse(row.state), `stream "robot" in mlbox_events_streams`);
 */
export function checkedState(model: ScoringModel, raw: unknown, where: string): ScoreState {
  const state = parseWithSchema(stateSchema, raw, where) as ScoreState;
  // A pca version's runs are those of its statistics (T2, SPE).
  const runAxes = model.pca?.channels.axes ?? twoSidedModel(model).axes;
  const expected = runAxes.flatMap((axis) => SCORE_LEVELS.map((level) => `${axis}/${level}`));
  const got = state.runs.map((run) => `${run.axis}/${run.level}`);
  if (expected.join(",") !== got.join(",")) {
    throw new InputError(`${where}: its runs (${got.join(", ")}) do not match the model's axes (${model.axes.join(", ")}): delete that row to start over`);
  }
  if (state.statistics !== undefined && state.statistics.length !== runAxes.length) {
    throw new InputError(`${where}: it has ${state.statistics.length} statistic states for the model's ${runAxes.length} axes: delete that row to start over`);
  }
  if ((model.pca !== undefined) !== (state.pca !== undefined) || (state.pca !== undefined && state.pca.previous.length !== model.axes.length)) {
    throw new InputError(`${where}: its model state does not fit model ${model.version} (${model.pca ? "pca" : "per-axis"}, ${model.axes.length} axes): delete that row to start over`);
  }
  return { ...state, statistics: state.statistics ?? runAxes.map(() => null) };
}

/**
 * Rows of the events table for one model version and stream, ordered by axis, level, start (for tests and notebooks).
 *
 * @example
 * import { connect, ensureRegistered, loadConfig, readEvents, replayScore, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const replay = await replayScore(config);
 * const db = await connect(config.database);
 * const events = await readEvents(db, config.scoring.events_table, replay.model.version, replay.stream).finally(() => db.destroy());
 * events.length; // the events table's rows of that version and stream
 */
export async function readEvents(db: Kysely<any>, eventsTable: string, modelVersion: string, stream: string): Promise<Record<string, unknown>[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.id(eventsTable)}
    where model_version = ${modelVersion} and stream = ${stream} order by axis, level, started_at`.execute(db);
  return rows;
}
