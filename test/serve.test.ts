/**
 * The HTTP scoring service over real HTTP on 127.0.0.1: scoring equals the
 * library scorer, bad requests are 4xx and change nothing, metrics, serving
 * the `production` alias (a registration changes nothing until `promote`),
 * and a graceful stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadVersion, promoteAlias, registerModel, type RegisterOptions } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent } from "../lib/scoring/score";
import { createScoringService, type ScoringService } from "../server/app";
import { sharedPostgres } from "./support/postgres";

const repoRoot = path.resolve(__dirname, "..");
const AXES = ["axis1", "axis2"];

/** A version whose lines are y = 0: residual = value. Alert at ≥ 1 for 3 samples, error at ≥ 2 for 2. */
function version(rootDir: string, minC = 1): RegisterOptions {
  return flatVersion(rootDir, { axes: AXES, minC });
}

/** A deterministic signal with runs above both levels on both axes. */
function signal(n: number): { ts: number; axis1: number; axis2: number }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const axis1 = (i % 11 < 5 ? 1.5 : 0) + (i % 23 < 3 ? 1 : 0);
    const axis2 = i % 7 < 4 ? 2.5 : (i % 3) * 0.5;
    out.push({ ts: 100 + i * 0.5, axis1, axis2 });
  }
  return out;
}

const roots: string[] = [];
after(() => roots.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function tempRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-serve-"));
  roots.push(dir);
  return dir;
}

interface Reply {
  status: number;
  body: any;
}

