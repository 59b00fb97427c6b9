/** The columnar body of POST /v1/score (server/columnar.ts) reads to the same batch as the samples form, with the same refusals. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readColumns } from "../server/columnar";
import { readSamples } from "../server/samples";
import type { ScoringModel } from "../lib/scoring/score";

const model = { version: "v1", axes: ["a", "b"], timeType: "timestamptz" } as unknown as ScoringModel;
const horizon = { maxFutureSeconds: 86_400, now: () => 1_800_000_000 };

test("columns read to the batch the samples form gives: times (numbers or ISO), values, null and an absent axis as NaN", () => {
  const columns = { ts: [1_700_000_000, "2023-11-14T22:13:21Z", 1_700_000_002.5], a: [0.5, null, -1] };
  const samples = [
    { ts: 1_700_000_000, a: 0.5 },
    { ts: "2023-11-14T22:13:21Z", a: null },
    { ts: 1_700_000_002.5, a: -1 },
  ];
  const fromColumns = readColumns(model, columns, horizon);
  const fromSamples = readSamples(model, samples, horizon);
  assert.deepEqual(Array.from(fromColumns.time), [1_700_000_000, 1_700_000_001, 1_700_000_002.5]);
  assert.deepEqual(Array.from(fromColumns.time), Array.from(fromSamples.time));
  assert.deepEqual(fromColumns.values.map((v) => Array.from(v)), fromSamples.values.map((v) => Array.from(v)));
  assert.ok(Number.isNaN(fromColumns.values[0][1]) && fromColumns.values[1].every(Number.isNaN));
});

test("bad columns are one line naming the column and row", () => {
  const bad = (columns: Record<string, unknown>, pattern: RegExp): void => {
    assert.throws(() => readColumns(model, columns, horizon), (error: Error) => pattern.test(error.message) && !error.message.includes("\n"));
  };
  bad({ a: [1] }, /^columns\.ts must be an array of times, got nothing$/);
  bad({ ts: [] }, /columns\.ts must hold at least one time/);
  bad({ ts: [1, 2], a: [1] }, /columns\.a has 1 values, columns\.ts 2/);
  bad({ ts: [1], c: [1] }, /columns: unknown axis "c" \(model v1 axes: a, b\)/);
  bad({ ts: [1], a: 3 }, /columns\.a must be an array of numbers or nulls, got 3/);
  bad({ ts: [1, 2], a: [1, "x"] }, /columns\.a\[1\] must be a number or null, got "x"/);
  bad({ ts: [1, 2], b: [1, Infinity] }, /columns\.b\[1\] must be a finite number/);
  bad({ ts: [1, -5] }, /columns\.ts\[1\] is before 1970/);
  bad({ ts: [1, 1_900_000_000] }, /columns\.ts\[1\] is more than 86400 s after now/);
  bad({ ts: [1, true] }, /columns\.ts\[1\] must be an ISO-8601 timestamp or epoch seconds, got true/);
  const floatModel = { ...model, timeType: "float" } as ScoringModel;
  assert.throws(() => readColumns(floatModel, { ts: ["2023-11-14T22:13:21Z"] }, horizon), /columns\.ts\[0\] must be a number of seconds/);
});
