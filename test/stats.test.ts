/** numpy/pandas semantics of the numeric building blocks; expected values were produced with numpy 2.4 / pandas 3.0. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { interpolateGaps, mean, median, pairwiseSum, percentileSorted, quantileSorted, roundHalfEven } from "../lib/stats";
import { pythonFloatRepr } from "../lib/pythonFloat";

const sequence = Float64Array.from({ length: 1000 }, (_, i) => (((i * 7919) % 1000) - 500.5) * 1.1 + 1 / (i + 1));

test("pairwiseSum equals np.sum bit for bit, where a naive loop does not", () => {
  assert.equal(pairwiseSum(sequence), -1092.5145291394492);
  let naive = 0;
  for (const value of sequence) naive += value;
  assert.equal(naive, -1092.5145291394513);
  assert.equal(mean(sequence), -1.0925145291394491);
  assert.equal(pairwiseSum(Float64Array.from({ length: 37 }, (_, i) => 0.1 * i)), 66.6);
  assert.equal(pairwiseSum(new Float64Array(0)), 0);
});

test("percentileSorted/quantileSorted interpolate like numpy's linear method", () => {
  const sorted = Float64Array.from([0.3, 1.7, 2.2, 9.1, 4.4, 0.05, 3.3]).sort();
  assert.deepEqual(
    [0, 17, 50, 75, 95, 100].map((p) => percentileSorted(sorted, p)),
    [0.05, 0.328, 2.2, 3.85, 7.689999999999997, 9.1],
  );
  const runs = Float64Array.from([1, 1, 2, 3, 7, 2, 1]).sort();
  assert.deepEqual([0.5, 0.8, 0.95].map((q) => quantileSorted(runs, q)), [2.0, 2.8000000000000007, 5.799999999999997]);
  assert.ok(Number.isNaN(quantileSorted(new Float64Array(0), 0.5)));
});

test("median averages the middle pair and skips NaN", () => {
  assert.equal(median([3, 1, 4, 1, 5, 9]), 3.5);
  assert.equal(median([0.1, NaN, 0.2, 0.7]), 0.2);
  assert.ok(Number.isNaN(median([])));
});

test("roundHalfEven rounds ties to even like Python's round()", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, -2.5, 2.4999999999999996, 2.6].map(roundHalfEven), [0, 2, 2, 4, -2, 2, 3]);
  assert.equal(Math.round(2.5), 3); // what this replaces
});

test("interpolateGaps matches pandas interpolate(limit_direction='both')", () => {
  const filled = interpolateGaps(Float64Array.from([NaN, 1, NaN, NaN, 4, NaN, Infinity, NaN, 2]));
  assert.deepEqual(Array.from(filled), [1, 1, 2, 3, 4, Infinity, Infinity, Infinity, 2]);
  assert.ok(interpolateGaps(Float64Array.from([NaN, NaN])).every(Number.isNaN));
});

test("pythonFloatRepr writes floats as Python's repr does", () => {
  assert.deepEqual([0.02, 0, 0.1, 1e-5, 2.5e-7, 1e16, 123.0, 0.5].map(pythonFloatRepr), ["0.02", "0.0", "0.1", "1e-05", "2.5e-07", "1e+16", "123.0", "0.5"]);
});
