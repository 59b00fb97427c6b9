/** Chart figures, decimation, inline-safe HTML and the CLI's chart files. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { decimateMinMax } from "../lib/views/decimate";
import { CHART_COLORS, type PlotlyTrace } from "../lib/views/figure";
import { fitChart, predictionCharts, residualChart } from "../lib/views/axisCharts";
import { histogram, residualHistogram, runLengthChart } from "../lib/views/histogramCharts";
import { chartHtml, chartPageHtml, chartPageParts, inlineScriptSafe, inlineScriptSafeBytes, jsonForScript, plotlyLibraryPath, plotlyScriptHtml } from "../lib/views/html";
import { safeFileStem, writeChartFiles } from "../lib/views/chartFiles";
import { InputError } from "../lib/core/errors";
import type { AxisThresholds, Prediction } from "../lib/shapes/types";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { statisticColumn } from "../lib/model/statistic";

const thresholds = (minc: number, maxc: number): AxisThresholds => ({
  MinC: minc,
  MaxC: maxc,
  T_long_steps: 5,
  T_short_steps: 3,
  dt_seconds: 1,
  policy: DEFAULT_THRESHOLD_POLICY,
  meta: { method: "trim_top=0.02" },
});

/** A 100k-sample noisy series with one positive and one negative spike. */
function spiky(n = 100_000): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i * 0.5;
    y[i] = Math.sin(i / 50) + 0.001 * (i % 7) + 0.01;
  }
  y[12_345] = 250;
  y[87_654] = -180;
  return { x, y };
}

test("decimateMinMax keeps both spikes, stays within maxPoints and keeps time order", () => {
  const { x, y } = spiky();
  const d = decimateMinMax(x, y, 1000);
  assert.ok(d.x.length <= 1000 && d.x.length >= 900, `kept ${d.x.length}`);
  assert.equal(d.x.length, d.y.length);
  assert.equal(Math.max(...d.y), 250);
  assert.equal(Math.min(...d.y), -180);
  assert.equal(d.x[Array.from(d.y).indexOf(250)], 12_345 * 0.5);
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] > d.x[i - 1], "x ascending");
  // Every kept point is an original sample.
  for (let i = 0; i < d.x.length; i += 97) assert.equal(d.y[i], y[d.x[i] / 0.5]);
});

test("decimateMinMax passes short series through, drops NaN and rejects bad arguments", () => {
  const d = decimateMinMax(Float64Array.of(0, 1, 2, 3), Float64Array.of(5, NaN, 7, 8), 10);
  assert.deepEqual(Array.from(d.x), [0, 2, 3]);
  assert.deepEqual(Array.from(d.y), [5, 7, 8]);
  const allNaN = decimateMinMax(new Float64Array(5000), new Float64Array(5000).fill(NaN), 100);
  assert.equal(allNaN.x.length, 0);
  assert.throws(() => decimateMinMax([1, 2], [1], 10), RangeError);
  assert.throws(() => decimateMinMax([1, 2], [1, 2], 1), RangeError);
});

const byName = (traces: readonly PlotlyTrace[], prefix: string): PlotlyTrace => {
  const found = traces.find((t) => t.name.startsWith(prefix));
  assert.ok(found, `trace "${prefix}" in ${traces.map((t) => t.name).join(", ")}`);
  return found;
};

test("fitChart: data as markers, fitted line in another color, zeros apart, time_s on x, decimated", () => {
  const { x, y } = spiky();
  y[10] = 0;
  const predicted = x.map((t) => t * 0.001);
  const fig = fitChart(x, y, predicted, { axis: "axis3", maxPoints: 500 });
  const data = byName(fig.data, "data");
  const fit = byName(fig.data, "fitted trend");
  const zeros = byName(fig.data, "exact zeros (1");
  assert.equal(data.mode, "markers");
  assert.equal(fit.mode, "lines");
  assert.notEqual(data.marker?.color, fit.line?.color);
  assert.equal(zeros.y.length, 1);
  assert.ok(data.x.length <= 500 && fit.x.length <= 500);
  assert.ok((data.y as number[]).includes(250), "spike survives in the fit chart");
  assert.match(fig.layout.title.text, /axis3/);
  assert.match(fig.layout.xaxis.title.text, /time_s/);
  // No zero trace when there are no zeros.
  assert.equal(fitChart(Float64Array.of(0, 1), Float64Array.of(1, 2), Float64Array.of(1, 2), { axis: "a" }).data.length, 2);
});

