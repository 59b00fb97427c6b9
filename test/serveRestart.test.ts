/**
 * The scoring service keeps its streams in the config's database (real
 * PostgreSQL): a `kill -9` and restart in the middle of an event continues
 * exactly (events and residuals equal a one-pass score of the same samples,
 * the events table holds each event once), the stream's last sample re-sent
 * after the restart is refused, a stream with an open run stays on its version
 * across a restart, streams evicted from memory continue from the database,
 * concurrent batches of one stream are saved in order, concurrent batches of many
 * streams (committed together) each equal one pass, and a batch whose save
 * fails is 503 and changes nothing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
import { loadVersion, promoteAlias, registerModel, type RegisterOptions } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import { readEvents } from "../lib/scoring/eventStore";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent } from "../lib/scoring/score";
import { createScoringService } from "../server/app";
import { openStreamStore } from "../server/streamStore";
import { createStreamCache, type Stream } from "../server/streams";
import { sharedPostgres, type TestPostgres } from "./support/postgres";
import { startServe } from "./support/serveProcess";

const AXES = ["axis1", "axis2"];

/** A version whose lines are y = 0: residual = value. Alert at ≥ minC for 3 samples, error at ≥ 2 for 2. */
function version(rootDir: string, minC = 1): RegisterOptions {
  return flatVersion(rootDir, { axes: AXES, minC });
}

type Sample = { ts: number; axis1: number; axis2: number };

/** A deterministic signal with long runs above both levels on both axes. */
function signal(n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ ts: 100 + i * 0.5, axis1: (i % 11 < 6 ? 1.5 : 0) + (i % 23 < 3 ? 1 : 0), axis2: i % 13 < 7 ? 2.5 : (i % 3) * 0.5 }));
}

/** The last report of every event (by axis, level, started_at), sorted. */
function finalEvents(events: readonly ScoreEvent[]): ScoreEvent[] {
  const byKey = new Map<string, ScoreEvent>();
  for (const event of events) byKey.set(`${event.axis}|${event.level}|${event.started_at}`, event);
  return [...byKey.values()].sort((x, y) => x.axis.localeCompare(y.axis) || x.level.localeCompare(y.level) || Number(x.started_at) - Number(y.started_at));
}

async function post(base: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/v1/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

let pg: TestPostgres;
let db: Kysely<any>;
const dirs: string[] = [];
before(async () => {
  pg = await sharedPostgres();
  db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: pg.url }) }) });
});
after(async () => {
  await db?.destroy();
  dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});

/** A folder with a registry holding v1 and a config naming it and `eventsTable`. */
async function setup(eventsTable: string): Promise<{ dir: string; root: string; config: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-serve-restart-"));
  dirs.push(dir);
  const root = path.join(dir, "registry");
  await registerModel(version(root));
  const config = path.join(dir, "config.yaml");
  fs.writeFileSync(config, `data:\n  table: t\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\nscoring:\n  events_table: ${eventsTable}\n`);
  return { dir, root, config };
}

