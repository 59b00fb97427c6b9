/**
 * The figure builders of issue 18: clock time on time axes (ISO UTC on a date axis, float seconds
 * kept and labelled), events at least 0.4 % of the range wide with one legend entry per level and
 * levels told apart without colour, the stream timeline's lanes and bars, the correlation heatmap's
 * values on a known case, the gap table in ISO, and eventDetail on a scored frame (no database).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as dfd from "danfojs-node";
import { fitChart, residualChart } from "../lib/views/axisCharts";
import { lineChart } from "../lib/views/seriesCharts";
import { isoUtc, timeAxis } from "../lib/views/timeAxis";
import { EVENT_STYLE, MIN_EVENT_WIDTH_FRACTION, eventMarks } from "../lib/views/eventMarks";
import { timelineChart } from "../lib/views/timelineChart";
import { correlationChart, pearson } from "../lib/views/correlationChart";
import { scoreCharts } from "../lib/views/scoreViews";
import { samplingGapRows } from "../lib/notebook/dataViews";
import { incidentRows } from "../lib/views/incidentRows";
import { eventDetail } from "../lib/notebook/eventDetail";
import { score } from "../lib/scoring/scoreFrame";
import type { ScoreEvent } from "../lib/scoring/score";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import type { LoadedVersion } from "../lib/registry";
import type { PlotlyFigure } from "../lib/views/figure";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TIME0 = 1666075471; // 2022-10-18T06:44:31Z
const clock = { time0: TIME0, time_type: "timestamptz" } as const;
const ms = (x: number | string): number => (typeof x === "string" ? Date.parse(x) : x * 1000);

const event = (over: Partial<ScoreEvent>): ScoreEvent => ({
  axis: "axis1",
  level: "alert",
  started_at: "2022-10-18T07:00:00.000000Z",
  fired_at: "2022-10-18T07:00:01.000000Z",
  ended_at: "2022-10-18T07:00:02.000000Z",
  samples: 2,
  peak_residual: 0.3,
  threshold: 0.19,
  model_version: "v1",
  stream: "demo",
  ...over,
});

test("fit, residual and line charts plot UTC ISO times on a date axis when given a timestamp clock", () => {
  const t = Float64Array.of(0, 60, 120, 3600);
  const y = Float64Array.of(1, 2, 3, 4);
  for (const figure of [
    fitChart(t, y, y, { axis: "axis1", clock }),
    residualChart(t, y, { axis: "axis1", clock, thresholds: { MinC: 1, MaxC: 2, T_long_steps: 1, T_short_steps: 1, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "x" } } as never }),
    lineChart(t, [{ name: "axis1", values: y }], { title: "raw", clock }),
  ]) {
    assert.equal(figure.layout.xaxis.type, "date", figure.layout.title.text);
    assert.equal(figure.layout.xaxis.title.text, "time (UTC)");
    for (const trace of figure.data) for (const x of trace.x) assert.match(String(x), ISO, `${figure.layout.title.text}: ${trace.name}`);
  }
  const fit = fitChart(t, y, y, { axis: "axis1", clock });
  assert.deepEqual(fit.data[0].x, ["2022-10-18T06:44:31.000Z", "2022-10-18T06:45:31.000Z", "2022-10-18T06:46:31.000Z", "2022-10-18T07:44:31.000Z"]);
});

test("a float time column keeps its own seconds, labelled so; without a clock the axis is time_s", () => {
  const t = Float64Array.of(0, 10);
  const v = Float64Array.of(1, 2);
  const own = fitChart(t, v, v, { axis: "a", clock: { time0: 500, time_type: "float" } });
  assert.equal(own.layout.xaxis.type, "linear");
  assert.deepEqual(own.data[0].x, [500, 510]);
  assert.match(own.layout.xaxis.title.text, /^time \(s, as the time column holds it\)$/);
  const plain = fitChart(t, v, v, { axis: "a" });
  assert.deepEqual(plain.data[0].x, [0, 10]);
  assert.match(plain.layout.xaxis.title.text, /^time_s/);
  assert.equal(isoUtc(NaN), "");
  // A clock missing a key (as a non-strict notebook may pass one) is no clock.
  assert.deepEqual(fitChart(t, v, v, { axis: "a", clock: { time_type: "timestamptz" } }).data[0].x, [0, 10]);
});

test("events: at least 0.4 % of the x range wide, one legend entry per level, alert and error differ without colour", () => {
  const rangeS = [0, 4.3 * 3600] as const;
  const events = [
    event({}),
    event({ started_at: "2022-10-18T08:00:00.000000Z", fired_at: "2022-10-18T08:00:00.000000Z", ended_at: "2022-10-18T08:00:00.000000Z", samples: 1 }),
    event({ level: "error", started_at: "2022-10-18T09:00:00.000000Z", fired_at: "2022-10-18T09:00:00.000000Z", ended_at: "2022-10-18T09:00:03.000000Z" }),
    event({ level: "alert", started_at: "2022-10-18T09:30:00.000000Z", ended_at: "2022-10-18T10:30:00.000000Z", fired_at: "2022-10-18T09:30:10.000000Z", samples: 1900 }),
  ];
  const { shapes, traces } = eventMarks(events, { time: timeAxis(clock), time0: TIME0, rangeS });
  assert.equal(shapes.length, 4);
  const minMs = MIN_EVENT_WIDTH_FRACTION * (rangeS[1] - rangeS[0]) * 1000;
  for (const s of shapes) {
    assert.match(String(s.x0), ISO);
    assert.ok(ms(s.x1) - ms(s.x0) >= minMs - 1, `${String(s.x0)}: ${ms(s.x1) - ms(s.x0)} ms < ${minMs}`);
  }
  // The long event keeps its own length.
  assert.equal(ms(shapes[2].x1) - ms(shapes[2].x0), 3600 * 1000);
  for (const level of ["alert", "error"] as const) {
    const entries = shapes.filter((s) => s.legendgroup === level && s.showlegend === true).length + traces.filter((t) => t.legendgroup === level && t.showlegend !== false).length;
    assert.equal(entries, 1, `${level}: one legend entry`);
  }
  const [alert, error] = [shapes.find((s) => s.legendgroup === "alert")!, shapes.find((s) => s.legendgroup === "error")!];
  assert.notEqual(alert.line.dash, error.line.dash);
  assert.notEqual(alert.opacity, error.opacity);
  assert.deepEqual(traces.map((t) => t.marker?.symbol), [EVENT_STYLE.alert.symbol, EVENT_STYLE.error.symbol]);
  assert.notEqual(EVENT_STYLE.alert.symbol, EVENT_STYLE.error.symbol);
  assert.match(String(traces[0].text?.[0]), /axis1 alert: 2 samples, 2 s.*peak 0\.3 vs threshold 0\.19/);
});

test("timelineChart: one lane per axis (given lanes kept, empty ones too), bars per level in clock time, min width", () => {
  const events = [event({}), event({ axis: "axis3", level: "error", ended_at: null })];
  const range = ["2022-10-18T06:44:31Z", "2022-10-18T11:02:31Z"] as const;
  const chart = timelineChart(events, { lanes: ["axis1", "axis2", "axis3"], range });
  assert.equal(chart.layout.xaxis.type, "date");
  assert.deepEqual(chart.layout.yaxis.categoryarray, ["axis1", "axis2", "axis3"]);
  const bars = chart.data.filter((t) => t.type === "bar");
  assert.deepEqual(bars.map((t) => t.name), ["alert events (1)", "error events (1), hatched"]);
  assert.equal(bars[1].marker?.pattern?.shape, "/");
  assert.equal(bars[0].marker?.pattern, undefined);
  assert.deepEqual(bars.map((t) => t.y), [["axis1"], ["axis3"]]);
  for (const b of bars) for (const base of b.base ?? []) assert.match(String(base), ISO);
  const span = (Date.parse(range[1]) - Date.parse(range[0]));
  assert.ok(Number(bars[0].x[0]) >= MIN_EVENT_WIDTH_FRACTION * span - 1, `alert bar ${String(bars[0].x[0])} ms`);
  // The open error runs to the range's end.
  assert.equal(Date.parse(String(bars[1].base?.[0])) + Number(bars[1].x[0]), Date.parse(range[1]));
  const lanes = chart.data.find((t) => t.name === "lanes");
  assert.deepEqual(lanes?.y, ["axis1", "axis2", "axis3"]);
  assert.match(chart.layout.title.text, /2 events on 3 lanes/);
  const seconds = timelineChart([event({ axis: "T2", started_at: 100, fired_at: 105, ended_at: 110 })]);
  assert.equal(seconds.layout.xaxis.type, "linear");
  assert.deepEqual(seconds.data[0].base, [100]);
  assert.deepEqual(seconds.data[0].x, [10]);
  assert.ok(bars.every((b) => b.textposition === "none"), "hover text only, not drawn on the bars");
});

test("correlationChart: Pearson r on a known case, pairwise over finite rows, constant columns NaN", () => {
  const a = [1, 2, 3, 4, 5];
  const chart = correlationChart({ axes: ["a", "double", "negated", "flat", "gappy"], values: [a, a.map((v) => 2 * v + 1), a.map((v) => -v), [3, 3, 3, 3, 3], [1, NaN, 3, 4, 5]] });
  const z = chart.data[0].z!;
  assert.deepEqual(z[0].slice(0, 3), [1, 1, -1]);
  assert.ok(Number.isNaN(z[0][3] as number));
  assert.equal(z[4][0], 1);
  assert.equal(chart.data[0].type, "heatmap");
  assert.equal(chart.data[0].zmin, -1);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  const frame = new dfd.DataFrame({ ts: ["2022-10-18T06:44:31Z", "2022-10-18T06:44:32Z", "2022-10-18T06:44:33Z"], x: [1, 2, 3], y: [3, 2, 1] });
  assert.deepEqual(correlationChart(frame).data[0].z, [[1, -1], [-1, 1]]);
  // Idle samples (exact zeros) are left out by default: with them the pair looks tied.
  const idle = { axes: ["p", "q"], values: [[0, 0, 0, 1, 2, 3], [0, 0, 0, 3, 2, 1]] };
  assert.equal(correlationChart(idle).data[0].z![0][1], -1);
  assert.ok(Number(correlationChart(idle, { skipIdle: false }).data[0].z![0][1]) > 0);
  assert.equal(pearson([1, 0, 3], [2, 5, 6], true), 1);
  assert.throws(() => correlationChart({ axes: ["x"], values: [[1]] }), /correlationChart: needs at least two axes/);
});

test("samplingGapRows shows after_time as ISO for timestamps and as seconds for float time", () => {
  const time = Float64Array.of(TIME0, TIME0 + 1, TIME0 + 2, TIME0 + 30, TIME0 + 31);
  assert.deepEqual(samplingGapRows({ time, timeType: "timestamptz" }, 1), [{ row: 3, after_time: "2022-10-18T06:44:33.000Z", step_seconds: 28, step_dt: 28 }]);
  assert.equal(samplingGapRows({ time, timeType: "float" }, 1)[0].after_time, TIME0 + 2);
});

/** A linear version of two axes (expected: axis a = 1, axis b = 0.001·time_s) and 20 minutes of rows with a spike on a. */
function scoredSetup(): { version: LoadedVersion; frame: dfd.DataFrame } {
  const policy = DEFAULT_THRESHOLD_POLICY;
  const limits = (MinC: number, MaxC: number) => ({ MinC, MaxC, T_long_steps: 2, T_short_steps: 1, dt_seconds: 10, policy, meta: { method: "x" } });
  const version = {
    version: "v7",
    models: { type: "linear", models: [{ axis: "a", coef: 0, intercept: 1, samples_used: 3 }, { axis: "b", coef: 0.001, intercept: 0, samples_used: 3 }] },
    thresholds: { a: limits(0.5, 2), b: limits(10, 20) },
    prepStats: { time0: TIME0, time_col: "ts", time_type: "timestamptz", dt_seconds: 10, interpolate: false },
  } as unknown as LoadedVersion;
  const n = 120;
  const ts = Array.from({ length: n }, (_, i) => new Date((TIME0 + 3600 + 10 * i) * 1000).toISOString());
  const a = Array.from({ length: n }, (_, i) => (i >= 60 && i < 63 ? 2 : 1));
  const b = Array.from({ length: n }, (_, i) => 0.001 * (3600 + 10 * i));
  return { version, frame: new dfd.DataFrame({ ts, a, b }) };
}

