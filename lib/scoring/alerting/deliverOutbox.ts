/**
 * Sends what the outbox holds, never losing a message: a row is marked
 * delivered only after its receiver answered 2xx, so a crash or kill -9
 * between the send and the mark sends it again (same message id; Alertmanager
 * keys alerts by their labels, so a repeat is the same alert). A failed send
 * is retried after 1, 2, 4 … s (at most `alerting.max_backoff_seconds`); a
 * receiver that fails is left alone for the rest of the pass. Only a 4xx
 * answer other than 408/429 (the receiver refuses the message itself) marks
 * a row failed, kept in the table with its error for `notify` to show.
 *
 * Alertmanager's semantics shape two rules (docs/operators.md "Notifications"):
 * - a resolve is sent no sooner than `alerting.hold_seconds` after its firing
 *   alert was last sent, because Alertmanager drops a resolve of an alert it
 *   never notified firing (one still inside the route's `group_wait`, or one
 *   notified before Alertmanager restarted and lost its notification log);
 *   so when a send to Alertmanager failed since the firing alert was last
 *   sent, the firing alert is sent again first and the hold starts anew;
 * - Alertmanager answers 2xx when it takes an alert, not when it notifies:
 *   one that dies within its group interval of taking a resolve loses it. So
 *   a failed send also takes back the resolves delivered in the last
 *   `hold_seconds`, which go again (firing first) once it answers;
 * - an open incident's firing alerts are re-sent every
 *   `alerting.resend_seconds` with `endsAt` 4× that ahead, so Alertmanager
 *   resolves them by itself only if every sender is gone for that long.
 *
 * Times compared are the database's (`now()`), so workers on several hosts agree.
 */
import { sql, type Kysely } from "kysely";
import { errorText } from "../../core/errorText";
import { getIncident, UnknownIncidentError } from "../incidentAdmin";
import type { Config } from "../../shapes/config";
import { alertmanagerAlert, webhookMessage } from "./alertPayload";
import { configuredReceivers } from "./outboxHook";
import { outboxTable, type OutboxRow, type Receiver } from "./outboxTable";

/** The outcome of one send, as `mlbox_notifications_total{outcome}` counts it. */
export type DeliveryOutcome = "delivered" | "retried" | "failed";

/** What {@link deliverOutbox} needs. */
export interface DeliveryOptions {
  readonly incidentsTable: string;
  readonly alerting: Config["alerting"];
  readonly log?: (line: string) => void;
  /** Called after every send (re-sends of open alerts included). */
  readonly onOutcome?: (outcome: DeliveryOutcome, receiver: Receiver) => void;
  /** Most rows of each receiver one pass looks at (default 200). */
  readonly limit?: number;
}

/** What one pass did. */
export interface DeliveryPass {
  readonly delivered: number;
  readonly retried: number;
  readonly failed: number;
  /** Open incidents' firing alerts sent again. */
  readonly resent: number;
  /** Rows still to deliver (waiting for their backoff, their hold, or a later pass). */
  readonly pending: number;
}

/** A receiver's answer that will not change by retrying: a 4xx other than 408 and 429. */
class RefusedError extends Error {}

/** Why a send failed, in one line without the URL (it may hold a password). */
function failureText(error: unknown): string {
  if ((error as Error).name === "TimeoutError") return "timed out";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return cause.code;
  return errorText(error);
}