test("kill -9 mid-event and restart: events equal one pass, the last sample re-sent is refused, an open run keeps its version", async () => {
  const { root, config } = await setup("restart_events");
  const samples = signal(150);
  const model = scoringModel(await loadVersion(root, "latest"));
  const onePass = scoreBatch(model, initialScoreState(model, "robot"), {
    time: Float64Array.from(samples, (s) => s.ts),
    values: AXES.map((axis) => Float64Array.from(samples, (s) => s[axis as "axis1" | "axis2"])),
  });
  // Cut inside an event: after the sample where a long run fired, before it ended.
  const straddled = onePass.events.find((e) => e.ended_at !== null && (e.ended_at as number) - (e.fired_at as number) >= 1.5);
  assert.ok(straddled !== undefined, "the signal has an event longer than its sustain steps");
  const cut = samples.findIndex((s) => s.ts === straddled.fired_at) + 2;

  const env = { DB_URL: pg.url };
  const reported: ScoreEvent[] = [];
  const residuals: number[] = [];
  const sendRange = async (base: string, from: number, to: number): Promise<void> => {
    for (let start = from; start < to; start += 7) {
      const reply = await post(base, { stream: "robot", samples: samples.slice(start, Math.min(start + 7, to)) });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.model_version, "v1");
      reported.push(...reply.body.events);
      residuals.push(...reply.body.residuals.axis1);
    }
  };

  const first = await startServe(["--config", config, "--port", "0"], env);
  await sendRange(first.address, 0, cut);
  assert.ok(reported.some((e) => e.started_at === straddled.started_at && e.ended_at === null && e.axis === straddled.axis), "the event fired before the kill");
  assert.equal((await post(first.address, { stream: "held", samples: [{ ts: 100, axis1: 5, axis2: 0 }] })).status, 200); // a run in progress
  assert.equal((await post(first.address, { stream: "idle", samples: [{ ts: 100, axis1: 0, axis2: 0 }] })).status, 200); // none
  assert.equal((await first.stop("SIGKILL")).signal, "SIGKILL");

  const second = await startServe(["--config", config, "--port", "0"], env);
  const resent = await post(second.address, { stream: "robot", samples: [samples[cut - 1]] });
  assert.equal(resent.status, 400);
  assert.match(resent.body.error, /duplicates the previous sample at 1\d\d/);
  await sendRange(second.address, cut, samples.length);
  await second.stop("SIGTERM");

  assert.deepEqual(residuals, Array.from(onePass.residuals[0]));
  assert.deepEqual(finalEvents(reported), finalEvents(onePass.events));
  // The events table holds each event once, as one pass would leave it.
  const rows = await readEvents(db, "restart_events", "v1", "robot");
  assert.deepEqual(
    rows.map((row) => ({ ...row })),
    finalEvents(onePass.events).map(({ model_version, stream, axis, level, started_at, fired_at, ended_at, samples, peak_residual, threshold, contributions }) => ({
      model_version, stream, axis, level, started_at, fired_at, ended_at, samples, peak_residual, threshold, contributions: contributions ?? null, silenced: false,
    })),
  );

  // A newer version registered and promoted while the service is down: the stream with a run in progress stays on v1.
  await registerModel(version(root, 0.5));
  await promoteAlias(root, "v2");
  const third = await startServe(["--config", config, "--port", "0"], env);
  try {
    const held = await post(third.address, { stream: "held", samples: [{ ts: 101, axis1: 5, axis2: 0 }] });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal(held.body.model_version, "v1");
    assert.equal(held.body.switched_from, undefined);
    const idle = await post(third.address, { stream: "idle", samples: [{ ts: 101, axis1: 0, axis2: 0 }] });
    assert.equal(idle.body.model_version, "v2");
    assert.equal(idle.body.switched_from, "v1");
    const again = await post(third.address, { stream: "idle", samples: [{ ts: 101, axis1: 0, axis2: 0 }] });
    assert.equal(again.status, 400, "the position survived the switch");
  } finally {
    await third.stop("SIGTERM");
  }
});

test("streams beyond the memory limit are evicted and continue exactly from the database", async () => {
  const { root } = await setup("evict_events");
  const store = await openStreamStore(db, "evict_events");
  const service = await createScoringService({ rootDir: root, watchMs: 0, store, maxStreams: 3 });
  try {
    const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
    const samples = signal(60);
    const names = Array.from({ length: 10 }, (_, k) => `s${k}`);
    const reported = new Map<string, ScoreEvent[]>(names.map((name) => [name, []]));
    for (let start = 0; start < samples.length; start += 5) {
      for (const name of names) {
        const reply = await post(base, { stream: name, samples: samples.slice(start, start + 5) });
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        reported.get(name)?.push(...reply.body.events);
      }
    }
    const model = await (await fetch(`${base}/v1/model`)).json();
    assert.equal((model as { streams: number }).streams, 3, "at most 3 streams in memory");
    const scorer = scoringModel(await loadVersion(root, "latest"));
    for (const name of names) {
      const onePass = scoreBatch(scorer, initialScoreState(scorer, name), {
        time: Float64Array.from(samples, (s) => s.ts),
        values: AXES.map((axis) => Float64Array.from(samples, (s) => s[axis as "axis1" | "axis2"])),
      });
      assert.deepEqual(finalEvents(reported.get(name) ?? []), finalEvents(onePass.events), name);
    }
  } finally {
    await service.app.close();
  }
});

