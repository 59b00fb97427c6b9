/**
 * The scoring service under abuse, over real HTTP on 127.0.0.1: concurrent
 * large requests against a service process with a small heap (it lives,
 * `/healthz` answers, what it cannot take now is 503 + Retry-After), work in
 * flight bounded by body bytes and by samples, a body trickled a byte every
 * 5 s cut off, nesting, non-finite and far-future values refused with a 400
 * that names the field (and the stream unharmed), events without residuals,
 * and every error in the one `{ error }` shape, 404s included.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Kysely, PostgresDialect } from "kysely";
import { Pool } from "pg";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { registerModel, type RegisterOptions } from "../lib/registry";
import { createScoringService, type ScoringService } from "../server/app";
import { openStreamStore, type StreamStore } from "../server/streamStore";
import { sharedPostgres, type TestPostgres } from "./support/postgres";
import { startServe } from "./support/serveProcess";

/** A version over `axes` whose lines are y = 0 (residual = value): alert at ≥ 1 for 3 samples, error at ≥ 2 for 2. */
function version(rootDir: string, axes: readonly string[], timeType: "float" | "timestamptz" = "float"): RegisterOptions {
  return {
    rootDir,
    versionTag: "auto",
    models: { type: "linear", models: axes.map((axis) => ({ axis, coef: 0, intercept: 0, samples_used: 10 })) },
    prepStats: { time0: 0, time_col: "ts", time_type: timeType, dt_seconds: 1, interpolate: false },
    thresholds: Object.fromEntries(
      axes.map((axis) => [axis, { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "test" } }]),
    ),
    metrics: axes.map((axis) => ({ axis, r2: 1, mae: 0, rmse: 0 })),
    meta: {
      data: { table: "t", time_col: "ts", time_type: timeType, layout: "wide", axes: [...axes], train_start: 0, train_end: 10 },
      prep: { interpolate: false },
      rows: { raw: 10, train: 10 },
      lineage: { config_path: "/c.yaml", config_sha256: "a".repeat(64), data_fingerprint: "b".repeat(64), database: "embedded", git_commit: null },
    },
  };
}

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-serve-limits-"));
  dirs.push(dir);
  return dir;
}

