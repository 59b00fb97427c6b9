/**
 * What an incident change owes each receiver, written to the outbox in the
 * incident's own transaction (the {@link IncidentHook} seam of
 * lib/scoring/incidentStore.ts). The rule, per receiver:
 *
 * - an open incident owes a `firing` message at its severity (an escalation
 *   from alert to error adds the error's; the alert's stays firing until the
 *   incident closes, so an inhibit rule can hide it);
 * - a closed incident owes a `resolved` message for every severity that
 *   fired, and one `firing` first when it never fired (it opened and closed
 *   in one batch, as in a replay of history): Alertmanager never notifies a
 *   resolve of an alert it has not notified firing;
 * - a silenced incident (every event inside a silence) owes nothing.
 */
import { sql, type Kysely } from "kysely";
import type { IncidentChange, IncidentHook } from "../incidentStore";
import { messageId, outboxTable, type MessageKind, type Receiver } from "./outboxTable";

/** The receivers `alerting` configures, in a fixed order. */
export function configuredReceivers(alerting: { readonly alertmanager_url?: string | null; readonly webhook_url?: string | null }): Receiver[] {
  const receivers: Receiver[] = [];
  if (alerting.alertmanager_url != null) receivers.push("alertmanager");
  if (alerting.webhook_url != null) receivers.push("webhook");
  return receivers;
}

/** One message a change owes. */
export interface OwedMessage {
  readonly kind: MessageKind;
  readonly severity: "alert" | "error";
}

/**
 * The messages an incident owes one receiver, given the (kind, severity) pairs already queued for it. Pure.
 * @example
 * owedMessages({ closed: true, severity: "alert", silenced: false }, []); // [{ kind: "firing", severity: "alert" }, { kind: "resolved", severity: "alert" }]
 */
export function owedMessages(incident: { readonly closed: boolean; readonly severity: "alert" | "error"; readonly silenced: boolean }, queued: readonly OwedMessage[]): OwedMessage[] {
  if (incident.silenced) return [];
  const fired = new Set(queued.filter((m) => m.kind === "firing").map((m) => m.severity));
  const resolved = new Set(queued.filter((m) => m.kind === "resolved").map((m) => m.severity));
  const owed: OwedMessage[] = [];
  if (!fired.has(incident.severity)) {
    owed.push({ kind: "firing", severity: incident.severity });
    fired.add(incident.severity);
  }
  if (incident.closed) {
    for (const severity of ["alert", "error"] as const) {
      if (fired.has(severity) && !resolved.has(severity)) owed.push({ kind: "resolved", severity });
    }
  }
  return owed;
}

/**
 * The hook that queues an incident change's messages for `receivers` in `<incidentsTable>_outbox` (create it first
 * with ensureOutboxTable).
 * @example
 * const tables = { ...scoredTables(config), onIncidentChange: [outboxHook(config.scoring.incidents_table, ["alertmanager"])] };
 */
export function outboxHook(incidentsTable: string, receivers: readonly Receiver[]): IncidentHook {
  const table = sql.id(outboxTable(incidentsTable));
  return async (trx: Kysely<any>, changes: readonly IncidentChange[]) => {
    if (receivers.length === 0) return;
    for (const { incident } of changes) {
      if (incident.silenced) continue;
      const { rows } = await sql<{ receiver: Receiver; kind: MessageKind; severity: "alert" | "error"; starts_at: Date }>`select receiver, kind, severity, starts_at
        from ${table} where incident_id = ${incident.id} order by id`.execute(trx);
      // One wall-clock start for all of an incident's messages: Alertmanager keys an alert by its labels and keeps the first.
      const startsAt = rows[0]?.starts_at ?? new Date();
      for (const receiver of receivers) {
        const owed = owedMessages(
          { closed: incident.closed_at !== null, severity: incident.severity, silenced: incident.silenced },
          rows.filter((row) => row.receiver === receiver),
        );
        for (const message of owed) {
          await sql`insert into ${table} (incident_id, stream, receiver, kind, severity, message_id, starts_at)
            values (${incident.id}, ${incident.stream}, ${receiver}, ${message.kind}, ${message.severity},
              ${messageId(incident.id, message.severity, message.kind)}, ${startsAt})
            on conflict (receiver, message_id) do nothing`.execute(trx);
        }
      }
    }
  };
}