test("concurrent batches of one stream: what was accepted is scored and saved in order, as one pass over it", async () => {
  const { root } = await setup("concurrent_events");
  const store = await openStreamStore(db, "concurrent_events");
  const service = await createScoringService({ rootDir: root, watchMs: 0, store });
  try {
    const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
    const samples = signal(200);
    const batches = Array.from({ length: 20 }, (_, k) => samples.slice(k * 10, k * 10 + 10));
    const replies = await Promise.all(batches.map((batch) => post(base, { stream: "busy", samples: batch })));
    const accepted = batches.filter((_, k) => replies[k].status === 200);
    for (const reply of replies) {
      if (reply.status !== 200) assert.match(reply.body.error, /before the previous sample/);
    }
    assert.ok(accepted.length > 0);
    const kept = accepted.flat();
    for (let i = 1; i < kept.length; i++) assert.ok(kept[i].ts > kept[i - 1].ts, "accepted batches are in time order");
    const scorer = scoringModel(await loadVersion(root, "latest"));
    const onePass = scoreBatch(scorer, initialScoreState(scorer, "busy"), {
      time: Float64Array.from(kept, (s) => s.ts),
      values: AXES.map((axis) => Float64Array.from(kept, (s) => s[axis as "axis1" | "axis2"])),
    });
    const reported = replies.filter((reply) => reply.status === 200).flatMap((reply) => reply.body.events as ScoreEvent[]);
    assert.deepEqual(finalEvents(reported), finalEvents(onePass.events));
    const rows = await readEvents(db, "concurrent_events", "v1", "busy");
    assert.equal(rows.length, finalEvents(onePass.events).length);
    const saved = await store.load("busy");
    assert.equal(saved?.state.lastTime, kept[kept.length - 1].ts);
  } finally {
    await service.app.close();
  }
});

test("concurrent batches of many streams, committed together: each stream's events, incidents and state equal one pass", async () => {
  const { root } = await setup("group_events");
  const store = await openStreamStore(db, "group_events");
  const service = await createScoringService({ rootDir: root, watchMs: 0, store });
  try {
    const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
    const samples = signal(120);
    const names = Array.from({ length: 12 }, (_, k) => `g${k}`);
    const reported = new Map<string, ScoreEvent[]>(names.map((name) => [name, []]));
    for (let start = 0; start < samples.length; start += 10) {
      // All streams at once: their saves meet in the store and share transactions (server/groupCommit.ts).
      const replies = await Promise.all(names.map((name) => post(base, { stream: name, samples: samples.slice(start, start + 10) })));
      replies.forEach((reply, k) => {
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        reported.get(names[k])?.push(...reply.body.events);
      });
    }
    const scorer = scoringModel(await loadVersion(root, "latest"));
    const onePass = scoreBatch(scorer, initialScoreState(scorer, "g"), {
      time: Float64Array.from(samples, (s) => s.ts),
      values: AXES.map((axis) => Float64Array.from(samples, (s) => s[axis as "axis1" | "axis2"])),
    });
    const expected = finalEvents(onePass.events).map((event) => ({ ...event, stream: "" }));
    assert.ok(expected.length > 0);
    const incidents = await db.selectFrom("group_events_incidents").select(["stream"]).execute();
    for (const name of names) {
      assert.deepEqual(finalEvents(reported.get(name) ?? []).map((event) => ({ ...event, stream: "" })), expected, name);
      assert.equal((await readEvents(db, "group_events", "v1", name)).length, expected.length, name);
      assert.equal((await store.load(name))?.state.lastTime, samples[samples.length - 1].ts, name);
    }
    const perStream = names.map((name) => incidents.filter((row) => row.stream === name).length);
    assert.ok(perStream[0] > 0, "the signal forms incidents");
    assert.deepEqual(perStream, names.map(() => perStream[0]), "every stream has the same incidents");
  } finally {
    await service.app.close();
  }
});

