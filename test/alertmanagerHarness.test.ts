/**
 * test/support/alertmanager.ts against the real Alertmanager 0.25: an alert POSTed firing reaches the webhook
 * receiver as a firing notification and, POSTed again with `endsAt` now, as a resolved one; after `stop()` the API
 * refuses connections, after `start()` (same port) a new alert is notified again and `notifications` still holds the
 * earlier ones, while Alertmanager itself forgot its alerts and (killed with SIGKILL) its silences. An alert POSTed
 * already resolved, never seen firing, is not notified at all — the semantics a notifier that only sends "resolved"
 * for an incident it may never have sent "firing" for relies on.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { startAlertmanager, type AlertmanagerHandle, type WebhookNotification } from "./support/alertmanager";

const RUN = randomBytes(4).toString("hex");
const iso = (ms: number): string => new Date(ms).toISOString();

function labels(incident: string): Record<string, string> {
  return { alertname: "MlboxAnomaly", stream: "harness", severity: "warning", incident: `${RUN}-${incident}` };
}

async function postAlerts(am: AlertmanagerHandle, alerts: unknown[]): Promise<void> {
  const response = await fetch(`${am.url}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alerts) });
  assert.equal(response.status, 200, `POST /api/v2/alerts: ${await response.text()}`);
}

/** Notifications with `status` (firing/resolved) carrying an alert of that incident in that status. */
function matching(all: readonly WebhookNotification[], incident: string, status: "firing" | "resolved"): WebhookNotification[] {
  const wanted = labels(incident).incident;
  return all.filter(
    (n) => n.body?.status === status && Array.isArray(n.body.alerts) && n.body.alerts.some((a: any) => a.labels?.incident === wanted && a.status === status),
  );
}

const mentions = (all: readonly WebhookNotification[], incident: string): boolean =>
  all.some((n) => JSON.stringify(n.body).includes(labels(incident).incident));

let am: AlertmanagerHandle;

before(async () => {
  am = await startAlertmanager();
});

after(async () => {
  await am?.close();
});

test("a firing alert is notified firing, and resolved once POSTed with endsAt now", async () => {
  assert.match(am.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const startsAt = Date.now();
  await postAlerts(am, [{ labels: labels("a"), startsAt: iso(startsAt), endsAt: iso(startsAt + 5 * 60_000) }]);
  await am.waitFor((all) => matching(all, "a", "firing").length > 0, 10_000);
  const firing = matching(am.notifications, "a", "firing")[0];
  assert.equal(firing.body.version, "4");
  assert.equal(firing.body.receiver, "webhook");
  assert.equal(firing.body.groupLabels.incident, labels("a").incident);
  assert.equal(firing.body.alerts.length, 1);
  assert.ok(firing.receivedAt >= startsAt);
  const active = await am.alerts();
  assert.ok(
    active.some((a) => a.labels.incident === labels("a").incident && a.status.state === "active"),
    `GET /api/v2/alerts: ${JSON.stringify(active)}`,
  );

  const resolvedAt = Date.now();
  await postAlerts(am, [{ labels: labels("a"), startsAt: iso(startsAt), endsAt: iso(resolvedAt) }]);
  await am.waitFor((all) => matching(all, "a", "resolved").length > 0, 10_000);
  const resolved = matching(am.notifications, "a", "resolved")[0];
  assert.ok(resolved.receivedAt >= resolvedAt);
  // Alertmanager writes RFC 3339 with trailing zeros of the fraction dropped (…32.09Z): compare instants.
  assert.equal(Date.parse(resolved.body.alerts[0].endsAt), resolvedAt);
  // With group_interval 1s the resolve is sent at the group's next flush, within a few seconds.
  assert.ok(resolved.receivedAt - resolvedAt < 5_000, `resolve notified after ${resolved.receivedAt - resolvedAt} ms`);
  // A resolved alert is no longer listed by the API.
  assert.ok(!(await am.alerts()).some((a) => a.labels.incident === labels("a").incident));
});

test("stop() refuses connections; start() serves again on the same port, notifications kept, alerts and silences forgotten", async () => {
  const now = Date.now();
  await postAlerts(am, [{ labels: labels("c"), startsAt: iso(now), endsAt: iso(now + 5 * 60_000) }]);
  await am.waitFor((all) => matching(all, "c", "firing").length > 0, 10_000);
  const silence = await fetch(`${am.url}/api/v2/silences`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      matchers: [{ name: "incident", value: labels("nobody").incident, isRegex: false, isEqual: true }],
      startsAt: iso(now),
      endsAt: iso(now + 3_600_000),
      createdBy: "alertmanagerHarness.test.ts",
      comment: "survives a restart?",
    }),
  });
  assert.equal(silence.status, 200, await silence.text());
  assert.ok((await am.alerts()).some((a) => a.labels.incident === labels("c").incident));
  assert.equal((await am.silences()).length, 1);
  const before = am.notifications.length;

  await am.stop();
  await assert.rejects(fetch(`${am.url}/-/ready`), (error: any) => error?.cause?.code === "ECONNREFUSED");
  await am.stop(); // a second stop is a no-op

  await am.start();
  const ready = await fetch(`${am.url}/-/ready`);
  assert.equal(ready.status, 200);
  await ready.arrayBuffer();
  // Alerts live in memory only; silences and the notification log are written to --storage.path only on a
  // graceful shutdown (or the 15-minute maintenance), so after SIGKILL both are gone too.
  assert.deepEqual(await am.alerts(), []);
  assert.deepEqual(await am.silences(), []);

  const again = Date.now();
  await postAlerts(am, [{ labels: labels("b"), startsAt: iso(again), endsAt: iso(again + 5 * 60_000) }]);
  await am.waitFor((all) => matching(all, "b", "firing").length > 0, 10_000);
  assert.ok(am.notifications.length > before);
  assert.equal(matching(am.notifications, "a", "firing").length, 1);
  assert.equal(matching(am.notifications, "a", "resolved").length, 1);
  assert.equal(matching(am.notifications, "c", "firing").length, 1);
  const order = am.notifications.map((n) => n.receivedAt);
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
});

test("an alert POSTed already resolved, never firing, produces no notification", async () => {
  const now = Date.now();
  const count = am.notifications.length;
  await postAlerts(am, [
    { labels: labels("d"), startsAt: iso(now - 60_000), endsAt: iso(now - 1_000) },
    // A firing alert POSTed with it shows the pipeline is live while we wait for "d".
    { labels: labels("e"), startsAt: iso(now), endsAt: iso(now + 5 * 60_000) },
  ]);
  await am.waitFor((all) => matching(all, "e", "firing").length > 0, 10_000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + 4_000 - Date.now())));
  assert.ok(am.notifications.length > count);
  assert.equal(mentions(am.notifications, "d"), false, JSON.stringify(am.notifications.map((n) => n.body)));
  assert.ok(!(await am.alerts()).some((a) => a.labels.incident === labels("d").incident));
});

test("waitFor rejects after its timeout, listing what was received", async () => {
  await assert.rejects(am.waitFor(() => false, 300), (error: Error) => {
    assert.match(error.message, /within 300 ms/);
    assert.match(error.message, new RegExp(`firing: firing .*${labels("a").incident}`));
    return true;
  });
});