test("residualChart: markers, dashed zero line in another color, MinC/MaxC only with thresholds", () => {
  const { x, y } = spiky(5000);
  const plain = residualChart(x, y, { axis: "axis1" });
  assert.deepEqual(
    plain.data.map((t) => t.name),
    ["residual", "zero"],
  );
  const zero = byName(plain.data, "zero");
  assert.equal(zero.line?.dash, "dash");
  assert.deepEqual(zero.y, [0, 0]);
  assert.deepEqual(zero.x, [0, 4999 * 0.5]);
  assert.notEqual(zero.line?.color, byName(plain.data, "residual").marker?.color);
  const withT = residualChart(x, y, { axis: "axis1", thresholds: thresholds(0.8, 1.2) });
  const minc = byName(withT.data, "MinC");
  const maxc = byName(withT.data, "MaxC");
  assert.deepEqual(minc.y, [0.8, 0.8]);
  assert.deepEqual(maxc.y, [1.2, 1.2]);
  assert.equal(minc.line?.color, CHART_COLORS.minc);
  assert.equal(maxc.line?.color, CHART_COLORS.maxc);
  assert.match(maxc.name, /1\.2/);
});

test("residualChart and residualHistogram of a smoothed statistic: its values are drawn and labelled, MinC/MaxC on its scale", () => {
  const x = Float64Array.from({ length: 200 }, (_, i) => i);
  const y = Float64Array.from(x, (i) => (i % 2 === 0 ? 4 : -4) + (i >= 100 ? 1 : 0));
  const t = { ...thresholds(0.5, 0.9), statistic: { type: "ewma", alpha: 0.1 } } as const;
  const chart = residualChart(x, y, { axis: "axis1", thresholds: t });
  assert.deepEqual(chart.data.map((trace) => trace.name.replace(/ = .*/, "")), ["residual", "EWMA(α=0.1) of residual", "zero", "MinC (alert)", "MaxC (error)"]);
  assert.deepEqual(byName(chart.data, "EWMA").y, Array.from(statisticColumn(t.statistic, y).values));
  assert.match(chart.layout.title.text, /^axis1: EWMA\(α=0\.1\) of residual/);
  const given = Float64Array.from(x, () => 0.7);
  assert.deepEqual(byName(residualChart(x, y, { axis: "axis1", thresholds: t, statistic: given }).data, "EWMA").y, Array.from(given));
  const histogram = residualHistogram(y, { axis: "axis1", thresholds: t });
  assert.match(histogram.layout.title.text, /EWMA\(α=0\.1\) of residual distribution/);
  const counted = histogram.data[0].y.reduce<number>((sum, count) => sum + Number(count ?? 0), 0);
  assert.equal(counted, 200);
  assert.ok(Math.max(...(histogram.data[0].x as number[])) < 4, "the EWMA's spread, not the residual's ±4");
});

test("histograms count every finite value and mark thresholds and sustain steps", () => {
  const h = histogram(Float64Array.of(0, 1, 2, 3, 4, NaN, 10), 5);
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 6);
  assert.equal(h.counts[4], 1);
  assert.equal(histogram(Float64Array.of(2, 2, 2), 10).counts[0], 3);
  assert.equal(histogram(Float64Array.of(NaN), 10).counts.length, 0);
  const fig = residualHistogram(spiky(2000).y, { axis: "a", thresholds: thresholds(0.5, 0.9) });
  assert.deepEqual(byName(fig.data, "MinC").x, [0.5, 0.5]);
  assert.deepEqual(byName(fig.data, "MaxC").x, [0.9, 0.9]);
  const runs = runLengthChart(Int32Array.of(1, 1, 3, 7, 3, 1), { title: "runs", sustainSteps: 4, sustainName: "T_long_steps" });
  assert.deepEqual(runs.data[0].x, [1, 3, 7]);
  assert.deepEqual(runs.data[0].y, [3, 2, 1]);
  assert.deepEqual(byName(runs.data, "T_long_steps").x, [4, 4]);
});

test("jsonForScript rounds numbers, nulls non-finite ones and cannot close a script element", () => {
  const json = jsonForScript({ title: "</script><script>alert(1)</script>", v: [1 / 3, NaN, Infinity, 2], amp: "a&b\u2028" });
  assert.doesNotMatch(json, /<\/script/i);
  assert.doesNotMatch(json, /[<>&\u2028]/);
  assert.deepEqual(JSON.parse(json), { title: "</script><script>alert(1)</script>", v: [0.33333333, null, null, 2], amp: "a&b\u2028" });
});

test("chartHtml: one div with escaped title, and its script text never ends early", () => {
  const fig = fitChart(Float64Array.of(0, 1), Float64Array.of(1, 2), Float64Array.of(1, 2), { axis: '"><script>x</script>' });
  const html = chartHtml(fig, { id: "c1" });
  assert.match(html, /^<div class="mlbox-chart" id="c1" data-title="&quot;&gt;&lt;script&gt;x&lt;\/script&gt;: data and fitted trend"/);
  assert.equal(html.match(/<\/script/gi)?.length, 1, "only the script's own end tag");
  assert.equal(html.match(/<script/gi)?.length, 1);
  assert.doesNotMatch(html, /cdn|https?:/i);
});

