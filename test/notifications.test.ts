/**
 * Notifications that are never lost (issue 17 item 3), against a real Prometheus Alertmanager 0.25 on loopback:
 * - the real robot export's held-out part arrives in 10 chunks while `score --follow` runs; the follower is killed
 *   with SIGKILL once and Alertmanager is down for 30 s; in the end every incident of the table was notified
 *   firing, every closed one resolved (with its endsAt), each (incident, severity) as one alert only, and the
 *   outbox holds nothing undelivered;
 * - the service pushes the incidents it writes to Alertmanager and to a JSON webhook that fails at first
 *   (retried, then delivered, ids stable), a silenced incident is recorded and never notified, and
 *   `mlbox_notifications_total` counts the outcomes.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "csv-parse/sync";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { registerModel } from "../lib/registry";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";
import { startAlertmanager, type WebhookNotification } from "./support/alertmanager";
import { flatVersion } from "./support/flatVersion";
import { startServe } from "./support/serveProcess";

const work = mkdtempSync(join(tmpdir(), "mlbox-notify-"));
after(() => rmSync(work, { recursive: true, force: true }));
const TSX = pathToFileURL(require.resolve("tsx")).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TRAIN_END = "2022-10-18T06:18:17.080Z";
const AXES = ["axis_1", "axis_2", "axis_3", "axis_4", "axis_5", "axis_6", "axis_7", "axis_8"];
const records = parse(readFileSync(join(__dirname, "fixtures", "RMBR4-2_export_test.csv")), { columns: true }) as Record<string, string>[];

async function openServer(url: string): Promise<Kysely<any>> {
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }) });
  await sql`set time zone 'UTC'`.execute(db);
  return db;
}

async function insertRows(db: Kysely<any>, rows: readonly Record<string, string>[]): Promise<void> {
  const arrays = AXES.map((axis) => sql`${rows.map((r) => Number(r[axis]))}::double precision[]`);
  await sql`insert into notify_robot (${sql.join([sql.id("recorded_at"), ...AXES.map((a) => sql.id(a))])})
    select * from unnest(${rows.map((r) => r.recorded_at)}::timestamptz[], ${sql.join(arrays)})`.execute(db);
}

/** Waits until `check` is true, polling every 250 ms, up to `seconds`. */
async function waitUntil(what: string, seconds: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

interface Follower {
  readonly child: ChildProcess;
  readonly output: { text: string };
  readonly exited: Promise<number | null>;
}

function follow(configPath: string, env: NodeJS.ProcessEnv): Follower {
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), "score", "--follow", "--config", configPath], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = { text: "" };
  child.stdout?.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output.text += chunk.toString()));
  return { child, output, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

/** Every alert Alertmanager notified, flattened. */
function notifiedAlerts(notifications: readonly WebhookNotification[]): any[] {
  return notifications.flatMap((n) => n.body.alerts as any[]);
}

/** Checks that each (incident, severity) was one alert (one fingerprint, one startsAt) in everything notified. */
function assertOneAlertEach(alerts: readonly any[]): void {
  const seen = new Map<string, { fingerprints: Set<string>; starts: Set<string> }>();
  for (const alert of alerts) {
    const key = `${alert.labels.incident}|${alert.labels.severity}`;
    const entry = seen.get(key) ?? { fingerprints: new Set(), starts: new Set() };
    entry.fingerprints.add(alert.fingerprint);
    entry.starts.add(alert.startsAt);
    seen.set(key, entry);
  }
  for (const [key, entry] of seen) {
    assert.equal(entry.fingerprints.size, 1, `${key} notified as ${entry.fingerprints.size} distinct alerts`);
    assert.equal(entry.starts.size, 1, `${key} notified with ${entry.starts.size} start times`);
  }
}

test("score --follow on the robot export's held-out part: every incident reaches Alertmanager across a kill -9 and a 30 s outage, none twice", { timeout: 420_000 }, async (t) => {
  const am = await startAlertmanager({ groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" });
  after(() => am.close());
  const url = (await sharedPostgres()).url;
  const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_DB_URL: url, TZ: "Asia/Kolkata" };
  const configPath = join(work, "follow.yaml");
  writeFileSync(
    configPath,
    yaml.dump({
      database: { url_env: "NOTIFY_DB_URL" },
      data: { table: "notify_robot", time_col: "recorded_at", axes: AXES, train_start: "2022-10-17T00:00:00Z", train_end: TRAIN_END },
      registry: { root_dir: join(work, "registry-follow") },
      plots: { enabled: false },
      scoring: { events_table: "notify_events", incidents_table: "notify_incidents", poll_seconds: 0.25 },
      incidents: { merge_seconds: 120 },
      alerting: { alertmanager_url: am.url, resend_seconds: 2, hold_seconds: 3, max_backoff_seconds: 2, timeout_seconds: 2 },
    }),
  );
  const db = await openServer(url);
  try {
    for (const table of ["notify_robot", "notify_events", "notify_events_checkpoints", "notify_incidents", "notify_incidents_silences", "notify_incidents_outbox"]) {
      await sql`drop table if exists ${sql.id(table)}`.execute(db);
    }
    await sql`create table notify_robot (recorded_at timestamptz not null, ${sql.join(AXES.map((axis) => sql`${sql.id(axis)} double precision`))})`.execute(db);
    const first = records.findIndex((r) => Date.parse(r.recorded_at.replace(" ", "T")) >= Date.parse(TRAIN_END));
    await insertRows(db, records.slice(0, first));
    const trained = runCli(["--config", configPath, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);

    const held = records.slice(first);
    const chunks = 10;
    const size = Math.ceil(held.length / chunks);
    let follower = follow(configPath, env);
    const outputs: Follower[] = [follower];
    after(() => outputs.forEach((f) => f.child.kill("SIGKILL")));
    const outboxCount = async (where: "all" | "delivered"): Promise<number> => {
      const exists = (await sql<{ t: string | null }>`select to_regclass('notify_incidents_outbox')::text as t`.execute(db)).rows[0].t;
      if (exists === null) return 0;
      const filter = where === "all" ? sql`` : sql`where delivered_at is not null`;
      return Number((await sql<{ n: string }>`select count(*) as n from notify_incidents_outbox ${filter}`.execute(db)).rows[0].n);
    };
    for (let c = 0; c < chunks; c++) {
      await insertRows(db, held.slice(c * size, (c + 1) * size));
      await sleep(700);
      if (c === 3) {
        // Killed once it has queued and sent something: a restart goes on from the outbox.
        await waitUntil("a delivered notification before the kill", 90, async () => (await outboxCount("delivered")) > 0);
        follower.child.kill("SIGKILL");
        assert.equal(await follower.exited, null);
        follower = follow(configPath, env);
        outputs.push(follower);
      }
      if (c === 5) {
        await am.stop();
        const down = Date.now();
        await insertRows(db, held.slice((c + 1) * size, (c + 2) * size));
        c++;
        await waitUntil("the follower to fail a send", 60, () => / to alertmanager failed|alertmanager failed \(/.test(follower.output.text));
        await sleep(Math.max(0, 30_000 - (Date.now() - down)));
        await am.start();
      }
    }
    const lastTime = held[held.length - 1].recorded_at;
    await waitUntil("the follower to reach the last row", 120, async () => {
      const { rows } = await sql<{ done: boolean }>`select position >= ${lastTime}::timestamptz as done from notify_events_checkpoints`.execute(db);
      return rows.length === 1 && rows[0].done === true;
    });
    await waitUntil("the outbox to be delivered", 120, async () => {
      const { rows } = await sql<{ n: string }>`select count(*) as n from notify_incidents_outbox where delivered_at is null`.execute(db);
      return Number(rows[0].n) === 0;
    });

    const incidents = (await sql<Record<string, any>>`select id, severity, closed_at, opened_at::text as opened from notify_incidents order by opened_at`.execute(db)).rows;
    const outbox = (await sql<Record<string, any>>`select incident_id, kind, severity, failed_at, attempts from notify_incidents_outbox order by id`.execute(db)).rows;
    assert.ok(incidents.length >= 3, `incidents: ${incidents.length}`);
    assert.ok(incidents.some((i) => i.closed_at !== null), "some incidents closed");
    assert.ok(outbox.every((row) => row.failed_at === null));
    assert.ok(outbox.some((row) => Number(row.attempts) > 1), "some sends were retried through the outage");
    // Every incident: notified firing at each severity it queued; every closed one: resolved at each, with its endsAt.
    const expectedFiring = outbox.filter((row) => row.kind === "firing").map((row) => `${row.incident_id}|${row.severity}`);
    const expectedResolved = outbox.filter((row) => row.kind === "resolved").map((row) => `${row.incident_id}|${row.severity}`);
    for (const incident of incidents) assert.ok(expectedFiring.some((key) => key.startsWith(`${incident.id}|`)), `${incident.id} queued`);
    for (const incident of incidents.filter((i) => i.closed_at !== null)) assert.ok(expectedResolved.some((key) => key.startsWith(`${incident.id}|`)), `${incident.id} resolve queued`);
    const has = (status: string, key: string) => notifiedAlerts(am.notifications).some((a) => a.status === status && `${a.labels.incident}|${a.labels.severity}` === key);
    await am.waitFor(() => expectedFiring.every((key) => has("firing", key)) && expectedResolved.every((key) => has("resolved", key)), 60_000);
    const alerts = notifiedAlerts(am.notifications);
    t.diagnostic(`${incidents.length} incidents (${incidents.filter((i) => i.closed_at !== null).length} closed), ${outbox.length} outbox rows, ${am.notifications.length} notifications of ${alerts.length} alerts`);
    assertOneAlertEach(alerts);
    for (const alert of alerts.filter((a) => a.status === "resolved")) {
      assert.ok(Date.parse(alert.endsAt) >= Date.parse(alert.startsAt) && !alert.endsAt.startsWith("0001"), `resolved with endsAt: ${alert.endsAt}`);
    }
    const byId = new Map(incidents.map((i) => [i.id, i]));
    for (const alert of alerts) {
      const incident = byId.get(alert.labels.incident);
      assert.ok(incident !== undefined, `alert for an unknown incident ${alert.labels.incident}`);
      assert.equal(alert.labels.stream, "notify_robot");
      assert.equal(alert.labels.model_version, "v1");
      assert.equal(alert.labels.alertname, "MLBoxIncident");
      assert.equal(Date.parse(alert.annotations.opened_at), Date.parse(incident.opened), "data time in the annotations");
    }
    // Only open incidents may still be firing in Alertmanager: the closed ones' alerts are resolved.
    const active = (await am.alerts()).map((a) => a.labels.incident);
    for (const incident of incidents.filter((i) => i.closed_at !== null)) assert.ok(!active.includes(incident.id), `${incident.id} still active`);
    follower.child.kill("SIGTERM");
    assert.equal(await follower.exited, 0, follower.output.text);

    // A stream-wide silence in clock time is told to Alertmanager, and expired there when removed.
    const hour = 3600_000;
    const added = runCli(["silence", "add", "--stream", "notify_robot", "--from", new Date(Date.now() - hour).toISOString(), "--to", new Date(Date.now() + hour).toISOString(), "--reason", "pump swap", "--config", configPath], { env });
    assert.equal(added.status, 0, added.stderr);
    const silenceId = /Alertmanager silence (\S+) \(stream=notify_robot\)/.exec(added.stdout)?.[1];
    assert.ok(silenceId !== undefined, added.stdout);
    const told = (await am.silences()).find((x) => x.id === silenceId);
    assert.equal(told?.status.state, "active");
    assert.deepEqual(told.matchers.map((m: any) => `${m.name}=${m.value}`).sort(), ["alertname=MLBoxIncident", "stream=notify_robot"]);
    const removed = runCli(["silence", "remove", "1", "--config", configPath], { env });
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`Alertmanager silence ${silenceId} expired`));
    assert.equal((await am.silences()).find((x) => x.id === silenceId)?.status.state, "expired");
    assert.match(outputs.map((f) => f.output.text).join("\n"), /to alertmanager failed \((ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET|timed out)\): retrying in \d+ s/);
  } finally {
    await db.destroy();
  }
});

test("the service notifies Alertmanager and a webhook that fails at first; a silenced incident is recorded, never notified; outcomes are counted", { timeout: 240_000 }, async () => {
  const am = await startAlertmanager({ groupWait: "1s", groupInterval: "1s" });
  after(() => am.close());
  const received: { id: string; key: string | undefined; body: any }[] = [];
  let refusals = 2;
  const hook = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      if (refusals-- > 0) {
        response.writeHead(503).end("busy");
        return;
      }
      const message = JSON.parse(body);
      received.push({ id: message.id, key: request.headers["idempotency-key"] as string | undefined, body: message });
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  after(() => hook.close());
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

  const root = join(work, "registry-serve");
  await registerModel(flatVersion(root));
  const configPath = join(work, "serve.yaml");
  writeFileSync(
    configPath,
    yaml.dump({
      data: { table: "t", time_col: "ts", axes: ["axis1", "axis2"], train_start: 0, train_end: 10 },
      registry: { root_dir: root },
      scoring: { events_table: "notify_serve_events", incidents_table: "notify_serve_incidents" },
      incidents: { merge_seconds: 5 },
      alerting: { alertmanager_url: am.url, webhook_url: hookUrl, resend_seconds: 2, hold_seconds: 3, max_backoff_seconds: 1, timeout_seconds: 2 },
    }),
  );
  const url = (await sharedPostgres()).url;
  const db = await openServer(url);
  for (const table of ["notify_serve_events", "notify_serve_events_streams", "notify_serve_incidents", "notify_serve_incidents_silences", "notify_serve_incidents_outbox"]) {
    await sql`drop table if exists ${sql.id(table)}`.execute(db);
  }
  const env = { NOTIFY_DB_URL: url, DB_URL: url, TZ: "Europe/Berlin" };
  const silenced = runCli(["silence", "add", "--stream", "quiet-line", "--from", "0", "--to", "100000", "--reason", "commissioning", "--config", configPath], { env: { ...process.env, ...env } });
  assert.equal(silenced.status, 0, silenced.stderr);
  const service = await startServe(["--config", configPath, "--port", "0"], env);
  try {
    const post = async (stream: string, values: number[]) => {
      const samples = values.map((v, i) => ({ ts: 20 + i, axis1: v, axis2: 0 }));
      const response = await fetch(`${service.loopback}/v1/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ stream, samples }) });
      assert.equal(response.status, 200, await response.text());
    };
    // An error run on axis1 (≥ MaxC 2 for 2 samples), then quiet long enough to close the incident (merge_seconds 5).
    const run = [0, 0, 3, 3, 3, 0, ...Array(20).fill(0)];
    await post("line-1", run);
    await post("quiet-line", run);
    const rows = async () => (await sql<Record<string, any>>`select id, stream, severity, closed_at, silenced from notify_serve_incidents order by stream`.execute(db)).rows;
    const incidents = await rows();
    assert.equal(incidents.length, 2, JSON.stringify(incidents));
    const [line, quiet] = incidents;
    assert.equal(line.stream, "line-1");
    assert.equal(line.silenced, false);
    assert.notEqual(line.closed_at, null);
    assert.equal(quiet.silenced, true, "the silenced incident is recorded, marked");

    const has = (status: string) => notifiedAlerts(am.notifications).some((a) => a.status === status && a.labels.incident === line.id);
    await am.waitFor(() => has("firing") && has("resolved"), 60_000);
    await waitUntil("the webhook to get both messages", 60, () => received.length >= 2);
    await sleep(3000); // anything further (repeats, the silenced incident) would arrive by now
    assert.deepEqual(received.map((r) => r.id), [`${line.id}/${line.severity}/firing`, `${line.id}/${line.severity}/resolved`]);
    assert.ok(received.every((r) => r.key === r.id && r.body.incident.id === line.id));
    assert.equal(received[1].body.incident.closed_at !== null, true);
    assert.ok(!notifiedAlerts(am.notifications).some((a) => a.labels.incident === quiet.id), "the silenced incident is never notified");
    const outbox = (await sql<Record<string, any>>`select incident_id from notify_serve_incidents_outbox`.execute(db)).rows;
    assert.ok(outbox.every((row) => row.incident_id === line.id));
    const metrics = await (await fetch(`${service.loopback}/metrics`)).text();
    const count = (outcome: string, receiver: string) => Number(new RegExp(`^mlbox_notifications_total\\{outcome="${outcome}",receiver="${receiver}"\\} (\\d+)`, "m").exec(metrics)?.[1] ?? NaN);
    assert.ok(count("delivered", "alertmanager") >= 2, metrics);
    assert.equal(count("delivered", "webhook"), 2);
    assert.equal(count("retried", "webhook"), 2);
    assert.equal(count("failed", "webhook"), 0);
  } finally {
    await service.stop();
    await db.destroy();
  }
});

test("notify without a receiver, or with a subcommand, is a one-line error", () => {
  const configPath = join(work, "plain.yaml");
  writeFileSync(configPath, yaml.dump({ data: { table: "t", time_col: "ts", axes: ["a"], train_start: 0, train_end: 10 } }));
  const plain = runCli(["notify", "--config", configPath]);
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /^error: .*plain\.yaml: set alerting\.alertmanager_url or alerting\.webhook_url to send notifications\n$/);
  const misplaced = runCli(["score", "--once", "--config", configPath]);
  assert.equal(misplaced.status, 2);
  assert.match(misplaced.stderr, /--once belongs to notify/);
});
