/**
 * Where the scoring service keeps its streams in the config's database, so
 * that a restart continues exactly: `<events_table>_streams` holds per stream
 * the model version it is served, its position (last time scored, seconds)
 * and its scorer state (open runs, statistic states). Each scored batch writes
 * its events to the events table (idempotently, as replay and follow do; see
 * lib/scoring/eventStore.ts) and the stream's row in one transaction, so what
 * the database holds is always a state some response reported, never half.
 * Concurrent saves of different streams share one transaction (server/groupCommit.ts): each is answered only
 * once that transaction is committed.
 */
import { sql, type Kysely } from "kysely";
import { InputError } from "../lib/core/errors";
import { checkedState, ensureScoreTables } from "../lib/scoring/eventStore";
import { ensureIncidentTables, writeScoredStreamsOpen, type IncidentChange, type IncidentHook } from "../lib/scoring/incidentStore";
import { type ScoreEvent, type ScoreState, type ScoringModel } from "../lib/scoring/score";
import type { TimeType } from "../lib/shapes/types";
import { createGroupCommit } from "./groupCommit";

/** A stream as saved: the version it is on and its state. */
export interface SavedStream {
  readonly version: string;
  readonly state: ScoreState;
}

/** What the service needs of a store. */
export interface StreamStore {
  /** The saved stream, or null when it was never scored. */
  load(stream: string): Promise<SavedStream | null>;
  /** Writes the batch's events, the incidents they form and the stream's new state in one transaction; resolves to the incident changes. */
  save(model: ScoringModel, state: ScoreState, events: readonly ScoreEvent[]): Promise<readonly IncidentChange[] | void>;
  /** Where it keeps streams, for the startup line. */
  readonly table: string;
}

/** A store failure (database down, …): the request is 503 and the stream's state stays as it was. */
export class StoreError extends Error {
  readonly statusCode = 503;
}

/** The stream table's name for an events table. */
export function streamTable(eventsTable: string): string {
  return `${eventsTable}_streams`;
}

/**
 * Checks a saved state against the model it is to continue with.
 *
 * @example
 * const state = savedStateFor(model, saved, "robot-7");
 * @throws InputError naming the row when the state does not fit the model's axes.
 */
export function savedStateFor(model: ScoringModel, saved: SavedStream, table: string): ScoreState {
  return checkedState(model, saved.state, `stream "${(saved.state as { stream?: unknown }).stream}" in ${table}`);
}

/** Wraps a database failure as a {@link StoreError} (an InputError about a foreign table stays what it is). */
function storeFailure(error: unknown, what: string): never {
  if (error instanceof InputError) throw error;
  throw new StoreError(`cannot ${what} (${String((error as Error).message).split("\n")[0]}): retry`);
}

/** Where a store keeps incidents (`scoring.incidents_table`, `incidents.merge_seconds`) and who hears of their changes. */
export interface IncidentOptions {
  /** Default: `<eventsTable>_incidents`. */
  readonly incidentsTable?: string;
  /** Default: 300. */
  readonly mergeSeconds?: number;
  readonly onIncidentChange?: readonly IncidentHook[];
}

/**
 * A store over `db`, creating `<eventsTable>_streams` when missing (the events and incidents tables are created,
 * with the model's time type, at the first save).
 *
 * @example
 * const store = await openStreamStore(await connect(config.database), config.scoring.events_table, { incidentsTable: config.scoring.incidents_table });
 */
