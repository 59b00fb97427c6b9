/**
 * 03's sentence when `auto` measured better than the config (lib/views/selectionAdvice.ts), on the demo
 * data's pinned selection (test/fixtures/selection/demo-auto-auto.json: linear + cusum chosen, 256/256
 * caught): which combination, by how much, the YAML to use it; nothing when there is nothing to say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { selectionAdvice } from "../lib/views/selectionAdvice";
import type { Selection } from "../lib/shapes/artifacts";

const selection = JSON.parse(readFileSync(join(__dirname, "fixtures", "selection", "demo-auto-auto.json"), "utf8")) as Selection;

test("a configured pca + ewma: linear + cusum is named with both recalls, the gain and the YAML with its percentiles", () => {
  const text = selectionAdvice(selection, { model: "pca", statistic: "ewma" });
  assert.ok(text !== null);
  assert.match(text, /^`auto` measured \*\*linear \+ cusum\*\* better than the configured \*\*pca \+ ewma\*\*: at no more false alarms than the default rule \(7\.93 per hour on the held-out 4\.29 h\)/);
  assert.match(text, /it catches 256 of 256 injected anomalies \(recall 1\) with 3\.73 false alarms per hour; the configured \*\*pca \+ ewma\*\* catches 26 of 256 injected anomalies \(recall 0\.102\): 0\.898 more recall \(230 more anomalies caught\), median delay 5\.69 s against 49\.9 s\./);
  assert.ok(text.endsWith("```yaml\nmodel:\n  type: linear\nscoring:\n  statistic: cusum\nthresholds:\n  minc_percentile: 95\n  maxc_percentile: 99\n```"), text);
});

test("nothing to say: the config trains the chosen one, says auto, or its own candidate catches as much", () => {
  assert.equal(selectionAdvice(selection, { model: "linear", statistic: "cusum" }), null);
  assert.equal(selectionAdvice(selection, { model: "auto", statistic: "residual" }), null);
  assert.equal(selectionAdvice(selection, { model: "poly", statistic: "cusum" }), null, "poly + cusum also catches 256/256");
});

test("a chosen pca gets no percentile lines (its limits come from held-out blocks); an unmatched config says so", () => {
  const pcaChosen: Selection = { ...selection, chosen: { ...selection.chosen, model: "pca", statistic: "ewma" } };
  const text = selectionAdvice(pcaChosen, { model: "pca", statistic: "residual" });
  assert.ok(text !== null);
  assert.ok(text.endsWith("```yaml\nmodel:\n  type: pca\nscoring:\n  statistic: ewma\n```"), text);
  const unmatched: Selection = { ...selection, candidates: selection.candidates.map((c) => (c.model === "linear" && c.statistic === "residual" ? { ...c, recall: null, caught: null } : c)) };
  assert.match(selectionAdvice(unmatched, { model: "linear", statistic: "residual" }) ?? "", /the configured \*\*linear \+ residual\*\* has no alert level within that many false alarms\./);
});