async function post(url: string, body: unknown, timeoutSeconds: number, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  const text = (await response.text()).slice(0, 200).replace(/\s+/g, " ");
  if (response.ok) return;
  const message = `HTTP ${response.status}${text === "" ? "" : `: ${text}`}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new RefusedError(message);
  throw new Error(message);
}

/** Alertmanager's alerts endpoint under `alerting.alertmanager_url`. */
export function alertsEndpoint(alertmanagerUrl: string): string {
  return `${alertmanagerUrl.replace(/\/+$/, "")}/api/v2/alerts`;
}

/** A row as a pass reads it, with what the order and hold rules need. */
type Candidate = OutboxRow & {
  readonly due: boolean;
  /** A resolve of Alertmanager's: its firing row's id and last send, and whether that send is older than a failure. */
  readonly firing_id: number | null;
  readonly firing_sent_at: Date | null;
  readonly firing_held: boolean;
  readonly firing_stale: boolean;
};

/**
 * One delivery pass: every due row (in order per incident and receiver), then the re-sends of open alerts.
 * @example
 * const pass = await deliverOutbox(db, { incidentsTable: config.scoring.incidents_table, alerting: config.alerting, log: console.log });
 * pass.pending; // 0 once everything is delivered
 */
export async function deliverOutbox(db: Kysely<any>, options: DeliveryOptions): Promise<DeliveryPass> {
  const { incidentsTable, alerting, log = () => {}, onOutcome = () => {}, limit = 200 } = options;
  const table = sql.id(outboxTable(incidentsTable));
  const counts = { delivered: 0, retried: 0, failed: 0, resent: 0 };
  const down = new Set<Receiver>();
  // Per receiver, so one that is down with a long queue does not keep the other's messages out of the pass.
  const rows: Candidate[] = [];
  for (const receiver of configuredReceivers(alerting)) {
    const { rows: due } = await sql<Candidate>`with failure as (select max(last_failed_at) as at from ${table} where receiver = 'alertmanager'),
    firing as (select f.id, f.incident_id, f.severity, greatest(f.delivered_at, f.resent_at, f.armed_at) as sent_at from ${table} f
      where f.receiver = 'alertmanager' and f.kind = 'firing' and f.delivered_at is not null)
    select o.*, o.next_attempt_at <= now() as due, firing.id as firing_id, firing.sent_at as firing_sent_at,
      coalesce(firing.sent_at > now() - make_interval(secs => ${alerting.hold_seconds}), true) as firing_held,
      coalesce(firing.sent_at < (select at from failure), false) as firing_stale
    from ${table} o left join firing on o.receiver = 'alertmanager' and o.kind = 'resolved'
      and firing.incident_id = o.incident_id and firing.severity = o.severity
    where o.receiver = ${receiver} and o.delivered_at is null and o.failed_at is null order by o.id limit ${limit}`.execute(db);
    rows.push(...due);
  }
  const started = new Set<string>();
  for (const row of rows) {
    // Messages of one incident and receiver go in order: a resolve never overtakes its firing alert.
    const group = `${row.receiver}|${row.incident_id}`;
    if (started.has(group)) continue;
    started.add(group);
    if (!row.due || down.has(row.receiver)) continue;
    const url = row.receiver === "alertmanager" ? alerting.alertmanager_url : alerting.webhook_url;
    if (url === null) continue; // that receiver is no longer configured: kept until it is again
    const resolve = row.receiver === "alertmanager" && row.kind === "resolved";
    if (resolve && row.firing_id === null) continue; // its firing alert is not delivered yet (cannot be: it is earlier in order)
    if (resolve && row.firing_stale) {
      // Alertmanager may have lost the firing alert since (restarted while unreachable): send it again, hold anew.
      if (!(await refire(db, options, url, row, log, onOutcome))) down.add("alertmanager");
      continue;
    }
    if (resolve && row.firing_held) continue;
    // Claimed for a while, so a second worker does not send it at the same time.
    const claimed = await sql`update ${table} set next_attempt_at = now() + make_interval(secs => ${alerting.timeout_seconds * 3})
      where id = ${row.id} and delivered_at is null and next_attempt_at <= now() returning id`.execute(db);
    if (claimed.rows.length === 0) continue;
    try {
      const incident = await getIncident(db, incidentsTable, row.incident_id);
      const now = new Date();
      if (row.receiver === "alertmanager") await post(alertsEndpoint(url), [alertmanagerAlert(incident, row, now, alerting.resend_seconds)], alerting.timeout_seconds);
      else await post(url, webhookMessage(incident, row, now), alerting.timeout_seconds, { "idempotency-key": row.message_id });
      await sql`update ${table} set delivered_at = now(), armed_at = now(), attempts = attempts + 1, last_error = null where id = ${row.id}`.execute(db);
      counts.delivered++;
      onOutcome("delivered", row.receiver);
    } catch (error) {
      const why = failureText(error);
      if (error instanceof RefusedError || error instanceof UnknownIncidentError) {
        await sql`update ${table} set attempts = attempts + 1, failed_at = now(), last_error = ${why} where id = ${row.id}`.execute(db);
        counts.failed++;
        onOutcome("failed", row.receiver);
        log(`notification ${row.message_id} to ${row.receiver} refused (${why}): kept as failed in ${outboxTable(incidentsTable)}`);
        continue;
      }
      const wait = Math.min(alerting.max_backoff_seconds, 2 ** row.attempts);
      await sql`update ${table} set attempts = attempts + 1, last_error = ${why}, last_failed_at = now(),
        next_attempt_at = now() + make_interval(secs => ${wait}) where id = ${row.id}`.execute(db);
      counts.retried++;
      onOutcome("retried", row.receiver);
      down.add(row.receiver);
      if (row.receiver === "alertmanager") await takeBackRecentResolves(db, options);
      log(`notification ${row.message_id} to ${row.receiver} failed (${why}): retrying in ${wait} s (attempt ${row.attempts + 1})`);
    }
  }
  if (alerting.alertmanager_url !== null && !down.has("alertmanager")) counts.resent = await resendOpen(db, options, alerting.alertmanager_url, onOutcome, log);
  const pending = await sql<{ n: string | number }>`select count(*) as n from ${table} where delivered_at is null and failed_at is null`.execute(db);
  return { ...counts, pending: Number(pending.rows[0].n) };
}

/**
 * After a failed send to Alertmanager: the resolves it took in the last `hold_seconds` may have died with it
 * (its notification comes a group interval later), so they are owed again.
 */
async function takeBackRecentResolves(db: Kysely<any>, options: DeliveryOptions): Promise<void> {
  const table = sql.id(outboxTable(options.incidentsTable));
  await sql`update ${table} set delivered_at = null, next_attempt_at = now()
    where receiver = 'alertmanager' and kind = 'resolved' and delivered_at > now() - make_interval(secs => ${options.alerting.hold_seconds})`.execute(db);
}

/** Sends a resolve's firing alert again (its row's `armed_at` moves, so the hold starts anew); false when that failed. */
async function refire(db: Kysely<any>, options: DeliveryOptions, url: string, row: Candidate, log: (line: string) => void, onOutcome: NonNullable<DeliveryOptions["onOutcome"]>): Promise<boolean> {
  const table = sql.id(outboxTable(options.incidentsTable));
  try {
    const incident = await getIncident(db, options.incidentsTable, row.incident_id);
    await post(alertsEndpoint(url), [alertmanagerAlert(incident, { kind: "firing", severity: row.severity, starts_at: row.starts_at }, new Date(), options.alerting.resend_seconds)], options.alerting.timeout_seconds);
    await sql`update ${table} set armed_at = now() where id = ${row.firing_id}`.execute(db);
    onOutcome("delivered", "alertmanager");
    return true;
  } catch (error) {
    await sql`update ${table} set last_failed_at = now() where id = ${row.firing_id}`.execute(db);
    await takeBackRecentResolves(db, options);
    onOutcome("retried", "alertmanager");
    log(`re-sending ${row.incident_id}'s firing alert before its resolve failed (${failureText(error)}): trying again next pass`);
    return false;
  }
}