test("scoreCharts: clock time axis, events as ISO spans with the min width and one legend entry per level", () => {
  const { version, frame } = scoredSetup();
  const scored = score(frame, version, { stream: "s" });
  assert.deepEqual(scored.events.map((e) => [e.axis, e.level]), [["a", "alert"]]);
  const [a, b] = scoreCharts(scored.residuals, scored.events, version, scored.statistics);
  assert.equal(a.layout.xaxis.type, "date");
  assert.equal(a.layout.shapes?.length, 1);
  const shape = a.layout.shapes![0];
  assert.equal(shape.x0, "2022-10-18T07:54:31.000Z");
  assert.ok(ms(shape.x1) - ms(shape.x0) >= MIN_EVENT_WIDTH_FRACTION * 1190 * 1000 - 1);
  assert.equal(shape.showlegend, true);
  assert.equal(b.layout.shapes?.length, 0);
});

test("eventDetail: each axis measured vs expected around the event, the statistic vs its limits, a table at the fired sample", async () => {
  const { version, frame } = scoredSetup();
  const [first] = score(frame, version, { stream: "s" }).events;
  const detail = await eventDetail(version, first, { frame, minutes: 2 });
  assert.deepEqual(detail.figures.map((f: PlotlyFigure) => f.layout.title.text.split(":")[0]), ["a", "b", "a"]);
  // 2 minutes either side of a 3-sample event at 10 s steps: 12 + 3 + 12 rows.
  const measured = detail.figures[0].data[0];
  assert.equal(measured.x.length, 12 + 3 + 12);
  for (const x of measured.x) assert.match(String(x), ISO);
  const expectedB = detail.figures[1].data[1];
  assert.equal(expectedB.name, "expected (fitted trend)");
  assert.ok(Math.abs(Number(expectedB.y[0]) - 0.001 * (3600 + 10 * 48)) < 1e-9);
  assert.deepEqual(detail.figures[2].data.map((t) => t.name.replace(/ = .*/, "")), ["a scored statistic", "MinC (alert)", "MaxC (error)", "alert peaks"]);
  assert.deepEqual(detail.table.map((r) => [r.axis, r.value, r.expected, r.difference]), [
    ["a", 2, 1, 1],
    ["b", 0.001 * (3600 + 610), 0.001 * (3600 + 610), 0],
  ]);
  assert.deepEqual(detail.window, { from: "2022-10-18T07:52:31.000Z", to: "2022-10-18T07:56:51.000Z" });
  await assert.rejects(eventDetail(version, { ...first, axis: "zz" }, { frame }), /eventDetail: event axis "zz" is not scored by v7/);
});

