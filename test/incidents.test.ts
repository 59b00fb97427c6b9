/**
 * Incidents on a real PostgreSQL server: a replay of the demo data writes incidents consistent with its
 * events and re-running adds none; follow writes the same incidents; the CLI lists, shows, acknowledges and
 * labels them and manages silences; a silenced incident is recorded and marked; bad input (unknown id,
 * unknown label, a silence ending before it starts) is one line and changes nothing; the service writes
 * incidents too, and ack/label persist across its restart.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { followScore } from "../lib/scoring/follow";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { registerModel } from "../lib/registry";
import { createScoringService } from "../server/app";
import { openStreamStore } from "../server/streamStore";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-incidents-"));
after(() => rmSync(work, { recursive: true, force: true }));

function demoConfig(name: string, extra = ""): string {
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  const text = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8").replace("url_env: DB_URL", "url_env: INCIDENTS_DB_URL").replace("enabled: true", "enabled: false").replace(/root_dir: .*/, `root_dir: ${join(work, "registry")}`);
  const path = join(folder, "config.yaml");
  writeFileSync(path, `${text}\nscoring:\n  events_table: ${name}_events\n  incidents_table: ${name}_incidents\n${extra}`);
  return path;
}

async function rows(db: Kysely<any>, table: string): Promise<Record<string, any>[]> {
  const { rows } = await sql<Record<string, any>>`select *, opened_at::text as opened_text from ${sql.id(table)} order by opened_at`.execute(db);
  return rows;
}

