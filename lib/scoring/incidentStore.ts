/**
 * Where incidents are kept: `scoring.incidents_table` (default
 * `mlbox_incidents`), one row per incident (lib/scoring/incidents.ts), created
 * when missing like the events table. Replay, follow and the service write a
 * batch's events and the incidents they change in ONE transaction through
 * {@link writeScored}; a row is keyed by its deterministic id, so writing the
 * same events again changes nothing, and a closed incident is never reopened.
 * The operator's columns (ack, label) are never touched by scoring.
 *
 * The seam for notifications: {@link IncidentHook}s run inside that same
 * transaction with every incident change, so an outbox row written there
 * commits (or not) together with the incident.
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { InputError } from "../core/errors";
import { EVENTS_PER_STATEMENT, eventsInsert, writeEvents, timeSqlType } from "./eventStore";
import { mergeIncidents, type Incident } from "./incidents";
import { ensureSilenceTable, silenceCovers, silenceTable, type Silence } from "./silences";
import type { ScoreEvent } from "./scoreTypes";
import type { Config } from "../shapes/config";
import type { TimeType } from "../shapes/types";

/** Labels an operator can give an incident. */
export const INCIDENT_LABELS = ["false_alarm", "fault", "maintenance", "other"] as const;
export type IncidentLabel = (typeof INCIDENT_LABELS)[number];

/** One change of an incident, as the hooks see it. */
export interface IncidentChange {
  /** `opened`: new; `updated`: still open, changed; `closed`: closed by this batch. */
  readonly kind: "opened" | "updated" | "closed";
  readonly incident: Incident;
}

/** Runs inside the transaction that writes the incidents (e.g. to write an outbox row); throwing rolls the batch back. */
export type IncidentHook = (trx: Kysely<any>, changes: readonly IncidentChange[]) => Promise<void>;

/** Where and how a batch is written. */
export interface ScoredTables {
  readonly eventsTable: string;
  readonly incidentsTable: string;
  /** `incidents.merge_seconds`. */
  readonly mergeSeconds: number;
  /** Called with every batch's incident changes, in the transaction (default: none). */
  readonly onIncidentChange?: readonly IncidentHook[];
}

/** Turns "column is missing" errors of a foreign table into a one-line InputError. */
function explain(error: unknown, table: string): never {
  const code = (error as { code?: string }).code;
  if (code === "42703" || code === "42P10" || code === "42804") {
    throw new InputError(`table "${table}" exists but is not an ML Box incidents table (${(error as Error).message}): set scoring.incidents_table to another name`);
  }
  throw error;
}

/**
 * Creates the incidents table (times of the data's time type) and its silences table when missing.
 * @example
 * await ensureIncidentTables(db, "mlbox_incidents", "timestamptz");
 */
export async function ensureIncidentTables(db: Kysely<any>, incidentsTable: string, timeType: TimeType): Promise<void> {
  const time = sql.raw(timeSqlType(timeType));
  try {
    await sql`create table if not exists ${sql.id(incidentsTable)} (
      id text primary key,
      stream text not null,
      model_version text not null,
      opened_at ${time} not null,
      closed_at ${time},
      severity text not null,
      axes jsonb not null,
      peaks jsonb not null,
      contributions jsonb not null,
      events integer not null,
      silenced boolean not null default false,
      acked_at timestamptz,
      acked_by text,
      label text,
      note text,
      labelled_at timestamptz,
      labelled_by text,
      detail jsonb not null,
      updated_at timestamptz not null default now())`.execute(db);
    await sql`create index if not exists ${sql.id(`${incidentsTable}_open`)} on ${sql.id(incidentsTable)} (stream) where closed_at is null`.execute(db);
  } catch (error) {
    if ((error as { code?: string }).code !== "23505") throw error; // two processes creating it at once
  }
  await ensureSilenceTable(db, incidentsTable);
}

/** A jsonb value as the driver returns it (text on some drivers). */
function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/**
 * The open incidents of `stream`, locked for this transaction.
 * @example
 * const open = await openIncidents(trx, "mlbox_incidents", "robot");
 */
export async function openIncidents(db: Kysely<any>, incidentsTable: string, stream: string): Promise<Incident[]> {
  return (await openIncidentsOf(db, incidentsTable, [stream])).get(stream) ?? [];
}