async function request(base: string, route: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${base}${route}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith("{") ? JSON.parse(text) : text };
}
const score = (base: string, body: unknown, query = ""): Promise<{ status: number; headers: Headers; body: any }> =>
  request(base, `/v1/score${query}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

/** Peak resident set of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Concurrent large requests. */
const CONCURRENT = 20;

let pg: TestPostgres;
before(async () => {
  pg = await sharedPostgres();
});

test("twenty concurrent 100k-sample requests to a service with a 256 MiB heap: it lives, /healthz answers, the rest is 503 + Retry-After", async (t) => {
  const dir = tempDir();
  const axes = Array.from({ length: 8 }, (_, a) => `axis${a + 1}`);
  await registerModel(version(path.join(dir, "registry"), axes));
  const config = path.join(dir, "config.yaml");
  fs.writeFileSync(config, `data:\n  table: t\n  axes: [${axes.join(", ")}]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\nscoring:\n  events_table: heap_events\n`);
  const service = await startServe(["--config", config, "--port", "0"], { DB_URL: pg.url }, ["--max-old-space-size=256"]);
  try {
    const samples = JSON.stringify(
      Array.from({ length: 100_000 }, (_, i) => {
        const sample: Record<string, number> = { ts: 1_600_000_000 + i * 0.01 };
        axes.forEach((axis, a) => (sample[axis] = Math.round((((i * (a + 3)) % 997) / 997) * 1300) / 1000 + (i % 5000 < 4 ? 2 : 0)));
        return sample;
      }),
    );
    const bodies = Array.from({ length: CONCURRENT }, (_, k) => `{"stream": "big${k}", "samples": ${samples}}`);
    t.diagnostic(`body size ${(bodies[0].length / 2 ** 20).toFixed(1)} MiB each`);
    const health: number[] = [];
    const replies: { status: number; headers: Headers; body: any }[] = await Promise.all([
      // A connection the service dropped (it died) is status 0.
      ...bodies.map((body) => score(service.address, body).catch((error: Error) => ({ status: 0, headers: new Headers(), body: { error: String(error.cause ?? error) } }))),
      ...Array.from({ length: 3 }, () => request(service.address, "/healthz").then(
        (reply) => (health.push(reply.status), reply),
        () => (health.push(0), { status: 0, headers: new Headers(), body: null }),
      )),
    ]);
    const statuses = replies.slice(0, CONCURRENT).map((reply) => reply.status);
    const scored = replies.find((reply) => reply.status === 200);
    t.diagnostic(`answer with residuals ${(JSON.stringify(scored?.body ?? null).length / 2 ** 20).toFixed(1)} MiB`);
    t.diagnostic(`statuses ${statuses.join(" ")}; peak RSS ${peakRssMiB(service.child.pid as number).toFixed(0)} MiB`);
    for (const reply of replies.slice(0, CONCURRENT)) {
      assert.ok(reply.status === 200 || reply.status === 503, `status ${reply.status}: ${JSON.stringify(reply.body).slice(0, 200)}; service: ${service.output().slice(-300)}`);
      if (reply.status === 503) {
        assert.equal(reply.headers.get("retry-after"), "1");
        assert.match(reply.body.error, /limit of .* in flight: retry after 1 s/);
      } else {
        assert.equal(reply.body.residuals.axis1.length, 100_000);
      }
    }
    assert.ok(statuses.includes(200));
    assert.deepEqual(health, [200, 200, 200]);
    // What was refused goes through when retried one at a time (two of them, to keep the test short).
    for (const k of statuses.flatMap((status, k) => (status === 503 ? [k] : [])).slice(0, 2)) {
      const retried = await score(service.address, bodies[k], "?residuals=false");
      assert.equal(retried.status, 200, JSON.stringify(retried.body).slice(0, 200));
      assert.equal(retried.body.residuals, undefined);
      t.diagnostic(`answer without residuals ${(JSON.stringify(retried.body).length / 1024).toFixed(1)} KiB`);
    }
    assert.equal(service.child.exitCode, null, service.output());
    assert.equal((await request(service.address, "/healthz")).status, 200);
    t.diagnostic(`peak RSS after retries ${peakRssMiB(service.child.pid as number).toFixed(0)} MiB`);
  } finally {
    if (service.child.exitCode !== null || service.child.signalCode !== null) t.diagnostic(`the service died: ${service.output().slice(-400)}`);
    await service.stop("SIGTERM");
  }
});

/** Sends `head` on a raw connection, then one byte of `body` every `everyMs` until the service closes it; resolves with what came back and the bytes sent. */
function trickle(port: number, head: string, body: string, everyMs: number): Promise<{ answer: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    let sent = 0;
    let closed = false;
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("error", () => undefined); // a reset after the answer
    socket.on("close", () => {
      closed = true;
      resolve({ answer, sent });
    });
    socket.on("connect", async () => {
      socket.write(head);
      while (!closed && sent < body.length) {
        socket.write(body[sent++]);
        await new Promise((wait) => setTimeout(wait, everyMs));
      }
      if (!closed) reject(new Error(`the service took the whole trickled body: ${answer}`));
    });
  });
}

describe("limits of one service", () => {
  let service: ScoringService;
  let base: string;
  let port: number;
  let isoService: ScoringService;
  let isoBase: string;
  before(async () => {
    const root = path.join(tempDir(), "registry");
    await registerModel(version(root, ["axis1", "axis2"]));
    service = await createScoringService({ rootDir: root, watchMs: 0 });
    base = await service.app.listen({ port: 0, host: "127.0.0.1" });
    port = Number(new URL(base).port);
    const isoRoot = path.join(tempDir(), "registry");
    await registerModel(version(isoRoot, ["axis1", "axis2"], "timestamptz"));
    isoService = await createScoringService({ rootDir: isoRoot, watchMs: 0 });
    isoBase = await isoService.app.listen({ port: 0, host: "127.0.0.1" });
  });
  after(async () => {
    await service.app.close();
    await isoService.app.close();
  });

  test("a body trickled a byte every 5 s is cut off after the 10 s body-read timeout: 408, connection closed", async () => {
    const body = `{"stream": "slow", "samples": [{"ts": 1, "axis1": 0}]}`;
    const head = `POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { answer, sent } = await trickle(port, head, body, 5_000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /\{"error":"request body not received within 10 s \(\d+ bytes arrived\): send it at once"\}/);
    assert.ok(sent < body.length, `cut off after ${sent} of ${body.length} bytes`);
    assert.equal((await request(base, "/healthz")).status, 200);
  });

  test("10,000 levels of nesting are 400, not 500", async () => {
    for (const deep of [`{"stream": "s", "samples": [${"[".repeat(10_000)}${"]".repeat(10_000)}]}`, "[".repeat(10_000), `{"stream": "${"{".repeat(100)}", "samples": [{"ts": 1}]}`]) {
      const reply = await score(base, deep);
      const expected = deep.startsWith(`{"stream": "{`) ? 200 : 400;
      assert.equal(reply.status, expected, JSON.stringify(reply.body).slice(0, 200));
      if (expected === 400) assert.equal(reply.body.error, "request body nests arrays/objects deeper than 32 levels");
    }
  });

  test("non-finite, negative and far-future values are 400 naming the field, and the stream goes on", async () => {
    assert.equal((await score(base, { stream: "p", samples: [{ ts: 100, axis1: 0 }] })).status, 200);
    const refused: [string, RegExp][] = [
      [`{"stream": "p", "samples": [{"ts": 101, "axis1": 1e400}]}`, /^samples\[0\]\.axis1 must be a finite number, got a number beyond the double range$/],
      [`{"stream": "p", "samples": [{"ts": 101, "axis2": -1e400}]}`, /^samples\[0\]\.axis2 must be a finite number/],
      [`{"stream": "p", "samples": [{"ts": 1e400, "axis1": 0}]}`, /^samples\[0\]\.ts must be a number of seconds, got a number beyond the double range$/],
      [`{"stream": "p", "samples": [{"ts": 1e15, "axis1": 0}]}`, /^samples\[0\]\.ts is more than 86400 s after now \(1000000000000000\)/],
      [`{"stream": "p", "samples": [{"ts": 101, "axis1": 0}, {"ts": 1e300, "axis1": 0}]}`, /^samples\[1\]\.ts is more than 86400 s after now/],
      [`{"stream": "p", "samples": [{"ts": -5, "axis1": 0}]}`, /^samples\[0\]\.ts is before 1970/],
      [`{"stream": "p", "samples": [{"ts": 101, "axis1": "${"x".repeat(1 << 20)}"}]}`, /^samples\[0\]\.axis1 must be a number or null, got "x{59}… \(1048578 characters\)$/],
    ];
    for (const [body, reason] of refused) {
      const reply = await score(base, body);
      assert.equal(reply.status, 400, body.slice(0, 80));
      assert.match(reply.body.error, reason);
    }
    const next = await score(base, { stream: "p", samples: [{ ts: 101, axis1: 0.5 }] });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.deepEqual(next.body.residuals.axis1, [0.5]);

    const iso = (ts: string): Promise<{ status: number; body: any }> => score(isoBase, { stream: "robot", samples: [{ ts, axis1: 0 }] });
    assert.equal((await iso("2024-01-01T00:00:00Z")).status, 200);
    const poisoned = await iso("9999-12-31T00:00:00Z");
    assert.equal(poisoned.status, 400);
    assert.match(poisoned.body.error, /^samples\[0\]\.ts is more than 86400 s after now \("9999-12-31T00:00:00Z"\)/);
    assert.equal((await iso("2024-01-01T00:00:01Z")).status, 200, "the stream is not poisoned");
  });

  test("?residuals=false gives the events without per-sample residuals", async () => {
    const samples = Array.from({ length: 6 }, (_, i) => ({ ts: 10 + i, axis1: 3, axis2: 0 }));
    const full = await score(base, { stream: "with", samples });
    const lean = await score(base, { stream: "without", samples }, "?residuals=false");
    assert.equal(lean.status, 200);
    assert.deepEqual(Object.keys(lean.body), ["stream", "model_version", "events"]);
    assert.ok(lean.body.events.length > 0);
    assert.deepEqual(lean.body.events, full.body.events.map((e: { stream: string }) => ({ ...e, stream: "without" })));
    const bad = await score(base, { stream: "x", samples }, "?residuals=maybe");
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^query string: residuals/);
  });

  test("every error has the service's one shape, 404s included", async () => {
    for (const [route, init] of [
      ["/nope", {}],
      ["/v1/model", { method: "POST" }],
      ["/v1/score", { method: "GET" }],
    ] as const) {
      const reply = await request(base, route, init);
      assert.equal(reply.status, 404);
      assert.deepEqual(Object.keys(reply.body), ["error"]);
      assert.match(reply.body.error, /^no route [A-Z]+ \/[a-z1/]+: the service has GET \/ \(the page\), POST \/v1\/score, GET \/v1\/model, GET \/v1\/overview, GET \/v1\/streams\[\/<s>\/recent\], GET \/v1\/incidents\[\/<id>\], POST \/v1\/incidents\/<id>\/ack, POST \/v1\/incidents\/<id>\/label, GET\|POST \/v1\/silences, DELETE \/v1\/silences\/<id>, GET \/healthz, GET \/metrics$/);
    }
    const media = await request(base, "/v1/score", { method: "POST", headers: { "content-type": "application/xml" }, body: "<x/>" });
    assert.equal(media.status, 415);
    assert.deepEqual(Object.keys(media.body), ["error"]);
  });
});

