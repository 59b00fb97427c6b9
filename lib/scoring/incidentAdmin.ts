/**
 * What operators do with incidents, shared by the CLI (`npm start -- incidents …`)
 * and the service (`/v1/incidents…`): list them (open first), show one with its
 * events, acknowledge one, label one (false_alarm, fault, maintenance, other, with
 * a note). These write only the operator's columns of `scoring.incidents_table`;
 * a bad id or label changes nothing.
 */
import { sql, type Kysely } from "kysely";
import { InputError } from "../core/errors";
import { cutText } from "../core/boundedText";
import { INCIDENT_LABELS, type IncidentLabel } from "./incidentStore";
import type { IncidentPeak } from "./incidents";
import type { Contribution } from "../model/pca";

/** An incident as operators see it: the scored part and the operator's columns. */
export interface IncidentRow {
  readonly id: string;
  readonly stream: string;
  readonly model_version: string;
  readonly opened_at: number | string;
  readonly closed_at: number | string | null;
  readonly severity: "alert" | "error";
  readonly axes: readonly string[];
  readonly peaks: Readonly<Record<string, IncidentPeak>>;
  readonly contributions: readonly Contribution[];
  readonly events: number;
  readonly silenced: boolean;
  readonly acked_at: string | null;
  readonly acked_by: string | null;
  readonly label: IncidentLabel | null;
  readonly note: string | null;
  readonly labelled_at: string | null;
  readonly labelled_by: string | null;
}

/** An unknown incident id: one line, and a 404 from the service. */
export class UnknownIncidentError extends InputError {
  readonly statusCode = 404;
}

/** Whether the incidents table exists (nothing was scored yet otherwise). */
async function exists(db: Kysely<any>, table: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`select to_regclass(${`"${table.replace(/"/g, '""')}"`}) is not null as found`.execute(db);
  return rows[0].found;
}

/** A jsonb value as the driver returns it. */
function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/** A row of the table as {@link IncidentRow}: times exactly as the events gave them (from `detail`). */
function toRow(raw: Record<string, unknown>): IncidentRow {
  const detail = json<{ opened_at: number | string; closed_at: number | string | null }>(raw.detail);
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value));
  return {
    id: String(raw.id),
    stream: String(raw.stream),
    model_version: String(raw.model_version),
    opened_at: detail.opened_at,
    closed_at: detail.closed_at,
    severity: raw.severity as IncidentRow["severity"],
    axes: json(raw.axes),
    peaks: json(raw.peaks),
    contributions: json(raw.contributions),
    events: Number(raw.events),
    silenced: Boolean(raw.silenced),
    acked_at: text(raw.acked_at),
    acked_by: text(raw.acked_by),
    label: (raw.label ?? null) as IncidentLabel | null,
    note: text(raw.note),
    labelled_at: text(raw.labelled_at),
    labelled_by: text(raw.labelled_by),
  };
}

const COLUMNS = sql.raw(
  "id, stream, model_version, severity, axes, peaks, contributions, events, silenced, acked_at::text as acked_at, acked_by, label, note, labelled_at::text as labelled_at, labelled_by, detail",
);

/**
 * Every incident (of `stream` when given): open ones first, newest first within each.
 * @example
 * const incidents = await listIncidents(db, "mlbox_incidents");
 */
export async function listIncidents(db: Kysely<any>, table: string, options: { readonly stream?: string; readonly limit?: number } = {}): Promise<IncidentRow[]> {
  if (!(await exists(db, table))) return [];
  const where = options.stream === undefined ? sql`` : sql`where stream = ${options.stream}`;
  const { rows } = await sql<Record<string, unknown>>`select ${COLUMNS} from ${sql.id(table)} ${where}
    order by (closed_at is null) desc, opened_at desc, id limit ${options.limit ?? 1000}`.execute(db);
  return rows.map(toRow);
}

/**
 * One incident.
 * @throws UnknownIncidentError when there is none with `id`.
 * @example
 * const incident = await getIncident(db, "mlbox_incidents", "inc-0123456789abcdef");
 */