/** The open incidents of some streams (by stream, in order of opening), locked for this transaction, in one query. */
async function openIncidentsOf(db: Kysely<any>, incidentsTable: string, streams: readonly string[]): Promise<Map<string, Incident[]>> {
  const byStream = new Map<string, Incident[]>();
  try {
    const { rows } = await sql<{ stream: string; detail: unknown }>`select stream, detail from ${sql.id(incidentsTable)}
      where stream = any(cast(${[...streams]} as text[])) and closed_at is null order by stream, opened_at for update`.execute(db);
    for (const row of rows) {
      const list = byStream.get(row.stream) ?? [];
      list.push(json<Incident>(row.detail));
      byStream.set(row.stream, list);
    }
  } catch (error) {
    explain(error, incidentsTable);
  }
  return byStream;
}

/**
 * {@link openIncidentsOf} and the silences of `silencedStreams` (silences.ts's `silencesOfStreams`) in one query:
 * one round trip for what a batch reads before it merges. The incidents come locked and in order of opening, the
 * silences by id.
 */
async function openIncidentsAndSilences(
  db: Kysely<any>,
  incidentsTable: string,
  streams: readonly string[],
  silencedStreams: readonly string[],
): Promise<{ open: Map<string, Incident[]>; silences: Silence[] }> {
  if (silencedStreams.length === 0) return { open: await openIncidentsOf(db, incidentsTable, streams), silences: [] };
  const open = new Map<string, Incident[]>();
  const silences: Silence[] = [];
  type Row = { part: number; rank: unknown; stream: string; detail: unknown } & Omit<Silence, "stream">;
  let rows: Row[];
  try {
    // Locking is not allowed beside UNION: the locked rows are read in a WITH query; the order is kept by rank.
    ({ rows } = await sql<Row>`with open_incidents as (
        select stream, detail, opened_at from ${sql.id(incidentsTable)}
        where stream = any(cast(${[...streams]} as text[])) and closed_at is null order by stream, opened_at for update)
      select 0 as part, row_number() over (order by stream, opened_at) as rank, stream, detail, null::integer as id, null::text as axis,
        null::double precision as from_seconds, null::double precision as to_seconds, null::text as from_text, null::text as to_text,
        null::text as reason, null::text as created_by, null::text as created_at
      from open_incidents
      union all
      select 1, id, stream, null, id, axis, from_seconds, to_seconds, from_text, to_text, reason, created_by, created_at::text
      from ${sql.id(silenceTable(incidentsTable))} where stream = any(cast(${[...silencedStreams]} as text[]))
      order by part, rank`.execute(db));
  } catch (error) {
    explain(error, incidentsTable);
  }
  for (const row of rows) {
    if (Number(row.part) === 0) {
      const list = open.get(row.stream) ?? [];
      list.push(json<Incident>(row.detail));
      open.set(row.stream, list);
    } else {
      const { part: _, detail: __, rank: ___, ...silence } = row;
      silences.push({ ...silence, stream: row.stream, id: Number(row.id), from_seconds: Number(row.from_seconds), to_seconds: Number(row.to_seconds) });
    }
  }
  return { open, silences };
}

/** Incidents per upsert statement (13 parameters each, well below PostgreSQL's 65,535). */
const UPSERT_CHUNK = 500;

/**
 * The upsert of at most {@link UPSERT_CHUNK} incidents (never a closed row, never the operator's columns), returning
 * the ids of the rows it writes; not yet run.
 */
function incidentsUpsert(incidentsTable: string, incidents: readonly Incident[]): RawBuilder<{ id: string }> {
  // Many rows per statement (the ids are distinct: one incident is changed once per batch, streams differ).
  const rows = incidents.map((i) => {
    const { state: _, ...shown } = i;
    return sql`(${i.id}, ${i.stream}, ${i.model_version}, ${i.opened_at}, ${i.closed_at}, ${i.severity}, cast(${JSON.stringify(i.axes)} as jsonb),
          cast(${JSON.stringify(i.peaks)} as jsonb), cast(${JSON.stringify(i.contributions)} as jsonb), ${i.events}, ${i.silenced},
          cast(${JSON.stringify({ ...shown, state: i.state })} as jsonb), now())`;
  });
  return sql<{ id: string }>`insert into ${sql.id(incidentsTable)} as i (id, stream, model_version, opened_at, closed_at, severity, axes, peaks, contributions, events, silenced, detail, updated_at)
        values ${sql.join(rows)}
        on conflict (id) do update set opened_at = excluded.opened_at, closed_at = excluded.closed_at, severity = excluded.severity,
          axes = excluded.axes, peaks = excluded.peaks, contributions = excluded.contributions, events = excluded.events,
          silenced = excluded.silenced, detail = excluded.detail, updated_at = excluded.updated_at
        where i.closed_at is null and i.detail is distinct from excluded.detail
        returning id`;
}