describe("work in flight", () => {
  let root: string;
  let store: StreamStore;
  let db: Kysely<any>;
  before(async () => {
    root = path.join(tempDir(), "registry");
    await registerModel(version(root, ["axis1", "axis2"]));
    db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: pg.url }) }) });
    store = await openStreamStore(db, "admission_events");
  });
  after(async () => db.destroy());

  /** Waits until `ready()` (checked every 10 ms, at most 1,000 times). */
  async function until(ready: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !ready(); i++) await new Promise((wait) => setTimeout(wait, 10));
    assert.ok(ready());
  }

  test("body bytes in flight beyond the limit: 503 + Retry-After, then admitted once the first is done", async () => {
    const service = await createScoringService({ rootDir: root, watchMs: 0, maxBytesInFlight: 1000 });
    try {
      const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
      const first = JSON.stringify({ stream: "a", samples: [{ ts: 1, axis1: 0, axis2: 0 }] }).padEnd(900, " ");
      const socket = net.connect(Number(new URL(base).port), "127.0.0.1");
      let answer = "";
      socket.on("data", (chunk) => (answer += chunk));
      const answered = new Promise((resolve) => socket.on("end", resolve));
      socket.write(`POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${first.length}\r\n\r\n${first.slice(0, 10)}`);
      await until(() => service.inFlight().bytes === 900);
      const second = { stream: "b", samples: [{ ts: 1, axis1: 0, axis2: 0 }], pad: "x".repeat(200) };
      const refused = await score(base, second);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      assert.equal(refused.body.error, "the service is at its limit of 1000 body bytes in flight: retry after 1 s");
      socket.end(first.slice(10));
      await answered;
      assert.match(answer, /^HTTP\/1\.1 200 /);
      await until(() => service.inFlight().bytes === 0);
      const retried = await score(base, second);
      assert.equal(retried.status, 400, "admitted now (and refused for its unknown key)");
      assert.match(retried.body.error, /pad/);
    } finally {
      await service.app.close();
    }
  });

  test("samples in flight beyond the limit: 503 + Retry-After while a batch is being saved", async () => {
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated: StreamStore = { ...store, save: async (...args) => (await gate, store.save(...args)) };
    const service = await createScoringService({ rootDir: root, watchMs: 0, store: gated, maxSamplesInFlight: 10 });
    try {
      const base = await service.app.listen({ port: 0, host: "127.0.0.1" });
      const samples = (n: number): { ts: number; axis1: number }[] => Array.from({ length: n }, (_, i) => ({ ts: 1 + i, axis1: 0 }));
      const held = score(base, { stream: "held", samples: samples(8) });
      await until(() => service.inFlight().samples === 8);
      const refused = await score(base, { stream: "other", samples: samples(5) });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      assert.equal(refused.body.error, "the service is at its limit of 10 samples in flight: retry after 1 s");
      open();
      assert.equal((await held).status, 200);
      await until(() => service.inFlight().samples === 0);
      assert.equal((await score(base, { stream: "other", samples: samples(5) })).status, 200);
    } finally {
      await service.app.close();
    }
  });
});
