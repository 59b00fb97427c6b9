/**
 * prep.resample_seconds: the resample stage against a direct computation
 * (bucket means, gaps, a sample exactly on a bucket boundary, float and
 * timestamp time columns, a non-UTC TZ). The pipeline with it (PostgreSQL):
 * resamplePipeline.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as dfd from "danfojs-node";
import { InputError } from "../lib/core/errors";
import { prepare } from "../lib/stages/prepare";
import { resample, resampleColumns } from "../lib/stages/resample";
import { isoToEpochSeconds } from "../lib/core/time";

/**
 * The definition, computed directly: labels `origin + k·n` from the first
 * sample's bucket to the last one's (origin = midnight UTC of the first
 * sample's day), each the plain mean of the non-NaN values with
 * `label <= t < label + n`, in BigInt microseconds.
 */
function direct(time: readonly number[], values: readonly (readonly number[])[], seconds: number): { time: number[]; values: number[][] } {
  const micros = time.map((t) => BigInt(Math.round(t * 1e6)));
  const step = BigInt(Math.round(seconds * 1e6));
  const day = 86_400_000_000n;
  const low = micros.reduce((a, b) => (a < b ? a : b));
  const high = micros.reduce((a, b) => (a > b ? a : b));
  const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  const origin = floorDiv(low, day) * day;
  const labels: bigint[] = [];
  for (let label = origin + floorDiv(low - origin, step) * step; label <= high; label += step) labels.push(label);
  return {
    time: labels.map((label) => Number(label * 1000n) / 1e9),
    values: values.map((column) =>
      labels.map((label) => {
        const inside = column.filter((v, i) => micros[i] >= label && micros[i] < label + step && !Number.isNaN(v));
        return inside.length === 0 ? NaN : inside.reduce((a, b) => a + b, 0) / inside.length;
      }),
    ),
  };
}

function assertSameColumns(actual: { time: ArrayLike<number>; values: readonly ArrayLike<number>[] }, expected: { time: number[]; values: number[][] }): void {
  assert.deepEqual(Array.from(actual.time), expected.time);
  assert.equal(actual.values.length, expected.values.length);
  actual.values.forEach((column, j) => {
    assert.equal(column.length, expected.values[j].length);
    expected.values[j].forEach((want, k) => {
      const got = column[k];
      assert.ok(Number.isNaN(want) ? Number.isNaN(got) : Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `axis ${j} row ${k}: got ${got}, expected ${want}`);
    });
  });
}

test("float seconds: bucket means, a sample on a boundary starts the next bucket, empty buckets stay as NaN rows", () => {
  // 10 and 30 sit exactly on bucket starts; 40–50 has no sample; 20–30 has only a NaN on axis b.
  const time = [0.5, 1, 2.5, 9.999999, 10, 10.1, 25, 29.75, 30, 55];
  const a = [1, 2, 3, 4, 10, 20, 7, NaN, 5, 6];
  const b = [2, NaN, 4, 6, 1, 3, NaN, NaN, 8, 9];
  const got = resampleColumns(Float64Array.from(time), [Float64Array.from(a), Float64Array.from(b)], 10);
  assert.deepEqual(Array.from(got.time), [0, 10, 20, 30, 40, 50]);
  assertSameColumns(got, { time: [0, 10, 20, 30, 40, 50], values: [[2.5, 15, 7, 5, NaN, 6], [4, 2, NaN, 8, NaN, 9]] });
  assertSameColumns(got, direct(time, [a, b], 10));
  // Unordered input and a time that is not finite: same buckets, that row left out.
  const shuffled = resampleColumns(Float64Array.from([30, 0.5, NaN, 10]), [Float64Array.of(5, 1, 99, 10)], 10);
  assertSameColumns(shuffled, { time: [0, 10, 20, 30], values: [[1, 10, NaN, 5]] });
});