/** Inserts or updates incidents (never a closed row, never the operator's columns); returns the ids of the rows written. */
async function upsertIncidents(db: Kysely<any>, incidentsTable: string, incidents: readonly Incident[]): Promise<Set<string>> {
  const written = new Set<string>();
  for (let from = 0; from < incidents.length; from += UPSERT_CHUNK) {
    try {
      const { rows: ids } = await incidentsUpsert(incidentsTable, incidents.slice(from, from + UPSERT_CHUNK)).execute(db);
      ids.forEach((row) => written.add(row.id));
    } catch (error) {
      explain(error, incidentsTable);
    }
  }
  return written;
}

/**
 * The batch's writes in ONE statement (one round trip instead of one per table): the events, the incidents and
 * `alsoWrite` (the caller's own data-modifying statement) as data-modifying WITH queries, each run to completion;
 * returns the ids of the incidents written. For at most {@link EVENTS_PER_STATEMENT} events and
 * {@link UPSERT_CHUNK} incidents.
 */
async function writeInOneStatement(
  trx: Kysely<any>,
  tables: ScoredTables,
  events: readonly ScoreEvent[],
  silenced: readonly boolean[],
  incidents: readonly Incident[],
  alsoWrite: RawBuilder<unknown> | undefined,
): Promise<Set<string>> {
  const parts: RawBuilder<unknown>[] = [];
  if (events.length > 0) parts.push(sql`written_events as (${eventsInsert(tables.eventsTable, events, silenced)})`);
  if (incidents.length > 0) parts.push(sql`written_incidents as (${incidentsUpsert(tables.incidentsTable, incidents)})`);
  if (alsoWrite !== undefined) parts.push(sql`also_written as (${alsoWrite})`);
  if (parts.length === 0) return new Set();
  const ids = incidents.length > 0 ? sql`select id from written_incidents` : sql`select null::text as id where false`;
  try {
    const { rows } = await sql<{ id: string | null }>`with ${sql.join(parts)} ${ids}`.execute(trx);
    return new Set(rows.map((row) => row.id as string));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "42703" || code === "42P10" || code === "42804") {
      throw new InputError(
        `table "${tables.eventsTable}" or "${tables.incidentsTable}" exists but is not an ML Box events/incidents table (${(error as Error).message}): set scoring.events_table / scoring.incidents_table to another name`,
      );
    }
    throw error;
  }
}

/**
 * Writes a batch of one stream: its events (marked `silenced` when a silence covers them) and the incidents they
 * open, change or close, then runs the hooks, all on `trx` (call it inside the transaction that saves the position).
 * @param position the stream's data time after the batch (seconds), or null
 * @returns the incident changes
 * @example
 * await db.transaction().execute((trx) => writeScored(trx, { eventsTable: "mlbox_events", incidentsTable: "mlbox_incidents", mergeSeconds: 300 }, "robot", events, 1666080000));
 */
export async function writeScored(trx: Kysely<any>, tables: ScoredTables, stream: string, events: readonly ScoreEvent[], position: number | null): Promise<IncidentChange[]> {
  return (await writeScoredStreams(trx, tables, [{ stream, events, position }]))[0];
}

/** One stream's scored batch, for {@link writeScoredStreams}. */
export interface ScoredBatch {
  readonly stream: string;
  readonly events: readonly ScoreEvent[];
  /** The stream's data time after the batch (seconds), or null. */
  readonly position: number | null;
}

/**
 * {@link writeScored} for batches of distinct streams at once (the service commits concurrent requests together):
 * the same rows as one writeScored per batch, in a fixed number of statements (silences, events, open incidents,
 * incident upserts) instead of that many per batch; the hooks run once with all changes.
 * @returns each batch's incident changes, in the order of `batches`
 * @throws InputError when two batches are of one stream (each batch must see the incidents the one before left)
 */