test("incidentRows: an alert and the error inside its run are one row with levels merged, duration, peak vs threshold", () => {
  const alert = event({ started_at: "2022-10-18T07:00:00.000000Z", ended_at: "2022-10-18T07:00:30.000000Z", samples: 4, peak_residual: 0.5, threshold: 0.2 });
  const error = event({ level: "error", started_at: "2022-10-18T07:00:10.000000Z", ended_at: "2022-10-18T07:00:20.000000Z", samples: 2, peak_residual: 0.5, threshold: 0.4 });
  const other = event({ axis: "axis2", contributions: [{ axis: "axis3", share: 0.62, value: 3, expected: 1 }, { axis: "axis1", share: 0.38, value: 1, expected: 1 }] });
  const later = event({ started_at: "2022-10-18T08:00:00.000000Z", ended_at: null, level: "error" });
  const rows = incidentRows([error, later, other, alert]);
  assert.deepEqual(rows.map((r) => [r.axis, r.levels, r.duration_seconds, r.samples, r.threshold, r.peak_over_threshold]), [
    ["axis2", "alert", 2, 2, 0.19, 0.3 / 0.19],
    ["axis1", "alert+error", 30, 4, 0.2, 2.5],
    ["axis1", "error", NaN, 2, 0.19, 0.3 / 0.19],
  ]);
  assert.equal(rows[0].top_contributors, "axis3 62 %, axis1 38 %");
  assert.equal(rows[2].ended_at, null);
});