export async function getIncident(db: Kysely<any>, table: string, id: string): Promise<IncidentRow> {
  const rows = (await exists(db, table)) ? (await sql<Record<string, unknown>>`select ${COLUMNS} from ${sql.id(table)} where id = ${id}`.execute(db)).rows : [];
  if (rows.length === 0) throw new UnknownIncidentError(`no incident "${cutText(id)}" in ${table} (see incidents list)`);
  return toRow(rows[0]);
}

/** An event of an incident as `incidents show` prints it (times as text). */
export interface IncidentEventRow {
  readonly model_version: string;
  readonly axis: string;
  readonly level: string;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly peak_residual: number;
  readonly threshold: number;
  readonly silenced: boolean;
}

/**
 * The events of an incident: those of its stream starting within its span, in start order.
 * @throws UnknownIncidentError when there is none with `id`.
 * @example
 * const events = await incidentEvents(db, "mlbox_events", "mlbox_incidents", incident.id);
 */
export async function incidentEvents(db: Kysely<any>, eventsTable: string, table: string, id: string): Promise<IncidentEventRow[]> {
  await getIncident(db, table, id);
  const { rows } = await sql<IncidentEventRow>`select e.model_version, e.axis, e.level, e.started_at::text as started_at, e.ended_at::text as ended_at,
      e.peak_residual, e.threshold, e.silenced
    from ${sql.id(eventsTable)} e join ${sql.id(table)} i on e.stream = i.stream
    where i.id = ${id} and e.started_at >= i.opened_at and (i.closed_at is null or e.started_at <= i.closed_at)
    order by e.started_at, e.axis, e.level`.execute(db);
  return rows.map((row) => ({ ...row, peak_residual: Number(row.peak_residual), threshold: Number(row.threshold) }));
}

/**
 * Acknowledges an incident (the first acknowledgement is kept); returns it.
 * @throws UnknownIncidentError for an unknown id (nothing changes).
 * @example
 * await ackIncident(db, "mlbox_incidents", "inc-0123456789abcdef", "alice");
 */
export async function ackIncident(db: Kysely<any>, table: string, id: string, by: string): Promise<IncidentRow> {
  await getIncident(db, table, id);
  await sql`update ${sql.id(table)} set acked_at = coalesce(acked_at, now()), acked_by = coalesce(acked_by, ${by}) where id = ${id}`.execute(db);
  return getIncident(db, table, id);
}

/**
 * Checks a label.
 * @throws InputError naming the labels for anything else.
 * @example
 * checkLabel("fault"); // "fault"
 */
export function checkLabel(label: unknown): IncidentLabel {
  if (typeof label !== "string" || !(INCIDENT_LABELS as readonly string[]).includes(label)) {
    throw new InputError(`label must be one of ${INCIDENT_LABELS.join(", ")}, got ${JSON.stringify(typeof label === "string" ? cutText(label) : label ?? null)}`);
  }
  return label as IncidentLabel;
}

/**
 * Labels an incident (a later label replaces an earlier one); returns it.
 * @throws InputError for an unknown label, UnknownIncidentError for an unknown id (nothing changes either way).
 * @example
 * await labelIncident(db, "mlbox_incidents", "inc-0123456789abcdef", "false_alarm", "sensor cable loose", "alice");
 */
export async function labelIncident(db: Kysely<any>, table: string, id: string, label: unknown, note: string | null, by: string): Promise<IncidentRow> {
  const checked = checkLabel(label);
  if (note !== null && note.length > 2000) throw new InputError(`note is ${note.length} characters, more than 2000`);
  await getIncident(db, table, id);
  await sql`update ${sql.id(table)} set label = ${checked}, note = ${note}, labelled_at = now(), labelled_by = ${by} where id = ${id}`.execute(db);
  return getIncident(db, table, id);
}

/**
 * Open incidents per stream and severity (for `mlbox_incidents_open`).
 * @example
 * const counts = await openIncidentCounts(db, "mlbox_incidents"); // [{ stream: "robot", severity: "error", open: 1 }]
 */
export async function openIncidentCounts(db: Kysely<any>, table: string): Promise<{ stream: string; severity: string; id: string }[]> {
  if (!(await exists(db, table))) return [];
  const { rows } = await sql<{ stream: string; severity: string; id: string }>`select stream, severity, id from ${sql.id(table)} where closed_at is null`.execute(db);
  return rows;
}
