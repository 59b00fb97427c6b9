/**
 * The columnar form of `POST /v1/score` over real HTTP on 127.0.0.1: `{stream, columns: {ts: [...], <axis>: [...]}}`
 * gives exactly the events and residuals of the same samples sent as objects, under the same refusals, and a bad
 * columnar request changes nothing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { registerModel } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import { createScoringService, type ScoringService } from "../server/app";

const AXES = ["axis1", "axis2"];
let root: string;
let service: ScoringService;
let base: string;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-columnar-"));
  // Lines y = 0: residual = value. Alert at ≥ 1 for 3 samples, error at ≥ 2 for 2.
  await registerModel(flatVersion(root, { axes: AXES }));

  service = await createScoringService({ rootDir: root, watchMs: 0, maxSamples: 1000 });
  base = await service.app.listen({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await service.app.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function post(body: unknown, query = ""): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/v1/score${query}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** Runs above both levels on both axes, with a missing axis2 value now and then. */
function signal(n: number, from = 0): { ts: number[]; axis1: number[]; axis2: (number | null)[] } {
  const ts: number[] = [];
  const axis1: number[] = [];
  const axis2: (number | null)[] = [];
  for (let i = from; i < from + n; i++) {
    ts.push(100 + i * 0.5);
    axis1.push((i % 11 < 5 ? 1.5 : 0) + (i % 23 < 3 ? 1 : 0));
    axis2.push(i % 31 === 0 ? null : i % 7 < 4 ? 2.5 : (i % 3) * 0.5);
  }
  return { ts, axis1, axis2 };
}
const asSamples = (columns: ReturnType<typeof signal>) => columns.ts.map((ts, i) => ({ ts, axis1: columns.axis1[i], axis2: columns.axis2[i] }));

test("columns give the events and residuals of the same samples sent as objects, batch after batch", async () => {
  let events = 0;
  for (let start = 0; start < 300; start += 60) {
    const columns = signal(60, start);
    const byColumns = await post({ stream: "columnar", columns });
    const bySamples = await post({ stream: "objects", samples: asSamples(columns) });
    assert.equal(byColumns.status, 200);
    assert.equal(bySamples.status, 200);
    assert.deepEqual(byColumns.body.residuals, bySamples.body.residuals);
    assert.deepEqual(byColumns.body.events, bySamples.body.events.map((e: { stream: string }) => ({ ...e, stream: "columnar" })));
    events += byColumns.body.events.length;
  }
  assert.ok(events > 10, "the signal raises events of both levels");
  const quiet = await post({ stream: "quiet", columns: signal(60) }, "?residuals=false");
  assert.equal(quiet.status, 200);
  assert.equal(quiet.body.residuals, undefined);
  assert.ok(quiet.body.events.length > 0);
});

test("bad columnar requests are 400/413 with a one-line reason naming the column, and leave the stream as it was", async () => {
  const first = signal(40);
  assert.equal((await post({ stream: "probed", columns: first })).status, 200);
  assert.equal((await post({ stream: "clean", columns: first })).status, 200);
  const next = signal(40, 40);
  const cases: [string, unknown, number, RegExp][] = [
    ["both forms", { stream: "probed", columns: next, samples: asSamples(next) }, 400, /exactly one of samples .* or columns/],
    ["neither form", { stream: "probed" }, 400, /exactly one of samples .* or columns/],
    ["no ts", { stream: "probed", columns: { axis1: [1] } }, 400, /columns\.ts must be an array of times/],
    ["empty ts", { stream: "probed", columns: { ts: [] } }, 400, /columns\.ts must hold at least one time/],
    ["short column", { stream: "probed", columns: { ...next, axis1: next.axis1.slice(1) } }, 400, /columns\.axis1 has 39 values, columns\.ts 40/],
    ["unknown axis", { stream: "probed", columns: { ts: next.ts, axis3: next.axis1 } }, 400, /columns: unknown axis "axis3"/],
    ["a string value", { stream: "probed", columns: { ...next, axis2: ["7.2", ...next.axis2.slice(1)] } }, 400, /columns\.axis2\[0\] must be a number or null, got "7\.2"/],
    ["a bad time", { stream: "probed", columns: { ...next, ts: [-5, ...next.ts.slice(1)] } }, 400, /columns\.ts\[0\] is before 1970/],
    ["out of order", { stream: "probed", columns: signal(5, 10) }, 400, /before the previous sample/],
    ["over the sample limit", { stream: "probed", columns: signal(1001, 80) }, 413, /columns\.ts has 1001 entries, more than the limit of 1000/],
  ];
  for (const [what, body, status, reason] of cases) {
    const reply = await post(body);
    assert.equal(reply.status, status, what);
    assert.match(reply.body.error, reason, what);
    assert.ok(!reply.body.error.includes("\n"), `${what}: one line`);
  }
  const probed = await post({ stream: "probed", columns: next });
  const clean = await post({ stream: "clean", columns: next });
  assert.equal(probed.status, 200);
  assert.deepEqual(probed.body.residuals, clean.body.residuals);
  assert.deepEqual(probed.body.events, clean.body.events.map((e: { stream: string }) => ({ ...e, stream: "probed" })));
});
