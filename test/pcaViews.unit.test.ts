/**
 * The notebooks' pca views (lib/notebook/pcaViews.ts, lib/views/pcaCharts.ts)
 * on a synthetic window with known structure: one slow axis (a ramp) and two
 * correlated noisy axes; the tables and charts say what the model found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { trainPca } from "../lib/stages/pcaTrain";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { componentRows, contributionCharts, contributionRows, loadingRows, pcaSummary, scoredChannels, slowAxisRows } from "../lib/notebook/pcaViews";
import { registerRun } from "../lib/notebook/registerRun";
import { contributionChart, explainedVarianceChart, pcaStatisticCharts, slowAxisChart } from "../lib/views/pcaCharts";
import { isInputError } from "../lib/core/errors";
import type { ScoreEvent } from "../lib/scoring/score";

/** A deterministic uniform generator in [-0.5, 0.5). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function window(): { timeS: Float64Array; values: Float64Array[] } {
  const n = 600;
  const r = noise(7);
  const timeS = Float64Array.from({ length: n }, (_, i) => i);
  const ramp = Float64Array.from({ length: n }, (_, i) => 20 + 0.05 * i + 0.1 * r());
  const a = Float64Array.from({ length: n }, () => 5 + r());
  const b = Float64Array.from(a, (v) => 2 * v + 0.1 * r());
  return { timeS, values: [ramp, a, b] };
}

const trained = (() => {
  const { timeS, values } = window();
  return trainPca(["temp", "a", "b"], timeS, values, 1, DEFAULT_THRESHOLD_POLICY, { explainedVariance: 0.9, slowRatio: 0.4, ewmaAlpha: null, maxGapSeconds: null });
})();

test("slowAxisRows: the ramp is slow and enters as its first difference, the noisy axes by their level, with the test's values", () => {
  const rows = slowAxisRows(trained.pca);
  assert.deepEqual(rows.map((r) => [r.axis, r.enters_as]), [["temp", "first difference"], ["a", "level"], ["b", "level"]]);
  assert.ok(rows[0].slow_ratio > 0.9, `ramp share ${rows[0].slow_ratio}`);
  assert.ok(rows[1].slow_ratio < 0.1 && rows[2].slow_ratio < 0.1);
  assert.ok(rows.every((r) => r.threshold === 0.4));
  assert.match(rows[0].why, /keeps 9\d\.\d % of its variance \(> 0\.4\)/);
  const chart = slowAxisChart(trained.pca);
  assert.match(chart.layout.title.text, /slow: temp\)$/);
  assert.deepEqual(chart.data[0].y, trained.pca.slow_ratio);
  assert.deepEqual(chart.data[1].y, [0.4, 0.4, 0.4]);
});

test("componentRows and explainedVarianceChart: shares of the eigenvalues, cumulative to 1, the kept ones marked", () => {
  const rows = componentRows(trained.pca);
  assert.equal(rows.length, 3);
  assert.ok(Math.abs(rows[2].cumulative - 1) < 1e-12);
  assert.deepEqual(rows.map((r) => r.kept), rows.map((_, k) => (k < trained.pca.components ? "yes" : "no")));
  assert.ok(Math.abs(rows[trained.pca.components - 1].cumulative - trained.pca.explained) < 1e-12);
  const chart = explainedVarianceChart(trained.pca);
  assert.equal(chart.data[0].y.length, trained.pca.components);
  assert.equal(chart.data[0].y.length + chart.data[1].y.length, 3);
  assert.match(chart.layout.title.text, new RegExp(`^Explained variance: ${trained.pca.components} of 3 components keep`));
});

test("loadingRows: one row per axis, one PC column per kept component, with the standardisation", () => {
  const rows = loadingRows(trained.pca);
  assert.deepEqual(rows.map((r) => r.axis), ["temp", "a", "b"]);
  const pcs = Object.keys(rows[0]).filter((k) => k.startsWith("PC"));
  assert.equal(pcs.length, trained.pca.components);
  assert.equal(rows[0].enters_as, "first difference");
  // a and b move together: the first component loads on both with the same sign.
  assert.ok((rows[1].PC1 as number) * (rows[2].PC1 as number) > 0);
  assert.equal(pcaSummary(trained.pca, "test").first_differences, "temp");
});

test("pcaStatisticCharts: T² and SPE against their limits, the share at or above MinC counted, events shaded", () => {
  const x = Float64Array.from(trained.t2, (_, i) => i);
  const events = [{ axis: "SPE", level: "alert", startS: 10, endS: 12 }, { axis: "SPE", level: "error", startS: 100, endS: null }];
  const [t2, spe] = pcaStatisticCharts(x, { T2: trained.t2, SPE: trained.spe }, trained.thresholds, { title: "test window", events });
  assert.equal(t2.data[1].y[0], trained.thresholds.T2.MinC);
  assert.equal(spe.data[2].y[0], trained.thresholds.SPE.MaxC);
  const above = Array.from(trained.t2).filter((v) => v >= trained.thresholds.T2.MinC).length;
  assert.match(t2.layout.title.text, new RegExp(`^T2: test window against its limits \\(${((100 * above) / trained.t2.length).toFixed(2)} % of samples ≥ MinC, 0 events\\)`));
  assert.equal(t2.layout.shapes?.length, 0);
  assert.equal(spe.layout.shapes?.length, 2);
  assert.equal(spe.layout.shapes?.[1].x1, x[x.length - 1]);
  assert.equal(spe.layout.yaxis.type, "log");
  assert.equal(t2.layout.xaxis.title.text, "time_s (s since the model's start)");
});

test("pcaStatisticCharts with a clock: x, limit lines and event spans in UTC clock time on a date axis", () => {
  const x = Float64Array.from(trained.t2, (_, i) => i * 60);
  const time0 = 1666075471;
  const endS = x[Math.floor(x.length / 2)];
  const events = [{ axis: "T2", level: "alert", startS: 600, endS }];
  const [t2] = pcaStatisticCharts(x, { T2: trained.t2, SPE: trained.spe }, trained.thresholds, { title: "test window", events, clock: { time0, time_type: "timestamptz" } });
  assert.equal(t2.layout.xaxis.type, "date");
  assert.equal(t2.layout.xaxis.title.text, "time (UTC)");
  assert.equal(t2.data[0].x[0], "2022-10-18T06:44:31.000Z");
  assert.equal(t2.data[1].x[0], "2022-10-18T06:44:31.000Z");
  assert.equal(t2.layout.shapes?.[0].x0, "2022-10-18T06:54:31.000Z");
  assert.equal(t2.layout.shapes?.[0].x1, new Date((time0 + endS) * 1000).toISOString());
  const [floatT2] = pcaStatisticCharts(x, { T2: trained.t2, SPE: trained.spe }, trained.thresholds, { title: "test window", clock: { time0: 5000, time_type: "float" } });
  assert.equal(floatT2.layout.xaxis.type, "linear");
  assert.equal(floatT2.data[0].x[0], 5000);
});

const event = (axis: string, contributions?: ScoreEvent["contributions"]): ScoreEvent => ({
  axis,
  level: "alert",
  started_at: 1,
  fired_at: 3,
  ended_at: 5,
  samples: 5,
  peak_residual: 9,
  threshold: 4,
  model_version: "v1",
  stream: "s",
  ...(contributions === undefined ? {} : { contributions }),
});

test("contributions: one chart and top rows per multivariate event, per-axis events left out", () => {
  const parts = [
    { axis: "b", share: 0.7, value: 12, expected: 10 },
    { axis: "a", share: 0.2, value: 5, expected: 5.1 },
    { axis: "temp", share: 0.1, value: 30, expected: 29 },
  ];
  const events = [event("axis1"), event("SPE", parts), event("T2", parts)];
  const charts = contributionCharts(events);
  assert.deepEqual(charts.map((c) => c.layout.title.text), ["#1 SPE alert at 3: b 70 % (12, expected 10)", "#2 T2 alert at 3: b 70 % (12, expected 10)"]);
  assert.deepEqual(charts[0].data[0].x, ["b<br>12<br>exp. 10", "a<br>5<br>exp. 5.1", "temp<br>30<br>exp. 29"]);
  assert.deepEqual(charts[0].data[0].y, [0.7, 0.2, 0.1]);
  assert.equal(contributionCharts(events, { max: 1 }).length, 1);
  const rows = contributionRows(events, { top: 2 });
  assert.deepEqual(rows.map((r) => [r.event, r.statistic, r.rank, r.axis]), [[1, "SPE", 1, "b"], [1, "SPE", 2, "a"], [2, "T2", 1, "b"], [2, "T2", 2, "a"]]);
  assert.equal(contributionChart(event("T2", []), 4).layout.title.text, "#4 T2 alert at 3: no contributions");
  assert.deepEqual(contributionCharts([event("axis1")]), []);
});

test("scoredChannels: T2 and SPE for a pca version, the model axes otherwise", () => {
  assert.deepEqual(scoredChannels({ models: { type: "pca", models: trained.models } }), ["T2", "SPE"]);
  assert.deepEqual(scoredChannels({ models: { type: "linear", models: [{ axis: "x", coef: 1, intercept: 0, samples_used: 3 }] } }), ["x"]);
});

test("registerRun refuses a pca config without the pca fit, and a pca fit with another model type, before writing", async () => {
  const run = { raw: null, prepared: null, models: null, metrics: [], thresholds: {} } as never;
  await assert.rejects(registerRun({ model: { type: "pca" } } as never, run), (e: unknown) => isInputError(e) && /model\.type is pca: pass pca/.test((e as Error).message));
  await assert.rejects(registerRun({ model: { type: "linear" } } as never, { ...(run as object), pca: trained } as never), (e: unknown) => isInputError(e) && /not pca: leave pca out/.test((e as Error).message));
});