async function post(base: string, body: unknown, raw?: string): Promise<Reply> {
  const response = await fetch(`${base}/v1/score`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe("scoring service", () => {
  let root: string;
  let service: ScoringService;
  let base: string;

  before(async () => {
    root = tempRoot();
    await registerModel(version(root));
    service = await createScoringService({ rootDir: root, watchMs: 0, bodyLimitBytes: 64 * 1024 });
    base = await service.app.listen({ port: 0, host: "127.0.0.1" });
  });
  after(async () => service.app.close());

  test("one sample per request, or batches, give the library's events and residuals", async () => {
    const samples = signal(120);
    const model = scoringModel(await loadVersion(root, "latest"));
    const time = Float64Array.from(samples, (s) => s.ts);
    const expected = scoreBatch(model, initialScoreState(model, "single"), {
      time,
      values: AXES.map((axis) => Float64Array.from(samples, (s) => s[axis as "axis1" | "axis2"])),
    });
    const closedExpected = expected.events.filter((e) => e.ended_at !== null);
    assert.ok(closedExpected.length > 10, "the signal has events of both levels");

    const single: ScoreEvent[] = [];
    const residuals: number[] = [];
    for (const sample of samples) {
      const reply = await post(base, { stream: "single", samples: [sample] });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.model_version, "v1");
      single.push(...reply.body.events);
      residuals.push(...reply.body.residuals.axis1);
    }
    assert.deepEqual(residuals, Array.from(expected.residuals[0]));
    assert.deepEqual(single.filter((e) => e.ended_at !== null), closedExpected);

    const batched: ScoreEvent[] = [];
    for (let start = 0; start < samples.length; start += 17) {
      const reply = await post(base, { stream: "batched", samples: samples.slice(start, start + 17) });
      assert.equal(reply.status, 200);
      batched.push(...reply.body.events);
    }
    const renamed = closedExpected.map((e) => ({ ...e, stream: "batched" }));
    assert.deepEqual(batched.filter((e) => e.ended_at !== null), renamed);
    // An event reported open (ended_at null) is reported again when it closes, same axis, level and start.
    for (const open of batched.filter((e) => e.ended_at === null)) {
      assert.ok(batched.some((e) => e.ended_at !== null && e.axis === open.axis && e.level === open.level && e.started_at === open.started_at));
    }
  });

  test("bad requests are 4xx with a one-line reason and leave the stream's state as it was", async () => {
    const samples = signal(40);
    const good = async (stream: string, from: number, to: number): Promise<Reply> => post(base, { stream, samples: samples.slice(from, to) });
    assert.equal((await good("clean", 0, 20)).status, 200);
    assert.equal((await good("probed", 0, 20)).status, 200);

    const bad: [string, () => Promise<Reply>, number, RegExp][] = [
      ["malformed JSON", () => post(base, null, '{"stream": "probed", "samples": [{"ts": 1'), 400, /not valid JSON/],
      ["not an object", () => post(base, ["probed"]), 400, /request body/],
      ["no samples", () => post(base, { stream: "probed", samples: [] }), 400, /samples must have at least 1 entry/],
      ["unknown axis", () => post(base, { stream: "probed", samples: [{ ts: 200, axis1: 1, axis3: 2 }] }), 400, /unknown axis "axis3".*did you mean "axis1"/],
      ["non-numeric value", () => post(base, { stream: "probed", samples: [{ ts: 200, axis1: "7.2" }] }), 400, /samples\[0\]\.axis1 must be a number or null, got "7.2"/],
      ["missing time", () => post(base, { stream: "probed", samples: [{ axis1: 1 }] }), 400, /samples\[0\]\.ts must be a number/],
      ["out of order", () => post(base, { stream: "probed", samples: [{ ts: 50, axis1: 1, axis2: 1 }] }), 400, /before the previous sample/],
      ["duplicate time", () => post(base, { stream: "probed", samples: [samples[19]] }), 400, /duplicates the previous sample/],
      [
        "good samples then an out-of-order one",
        () => post(base, { stream: "probed", samples: [...samples.slice(20, 25), samples[21]] }),
        400,
        /sample 5 .* before the previous sample/,
      ],
      ["over the size limit", () => post(base, { stream: "probed", samples: signal(3000) }), 413, /larger than the limit of 65536 bytes/],
    ];
    for (const [what, send, status, reason] of bad) {
      const reply = await send();
      assert.equal(reply.status, status, what);
      assert.match(reply.body.error, reason, what);
      assert.ok(!reply.body.error.includes("\n"), `${what}: one line`);
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const clean = await good("clean", 20, 40);
    const probed = await good("probed", 20, 40);
    assert.equal(probed.status, 200);
    assert.deepEqual(probed.body.residuals, clean.body.residuals);
    assert.deepEqual(
      probed.body.events,
      clean.body.events.map((e: ScoreEvent) => ({ ...e, stream: "probed" })),
    );
  });

  test("GET /v1/model, /healthz and /metrics", async () => {
    const model = (await (await fetch(`${base}/v1/model`)).json()) as any;
    assert.equal(model.version, "v1");
    assert.deepEqual(model.axes, AXES);
    assert.deepEqual(model.thresholds.axis2, { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2 });
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: "ok", version: "v1" });

    const response = await fetch(`${base}/metrics`);
    assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
    const text = await response.text();
    const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
    assert.equal(value(/^mlbox_samples_scored_total (\d+)$/m), 120 + 120 + 80);
    assert.ok(value(/^mlbox_events_total\{stream="[^"]+",axis="axis2",level="error"\} (\d+)$/m) > 0);
    assert.match(text, /^mlbox_open_events\{stream="[^"]+",axis="axis1",level="alert"\} \d+$/m);
    assert.equal(value(/^mlbox_request_duration_seconds_count\{route="\/v1\/score",status="200"\} (\d+)$/m), 120 + Math.ceil(120 / 17) + 4);
    assert.equal(value(/^mlbox_rejected_requests_total\{reason="too_large"\} (\d+)$/m), 1);
    assert.match(text, /^mlbox_model_info\{version="v1"\} 1$/m);
  });

  test("serves production: registering v2 changes nothing until it is promoted; then a stream switches at its first request with no run in progress", async () => {
    const first = await post(base, { stream: "follower", samples: [{ ts: 1, axis1: 5, axis2: 0 }] });
    assert.equal(first.body.model_version, "v1");
    await registerModel(version(root, 0.5));
    assert.equal(await service.checkAlias(), "v1", "a registration is not a promotion");
    const described = (await (await fetch(`${base}/v1/model`)).json()) as any;
    assert.deepEqual([described.version, described.alias, described.previous_version], ["v1", "production", null]);
    assert.equal((await post(base, { stream: "unpromoted", samples: [{ ts: 1, axis1: 0, axis2: 0 }] })).body.model_version, "v1");
    await promoteAlias(root, "v2");
    assert.equal(await service.checkAlias(), "v2");
    assert.equal(((await (await fetch(`${base}/v1/model`)).json()) as any).previous_version, "v1");
    // axis1 is in an alert run: the stream stays on v1 until the run ends.
    const during = await post(base, { stream: "follower", samples: [{ ts: 2, axis1: 0, axis2: 0 }] });
    assert.equal(during.body.model_version, "v1");
    const switched = await post(base, { stream: "follower", samples: [{ ts: 3, axis1: 0.7, axis2: 0 }] });
    assert.equal(switched.body.model_version, "v2");
    assert.equal(switched.body.switched_from, "v1");
    const fresh = await post(base, { stream: "newcomer", samples: [{ ts: 1, axis1: 0, axis2: 0 }] });
    assert.equal(fresh.body.model_version, "v2");
    assert.equal(fresh.body.switched_from, undefined);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mlbox_model_switches_total 1$/m);
  });
});

test("a version scored on EWMA: replies carry the statistic per axis, equal to the library's, and the events on it", async () => {
  const root = tempRoot();
  const base = version(root);
  const ewma = { type: "ewma", alpha: 0.3 } as const;
  await registerModel({ ...base, thresholds: { ...base.thresholds, axis1: { ...base.thresholds.axis1, statistic: ewma } } });
  const service = await createScoringService({ rootDir: root, watchMs: 0 });
  try {
    const url = await service.app.listen({ port: 0, host: "127.0.0.1" });
    const samples = signal(90);
    const model = scoringModel(await loadVersion(root, "latest"));
    assert.deepEqual(model.statistics, [ewma, { type: "residual" }]);
    const expected = scoreBatch(model, initialScoreState(model, "s"), {
      time: Float64Array.from(samples, (sample) => sample.ts),
      values: AXES.map((axis) => Float64Array.from(samples, (sample) => sample[axis as "axis1" | "axis2"])),
    });
    const statistics: number[] = [];
    const residuals: number[] = [];
    const events: ScoreEvent[] = [];
    for (let start = 0; start < samples.length; start += 13) {
      const reply = await post(url, { stream: "s", samples: samples.slice(start, start + 13) });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      statistics.push(...reply.body.statistics.axis1);
      residuals.push(...reply.body.residuals.axis1);
      assert.deepEqual(reply.body.statistics.axis2, reply.body.residuals.axis2);
      events.push(...reply.body.events);
    }
    assert.deepEqual(statistics, Array.from(expected.statistics[0]));
    assert.deepEqual(residuals, Array.from(expected.residuals[0]));
    assert.notDeepEqual(statistics, residuals);
    assert.ok(expected.events.some((e) => e.axis === "axis1"));
    assert.deepEqual(events.filter((e) => e.ended_at !== null), expected.events.filter((e) => e.ended_at !== null));
    const described = (await (await fetch(`${url}/v1/model`)).json()) as { thresholds: Record<string, { statistic?: unknown }> };
    assert.deepEqual(described.thresholds.axis1.statistic, ewma);
    assert.equal(described.thresholds.axis2.statistic, undefined);
    // A residual-only version's replies stay as they were: no statistics.
    await registerModel(version(root));
    await promoteAlias(root, "v2");
    assert.equal(await service.checkAlias(), "v2");
    const plain = await post(url, { stream: "plain", samples: samples.slice(0, 2) });
    assert.equal(plain.body.model_version, "v2");
    assert.equal("statistics" in plain.body, false, "a residual model's replies are unchanged");
  } finally {
    await service.app.close();
  }
});

describe("npm run serve", () => {
  test("serves the config's registry and stops gracefully on SIGTERM", async () => {
    const pg = await sharedPostgres(); // where the service keeps its streams (the embedded database's first seeding is slow)
    const dir = tempRoot();
    await registerModel(version(path.join(dir, "registry")));
    fs.writeFileSync(path.join(dir, "config.yaml"), "data:\n  table: t\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\n");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "server", "main.ts"), "--config", path.join(dir, "config.yaml"), "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DB_URL: pg.url },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address in: ${output}`)), 30_000);
      child.stdout.on("data", () => {
        const found = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
    });
    assert.match(output, /serving model v1 \(production\) from /);
    const reply = await post(address, { stream: "s", samples: [{ ts: 1, axis1: 3, axis2: 0 }] });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.residuals, { axis1: [3], axis2: [0] });
    // A promotion reaches the running service through its watcher (every 2 s).
    await registerModel(version(path.join(dir, "registry"), 0.5));
    await promoteAlias(path.join(dir, "registry"), "v2");
    for (let i = 0; i < 300 && ((await (await fetch(`${address}/healthz`)).json()) as { version: string }).version !== "v2"; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(((await (await fetch(`${address}/healthz`)).json()) as { version: string }).version, "v2");
    assert.match(output, /model: production is now v2 \(was v1\)/);
    const code = await new Promise<number | null>((resolve) => {
      child.on("exit", (exitCode) => resolve(exitCode));
      child.kill("SIGTERM");
    });
    assert.equal(code, 0, output);
    assert.match(output, /SIGTERM: finishing requests in flight, then stopping/);
  });

  test("a config without a registered version is exit 2 with one line", async () => {
    const dir = tempRoot();
    fs.writeFileSync(path.join(dir, "config.yaml"), "data:\n  table: t\n  axes: [a]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: empty\n");
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "server", "main.ts"), "--config", path.join(dir, "config.yaml"), "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 2);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^error: version "production" not found in .*: the registry is empty/);
  });
});
