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
import { ensureSilenceTable, listSilences, silenceCovers } from "./silences";
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
  try {
    const { rows } = await sql<{ detail: unknown }>`select detail from ${sql.id(incidentsTable)}
      where stream = ${stream} and closed_at is null order by opened_at for update`.execute(db);
    return rows.map((row) => json<Incident>(row.detail));
  } catch (error) {
    explain(error, incidentsTable);
  }
}

/** Inserts or updates incidents (never a closed row, never the operator's columns); returns the ids of the rows written. */
async function upsertIncidents(db: Kysely<any>, incidentsTable: string, incidents: readonly Incident[]): Promise<Set<string>> {
  const table = sql.id(incidentsTable);
  const written = new Set<string>();
  for (const i of incidents) {
    const { state: _, ...shown } = i;
    try {
      const { rows } = await sql<{ id: string }>`insert into ${table} as i (id, stream, model_version, opened_at, closed_at, severity, axes, peaks, contributions, events, silenced, detail, updated_at)
        values (${i.id}, ${i.stream}, ${i.model_version}, ${i.opened_at}, ${i.closed_at}, ${i.severity}, cast(${JSON.stringify(i.axes)} as jsonb),
          cast(${JSON.stringify(i.peaks)} as jsonb), cast(${JSON.stringify(i.contributions)} as jsonb), ${i.events}, ${i.silenced},
          cast(${JSON.stringify({ ...shown, state: i.state })} as jsonb), now())
        on conflict (id) do update set opened_at = excluded.opened_at, closed_at = excluded.closed_at, severity = excluded.severity,
          axes = excluded.axes, peaks = excluded.peaks, contributions = excluded.contributions, events = excluded.events,
          silenced = excluded.silenced, detail = excluded.detail, updated_at = excluded.updated_at
        where i.closed_at is null and i.detail is distinct from excluded.detail
        returning id`.execute(db);
      rows.forEach((row) => written.add(row.id));
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
  const silences = events.length === 0 ? [] : await listSilences(trx, tables.incidentsTable, stream);
  const silenced = events.map((event) => silences.some((silence) => silenceCovers(silence, event)));
  await writeEvents(trx, tables.eventsTable, events, silenced);
  const open = await openIncidents(trx, tables.incidentsTable, stream);
  if (events.length === 0 && open.length === 0) return [];
  const wasOpen = new Set(open.map((incident) => incident.id));
  const { changed } = mergeIncidents(
    open,
    events.map((event, e) => ({ event, silenced: silenced[e] })),
    position,
    tables.mergeSeconds,
  );
  const written = await upsertIncidents(trx, tables.incidentsTable, changed);
  // Only what this batch wrote: a replay of history already recorded changes nothing and reports nothing.
  const changes: IncidentChange[] = changed.filter((incident) => written.has(incident.id)).map((incident) => ({
    kind: incident.closed_at !== null ? "closed" : wasOpen.has(incident.id) ? "updated" : "opened",
    incident,
  }));
  for (const hook of tables.onIncidentChange ?? []) await hook(trx, changes);
  return changes;
}

/**
 * The tables and merge rule of a config.
 * @example
 * const tables = scoredTables(loadConfig("config.yaml")); // { eventsTable: "mlbox_events", incidentsTable: "mlbox_incidents", mergeSeconds: 300 }
 */
export function scoredTables(config: Pick<Config, "scoring" | "incidents">): ScoredTables {
  return { eventsTable: config.scoring.events_table, incidentsTable: config.scoring.incidents_table, mergeSeconds: config.incidents.merge_seconds };
}
