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
import { sql, type Kysely } from "kysely";
import { InputError } from "../core/errors";
import { writeEvents, timeSqlType } from "./eventStore";
import { mergeIncidents, type Incident } from "./incidents";
import { ensureSilenceTable, silenceCovers, silencesOfStreams } from "./silences";
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

/** Incidents per upsert statement (13 parameters each, well below PostgreSQL's 65,535). */
const UPSERT_CHUNK = 500;

/** Inserts or updates incidents (never a closed row, never the operator's columns); returns the ids of the rows written. */
async function upsertIncidents(db: Kysely<any>, incidentsTable: string, incidents: readonly Incident[]): Promise<Set<string>> {
  const table = sql.id(incidentsTable);
  const written = new Set<string>();
  // Many rows per statement (the ids are distinct: one incident is changed once per batch, streams differ).
  for (let from = 0; from < incidents.length; from += UPSERT_CHUNK) {
    const rows = incidents.slice(from, from + UPSERT_CHUNK).map((i) => {
      const { state: _, ...shown } = i;
      return sql`(${i.id}, ${i.stream}, ${i.model_version}, ${i.opened_at}, ${i.closed_at}, ${i.severity}, cast(${JSON.stringify(i.axes)} as jsonb),
          cast(${JSON.stringify(i.peaks)} as jsonb), cast(${JSON.stringify(i.contributions)} as jsonb), ${i.events}, ${i.silenced},
          cast(${JSON.stringify({ ...shown, state: i.state })} as jsonb), now())`;
    });
    try {
      const { rows: ids } = await sql<{ id: string }>`insert into ${table} as i (id, stream, model_version, opened_at, closed_at, severity, axes, peaks, contributions, events, silenced, detail, updated_at)
        values ${sql.join(rows)}
        on conflict (id) do update set opened_at = excluded.opened_at, closed_at = excluded.closed_at, severity = excluded.severity,
          axes = excluded.axes, peaks = excluded.peaks, contributions = excluded.contributions, events = excluded.events,
          silenced = excluded.silenced, detail = excluded.detail, updated_at = excluded.updated_at
        where i.closed_at is null and i.detail is distinct from excluded.detail
        returning id`.execute(db);
      ids.forEach((row) => written.add(row.id));
    } catch (error) {
      explain(error, incidentsTable);
    }
  }
  return written;
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
 * @example
 * const { changes, open } = await writeScoredStreamsOpen(trx, tables, [{ stream: "robot", events, position: 1666080000 }]);
 */
export async function writeScoredStreamsOpen(
  trx: Kysely<any>,
  tables: ScoredTables,
  batches: readonly ScoredBatch[],
): Promise<{ changes: IncidentChange[][]; open: boolean[] }> {
  const streams = batches.map((batch) => batch.stream);
  if (new Set(streams).size !== streams.length) throw new InputError(`writeScoredStreams: one batch per stream, got ${streams.join(", ")}`);
  const silences = await silencesOfStreams(trx, tables.incidentsTable, batches.filter((batch) => batch.events.length > 0).map((batch) => batch.stream));
  const silenced = batches.map((batch) => batch.events.map((event) => silences.some((silence) => silenceCovers(silence, event))));
  const events = batches.length === 1 ? batches[0].events : batches.flatMap((batch) => batch.events);
  await writeEvents(trx, tables.eventsTable, events, silenced.flat());
  const open = await openIncidentsOf(trx, tables.incidentsTable, streams);
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
  if (merged.every((m) => m === null)) return { changes: batches.map(() => []), open: openAfter };
  const written = await upsertIncidents(trx, tables.incidentsTable, merged.flatMap((m) => m?.changed ?? []));
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