test("buckets start at midnight of the first sample's day, not at the first sample (pandas origin='start_day')", () => {
  // 7 s does not divide a day: 10:00:00 is 36000 s after midnight, 36000 = 5142·7 + 6 → the bucket starts at 09:59:54,
  // and 10:00:01 (start + 1) opens the next one.
  const start = isoToEpochSeconds("2025-09-01T10:00:00Z");
  const time = [start, start + 0.5, start + 1, start + 8.25, start + 20, start + 21.000001];
  const values = [[1, 2, 3, 4, 5, 6]];
  const got = resampleColumns(Float64Array.from(time), values.map((v) => Float64Array.from(v)), 7);
  assert.equal(got.time[0], isoToEpochSeconds("2025-09-01T09:59:54Z"));
  assertSameColumns(got, direct(time, values, 7));
  assertSameColumns(got, { time: [0, 7, 14, 21].map((s) => isoToEpochSeconds("2025-09-01T09:59:54Z") + s), values: [[1.5, 3, 4, 5.5]] });
  // Before the epoch the day still starts at midnight.
  const early = [-86_400 + 3, -86_400 + 5];
  assertSameColumns(resampleColumns(Float64Array.from(early), [Float64Array.of(1, 3)], 7), direct(early, [[1, 3]], 7));
});

test("pseudo-random windows agree with the direct computation for several cadences", () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const seconds of [0.25, 1, 3, 10, 60]) {
    let t = 1_756_684_800 + Math.round(random() * 1e9) / 1e6;
    const time: number[] = [];
    const value: number[] = [];
    for (let i = 0; i < 400; i++) {
      t += Math.round(random() * 2_000_000) / 1e6;
      time.push(t);
      value.push(random() < 0.1 ? NaN : random() * 100 - 50);
    }
    assertSameColumns(resampleColumns(Float64Array.from(time), [Float64Array.from(value)], seconds), direct(time, [value], seconds));
  }
});

/** A DataFrame as `{column: values}`. */
function columnsOf(frame: dfd.DataFrame): Record<string, unknown[]> {
  return Object.fromEntries(frame.columns.map((column) => [column, Array.from(frame.column(column).values as ArrayLike<unknown>)]));
}

test("the DataFrame stage keeps the time column's kind, also under TZ=America/New_York", () => {
  const saved = process.env.TZ;
  try {
    const results = ["UTC", "America/New_York"].map((zone) => {
      process.env.TZ = zone;
      const stamped = new dfd.DataFrame(
        { ts: ["2025-09-01T23:59:58.500000Z", "2025-09-01T23:59:59.000000Z", "2025-09-02T00:00:00.000000Z", "2025-09-02T00:00:03.250000Z"], a: [1, 3, 5, 7] },
        { columns: ["ts", "a"] },
      );
      const zoned = resample(stamped, { seconds: 2 });
      const naive = resample(new dfd.DataFrame({ t: ["2025-03-09T06:59:59.000000", "2025-03-09T07:00:01.000000"], a: [1, 2] }, { columns: ["t", "a"] }), { seconds: 1, timeCol: "t" });
      return { zoned: columnsOf(zoned), naive: columnsOf(naive) };
    });
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[0].zoned, {
      ts: ["2025-09-01T23:59:58.000000Z", "2025-09-02T00:00:00.000000Z", "2025-09-02T00:00:02.000000Z"],
      a: [2, 5, 7],
    });
    assert.deepEqual(results[0].naive, { t: ["2025-03-09T06:59:59.000000", "2025-03-09T07:00:00.000000", "2025-03-09T07:00:01.000000"], a: [1, NaN, 2] });
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
  const floats = new dfd.DataFrame({ ts: [0, 0.5, 1.5], x: [2, 4, 6] }, { columns: ["ts", "x"] });
  assert.deepEqual(columnsOf(resample(floats, { seconds: 1 })), { ts: [0, 1], x: [3, 6] });
  assert.equal(resample(floats, { seconds: null }), floats, "null keeps the raw cadence");
  const prepared = prepare(resample(floats, { seconds: 1 }), { resampleSeconds: 1 });
  assert.equal(prepared.stats.resample_seconds, 1);
  assert.equal(prepare(floats).stats.resample_seconds, null);
});

test("a cadence that is not positive, or far finer than the data, is refused in one line", () => {
  const one = (run: () => unknown, message: RegExp): void =>
    assert.throws(run, (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  one(() => resampleColumns(Float64Array.of(0, 1), [Float64Array.of(1, 2)], 0), /prep\.resample_seconds must be a positive number of seconds .*got 0/);
  one(() => resampleColumns(Float64Array.of(0, 86_400 * 365), [Float64Array.of(1, 2)], 0.001), /prep\.resample_seconds 0\.001 would make \d+ rows out of 2 samples/);
});
