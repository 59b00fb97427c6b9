/**
 * The report index's headlines (scripts/reportHeadline.ts): read back from tables written by the
 * real table helpers into an executed-notebook file, as `npm run report` reads them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { keyValueHtml, tableHtml } from "../lib/views/display";
import { headlineText, notebookHeadline, notebookHtml, outputTables } from "../scripts/reportHeadline";

test("a notebook's headline: version, model and statistic from its records, the chosen row's false alarms and recall, events summed", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mlbox-headline-"));
  try {
    const outputs = [
      keyValueHtml({ model: "v12", trend: "linear", statistic: "EWMA(α=0.1) of residual", chosen_by: "as configured" }, { caption: "Trend and statistic" }),
      tableHtml(
        [
          { candidate: "default: linear + residual", false_alarms_per_hour: 1.5, recall: 0.5, chosen: "" },
          { candidate: "linear + ewma", false_alarms_per_hour: 0.25, recall: 0.875, chosen: "chosen" },
        ],
        { caption: "Every candidate" },
      ),
      tableHtml([{ axis: "axis1", alerts: 3, errors: 1 }, { axis: "axis2", alerts: 20, errors: 4 }], { caption: "Events per axis" }),
    ];
    const ipynb = path.join(dir, "08.ipynb");
    writeFileSync(ipynb, JSON.stringify({ cells: [{ cell_type: "code", outputs: outputs.map((html, i) => ({ data: { "text/html": i === 0 ? [html.slice(0, 10), html.slice(10)] : html } })) }, { cell_type: "markdown" }] }));
    const tables = notebookHtml(ipynb).flatMap(outputTables);
    assert.deepEqual(tables.map((t) => t.caption), ["Trend and statistic", "Every candidate", "Events per axis"]);
    const headline = notebookHeadline(tables);
    assert.deepEqual(headline, { version: "v12", model: "linear", statistic: "EWMA(α=0.1) of residual", false_alarms_per_hour: "0.25", recall: "0.875", events: "28" });
    assert.equal(headlineText(headline), "v12 · linear · EWMA(α=0.1) of residual · 0.25 false alarms/h · recall 0.875 · 28 events scored");
    assert.deepEqual(notebookHeadline(outputTables(keyValueHtml({ a: 1 }, { caption: "Version v3" }))), { version: "v3" });
    assert.equal(headlineText({}), "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
