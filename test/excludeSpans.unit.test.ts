/**
 * excludeSpans drops the rows inside labelled-fault spans (both ends inside, an open span to the window's end),
 * counts the rows and the spans that held any, and hands back the very same window when no row is inside.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { excludeSpans } from "../lib/stages/excludeSpans";
import type { Extraction } from "../lib/shapes/types";

const window: Extraction = {
  timeCol: "ts",
  timeType: "float",
  layout: "wide",
  axes: ["a", "b"],
  time: Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7),
  values: [Float64Array.of(10, 11, 12, 13, 14, 15, 16, 17), Float64Array.of(20, 21, 22, 23, 24, 25, 26, 27)],
};

test("rows inside a closed span (ends included) and an open span are left out; spans without rows are not counted", () => {
  const { extraction, rows, spans } = excludeSpans(window, [
    { start: 1, end: 2 },
    { start: 2.5, end: 2.9 },
    { start: 6, end: null },
  ]);
  assert.equal(rows, 4);
  assert.equal(spans, 2);
  assert.deepEqual(Array.from(extraction.time), [0, 3, 4, 5]);
  assert.deepEqual(Array.from(extraction.values[0]), [10, 13, 14, 15]);
  assert.deepEqual(Array.from(extraction.values[1]), [20, 23, 24, 25]);
  assert.equal(window.time.length, 8, "the extracted window itself is not changed");
});

test("no row inside any span: the same window, nothing counted", () => {
  const result = excludeSpans(window, [{ start: 100, end: 200 }]);
  assert.equal(result.extraction, window);
  assert.equal(result.rows, 0);
  assert.equal(result.spans, 0);
  assert.equal(excludeSpans(window, []).extraction, window);
});