test("inlineScriptSafe keeps the meaning of strings and regular expressions", () => {
  const source = String.raw`var a = "</script><!-- <SCRIPT>"; var r = /<\/script>|<!--x/u; var t = '</SCRIPT'; result = [a, r.test("<!--x"), t, r.source.length > 0];`;
  const safe = inlineScriptSafe(source);
  assert.doesNotMatch(safe, /<\/script|<script|<!--/i);
  const run = (code: string): unknown => {
    const context: { result?: unknown } = {};
    vm.runInNewContext(code, context);
    return context.result;
  };
  assert.equal(JSON.stringify(run(safe)), JSON.stringify(run(source)));
  assert.equal(JSON.stringify(run(safe)), JSON.stringify(["</script><!-- <SCRIPT>", true, "</SCRIPT", true]));
});

test("inlineScriptSafeBytes gives the UTF-8 bytes of inlineScriptSafe, in any letter case and next to other characters", () => {
  const source = String.raw`var a = "</script><!-- <SCRIPT>"; ü ✓ <Script <sCrIpT </ScRiPt <!- <!-- <<script <scrip`;
  const safe = inlineScriptSafeBytes(Buffer.from(source, "utf8"));
  assert.equal(safe.toString("utf8"), inlineScriptSafe(source));
  assert.equal(inlineScriptSafeBytes(Buffer.from("no tags")).toString("utf8"), "no tags");
});

test("plotlyScriptHtml inlines the whole plotly.js with exactly one closing tag and no network reference", () => {
  const html = plotlyScriptHtml();
  const size = statSync(plotlyLibraryPath()).size;
  assert.ok(html.length >= size * 0.99, `inlined ${html.length} of ${size} bytes`);
  assert.equal(html.match(/<\/script/gi)?.length, 1);
  assert.ok(html.endsWith("</script>"));
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
});

test("chartPageParts are the UTF-8 bytes of chartPageHtml, plotly.js once in the middle, whatever the title", () => {
  const fig = fitChart(Float64Array.of(0, 1, 2), Float64Array.of(1, 2, 4), Float64Array.of(1, 2, 3), { axis: "µ-axis <mlbox-plotly-slot> ✓" });
  const title = "ü <mlbox-plotly-slot> </script>";
  const sameIds = (html: string): string => html.replace(/mlbox-chart-\d+-[a-z0-9]+/g, "ID");
  const parts = chartPageParts(title, [fig, fig]);
  assert.equal(parts.length, 3);
  assert.equal(Buffer.from(parts[1]).toString("utf8"), plotlyScriptHtml());
  assert.equal(sameIds(Buffer.concat(parts).toString("utf8")), sameIds(chartPageHtml(title, [fig, fig])));
  assert.equal(chartPageParts(title, [fig])[1], parts[1], "plotly.js encoded once");
});

test("writeChartFiles writes fit and residual pages per axis, each self-contained (plotly.js inlined, no sibling file)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mlbox-charts-"));
  try {
    const { x, y } = spiky(3000);
    const prediction: Prediction = {
      timeS: x,
      axes: ["axis1", "motor/2"],
      actual: [y, y],
      predicted: [x.map(() => 0), x.map(() => 0.5)],
      residual: [y, y.map((v) => v - 0.5)],
    };
    const files = await writeChartFiles(prediction, { axis1: thresholds(0.7, 1.1) }, path.join(dir, "charts"));
    assert.deepEqual(
      files.map((f) => path.relative(dir, f)),
      ["charts/axis1_fit.html", "charts/axis1_residual.html", "charts/motor_2_fit.html", "charts/motor_2_residual.html"],
    );
    assert.ok(!existsSync(path.join(dir, "charts", "plotly.min.js")), "no sibling plotly.min.js");
    const library = statSync(plotlyLibraryPath()).size;
    for (const file of files) {
      const html = readFileSync(file, "utf8");
      assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
      assert.match(html, /<script type="text\/javascript" data-mlbox="plotly\.js">/);
      assert.ok(html.length > library && html.length < library + 400_000, `${file} is ${html.length} bytes`);
    }
    const chartPart = (file: string): string => readFileSync(file, "utf8").replace(/<script[^>]*data-mlbox="plotly\.js">[\s\S]*?<\/script>/, "");
    assert.match(chartPart(files[1]), /MinC \(alert\) = 0\.7/);
    assert.doesNotMatch(chartPart(files[3]), /MinC/);
    assert.equal(predictionCharts(prediction, undefined).length, 2);
    await assert.rejects(
      writeChartFiles({ ...prediction, axes: ["a/b", "a_b"] }, undefined, dir),
      (e: unknown) => e instanceof InputError && /"a\/b" and "a_b"/.test(e.message),
    );
    assert.equal(safeFileStem("..x y"), "_x_y");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
