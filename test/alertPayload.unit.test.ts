/**
 * The notification rules without a receiver (lib/scoring/alerting/): what an incident change owes
 * (owedMessages), and the Alertmanager alert and webhook body of a message (alertPayload.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { owedMessages } from "../lib/scoring/alerting/outboxHook";
import { alertmanagerAlert, webhookMessage, ALERT_NAME } from "../lib/scoring/alerting/alertPayload";
import { messageId } from "../lib/scoring/alerting/outboxTable";
import { alertingEnabled } from "../lib/scoring/alerting/alertingSetup";
import type { IncidentRow } from "../lib/scoring/incidentAdmin";
import { alertmanagerSilenceBody } from "../lib/scoring/alerting/alertmanagerSilence";
import type { Silence } from "../lib/scoring/silences";

const open = { closed: false, severity: "alert" as const, silenced: false };

test("an incident opening owes one firing message at its severity, and nothing more while it stays so", () => {
  assert.deepEqual(owedMessages(open, []), [{ kind: "firing", severity: "alert" }]);
  assert.deepEqual(owedMessages(open, [{ kind: "firing", severity: "alert" }]), []);
});

test("an escalation adds the error's firing message; closing resolves every severity that fired", () => {
  const queued = [{ kind: "firing" as const, severity: "alert" as const }];
  assert.deepEqual(owedMessages({ ...open, severity: "error" }, queued), [{ kind: "firing", severity: "error" }]);
  const both = [...queued, { kind: "firing" as const, severity: "error" as const }];
  assert.deepEqual(owedMessages({ closed: true, severity: "error", silenced: false }, both), [
    { kind: "resolved", severity: "alert" },
    { kind: "resolved", severity: "error" },
  ]);
  assert.deepEqual(owedMessages({ closed: true, severity: "error", silenced: false }, [...both, { kind: "resolved", severity: "alert" }, { kind: "resolved", severity: "error" }]), []);
});

test("an incident that opens and closes in one batch owes a firing message before its resolve", () => {
  assert.deepEqual(owedMessages({ closed: true, severity: "error", silenced: false }, []), [
    { kind: "firing", severity: "error" },
    { kind: "resolved", severity: "error" },
  ]);
});

test("a silenced incident owes nothing", () => {
  assert.deepEqual(owedMessages({ ...open, silenced: true }, []), []);
  assert.deepEqual(owedMessages({ closed: true, severity: "alert", silenced: true }, []), []);
});

const incident: IncidentRow = {
  id: "inc-0123456789abcdef",
  stream: "robot",
  model_version: "v3",
  opened_at: "2022-10-18T06:44:31.000000Z",
  closed_at: null,
  severity: "error",
  axes: ["axis3", "T2"],
  peaks: { axis3: { level: "alert", peak: 0.3123456, expected: 0.25 }, T2: { level: "error", peak: 40.2, expected: 18.4 } },
  contributions: [{ axis: "axis2", share: 0.612, value: 3.1, expected: 1.2 }],
  events: 3,
  silenced: false,
  acked_at: "2026-12-07T03:00:00.000Z",
  acked_by: "ann",
  label: null,
  note: null,
  labelled_at: null,
  labelled_by: null,
};

test("a firing alert: labels identify the incident and severity, annotations carry data times and values, endsAt 4 re-sends ahead", () => {
  const starts = new Date("2026-12-07T03:00:00.000Z");
  const now = new Date("2026-12-07T03:05:00.000Z");
  const alert = alertmanagerAlert(incident, { kind: "firing", severity: "alert", starts_at: starts }, now, 60);
  assert.deepEqual(alert.labels, { alertname: ALERT_NAME, stream: "robot", severity: "alert", model_version: "v3", incident: "inc-0123456789abcdef" });
  assert.equal(alert.startsAt, "2026-12-07T03:00:00.000Z");
  assert.equal(alert.endsAt, "2026-12-07T03:09:00.000Z");
  assert.equal(alert.annotations.opened_at, "2022-10-18T06:44:31.000000Z");
  assert.equal(alert.annotations.closed_at, "");
  assert.equal(alert.annotations.axes, "axis3,T2");
  assert.match(alert.annotations.peaks, /^axis3 0\.3123 \(limit 0\.25\), T2 40\.2 \(limit 18\.4\)$/);
  assert.match(alert.annotations.contributions, /^axis2 61% \(value 3\.1, expected 1\.2\)$/);
  for (const value of [...Object.values(alert.labels), ...Object.values(alert.annotations)]) assert.equal(typeof value, "string");
});

test("a resolved alert ends at the time it is sent, never before it starts", () => {
  const now = new Date("2026-12-07T03:05:00.000Z");
  const closed = { ...incident, closed_at: "2022-10-18T06:50:00.000000Z" };
  const alert = alertmanagerAlert(closed, { kind: "resolved", severity: "error", starts_at: new Date("2026-12-07T03:00:00.000Z") }, now, 60);
  assert.equal(alert.endsAt, now.toISOString());
  assert.equal(alert.annotations.closed_at, "2022-10-18T06:50:00.000000Z");
  const early = alertmanagerAlert(closed, { kind: "resolved", severity: "error", starts_at: new Date("2026-12-07T04:00:00.000Z") }, now, 60);
  assert.ok(Date.parse(early.startsAt) <= Date.parse(early.endsAt));
});

test("the webhook body has the message's stable id and leaves the operator's columns out", () => {
  const id = messageId(incident.id, "alert", "firing");
  assert.equal(id, "inc-0123456789abcdef/alert/firing");
  const body = webhookMessage(incident, { kind: "firing", severity: "alert", message_id: id }, new Date("2026-12-07T03:05:00.000Z"));
  assert.equal(body.id, id);
  assert.equal(body.incident.id, incident.id);
  assert.equal(body.sent_at, "2026-12-07T03:05:00.000Z");
  assert.equal("acked_by" in body.incident, false);
});

test("alerting is on only when a receiver is configured", () => {
  const base = { resend_seconds: 60, hold_seconds: 60, max_backoff_seconds: 300, timeout_seconds: 10 };
  assert.equal(alertingEnabled({ alerting: { ...base, alertmanager_url: null, webhook_url: null } }), false);
  assert.equal(alertingEnabled({ alerting: { ...base, alertmanager_url: null, webhook_url: "http://127.0.0.1:9/hook" } }), true);
});

test("a silence is told to Alertmanager only when it can match it: stream-wide, clock time, not yet over", () => {
  const now = new Date("2026-12-07T03:00:00.000Z");
  const base: Silence = {
    id: 4, stream: "robot", axis: null, from_seconds: Date.parse("2026-12-07T02:00:00Z") / 1000, to_seconds: Date.parse("2026-12-07T05:00:00Z") / 1000,
    from_text: "2026-12-07T02:00:00.000000Z", to_text: "2026-12-07T05:00:00.000000Z", reason: "pump swap", created_by: "ann", created_at: "",
  };
  const body = alertmanagerSilenceBody(base, now);
  assert.ok(typeof body !== "string");
  assert.equal(body.startsAt, "2026-12-07T03:00:00.000Z", "from now, not from the past");
  assert.equal(body.endsAt, "2026-12-07T05:00:00.000Z");
  assert.deepEqual(body.matchers.map((m) => `${m.name}=${m.value}`), ["alertname=MLBoxIncident", "stream=robot"]);
  assert.match(body.comment, /ML Box silence 4: pump swap/);
  assert.match(String(alertmanagerSilenceBody({ ...base, axis: "axis3" }, now)), /axis silence/);
  assert.match(String(alertmanagerSilenceBody({ ...base, from_text: "0", to_text: "60", from_seconds: 0, to_seconds: 60 }, now)), /float time column/);
  assert.match(String(alertmanagerSilenceBody({ ...base, to_seconds: Date.parse("2026-12-07T02:30:00Z") / 1000 }, now)), /ended before now/);
});
