/**
 * A silence of ML Box told to Alertmanager (`POST /api/v2/silences`), so that
 * alerts already firing for the stream when the silence is added are muted
 * there too (new incidents inside a silence are never sent at all). Only
 * what Alertmanager can match is told: a stream-wide silence (its alerts have
 * no axis label) in ISO-8601 times (wall clock; a float time column's
 * seconds mean nothing to it), the part not yet past.
 */
import { sql, type Kysely } from "kysely";
import { errorText } from "../../core/errorText";
import { silenceTable, type Silence } from "../silences";
import { ALERT_NAME } from "./alertPayload";

/** Alertmanager's silence body. */
export interface AlertmanagerSilenceBody {
  readonly matchers: readonly { readonly name: string; readonly value: string; readonly isRegex: false; readonly isEqual: true }[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/**
 * The Alertmanager silence of `silence` at `now`, or why there is none.
 * @example
 * alertmanagerSilenceBody(silence, new Date()); // { matchers: [alertname, stream], startsAt, endsAt, … } or "…"
 */
export function alertmanagerSilenceBody(silence: Silence, now: Date): AlertmanagerSilenceBody | string {
  if (silence.axis !== null) return "an axis silence is kept by ML Box only (Alertmanager's alerts carry no axis label)";
  if (!/T/.test(silence.from_text)) return "its times are seconds of a float time column, not clock time";
  const ends = new Date(silence.to_seconds * 1000);
  if (ends.getTime() <= now.getTime()) return "it ended before now in clock time";
  const starts = new Date(Math.max(now.getTime(), silence.from_seconds * 1000));
  return {
    matchers: [
      { name: "alertname", value: ALERT_NAME, isRegex: false, isEqual: true },
      { name: "stream", value: silence.stream, isRegex: false, isEqual: true },
    ],
    startsAt: starts.toISOString(),
    endsAt: ends.toISOString(),
    createdBy: silence.created_by,
    comment: `ML Box silence ${silence.id}: ${silence.reason}`,
  };
}

/**
 * Tells Alertmanager of a new silence and keeps its id with it; returns a line saying what happened (never throws
 * for Alertmanager's sake: the silence holds in ML Box either way).
 * @example
 * console.log(await mirrorSilence(db, "mlbox_incidents", "http://127.0.0.1:9093", silence, 10));
 */
export async function mirrorSilence(db: Kysely<any>, incidentsTable: string, alertmanagerUrl: string, silence: Silence, timeoutSeconds: number): Promise<string> {
  const body = alertmanagerSilenceBody(silence, new Date());
  if (typeof body === "string") return `Alertmanager not told: ${body}`;
  try {
    const response = await fetch(`${alertmanagerUrl.replace(/\/+$/, "")}/api/v2/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    if (!response.ok) return `Alertmanager not told: HTTP ${response.status} (the silence holds in ML Box)`;
    const { silenceID } = (await response.json()) as { silenceID: string };
    await sql`update ${sql.id(silenceTable(incidentsTable))} set alertmanager_id = ${silenceID} where id = ${silence.id}`.execute(db);
    return `Alertmanager silence ${silenceID} (stream=${silence.stream}) until ${body.endsAt}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `Alertmanager not told: ${cause ?? errorText(error)} (the silence holds in ML Box)`;
  }
}

/**
 * Expires a removed silence's Alertmanager silence; returns a line, or null when it had none.
 * @example
 * await unmirrorSilence("http://127.0.0.1:9093", "8f7c…", 10);
 */
export async function unmirrorSilence(alertmanagerUrl: string, alertmanagerId: string | null, timeoutSeconds: number): Promise<string | null> {
  if (alertmanagerId === null) return null;
  try {
    const response = await fetch(`${alertmanagerUrl.replace(/\/+$/, "")}/api/v2/silence/${encodeURIComponent(alertmanagerId)}`, { method: "DELETE", signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    return response.ok ? `Alertmanager silence ${alertmanagerId} expired` : `Alertmanager silence ${alertmanagerId} not expired: HTTP ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `Alertmanager silence ${alertmanagerId} not expired: ${cause ?? errorText(error)}`;
  }
}
