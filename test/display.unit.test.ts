/** Notebook display helpers (HTML tables, once-per-session plotly) and config resolution. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as dfd from "danfojs-node";
import { residualChart } from "../lib/views/axisCharts";
import { barChart } from "../lib/views/seriesCharts";
import { formatSummary } from "../cli/summary";
import { formatNumber } from "../lib/core/formatNumber";
import type { PipelineResult } from "../lib/pipeline/inMemory";
import { cellText, keyValueHtml, showChart, showTable, tableHtml, useDisplay, reloadPlotly } from "../lib/views/display";
import { samplingGaps, timeSteps } from "../lib/stages/analyze";
import { projectRoot, resolveConfigPath } from "../lib/notebook/configPath";

test("tableHtml escapes every value and header and notes the rows not shown", () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ "<axis>": `a&${i}`, value: i / 3 }));
  const html = tableHtml(rows, { maxRows: 5, caption: "<b>caption</b>" });
  assert.equal(html.match(/<tr>/g)?.length, 6); // header + 5 rows
  assert.match(html, /<th>&lt;axis&gt;<\/th>/);
  assert.match(html, /<td>a&amp;4<\/td>/);
  assert.match(html, /0\.333333</);
  assert.match(html, /showing 5 of 30 rows × 2 columns/);
  assert.match(html, /&lt;b&gt;caption&lt;\/b&gt;/);
  assert.doesNotMatch(html, /<b>/);
});

test("tableHtml renders danfo DataFrames with their index, and objects of columns", () => {
  const df = new dfd.DataFrame({ ts: ["2022-10-17T00:00:00.000000Z", "x"], axis1: [1.5, NaN] });
  const html = tableHtml(df);
  assert.match(html, /<th><\/th><th>ts<\/th><th>axis1<\/th>/);
  assert.match(html, /<tr><th>0<\/th><td>2022-10-17T00:00:00.000000Z<\/td><td style="text-align:right">1.5<\/td><\/tr>/);
  assert.match(html, /<td style="text-align:right">NaN<\/td>/);
  assert.match(html, /2 rows × 2 columns/);
  const cols = tableHtml({ a: Float64Array.of(1, 2, 3), b: ["x", "y", "z"] }, { maxRows: 2 });
  assert.match(cols, /showing 2 of 3 rows/);
  assert.equal(cellText(1234567.891), "1.23457e+6");
  assert.equal(cellText({ a: [1, NaN] }), '{"a":[1,"NaN"]}');
  assert.match(keyValueHtml({ dt_seconds: 0.5, policy: { q: 1 } }), /<td>dt_seconds<\/td><td style="text-align:right">0.5<\/td>/);
});

test("showChart emits plotly.js with the first chart only; showTable goes to the same display", () => {
  const emitted: string[] = [];
  useDisplay({ html: (h) => emitted.push(h) });
  try {
    const fig = barChart(["a", "b"], [{ name: "n", values: [1, 2] }], { title: "t", yTitle: "y" });
    showChart(fig);
    showChart(fig);
    showTable([{ a: 1 }]);
    assert.equal(emitted.length, 3);
    assert.match(emitted[0], /data-mlbox="plotly.js"/);
    assert.doesNotMatch(emitted[1], /data-mlbox="plotly.js"/);
    assert.match(emitted[1], /class="mlbox-chart"/);
    assert.ok(emitted[0].length > 3_000_000 && emitted[1].length < 10_000);
    reloadPlotly();
    showChart(fig);
    assert.match(emitted[3], /data-mlbox="plotly.js"/);
  } finally {
    useDisplay(undefined);
  }
});

test("resolveConfigPath: MLBOX_CONFIG relative to the project root, else config.yaml there", () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "mlbox-root-")));
  try {
    writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "mlbox" }));
    mkdirSync(path.join(root, "lib"));
    writeFileSync(path.join(root, "lib", "package.json"), JSON.stringify({ name: "mlbox" }));
    mkdirSync(path.join(root, "notebooks", "deep"), { recursive: true });
    const cwd = path.join(root, "notebooks", "deep");
    assert.equal(projectRoot(cwd), root);
    assert.equal(resolveConfigPath({ env: {}, cwd }), path.join(root, "config.yaml"));
    assert.equal(resolveConfigPath({ env: { MLBOX_CONFIG: "configs/pg.yaml" }, cwd }), path.join(root, "configs", "pg.yaml"));
    assert.equal(resolveConfigPath({ env: { MLBOX_CONFIG: "/etc/x.yaml" }, cwd }), "/etc/x.yaml");
    assert.equal(resolveConfigPath({ env: { MLBOX_CONFIG: "  " }, cwd }), path.join(root, "config.yaml"));
    // Outside any project: the folder holding this library.
    assert.equal(projectRoot("/"), path.resolve(__dirname, ".."));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("timeSteps and samplingGaps find the longest interruptions", () => {
  const time = Float64Array.of(0, 1, 2, 10, 11, 31, 32);
  assert.deepEqual(Array.from(timeSteps(time)), [1, 1, 8, 1, 20, 1]);
  const gaps = samplingGaps(time, 1, { factor: 3 });
  assert.deepEqual(
    gaps.map((g) => [g.row, g.after_time, g.step_seconds]),
    [
      [5, 11, 20],
      [3, 2, 8],
    ],
  );
  assert.deepEqual(samplingGaps(time, 0), []);
});

test("one number formatter for the CLI summary, table cells and chart labels", () => {
  const values = [1 / 3, 1.5, 1234567.891, 1234567, 6.666666666666665e-8, NaN, -Infinity];
  assert.deepEqual(values.map((v) => formatNumber(v)), ["0.333333", "1.5", "1.23457e+6", "1234567", "6.66667e-8", "NaN", "-Infinity"]);
  assert.equal(formatNumber(1 / 3, 12), "0.333333333333");
  // Zeros before the decimal point stay (they were cut: 123450.2 read "12345").
  assert.deepEqual([formatNumber(123450.2), formatNumber(470.2, 3), formatNumber(2.50001, 3)], ["123450", "470", "2.5"]);
  assert.deepEqual(values.map((v) => cellText(v)), values.map((v) => formatNumber(v)));
  const thresholds = { MinC: 1234567.891, MaxC: 1e21, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1 / 3, policy: {}, meta: { method: "m" } };
  const chart = residualChart(Float64Array.of(0, 1), Float64Array.of(1, 2), { axis: "a", thresholds } as unknown as Parameters<typeof residualChart>[2]);
  assert.ok(chart.data.some((trace) => trace.name === "MinC (alert) = 1.23457e+6"));
  // The summary used to print 1234570 here (Number(toPrecision(6))); it now writes numbers as tables do.
  const summary = formatSummary({
    version: "v1", versionDir: "d", database: "db", rawShape: [2, 2], trainShape: [2, 2], chartFiles: [],
    metrics: [{ axis: "a", r2: 1 / 3, mae: 1234567, rmse: NaN }], thresholds: { a: thresholds },
  } as unknown as PipelineResult);
  assert.match(summary, /R2=0\.333333 {2}MAE=1234567 {2}RMSE=NaN/);
  assert.match(summary, /MinC=1\.23457e\+6 {2}MaxC=1e\+21 .* dt=0\.333333 s/);
});