export async function writeScoredStreams(trx: Kysely<any>, tables: ScoredTables, batches: readonly ScoredBatch[]): Promise<IncidentChange[][]> {
  return (await writeScoredStreamsOpen(trx, tables, batches)).changes;
}

/**
 * {@link writeScoredStreams}, also telling per batch whether its stream has an incident open once the batch is
 * written (the service skips the incident statements for a stream with none open and a batch without events).
 * `alsoWrite`, a data-modifying statement of the caller (the service's stream rows), is run in the same
 * transaction, in one statement with the events and incidents when they fit one (a round trip saved per table).
 * @example
 * const { changes, open } = await writeScoredStreamsOpen(trx, tables, [{ stream: "robot", events, position: 1666080000 }]);
 */
export async function writeScoredStreamsOpen(
  trx: Kysely<any>,
  tables: ScoredTables,
  batches: readonly ScoredBatch[],
  alsoWrite?: RawBuilder<unknown>,
): Promise<{ changes: IncidentChange[][]; open: boolean[] }> {
  const streams = batches.map((batch) => batch.stream);
  if (new Set(streams).size !== streams.length) throw new InputError(`writeScoredStreams: one batch per stream, got ${streams.join(", ")}`);
  // One read (the open incidents, locked, and the silences of the streams with events), one write below: the events
  // need not be in the table before the incidents are read (no statement reads them).
  const { open, silences } = await openIncidentsAndSilences(trx, tables.incidentsTable, streams, batches.filter((batch) => batch.events.length > 0).map((batch) => batch.stream));
  const silenced = batches.map((batch) => batch.events.map((event) => silences.some((silence) => silenceCovers(silence, event))));
  const events = batches.length === 1 ? batches[0].events : batches.flatMap((batch) => batch.events);
  const merged = batches.map((batch, b) => {
    const before = open.get(batch.stream) ?? [];
    if (batch.events.length === 0 && before.length === 0) return null; // nothing to merge, and no hook call for it
    const { changed, open: stillOpen } = mergeIncidents(
      before,
      batch.events.map((event, e) => ({ event, silenced: silenced[b][e] })),
      batch.position,
      tables.mergeSeconds,
    );
    return { wasOpen: new Set(before.map((incident) => incident.id)), changed, openAfter: stillOpen.length > 0 };
  });
  const openAfter = merged.map((m) => m?.openAfter ?? false);
  const incidents = merged.flatMap((m) => m?.changed ?? []);
  let written: Set<string>;
  if (events.length <= EVENTS_PER_STATEMENT && incidents.length <= UPSERT_CHUNK) {
    written = await writeInOneStatement(trx, tables, events, silenced.flat(), incidents, alsoWrite);
  } else {
    await writeEvents(trx, tables.eventsTable, events, silenced.flat());
    written = incidents.length > 0 ? await upsertIncidents(trx, tables.incidentsTable, incidents) : new Set();
    if (alsoWrite !== undefined) await alsoWrite.execute(trx);
  }
  if (merged.every((m) => m === null)) return { changes: batches.map(() => []), open: openAfter };
  // Only what this batch wrote: a replay of history already recorded changes nothing and reports nothing.
  const changes: IncidentChange[][] = merged.map((m) =>
    (m?.changed ?? []).filter((incident) => written.has(incident.id)).map((incident) => ({
      kind: incident.closed_at !== null ? "closed" : m!.wasOpen.has(incident.id) ? "updated" : "opened",
      incident,
    })),
  );
  const all = changes.flat();
  for (const hook of tables.onIncidentChange ?? []) await hook(trx, all);
  return { changes, open: openAfter };
}

/**
 * The tables and merge rule of a config.
 * @example
 * const tables = scoredTables(loadConfig("config.yaml")); // { eventsTable: "mlbox_events", incidentsTable: "mlbox_incidents", mergeSeconds: 300 }
 */
export function scoredTables(config: Pick<Config, "scoring" | "incidents">): ScoredTables {
  return { eventsTable: config.scoring.events_table, incidentsTable: config.scoring.incidents_table, mergeSeconds: config.incidents.merge_seconds };
}