export async function openStreamStore(db: Kysely<any>, eventsTable: string, incidents: IncidentOptions = {}): Promise<StreamStore> {
  const tables = {
    eventsTable,
    incidentsTable: incidents.incidentsTable ?? `${eventsTable}_incidents`,
    mergeSeconds: incidents.mergeSeconds ?? 300,
    onIncidentChange: incidents.onIncidentChange,
  };
  const table = streamTable(eventsTable);
  try {
    await sql`create table if not exists ${sql.id(table)} (
      stream text primary key,
      model_version text not null,
      position double precision,
      state jsonb not null,
      updated_at timestamptz not null default now())`.execute(db);
  } catch (error) {
    if ((error as { code?: string }).code !== "23505") throw error; // two services creating it at once
  }
  const ensured = new Map<TimeType, Promise<void>>();
  // Streams whose last save here left no incident open. A batch of such a stream without events changes no event
  // or incident (writeScoredStreams merges nothing for it), so a group of only those is its streams' rows alone:
  // one statement, atomic by itself, instead of a transaction of four. Learnt from each committed save; a stream
  // not known (first save since start) goes the whole way. Bounded: the oldest entries leave first.
  const noneOpen = new Set<string>();
  const learn = (stream: string, open: boolean): void => {
    noneOpen.delete(stream);
    if (open) return;
    noneOpen.add(stream);
    if (noneOpen.size > 100_000) noneOpen.delete(noneOpen.values().next().value as string);
  };
  /** The upsert of the saves' stream rows, not yet run. */
  const streamsUpsert = (saves: readonly { model: ScoringModel; state: ScoreState }[]) => {
    const rows = saves.map(({ model, state }) => sql`(${state.stream}, ${model.version}, ${state.lastTime}, cast(${JSON.stringify(state)} as jsonb), now())`);
    return sql`insert into ${sql.id(table)} (stream, model_version, position, state, updated_at)
        values ${sql.join(rows)}
        on conflict (stream) do update set model_version = excluded.model_version, position = excluded.position,
          state = excluded.state, updated_at = excluded.updated_at`;
  };
  // One transaction for the saves that meet: their events, incidents and streams' rows (writeScoredStreamsOpen puts
  // the three writes in one statement when they fit: one round trip instead of three).
  const commit = createGroupCommit<{ model: ScoringModel; state: ScoreState; events: readonly ScoreEvent[] }, readonly IncidentChange[]>(async (saves) => {
    if (saves.every(({ state, events }) => events.length === 0 && noneOpen.has(state.stream))) {
      await streamsUpsert(saves).execute(db);
      return saves.map(() => []);
    }
    const { changes, open } = await db.transaction().execute((trx) =>
      writeScoredStreamsOpen(
        trx,
        tables,
        saves.map(({ state, events }) => ({ stream: state.stream, events, position: state.lastTime })),
        streamsUpsert(saves),
      ),
    );
    saves.forEach(({ state }, i) => learn(state.stream, open[i]));
    return changes;
  });
  return {
    table,
    async load(stream) {
      let rows: { model_version: string; state: unknown }[];
      try {
        ({ rows } = await sql<{ model_version: string; state: unknown }>`select model_version, state from ${sql.id(table)} where stream = ${stream}`.execute(db));
      } catch (error) {
        storeFailure(error, `read stream "${stream}" from ${table}`);
      }
      if (rows.length === 0) return null;
      const raw = typeof rows[0].state === "string" ? JSON.parse(rows[0].state) : rows[0].state;
      // Checked against the model it continues with (savedStateFor), once that model is known.
      return { version: rows[0].model_version, state: raw as ScoreState };
    },
    async save(model, state, events) {
      try {
        // One creation per time type, shared by the first saves that arrive together (concurrent
        // `create table if not exists` of one table can fail with "already exists"); retried after a failure.
        let tablesReady = ensured.get(model.timeType);
        if (tablesReady === undefined) {
          tablesReady = (async () => {
            await ensureScoreTables(db, eventsTable, model.timeType);
            await ensureIncidentTables(db, tables.incidentsTable, model.timeType);
          })();
          ensured.set(model.timeType, tablesReady);
          tablesReady.catch(() => ensured.delete(model.timeType));
        }
        await tablesReady;
        return await commit({ model, state, events });
      } catch (error) {
        storeFailure(error, `save stream "${state.stream}" to ${table}`);
      }
    },
  };
}
