/**
 * Axis display names (`data.axis_labels`, `data.units`) in what the notebooks show: whole words in
 * titles and names, exact lane values, never inside a hover placeholder, a colour or a tag; tables and
 * text through the `show...` functions once `useAxisNames` is set.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { axisNames, relabelFigure, relabelHtml, relabelText } from "../lib/views/axisNames";
import { fitChart } from "../lib/views/axisCharts";
import { showChart, showTable, showText, useAxisNames, useDisplay } from "../lib/views/display";
import type { PlotlyFigure } from "../lib/views/figure";

const names = axisNames(["axis1", "axis10", "x"], { axis_labels: { axis1: "Motor 1", x: "Pressure <in>" }, units: { axis1: "A", axis10: "°C" } });

test("axisNames joins a label and a unit; axes with neither are left out", () => {
  assert.deepEqual([...names], [
    ["axis1", "Motor 1 (A)"],
    ["axis10", "axis10 (°C)"],
    ["x", "Pressure <in>"],
  ]);
  assert.equal(axisNames(["a"], undefined).size, 0);
  // LONG: ids in the config, `axis<id>` columns once extracted; labels keyed by either.
  assert.deepEqual([...axisNames([1, 2], { axis_labels: { "1": "Motor 1", axis2: "Motor 2" } })], [["axis1", "Motor 1"], ["axis2", "Motor 2"]]);
});

test("relabelText replaces whole words only, the longest name first", () => {
  assert.equal(relabelText("axis1 and axis10, not axis100 or maxis1", names), "Motor 1 (A) and axis10 (°C), not axis100 or maxis1");
});

test("relabelFigure: titles, trace names and lanes change; placeholders, modes and data do not", () => {
  const figure: PlotlyFigure = {
    data: [
      { type: "bar", name: "x alert", x: [1, 2], y: ["x", "axis1"], hovertemplate: "%{x} on x<br>%{y}<extra></extra>", mode: "lines" },
    ],
    layout: { title: { text: "Events of axis1 and x" }, xaxis: { title: { text: "time" } }, yaxis: { title: { text: "axis" }, categoryarray: ["axis1", "x"] }, height: 300, margin: { l: 1, r: 1, t: 1, b: 1 }, legend: { orientation: "h" } },
  };
  const shown = relabelFigure(figure, names);
  assert.equal(shown.layout.title.text, "Events of Motor 1 (A) and Pressure <in>");
  assert.deepEqual(shown.layout.yaxis.categoryarray, ["Motor 1 (A)", "Pressure <in>"]);
  const [trace] = shown.data;
  assert.equal(trace.name, "Pressure <in> alert");
  assert.deepEqual(trace.y, ["Pressure <in>", "Motor 1 (A)"]);
  assert.deepEqual(trace.x, [1, 2]);
  assert.equal(trace.hovertemplate, "%{x} on Pressure <in><br>%{y}<extra></extra>");
  assert.equal(trace.mode, "lines");
  assert.equal(figure.layout.title.text, "Events of axis1 and x", "the original figure is not changed");
  assert.equal(relabelFigure(figure, new Map()), figure);
});

test("a real chart's title names the axis by its display name", () => {
  const time = Float64Array.from({ length: 50 }, (_, i) => i);
  const values = time.map((t) => 2 * t + 1);
  const chart = fitChart(time, values, values, { axis: "axis1" });
  assert.match(relabelFigure(chart, names).layout.title.text, /Motor 1 \(A\)/);
});

test("relabelHtml changes text between tags, escaped, and never a tag or an attribute", () => {
  assert.equal(relabelHtml('<td class="x">x</td><td>axis1 MaxC</td>', names), '<td class="x">Pressure &lt;in&gt;</td><td>Motor 1 (A) MaxC</td>');
});

test("useAxisNames: show... functions show display names until reset", () => {
  const out: string[] = [];
  useDisplay({ html: (html) => out.push(html) });
  try {
    useAxisNames(names);
    showTable([{ axis: "axis1", MinC: 0.5 }]);
    showText("axis10 raises many events");
    showChart(fitChart(Float64Array.of(0, 1, 2), Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3), { axis: "axis1" }));
    useAxisNames(new Map());
    showText("axis1");
  } finally {
    useAxisNames(new Map());
    useDisplay(undefined);
  }
  assert.match(out[0], /<td>Motor 1 \(A\)<\/td>/);
  assert.match(out[1], /axis10 \(°C\) raises many events/);
  assert.match(out[2], /Motor 1 \(A\)/);
  assert.equal(out[3], "<p>axis1</p>");
});