test("a batch whose save fails is 503 + Retry-After and changes nothing: the same batch retried is scored as one pass", async () => {
  const { root } = await setup("failing_events");
  const store = await openStreamStore(db, "failing_events");
  // A store whose database is gone: its queries really fail.
  const goneDb = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: pg.url }) }) });
  const gone = await openStreamStore(goneDb, "failing_events");
  await goneDb.destroy();
  let failing = false;
  const switchable: typeof store = { table: store.table, load: (name) => store.load(name), save: (...args) => (failing ? gone : store).save(...args) };
  const service = await createScoringService({ rootDir: root, watchMs: 0, store: switchable });
  try {
    const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
    const samples = signal(60);
    const reported: ScoreEvent[] = [];
    for (let start = 0; start < samples.length; start += 10) {
      const batch = { stream: "flaky", samples: samples.slice(start, start + 10) };
      if (start === 30) {
        failing = true;
        const response = await fetch(`${base}/v1/score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("retry-after"), "1");
        assert.match(((await response.json()) as { error: string }).error, /^cannot save stream "flaky" to failing_events_streams \(.*\): retry$/);
        failing = false;
      }
      const reply = await post(base, batch);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      reported.push(...reply.body.events);
    }
    const scorer = scoringModel(await loadVersion(root, "latest"));
    const onePass = scoreBatch(scorer, initialScoreState(scorer, "flaky"), {
      time: Float64Array.from(samples, (s) => s.ts),
      values: AXES.map((axis) => Float64Array.from(samples, (s) => s[axis as "axis1" | "axis2"])),
    });
    assert.deepEqual(finalEvents(reported), finalEvents(onePass.events));
    assert.equal((await readEvents(db, "failing_events", "v1", "flaky")).length, finalEvents(onePass.events).length);
  } finally {
    await service.app.close();
  }
});

test("a stream unused past the idle time leaves memory and is loaded from the store at its next request", async () => {
  const { root } = await setup("idle_events");
  const store = await openStreamStore(db, "idle_events");
  const scorer = scoringModel(await loadVersion(root, "latest"));
  let clock = 0;
  const loaded: string[] = [];
  const evicted: string[] = [];
  const cache = createStreamCache({
    store,
    maxStreams: 100,
    idleMs: 600_000,
    now: () => clock,
    load: async (name) => (loaded.push(name), { model: scorer, state: { ...initialScoreState(scorer, name), lastTime: 7 } }),
    onEvict: (stream) => evicted.push(stream.state.stream),
  });
  const touch = (name: string): Promise<Stream | null> =>
    cache.exclusive(name, async (current) => ({ keep: current ?? { model: scorer, state: initialScoreState(scorer, name) }, value: current }));
  await touch("a");
  clock = 300_000;
  await touch("b");
  assert.deepEqual(loaded, ["a", "b"], "not in memory: asked the store first");
  clock = 600_000;
  assert.equal(cache.sweep(), 1, "a was unused for 600 s");
  assert.deepEqual(evicted, ["a"]);
  assert.equal(cache.size(), 1);
  assert.equal((await touch("b"))?.state.lastTime, 7, "b is still in memory");
  assert.deepEqual(loaded, ["a", "b"]);
  assert.equal((await touch("a"))?.state.lastTime, 7, "a comes back from the store");
  assert.deepEqual(loaded, ["a", "b", "a"]);
});
