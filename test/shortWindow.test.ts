/** Selection on a window too short for the full injection plan (SKAB's 400 rows at 1 Hz): it adapts the plan, or falls back to linear + residual with one warning. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveSelection } from "../lib/selection/chooseDetection";
import { seededRandom } from "../lib/stats/seededRandom";
import { testConfig } from "./support/databases";
import type { Config, PreparedColumns } from "../lib/shapes/types";

function window(rows: number): PreparedColumns {
  const random = seededRandom(4);
  const timeS = Float64Array.from({ length: rows }, (_, i) => i);
  const f = Float64Array.from({ length: rows }, () => random() - 0.5);
  return { timeS, axes: ["a", "b"], values: [Float64Array.from(f, (x) => 3 + x), Float64Array.from(f, (x) => 5 + 2 * x + 0.1 * (random() - 0.5))] } as unknown as PreparedColumns;
}

const auto = (): Config => {
  const base = testConfig();
  return { ...base, data: { ...base.data, axes: ["a", "b"] }, model: { ...base.model, type: "auto" }, scoring: { ...base.scoring, statistic: "auto" } } as Config;
};

test("400 rows at 1 Hz: the injection plan adapts to the 80-row validation part and every candidate, pca included, is measured", () => {
  const { selected, warning } = resolveSelection(window(400), 1, auto());
  assert.equal(warning, undefined);
  assert.ok(selected !== null);
  assert.equal(selected.selection.validation.validation_rows, 80);
  assert.ok(selected.selection.validation.injected > 0);
  assert.ok(Object.keys(selected.selection.validation.injected_by_label).every((label) => Number(label.split(" ").pop()) <= 20), JSON.stringify(selected.selection.validation.injected_by_label));
  assert.ok(selected.selection.candidates.some((c) => c.model === "pca"));
});

test("a window too short to split: linear + residual at the configured percentiles, with one warning line", () => {
  const { config, selected, warning } = resolveSelection(window(3), 1, auto());
  assert.equal(selected, null);
  assert.equal(config.model.type, "linear");
  assert.equal(config.scoring.statistic, "residual");
  assert.ok(warning !== undefined && !warning.includes("\n"));
  assert.match(warning, /^warning: the window of 3 rows cannot be split .*; selection skipped: trained linear \+ residual at the configured percentiles$/);
});