test("replay, follow and the CLI: incidents consistent with events, idempotent, ack/label/silence, bad input", async () => {
  const url = (await sharedPostgres()).url;
  const env: NodeJS.ProcessEnv = { ...process.env, INCIDENTS_DB_URL: url, TZ: "America/New_York" };
  process.env.INCIDENTS_DB_URL = url;
  const configPath = demoConfig("inc");
  const config = loadConfig(configPath);
  const db = await connect(config.database);
  try {
    for (const table of ["inc_events", "inc_events_checkpoints", "inc_incidents", "inc_incidents_silences", "fol_events", "fol_events_checkpoints", "fol_incidents", "fol_incidents_silences"]) {
      await sql`drop table if exists ${sql.id(table)}`.execute(db);
    }
    await seedDemoTables(db, generateDemoData(), { tables: "wide", replace: true });
    const trained = runCli(["--config", configPath, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);

    const first = runCli(["score", "--config", configPath], { env });
    assert.equal(first.status, 0, first.stderr);
    const events = (await sql<Record<string, any>>`select * from inc_events`.execute(db)).rows;
    const incidents = await rows(db, "inc_incidents");
    assert.ok(events.length > 0 && incidents.length > 0, `events ${events.length}, incidents ${incidents.length}`);
    assert.ok(incidents.length <= events.length);
    // Consistent: the events counted in the incidents are all the events; each incident's severity is its events' highest level.
    assert.equal(incidents.reduce((n, row) => n + Number(row.events), 0), events.length);
    for (const incident of incidents) {
      const inside = events.filter((e) => e.started_at >= incident.opened_at && (incident.closed_at === null || e.started_at <= incident.closed_at));
      assert.ok(inside.length >= Number(incident.events));
      assert.equal(incident.severity, inside.some((e) => e.level === "error") ? "error" : "alert");
    }

    const again = runCli(["score", "--config", configPath], { env });
    assert.equal(again.status, 0, again.stderr);
    const after2 = await rows(db, "inc_incidents");
    assert.deepEqual(after2.map((r) => [r.id, r.events, r.severity]), incidents.map((r) => [r.id, r.events, r.severity]), "a re-run adds or changes nothing");

    // Follow into other tables writes the same incidents (same ids: the same first-fired events).
    const followConfig = loadConfig(demoConfig("fol"));
    const stop = new AbortController();
    await followScore(followConfig, { signal: stop.signal, onPoll: () => stop.abort() });
    const followed = await rows(db, "fol_incidents");
    assert.deepEqual(followed.map((r) => [r.id, r.severity, r.events]), incidents.map((r) => [r.id, r.severity, r.events]));

    // CLI: list, show, ack, label.
    const id = incidents[0].id as string;
    const list = runCli(["incidents", "list", "--config", configPath], { env });
    assert.equal(list.status, 0, list.stderr);
    assert.equal(list.stdout.trim().split("\n").length, incidents.length);
    const show = runCli(["incidents", "show", id, "--config", configPath], { env });
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^${id} `));
    assert.match(show.stdout, /events \(\d+\):/);
    assert.equal(runCli(["incidents", "ack", id, "--config", configPath], { env: { ...env, USER: "alice" } }).status, 0);
    const labelled = runCli(["incidents", "label", id, "false_alarm", "--note", "cable loose", "--config", configPath], { env: { ...env, USER: "bob" } });
    assert.equal(labelled.status, 0, labelled.stderr);
    const [row] = (await sql<Record<string, any>>`select * from inc_incidents where id = ${id}`.execute(db)).rows;
    assert.equal(row.acked_by, "alice");
    assert.equal(row.label, "false_alarm");
    assert.equal(row.note, "cable loose");
    assert.equal(row.labelled_by, "bob");

    // Bad input: one line, exit 2, nothing changed.
    const before = JSON.stringify((await sql`select * from inc_incidents order by id`.execute(db)).rows);
    const unknown = runCli(["incidents", "ack", "inc-nope", "--config", configPath], { env });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^error: no incident "inc-nope" in inc_incidents/);
    assert.equal(unknown.stderr.trim().split("\n").length, 1);
    const badLabel = runCli(["incidents", "label", id, "bogus", "--config", configPath], { env });
    assert.equal(badLabel.status, 2);
    assert.match(badLabel.stderr, /^error: label must be one of false_alarm, fault, maintenance, other, got "bogus"\n$/);
    const backwards = runCli(["silence", "add", "--stream", "stream_samples_wide", "--from", "2022-10-19T00:00:00Z", "--to", "2022-10-18T00:00:00Z", "--reason", "x", "--config", configPath], { env });
    assert.equal(backwards.status, 2);
    assert.match(backwards.stderr, /^error: --to \(.*\) must be after --from/);
    assert.equal(JSON.stringify((await sql`select * from inc_incidents order by id`.execute(db)).rows), before);
    assert.equal((await sql`select * from inc_incidents_silences`.execute(db)).rows.length, 0);

    // Silences: add, list, remove; a silenced incident is recorded and marked.
    const silenceConfig = demoConfig("sil");
    for (const table of ["sil_events", "sil_incidents", "sil_incidents_silences"]) await sql`drop table if exists ${sql.id(table)}`.execute(db);
    const added = runCli(["silence", "add", "--stream", "stream_samples_wide", "--from", "2000-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z", "--reason", "maintenance week", "--config", silenceConfig], { env });
    assert.equal(added.status, 0, added.stderr);
    const extra = runCli(["silence", "add", "--stream", "other", "--axis", "axis1", "--from", "0", "--to", "10", "--reason", "test", "--config", silenceConfig], { env });
    assert.equal(extra.status, 0, extra.stderr);
    const listed = runCli(["silence", "list", "--config", silenceConfig], { env });
    assert.match(listed.stdout, /^1  stream_samples_wide  2000-01-01T00:00:00\.000000Z → 2100-01-01T00:00:00\.000000Z  maintenance week/m);
    assert.match(listed.stdout, /^2  other\/axis1  0 → 10  test/m);
    assert.equal(runCli(["silence", "remove", "2", "--config", silenceConfig], { env }).status, 0);
    assert.equal(runCli(["silence", "remove", "2", "--config", silenceConfig], { env }).status, 2);
    assert.equal(runCli(["score", "--config", silenceConfig], { env }).status, 0);
    const silenced = await rows(db, "sil_incidents");
    assert.equal(silenced.length, incidents.length, "silenced incidents are still recorded");
    assert.ok(silenced.every((r) => r.silenced === true));
    const silencedEvents = (await sql<{ silenced: boolean }>`select silenced from sil_events`.execute(db)).rows;
    assert.ok(silencedEvents.length > 0 && silencedEvents.every((e) => e.silenced));
    assert.ok(incidents.every((r) => r.silenced === false));
  } finally {
    await db.destroy();
  }
});

test("the service writes incidents, serves /v1/incidents, and ack/label persist across a restart", async () => {
  const url = (await sharedPostgres()).url;
  process.env.INCIDENTS_DB_URL = url;
  const rootDir = mkdtempSync(join(work, "registry-"));
  const axes = ["axis1"];
  await registerModel({
    rootDir,
    versionTag: "auto",
    models: { type: "linear", models: axes.map((axis) => ({ axis, coef: 0, intercept: 0, samples_used: 10 })) },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
    thresholds: { axis1: { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "test" } } },
    metrics: axes.map((axis) => ({ axis, r2: 1, mae: 0, rmse: 0 })),
    meta: {
      data: { table: "t", time_col: "ts", time_type: "float", layout: "wide", axes, train_start: 0, train_end: 10 },
      prep: { interpolate: false },
      rows: { raw: 10, train: 10 },
      lineage: { config_path: "/c.yaml", config_sha256: "a".repeat(64), data_fingerprint: "b".repeat(64), database: "embedded", git_commit: null },
    },
  });
  const config = loadConfig(demoConfig("svc"));
  const db = await connect(config.database);
  for (const table of ["svc_events", "svc_events_streams", "svc_incidents", "svc_incidents_silences"]) await sql`drop table if exists ${sql.id(table)}`.execute(db);
  const start = async () => {
    const store = await openStreamStore(db, "svc_events", { incidentsTable: "svc_incidents", mergeSeconds: 30 });
    return createScoringService({ rootDir, store, watchMs: 0, incidents: { db, eventsTable: "svc_events", incidentsTable: "svc_incidents" } });
  };
  try {
    let service = await start();
    // A run above the error level from t = 100 to 104, then quiet until 200: one incident, closed.
    const samples = Array.from({ length: 100 }, (_, i) => ({ ts: 100 + i, axis1: i < 5 ? 3 : 0 }));
    const scored = await service.app.inject({ method: "POST", url: "/v1/score", payload: { stream: "robot-1", samples: samples.slice(0, 20) } });
    assert.equal(scored.statusCode, 200, scored.body);
    let metrics = (await service.app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(metrics, /^mlbox_incidents_open\{stream="robot-1",severity="error"\} 1$/m);
    assert.match(metrics, /^mlbox_events_total\{stream="robot-1",axis="axis1",level="error"\} 1$/m);
    const listed = (await service.app.inject({ method: "GET", url: "/v1/incidents" })).json();
    assert.equal(listed.incidents.length, 1);
    const id = listed.incidents[0].id;
    assert.equal(listed.incidents[0].closed_at, null);
    // The quiet rest of the run: the position passes the end by merge_seconds (30 s), so the incident closes.
    await service.app.inject({ method: "POST", url: "/v1/score", payload: { stream: "robot-1", samples: samples.slice(20) } });
    metrics = (await service.app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(metrics, /^mlbox_incidents_open\{stream="robot-1",severity="error"\} 0$/m);
    const acked = await service.app.inject({ method: "POST", url: `/v1/incidents/${id}/ack`, payload: { by: "carol" } });
    assert.equal(acked.statusCode, 200, acked.body);
    const labelled = await service.app.inject({ method: "POST", url: `/v1/incidents/${id}/label`, payload: { label: "maintenance", note: "planned" } });
    assert.equal(labelled.statusCode, 200, labelled.body);
    const badLabel = await service.app.inject({ method: "POST", url: `/v1/incidents/${id}/label`, payload: { label: "nope" } });
    assert.equal(badLabel.statusCode, 400);
    assert.match(badLabel.json().error, /^label must be one of false_alarm, fault, maintenance, other/);
    const missing = await service.app.inject({ method: "POST", url: "/v1/incidents/inc-none/ack", payload: {} });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error, /no incident "inc-none"/);
    await service.app.close();

    service = await start();
    const shown = await service.app.inject({ method: "GET", url: `/v1/incidents/${id}` });
    assert.equal(shown.statusCode, 200, shown.body);
    const body = shown.json();
    assert.equal(body.acked_by, "carol");
    assert.equal(body.label, "maintenance");
    assert.equal(body.note, "planned");
    assert.equal(body.severity, "error");
    assert.equal(body.closed_at, 104);
    assert.deepEqual(body.axes, ["axis1"]);
    assert.ok(body.event_list.length >= 1);
    await service.app.close();
    const { rows: count } = await sql<{ n: string }>`select count(*) as n from svc_incidents`.execute(db);
    assert.equal(Number(count[0].n), 1);
  } finally {
    await db.destroy();
  }
});