/**
 * Re-sends the firing alerts of open incidents (no resolve queued) last sent `resend_seconds` ago or more; returns
 * how many. A closed incident's firing alert is not re-sent: its resolve follows (after a failure, with a fresh firing alert).
 */
async function resendOpen(db: Kysely<any>, options: DeliveryOptions, url: string, onOutcome: NonNullable<DeliveryOptions["onOutcome"]>, log: (line: string) => void): Promise<number> {
  const { incidentsTable, alerting } = options;
  const table = sql.id(outboxTable(incidentsTable));
  const { rows } = await sql<OutboxRow>`update ${table} f set resent_at = now()
    where f.receiver = 'alertmanager' and f.kind = 'firing' and f.delivered_at is not null
      and coalesce(f.resent_at, f.delivered_at) <= now() - make_interval(secs => ${alerting.resend_seconds})
      and not exists (select 1 from ${table} r where r.receiver = f.receiver and r.incident_id = f.incident_id
        and r.severity = f.severity and r.kind = 'resolved')
    returning f.*`.execute(db);
  if (rows.length === 0) return 0;
  const now = new Date();
  const alerts = [];
  for (const row of rows) {
    try {
      alerts.push(alertmanagerAlert(await getIncident(db, incidentsTable, row.incident_id), row, now, alerting.resend_seconds));
    } catch (error) {
      if (!(error instanceof UnknownIncidentError)) throw error;
    }
  }
  try {
    await post(alertsEndpoint(url), alerts, alerting.timeout_seconds);
    onOutcome("delivered", "alertmanager");
    return alerts.length;
  } catch (error) {
    await sql`update ${table} set last_failed_at = now() where id in (${sql.join(rows.map((row) => row.id))})`.execute(db);
    await takeBackRecentResolves(db, options);
    // Their endsAt lies 4 re-sends ahead: the next pass tries again well before Alertmanager would resolve them.
    onOutcome("retried", "alertmanager");
    log(`re-sending ${alerts.length} open alert${alerts.length === 1 ? "" : "s"} to alertmanager failed (${failureText(error)}): trying again in ${alerting.resend_seconds} s`);
    return 0;
  }
}
