/** generateDemoData: deterministic (pinned hash), its shapes, time axis, idle share, drift and fault bursts. Seeding the tables: demoSeed.test.ts. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { generateDemoData } from "../lib/db/demoData";
import { isoToEpochSeconds } from "../lib/core/time";

function digest(data: ReturnType<typeof generateDemoData>): string {
  const hash = createHash("sha256");
  hash.update(Buffer.from(data.micros.buffer));
  hash.update(Buffer.from(data.time.buffer));
  for (const column of data.values) hash.update(Buffer.from(column.buffer));
  return hash.digest("hex");
}

describe("generateDemoData", () => {
  const data = generateDemoData();

  test("is deterministic: pinned hash and values", () => {
    assert.equal(digest(data), "e4c5915d7fec35b9196db01f92abde0067cb9040b674df331d0aaab600c04bf1");
    assert.equal(digest(generateDemoData()), digest(data));
    assert.equal(data.micros[1], 1666008001894000);
    assert.equal(data.values[1][9], 1.98);
    assert.equal(data.values[1][20000], 16.59);
    assert.notEqual(digest(generateDemoData({ seed: 1 })), digest(data), "the seed matters");
  });

  test("shapes: 40,000 samples × 8 axes as Float64Arrays", () => {
    assert.deepEqual(data.axes, ["axis1", "axis2", "axis3", "axis4", "axis5", "axis6", "axis7", "axis8"]);
    assert.deepEqual(data.axisIds, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(data.time.length, 40_000);
    assert.equal(data.values.length, 8);
    for (const column of [data.micros, data.time, ...data.values]) {
      assert.ok(column instanceof Float64Array);
      assert.equal(column.length, 40_000);
    }
    assert.equal(generateDemoData({ samples: 123 }).values[7].length, 123);
  });

  test("time: starts 2022-10-17T12:00:00Z, whole ms, increasing, ~1.891 s median", () => {
    assert.equal(data.time[0], isoToEpochSeconds("2022-10-17T12:00:00Z"));
    const steps: number[] = [];
    for (let i = 1; i < data.micros.length; i++) {
      assert.equal(data.micros[i] % 1000, 0);
      steps.push(data.micros[i] - data.micros[i - 1]);
    }
    assert.ok(steps.every((s) => s > 0));
    steps.sort((a, b) => a - b);
    const median = steps[steps.length >> 1] / 1e6;
    assert.ok(Math.abs(median - 1.891) < 0.005, `median step ${median}`);
    assert.ok(steps[0] >= 1_800_000 && steps[steps.length - 1] > 4_000_000, "jitter and occasional gaps");
  });

  test("~65% exact zeros, idle periods shared by all axes", () => {
    let zeros = 0;
    let idleRows = 0;
    for (let i = 0; i < data.time.length; i++) {
      let idle = true;
      for (const column of data.values) {
        if (column[i] === 0) zeros++;
        else idle = false;
      }
      if (idle) idleRows++;
    }
    const zeroShare = zeros / (8 * data.time.length);
    assert.ok(zeroShare > 0.6 && zeroShare < 0.7, `zero share ${zeroShare}`);
    assert.ok(idleRows / data.time.length > 0.6, "most zeros are whole idle rows");
    for (const column of data.values) assert.ok(column.every((v) => v >= 0 && Number.isFinite(v)));
  });

  test("slow upward drift and sustained positive fault bursts", () => {
    const mean = (column: Float64Array, from: number, to: number): number => {
      let sum = 0;
      let n = 0;
      for (let i = from; i < to; i++) if (column[i] !== 0) (sum += column[i]), n++;
      return sum / n;
    };
    const axisMean = data.values.map((column) => mean(column, 0, column.length));
    data.values.forEach((column, k) => assert.ok(mean(column, 32_000, 40_000) > mean(column, 0, 8_000), `axis${k + 1} drifts up`));
    let bursts = 0;
    data.values.forEach((column, k) => {
      let run = 0;
      for (const v of column) {
        if (v > 2.5 * axisMean[k]) run++;
        else {
          if (run >= 4) bursts++;
          run = 0;
        }
      }
    });
    assert.ok(bursts >= 5, `bursts ${bursts}`);
  });
});
