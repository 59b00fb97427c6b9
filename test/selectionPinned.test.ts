/**
 * Selection's output is pinned: on the real robot export and on the demo data (`model.type: auto` +
 * `scoring.statistic: auto`, with `thresholds.target_alarms_per_day` and `scoring.max_gap_seconds`),
 * `selection.json` as the registry writes it is byte for byte the text the code wrote before selection was
 * made fast (test/fixtures/selection/, written by test/support/selectionCases.ts --write on that code).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SELECTION_CASES, SELECTION_FIXTURES, selectionText } from "./support/selectionCases";

for (const c of SELECTION_CASES) {
  test(`selection.json of ${c.name} is byte for byte the pinned one`, () => {
    const expected = readFileSync(join(SELECTION_FIXTURES, `${c.name}.json`), "utf8");
    const actual = selectionText(c);
    // Compare parsed first for a readable diff, then the text itself.
    assert.deepEqual(JSON.parse(actual), JSON.parse(expected));
    assert.equal(actual, expected);
  });
}
