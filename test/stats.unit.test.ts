/** numpy/pandas semantics of the numeric building blocks; expected values were produced with numpy 2.4 / pandas 3.0. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { addLeafSums, interpolateGaps, leafSum, mean, median, medianOfSteps, medianSorted, pairwiseLeaves, pairwiseSum, percentileSorted, quantileSorted, rankView, roundHalfEven, seededRandom, selectRank } from "../lib/stats";
import { pythonFloatRepr } from "../lib/core/pythonFloat";

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

test("pairwiseLeaves, leafSum and addLeafSums add values never stored exactly as pairwiseSum adds them stored", () => {
  for (const length of [0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 1000, 4097, 100_003]) {
    const first = Float64Array.from({ length }, (_, i) => sequence[i % 1000] * (1 + i * 1e-7));
    const leaves = pairwiseLeaves(length);
    assert.equal(leaves.reduce((sum, size) => sum + size, 0), length, `length ${length}: the leaves cover every value`);
    assert.ok(leaves.every((size) => size <= 128), `length ${length}: no leaf over 128 values`);
    // The squares minus 0.3, computed leaf by leaf into one block, as train and evaluate do.
    const block = new Float64Array(128);
    const sums = new Float64Array(leaves.length);
    for (let l = 0, i = 0; l < leaves.length; l++) {
      for (let k = 0; k < leaves[l]; k++, i++) block[k] = first[i] * first[i] - 0.3;
      sums[l] = leafSum(block, 0, leaves[l]);
    }
    assert.equal(addLeafSums(length, sums), pairwiseSum(first.map((value) => value * value - 0.3)), `length ${length}`);
  }
});

test("rankView reads the same medians and percentiles as sorting, and selectRank partitions around its rank", () => {
  let seed = 7;
  const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const shapes: Array<(i: number, n: number) => number> = [
    () => random() * 10 - 5,
    () => Math.floor(random() * 3) * 0.01, // few distinct values, as time steps are
    (i) => i, // sorted
    (i, n) => n - i, // reversed
    (i) => (i % 7 === 0 ? Infinity : i % 11 === 0 ? -Infinity : random()),
  ];
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(random() * 3000);
    const values = Float64Array.from({ length: n }, (_, i) => shapes[trial % shapes.length](i, n));
    const sorted = Float64Array.from(values).sort();
    const view = rankView(Float64Array.from(values));
    assert.equal(medianSorted(view), medianSorted(sorted));
    for (const p of [0, 0.5, 5, 50, 95, 99.9, 100]) assert.equal(percentileSorted(view, p), percentileSorted(sorted, p), `n ${n} p ${p}`);
    const smallest = Math.ceil(n / 2);
    assert.equal(quantileSorted(rankView(Float64Array.from(values), smallest), 0.9), quantileSorted(sorted.subarray(0, smallest), 0.9));
    const scratch = Float64Array.from(values);
    const k = Math.floor(random() * n);
    assert.equal(selectRank(scratch, k), sorted[k]);
    for (let i = 0; i < n; i++) assert.ok(i < k ? scratch[i] <= scratch[k] : scratch[i] >= scratch[k]);
  }
});

test("medianOfSteps is the median of consecutive steps (NaN left out), without sorting a copy", () => {
  const random = seededRandom(3);
  const times = Float64Array.from({ length: 1001 }, (_, i) => i + random());
  times[500] = NaN;
  const steps = Array.from({ length: times.length - 1 }, (_, i) => times[i + 1] - times[i]);
  assert.equal(medianOfSteps(times), median(steps));
  assert.equal(medianOfSteps(Float64Array.of(0, 1, 3, 4)), 1);
  assert.ok(Number.isNaN(medianOfSteps(Float64Array.of(5))));
  const into = new Float64Array(times.length);
  assert.equal(medianOfSteps(times, into), median(steps), "into a longer scratch column");
});
