/**
 * The messages themselves, built at delivery from the incident's current row
 * (so a re-sent alert carries its latest peaks). Two clocks: Alertmanager's
 * own `startsAt`/`endsAt` are wall-clock times (when ML Box queued the first
 * message, and when a firing alert stops being valid unless re-sent, or when
 * the resolve is sent), and the incident's data times go in the annotations
 * (`opened_at`, `closed_at`), as the events report them.
 */
import { formatNumber } from "../../core/formatNumber";
import type { IncidentRow } from "../incidentAdmin";
import type { OutboxRow } from "./outboxTable";

/** `alertname` of every ML Box alert. */
export const ALERT_NAME = "MLBoxIncident";

/** One alert of Alertmanager's `POST /api/v2/alerts` body. */
export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** The webhook's JSON body. */
export interface WebhookMessage {
  /** The message's stable id (`<incident>/<severity>/<kind>`): the same message re-sent has the same id. */
  readonly id: string;
  readonly kind: "firing" | "resolved";
  readonly severity: "alert" | "error";
  readonly incident: Omit<IncidentRow, "acked_at" | "acked_by" | "labelled_at" | "labelled_by" | "note" | "label">;
  /** Wall-clock time of this send (ISO-8601 UTC). */
  readonly sent_at: string;
}

/** "axis3 0.31 (limit 0.25), T2 40.2 (limit 18.4)". */
function peaksText(incident: IncidentRow): string {
  return incident.axes
    .map((axis) => {
      const peak = incident.peaks[axis];
      return peak === undefined ? axis : `${axis} ${formatNumber(peak.peak, 4)} (limit ${formatNumber(peak.expected, 4)})`;
    })
    .join(", ");
}

/** "axis2 61% (value 3.1, expected 1.2), …" or "". */
function contributionsText(incident: IncidentRow): string {
  return incident.contributions
    .map((c) => `${c.axis} ${Math.round(c.share * 100)}% (value ${formatNumber(c.value, 4)}, expected ${formatNumber(c.expected, 4)})`)
    .join(", ");
}

/**
 * The Alertmanager alert of an outbox row. A firing alert ends `4 × resendSeconds` after `now` unless re-sent (as
 * Prometheus announces its alerts); a resolved one ends at `now`.
 * @example
 * const alert = alertmanagerAlert(incident, row, new Date(), 60); // alert.labels.incident === incident.id
 */
export function alertmanagerAlert(incident: IncidentRow, row: Pick<OutboxRow, "kind" | "severity" | "starts_at">, now: Date, resendSeconds: number): AlertmanagerAlert {
  const ends = row.kind === "resolved" ? now : new Date(now.getTime() + 4 * resendSeconds * 1000);
  const contributions = contributionsText(incident);
  const annotations: Record<string, string> = {
    summary: `${incident.stream}: ${row.severity} on ${incident.axes.join(", ")}${incident.closed_at === null ? " (open)" : " (closed)"}`,
    description: `${incident.events} event${incident.events === 1 ? "" : "s"}; peaks ${peaksText(incident)}${contributions === "" ? "" : `; top contributors ${contributions}`}`,
    axes: incident.axes.join(","),
    peaks: peaksText(incident),
    opened_at: String(incident.opened_at),
    closed_at: incident.closed_at === null ? "" : String(incident.closed_at),
    events: String(incident.events),
  };
  if (contributions !== "") annotations.contributions = contributions;
  const starts = row.starts_at.getTime() <= ends.getTime() ? row.starts_at : ends;
  return {
    labels: { alertname: ALERT_NAME, stream: incident.stream, severity: row.severity, model_version: incident.model_version, incident: incident.id },
    annotations,
    startsAt: starts.toISOString(),
    endsAt: ends.toISOString(),
  };
}

/**
 * The webhook body of an outbox row.
 * @example
 * const body = webhookMessage(incident, row, new Date()); // body.id === row.message_id
 */
export function webhookMessage(incident: IncidentRow, row: Pick<OutboxRow, "kind" | "severity" | "message_id">, now: Date): WebhookMessage {
  const { acked_at: _a, acked_by: _b, labelled_at: _c, labelled_by: _d, note: _e, label: _f, ...scored } = incident;
  return { id: row.message_id, kind: row.kind, severity: row.severity, incident: scored, sent_at: now.toISOString() };
}
