/** The solver with an implicit ones column equals the one with a stored column, bit for bit; a fit's usable-row time lookup. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { leastSquaresAfterOnesInPlace, leastSquaresInPlace, usableTime } from "../lib/model/leastSquares";

// Seeded, so a failure names the same columns every run.
function columns(seed: number, n: number, p: number): Float64Array[] {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: p }, (_, j) => Float64Array.from({ length: n }, (_, i) => (j === 0 ? next() * 10 - 5 : Math.max(0, i / n - j / (p + 1)) + 1e-3 * next())));
}

test("leastSquaresAfterOnesInPlace gives leastSquaresInPlace's coefficients on [ones, ...columns], bit for bit", () => {
  for (const [n, p] of [[1, 1], [2, 2], [7, 3], [1000, 4], [5000, 5]]) {
    for (let seed = 1; seed <= 5; seed++) {
      const rest = columns(seed, n, p);
      const y = columns(seed + 100, n, 1)[0];
      const stored = leastSquaresInPlace([new Float64Array(n).fill(1), ...rest.map((c) => Float64Array.from(c))], Float64Array.from(y));
      const implicit = leastSquaresAfterOnesInPlace(rest.map((c) => Float64Array.from(c)), Float64Array.from(y));
      assert.deepEqual(Array.from(implicit), Array.from(stored), `n ${n}, p ${p}, seed ${seed}`);
    }
  }
});

test("leastSquaresAfterOnesInPlace gives a column of ones repeated coefficient 0, as the stored solver does", () => {
  const ones = new Float64Array(6).fill(1);
  const y = Float64Array.of(1, 2, 3, 4, 5, 7);
  const stored = leastSquaresInPlace([Float64Array.from(ones), Float64Array.from(ones)], Float64Array.from(y));
  const implicit = leastSquaresAfterOnesInPlace([Float64Array.from(ones)], Float64Array.from(y));
  assert.deepEqual(Array.from(implicit), Array.from(stored));
  assert.equal(implicit[1], 0);
});

test("usableTime counts only usable rows (idle 0, NaN, non-finite time left out)", () => {
  const timeS = Float64Array.of(0, 1, 2, NaN, 4, 5);
  const values = Float64Array.of(3, 0, NaN, 1, 6, 2);
  assert.equal(usableTime(timeS, values, 0), 0);
  assert.equal(usableTime(timeS, values, 1), 4);
  assert.equal(usableTime(timeS, values, 2), 5);
  assert.throws(() => usableTime(timeS, values, 3), RangeError);
});
