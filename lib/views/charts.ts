/**
 * Plotly figures for ML Box: per-axis fit and residual charts, histograms
 * and bar charts, built as plain plotly.js figure specs (`{ data, layout }`)
 * from typed columns, plus the HTML that draws them without network access.
 *
 * Large series are decimated for display with {@link decimateMinMax} (the
 * smallest and largest value of each bucket survive, so spikes stay
 * visible). Numbers in the emitted JSON are rounded to
 * {@link CHART_SIGNIFICANT_DIGITS} significant digits: charts are for
 * looking, the exact values live in the registry.
 */
import { promises as fs, readFileSync } from "fs";
import * as path from "path";
import { decimateMinMax, decimateSeries, type DecimatedSeries } from "./decimate";
import { InputError } from "../core/errors";
import { formatNumber } from "../core/formatNumber";
import { isIdleSample } from "../core/idleSample";
import { recordedStatistic, statisticColumn, statisticLabel } from "../model/statistic";
import type { AxisThresholds, Prediction } from "../shapes/types";

export { decimateMinMax, decimateSeries, type DecimatedSeries } from "./decimate";

/** Default maximum number of points per trace after decimation. */
export const DEFAULT_MAX_POINTS = 2000;

/** Significant digits of the numbers written into chart JSON. */
export const CHART_SIGNIFICANT_DIGITS = 8;

/** Colors shared by every chart so that a color means the same thing everywhere. */
export const CHART_COLORS = Object.freeze({
  data: "#1f77b4",
  fit: "#ff7f0e",
  zeros: "#9e9e9e",
  residual: "#4c72b0",
  zeroLine: "#222222",
  minc: "#e6a100",
  maxc: "#d62728",
  bars: "#4c72b0",
});

/** One plotly.js trace (only the keys ML Box uses). */
export interface PlotlyTrace {
  readonly type: "scatter" | "bar";
  readonly name: string;
  readonly x: readonly (number | string)[];
  readonly y: readonly (number | null)[];
  readonly mode?: "markers" | "lines" | "lines+markers";
  readonly marker?: { readonly color?: string; readonly size?: number; readonly opacity?: number };
  readonly line?: { readonly color?: string; readonly width?: number; readonly dash?: "solid" | "dash" | "dot" | "dashdot" };
  readonly showlegend?: boolean;
  readonly hovertemplate?: string;
  /** Per-point text, shown by `%{text}` in a hovertemplate. */
  readonly text?: readonly string[];
}

/** A plotly.js layout (only the keys ML Box sets are typed; plotly accepts more). */
export interface PlotlyLayout {
  readonly title: { readonly text: string; readonly x?: number; readonly xanchor?: "left" | "center" | "right"; readonly y?: number; readonly yanchor?: "top" | "middle" | "bottom" };
  readonly xaxis: { readonly title: { readonly text: string }; readonly type?: "linear" | "log" | "category" };
  readonly yaxis: { readonly title: { readonly text: string }; readonly type?: "linear" | "log" | "category"; readonly zeroline?: boolean };
  readonly height: number;
  readonly margin: { readonly l: number; readonly r: number; readonly t: number; readonly b: number };
  readonly legend: {
    readonly orientation: "h" | "v";
    readonly x?: number;
    readonly y?: number;
    readonly xanchor?: "left" | "center" | "right";
    readonly yanchor?: "top" | "middle" | "bottom";
  };
  readonly hovermode?: "closest" | "x" | "x unified";
  readonly barmode?: "group" | "overlay" | "stack";
  readonly bargap?: number;
  /** Shaded spans (e.g. scoring events) drawn below the traces. */
  readonly shapes?: readonly PlotlyShape[];
}

/** A plotly.js layout shape: here only rectangles spanning the plot's height. */
export interface PlotlyShape {
  readonly type: "rect";
  readonly xref: "x";
  readonly yref: "paper";
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly fillcolor: string;
  readonly opacity: number;
  readonly line: { readonly width: number };
  readonly layer: "below" | "above";
}

/** A plotly.js figure spec: what `Plotly.newPlot(div, data, layout)` takes. */
export interface PlotlyFigure {
  readonly data: readonly PlotlyTrace[];
  readonly layout: PlotlyLayout;
}

/** Options of {@link fitChart}. */
export interface FitChartOptions {
  /** Axis name, used in the title. */
  readonly axis: string;
  /** Points per trace after decimation; defaults to {@link DEFAULT_MAX_POINTS}. */
  readonly maxPoints?: number;
  /** Chart height in pixels; defaults to 380. */
  readonly height?: number;
}

const baseLayout = (title: string, xTitle: string, yTitle: string, height: number): PlotlyLayout => ({
  title: { text: title, x: 0.01, xanchor: "left", y: 0.97, yanchor: "top" },
  xaxis: { title: { text: xTitle } },
  yaxis: { title: { text: yTitle } },
  height,
  margin: { l: 70, r: 40, t: 80, b: 50 },
  legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" },
  hovermode: "closest",
});

const seriesFrom = (s: DecimatedSeries): { x: number[]; y: number[] } => ({ x: Array.from(s.x), y: Array.from(s.y) });

/** First and last finite value of `x`, or [0, 0] when there is none. */
function finiteRange(x: ArrayLike<number>): readonly [number, number] {
  // From both ends: times are finite but for the rare row, so this reads a few values, not the column.
  let first = 0;
  while (first < x.length && !Number.isFinite(x[first])) first++;
  if (first === x.length) return [0, 0];
  let last = x.length - 1;
  while (!Number.isFinite(x[last])) last--;
  return [x[first], x[last]];
}

const horizontalLine = (
  name: string,
  value: number,
  [x0, x1]: readonly [number, number],
  color: string,
  dash: "solid" | "dash" | "dot" | "dashdot",
): PlotlyTrace => ({
  type: "scatter",
  mode: "lines",
  name,
  x: [x0, x1],
  y: [value, value],
  line: { color, width: 2, dash },
  hovertemplate: `${name}<extra></extra>`,
});

/**
 * The fit chart of one axis: the measured data as markers and the fitted
 * trend as a line in another color, over `time_s`. Exact zeros (which the
 * linear fit excludes) are drawn as grey markers of their own.
 *
 * @param timeS seconds since the first row
 * @param actual measured values of the axis
 * @param predicted fitted values of the axis
 * @param options `axis` (required), `maxPoints` (default 2000), `height` (default 380)
 */
export function fitChart(timeS: Float64Array, actual: Float64Array, predicted: Float64Array, options: FitChartOptions): PlotlyFigure {
  const { axis, maxPoints = DEFAULT_MAX_POINTS, height = 380 } = options;
  let zeroCount = 0;
  for (let i = 0; i < actual.length; i++) if (isIdleSample(actual[i])) zeroCount++;
  // The three traces in one pass over the rows.
  const [working, fitted, idle] = decimateSeries(
    timeS,
    [{ y: actual, kept: "working" }, { y: predicted }, ...(zeroCount > 0 ? [{ y: actual, kept: "idle" as const }] : [])],
    maxPoints,
  );
  const data: PlotlyTrace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "data",
      ...seriesFrom(working),
      marker: { color: CHART_COLORS.data, size: 4, opacity: 0.7 },
    },
  ];
  if (idle !== undefined) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: `exact zeros (${zeroCount}, not fitted)`,
      ...seriesFrom(idle),
      marker: { color: CHART_COLORS.zeros, size: 4, opacity: 0.7 },
    });
  }
  data.push({
    type: "scatter",
    mode: "lines",
    name: "fitted trend",
    ...seriesFrom(fitted),
    line: { color: CHART_COLORS.fit, width: 3 },
  });
  return { data, layout: baseLayout(`${axis}: data and fitted trend`, "time_s (s)", axis, height) };
}

/** Options of {@link residualChart}. */
export interface ResidualChartOptions {
  /** Axis name, used in the title. */
  readonly axis: string;
  /** Calibrated thresholds of the axis: MinC/MaxC lines are drawn when given. */
  readonly thresholds?: AxisThresholds;
  /** Points per trace after decimation; defaults to {@link DEFAULT_MAX_POINTS}. */
  readonly maxPoints?: number;
  /** Chart height in pixels; defaults to 380. */
  readonly height?: number;
  /** The statistic's values when `thresholds` record one other than the residual; default: computed from `residual` from a fresh state. */
  readonly statistic?: Float64Array;
  /** When computing the statistic: a larger gap between samples resets it (as the scorer does); default null. */
  readonly maxGapSeconds?: number | null;
}

/** The values MinC/MaxC apply to: the residual, or the statistic the thresholds record (given, or computed over `timeS`). */
function thresholdedValues(
  timeS: Float64Array | undefined,
  residual: Float64Array,
  options: { readonly thresholds?: AxisThresholds; readonly statistic?: Float64Array; readonly maxGapSeconds?: number | null },
): { readonly smoothed: boolean; readonly values: Float64Array; readonly label: string } {
  const spec = options.thresholds ? recordedStatistic(options.thresholds) : ({ type: "residual" } as const);
  if (spec.type === "residual") return { smoothed: false, values: residual, label: "residual" };
  const values = options.statistic ?? statisticColumn(spec, residual, NaN, { timeS, maxGapSeconds: options.maxGapSeconds ?? null }).values;
  return { smoothed: true, values, label: statisticLabel(spec) };
}

/**
 * The residual chart of one axis: residuals (actual − predicted) as markers,
 * a dashed zero line in another color and, when `thresholds` are given,
 * horizontal MinC (alert) and MaxC (error) lines. When the thresholds record
 * a statistic other than the residual (e.g. EWMA), its values are drawn as a
 * line and labelled, the residuals faintly behind: MinC/MaxC apply to it.
 *
 * @param timeS seconds since the first row
 * @param residual residual of the axis
 * @param options `axis` (required), `thresholds`, `maxPoints` (default 2000), `height` (default 380),
 *   `statistic` (default computed), `maxGapSeconds` (default null)
 */
export function residualChart(timeS: Float64Array, residual: Float64Array, options: ResidualChartOptions): PlotlyFigure {
  const { axis, thresholds, maxPoints = DEFAULT_MAX_POINTS, height = 380 } = options;
  const span = finiteRange(timeS);
  const { smoothed, values, label } = thresholdedValues(timeS, residual, options);
  const data: PlotlyTrace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "residual",
      ...seriesFrom(decimateMinMax(timeS, residual, maxPoints)),
      marker: smoothed ? { color: CHART_COLORS.zeros, size: 3, opacity: 0.35 } : { color: CHART_COLORS.residual, size: 4, opacity: 0.7 },
    },
  ];
  if (smoothed) {
    data.push({ type: "scatter", mode: "lines", name: label, ...seriesFrom(decimateMinMax(timeS, values, maxPoints)), line: { color: CHART_COLORS.residual, width: 1.5 } });
  }
  data.push(horizontalLine("zero", 0, span, CHART_COLORS.zeroLine, "dash"));
  if (thresholds) {
    data.push(horizontalLine(`MinC (alert) = ${formatNumber(thresholds.MinC)}`, thresholds.MinC, span, CHART_COLORS.minc, "dot"));
    data.push(horizontalLine(`MaxC (error) = ${formatNumber(thresholds.MaxC)}`, thresholds.MaxC, span, CHART_COLORS.maxc, "dashdot"));
  }
  const title = smoothed ? `${axis}: ${label}, thresholded (residual behind)` : `${axis}: residual (actual − fitted)`;
  return { data, layout: baseLayout(title, "time_s (s)", smoothed ? `${axis} ${label}` : `${axis} residual`, height) };
}

/** A vertical marker line on a histogram (e.g. MinC, MaxC, T_long). */
export interface HistogramMarker {
  readonly name: string;
  readonly value: number;
  readonly color?: string;
}

/** Options of {@link histogramChart}. */
export interface HistogramOptions {
  readonly title: string;
  readonly xTitle: string;
  /** Number of equal-width bins; defaults to 60. */
  readonly bins?: number;
  /** Vertical lines to mark; defaults to none. */
  readonly markers?: readonly HistogramMarker[];
  /** Logarithmic count axis; defaults to false. */
  readonly logY?: boolean;
  /** Chart height in pixels; defaults to 340. */
  readonly height?: number;
}

/** Equal-width bin counts of the finite values of `values`. */
export interface Histogram {
  /** Bin centers. */
  readonly centers: Float64Array;
  readonly counts: Float64Array;
  readonly binWidth: number;
}

/**
 * Counts the finite values of `values` in `bins` equal-width bins spanning
 * their range (one bin of width 1 when all values are equal; no bins when
 * there are no finite values).
 */
export function histogram(values: ArrayLike<number>, bins: number): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return { centers: new Float64Array(0), counts: new Float64Array(0), binWidth: 0 };
  if (lo === hi) {
    let count = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === lo) count++;
    return { centers: Float64Array.of(lo), counts: Float64Array.of(count), binWidth: 1 };
  }
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  const centers = new Float64Array(bins);
  for (let b = 0; b < bins; b++) centers[b] = lo + (b + 0.5) * width;
  return { centers, counts, binWidth: width };
}

/** A bar trace and a dashed vertical line per marker, from `yFrom` up to the tallest bar (at least 1). */
function barsWithMarkers(name: string, x: number[], y: number[], markers: readonly HistogramMarker[], yFrom: number): PlotlyTrace[] {
  const top = y.reduce((max, count) => Math.max(max, count), 1);
  return [
    { type: "bar", name, x, y, marker: { color: CHART_COLORS.bars } },
    ...markers.map((m): PlotlyTrace => ({
      type: "scatter",
      mode: "lines",
      name: `${m.name} = ${formatNumber(m.value)}`,
      x: [m.value, m.value],
      y: [yFrom, top],
      line: { color: m.color ?? CHART_COLORS.maxc, width: 2, dash: "dash" },
    })),
  ];
}

/**
 * A histogram (precomputed bars, so the figure stays small whatever the
 * number of values) with optional vertical marker lines.
 *
 * @param values values to count; non-finite values are ignored
 * @param options `title`, `xTitle` (required), `bins` (default 60), `markers` (default none), `logY` (default false), `height` (default 340)
 */
export function histogramChart(values: ArrayLike<number>, options: HistogramOptions): PlotlyFigure {
  const { title, xTitle, bins = 60, markers = [], logY = false, height = 340 } = options;
  const h = histogram(values, bins);
  const data = barsWithMarkers("count", Array.from(h.centers), Array.from(h.counts), markers, logY ? 0.5 : 0);
  const layout = baseLayout(title, xTitle, "count", height);
  return { data, layout: { ...layout, yaxis: { ...layout.yaxis, type: logY ? "log" : "linear" }, bargap: 0.02 } };
}

/**
 * Residual distribution of one axis with MinC/MaxC marked (when given). When
 * the thresholds record another statistic, the distribution is that statistic's
 * (given as `statistic`, or computed from `residual` from a fresh state), so the
 * markers are on its scale.
 *
 * @param residual residual of the axis
 * @param options `axis` (required), `thresholds`, `bins` (default 80), `statistic`
 */
export function residualHistogram(
  residual: Float64Array,
  options: { readonly axis: string; readonly thresholds?: AxisThresholds; readonly bins?: number; readonly statistic?: Float64Array },
): PlotlyFigure {
  const { axis, thresholds, bins = 80 } = options;
  const { smoothed, values, label } = thresholdedValues(undefined, residual, options);
  const markers: HistogramMarker[] = thresholds
    ? [
        { name: "MinC", value: thresholds.MinC, color: CHART_COLORS.minc },
        { name: "MaxC", value: thresholds.MaxC, color: CHART_COLORS.maxc },
      ]
    : [];
  return histogramChart(values, { title: `${axis}: ${smoothed ? label : "residual"} distribution`, xTitle: `${axis} ${label}`, bins, markers, logY: true });
}

/**
 * Histogram of run lengths (consecutive samples at or above a threshold), in
 * samples, on a logarithmic count axis (so rare long runs show), with the
 * calibrated sustain time (in samples) marked when given.
 *
 * @param lengths run lengths in samples, e.g. from `runLengths(residual, MinC)`
 * @param options `title` (required), `sustainSteps` and `sustainName` (e.g. 12, "T_long_steps")
 */
export function runLengthChart(
  lengths: ArrayLike<number>,
  options: { readonly title: string; readonly sustainSteps?: number; readonly sustainName?: string },
): PlotlyFigure {
  const { title, sustainSteps, sustainName = "sustain" } = options;
  const counts = new Map<number, number>();
  for (let i = 0; i < lengths.length; i++) counts.set(lengths[i], (counts.get(lengths[i]) ?? 0) + 1);
  const keys = Array.from(counts.keys()).sort((a, b) => a - b);
  const markers = sustainSteps === undefined ? [] : [{ name: sustainName, value: sustainSteps }];
  const data = barsWithMarkers("runs", keys, keys.map((k) => counts.get(k) ?? 0), markers, 0.5);
  const layout = baseLayout(`${title} (${lengths.length} runs)`, "run length (samples)", "runs (log scale)", 320);
  return { data, layout: { ...layout, yaxis: { ...layout.yaxis, type: "log" }, bargap: 0.05 } };
}

/** One named series of a {@link barChart} or {@link lineChart}. */
export interface NamedSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
  readonly color?: string;
}

/**
 * Grouped bar chart: one group per category, one bar per series.
 *
 * @param categories category labels (x axis)
 * @param series one bar per category each, in order
 * @param options `title`, `yTitle` (required), `xTitle` (default ""), `height` (default 340), `logY` (default false)
 */
export function barChart(
  categories: readonly string[],
  series: readonly NamedSeries[],
  options: { readonly title: string; readonly yTitle: string; readonly xTitle?: string; readonly height?: number; readonly logY?: boolean },
): PlotlyFigure {
  const { title, yTitle, xTitle = "", height = 340, logY = false } = options;
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "bar",
    name: s.name,
    x: [...categories],
    y: Array.from(s.values),
    ...(s.color ? { marker: { color: s.color } } : {}),
  }));
  const layout = baseLayout(title, xTitle, yTitle, height);
  return {
    data,
    layout: { ...layout, xaxis: { ...layout.xaxis, type: "category" }, yaxis: { ...layout.yaxis, type: logY ? "log" : "linear" }, barmode: "group" },
  };
}

/**
 * Several series over a shared x (e.g. every axis over `time_s`), each
 * decimated with {@link decimateMinMax}.
 *
 * @param x shared positions
 * @param series values per series, aligned with `x`
 * @param options `title` (required), `xTitle` (default "time_s (s)"), `yTitle` (default "value"),
 *   `mode` (default "markers"), `maxPoints` per series (default 2000), `height` (default 420)
 */
export function lineChart(
  x: Float64Array,
  series: readonly NamedSeries[],
  options: {
    readonly title: string;
    readonly xTitle?: string;
    readonly yTitle?: string;
    readonly mode?: "markers" | "lines";
    readonly maxPoints?: number;
    readonly height?: number;
  },
): PlotlyFigure {
  const { title, xTitle = "time_s (s)", yTitle = "value", mode = "markers", maxPoints = DEFAULT_MAX_POINTS, height = 420 } = options;
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "scatter",
    mode,
    name: s.name,
    ...seriesFrom(decimateMinMax(x, s.values, maxPoints)),
    ...(mode === "markers" ? { marker: { size: 3, ...(s.color ? { color: s.color } : {}) } } : { line: { width: 1.5, ...(s.color ? { color: s.color } : {}) } }),
  }));
  return { data, layout: baseLayout(title, xTitle, yTitle, height) };
}

/** Fit and residual chart of one axis. */
export interface AxisCharts {
  readonly axis: string;
  readonly fit: PlotlyFigure;
  readonly residual: PlotlyFigure;
}

/**
 * Fit and residual charts for every axis of a prediction, with MinC/MaxC
 * lines where `thresholds` has an entry for the axis.
 *
 * @param prediction typed prediction (time_s, actual, predicted, residual per axis)
 * @param thresholds calibrated thresholds by axis, or undefined
 * @param options `maxPoints` per trace (default 2000); `maxGapSeconds` (default null) resets a smoothed statistic at larger gaps
 */
export function predictionCharts(
  prediction: Prediction,
  thresholds?: Readonly<Record<string, AxisThresholds>>,
  options: { readonly maxPoints?: number; readonly maxGapSeconds?: number | null } = {},
): AxisCharts[] {
  const { maxPoints = DEFAULT_MAX_POINTS, maxGapSeconds = null } = options;
  return prediction.axes.map((axis, i) => ({
    axis,
    fit: fitChart(prediction.timeS, prediction.actual[i], prediction.predicted[i], { axis, maxPoints }),
    residual: residualChart(prediction.timeS, prediction.residual[i], { axis, thresholds: thresholds?.[axis], maxPoints, maxGapSeconds }),
  }));
}

/**
 * JSON for embedding inside an HTML `<script>` element: numbers rounded to
 * {@link CHART_SIGNIFICANT_DIGITS} significant digits, non-finite numbers as
 * null, and `<`, `>`, `&`, U+2028, U+2029 escaped so no string can close the
 * script element.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "number") return v;
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) ? v : Number(v.toPrecision(CHART_SIGNIFICANT_DIGITS));
  });
  return json
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

let chartCounter = 0;

/** Options of {@link chartHtml}. */
export interface ChartHtmlOptions {
  /** Element id of the chart's div; defaults to a fresh `mlbox-chart-<n>-<random>`. */
  readonly id?: string;
}

/**
 * An HTML fragment drawing `figure`: a `<div class="mlbox-chart">` and a
 * script that calls `Plotly.newPlot` once `window.Plotly` exists and the div
 * is attached to the page (it retries for up to a minute, so the order in
 * which a frontend renders outputs does not matter). plotly.js itself is not
 * included: see {@link plotlyScriptHtml}.
 *
 * @param figure the figure to draw
 * @param options `id` (default: a fresh unique id)
 */
export function chartHtml(figure: PlotlyFigure, options: ChartHtmlOptions = {}): string {
  const { id = `mlbox-chart-${++chartCounter}-${Math.random().toString(36).slice(2, 10)}` } = options;
  const title = figure.layout.title.text;
  const drawScript =
    `(function(){var id=${jsonForScript(id)};var fig=${jsonForScript(figure)};` +
    `var host=document.currentScript&&document.currentScript.parentNode;var tries=0;` +
    `function find(){var el=host&&host.querySelector?host.querySelector('[id="'+id+'"]'):null;return el||document.getElementById(id);}` +
    `function draw(){var el=find();` +
    `if(el&&el.isConnected&&window.Plotly&&window.Plotly.newPlot){` +
    `window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true,displaylogo:false});return;}` +
    `if(++tries>600){if(el){el.textContent="plotly.js was not loaded: re-run the notebook from the top (the first chart loads it).";}return;}` +
    `setTimeout(draw,100);}draw();})();`;
  return (
    `<div class="mlbox-chart" id="${escapeHtml(id)}" data-title="${escapeHtml(title)}" ` +
    `style="width:100%;min-width:480px;height:${figure.layout.height}px"></div>\n` +
    `<script type="text/javascript">${drawScript}</script>`
  );
}

let plotlySource: string | undefined;

/** Absolute path of `plotly.min.js` from the `plotly.js-dist-min` package. */
export function plotlyLibraryPath(): string {
  return require.resolve("plotly.js-dist-min/plotly.min.js");
}

/**
 * Makes a JavaScript source safe to inline in an HTML `<script>` element
 * without changing its meaning: `</script` becomes `<\/script`, `<script`
 * becomes `<\x73cript` and `<!--` becomes `<\x21--` (escapes that mean the
 * same inside strings and regular expressions, where such text occurs).
 */
export function inlineScriptSafe(source: string): string {
  return source
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<(script)/gi, (_m, word: string) => `<\\x${word.charCodeAt(0).toString(16)}${word.slice(1)}`)
    .replace(/<!--/g, "<\\x21--");
}

/**
 * A `<script>` element holding the whole plotly.js library (from
 * `plotly.js-dist-min`), made inline-safe. Include it once per page or
 * notebook, before or after the charts ({@link chartHtml} waits for it).
 */
export function plotlyScriptHtml(): string {
  plotlySource ??= inlineScriptSafe(readFileSync(plotlyLibraryPath(), "utf8"));
  return `<script type="text/javascript" data-mlbox="plotly.js">${plotlySource}</script>`;
}

/** A complete HTML page showing `figures`; plotly.js is loaded from `plotlySrc` (a relative URL). */
export function chartPageHtml(title: string, figures: readonly PlotlyFigure[], plotlySrc: string): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<script src="${escapeHtml(plotlySrc)}"></script>`,
    "<style>body{font-family:sans-serif;margin:16px}</style>",
    "</head>",
    "<body>",
    ...figures.map((f) => chartHtml(f)),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** File-name-safe form of an axis name: characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function safeFileStem(name: string): string {
  const stem = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return stem === "" ? "_" : stem;
}

/**
 * Copies `from` to `to` unless `to` already has its size and is not older
 * (plotly.js is 3.5 MB, and the pipeline writes charts one axis at a time).
 */
async function copyUnlessSame(from: string, to: string): Promise<void> {
  const [source, target] = await Promise.all([fs.stat(from), fs.stat(to).catch(() => undefined)]);
  if (target !== undefined && target.isFile() && target.size === source.size && target.mtimeMs >= source.mtimeMs) return;
  await fs.copyFile(from, to);
}

/**
 * Writes `<dir>/<axis>_fit.html` and `<dir>/<axis>_residual.html` for every
 * axis of `prediction` (MinC/MaxC lines where `thresholds` has the axis) and
 * one shared `<dir>/plotly.min.js` that every page loads by relative URL, so
 * the pages work offline and the folder can be moved as a whole. Creates
 * `dir` when needed; overwrites earlier files.
 *
 * @param options `maxGapSeconds` (default null): see {@link predictionCharts}
 * @returns the paths of the HTML files written, fit then residual per axis
 * @throws InputError when two axis names map to the same file name
 */
export async function writeChartFiles(
  prediction: Prediction,
  thresholds: Readonly<Record<string, AxisThresholds>> | undefined,
  dir: string,
  options: { readonly maxGapSeconds?: number | null } = {},
): Promise<string[]> {
  const stems = new Map<string, string>();
  for (const axis of prediction.axes) {
    const stem = safeFileStem(axis);
    const other = stems.get(stem);
    if (other !== undefined) throw new InputError(`plots: axes "${other}" and "${axis}" both map to chart file name "${stem}"; rename one of them`);
    stems.set(stem, axis);
  }
  return writeAxisChartFiles(predictionCharts(prediction, thresholds, options), dir);
}

/**
 * Creates `dir` when needed and puts the plotly.js file the chart pages load
 * into it (unless an up-to-date copy is there).
 */
export async function preparePlotsDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await copyUnlessSame(plotlyLibraryPath(), path.join(dir, "plotly.min.js"));
}

/**
 * Writes already drawn charts as {@link writeChartFiles} does (no check of file
 * names), e.g. a fit chart drawn before its fitted column was overwritten.
 *
 * @param options `copyLibrary` (default true): run {@link preparePlotsDir} first; false when it ran already
 *   (threads writing pages into one folder at once would copy plotly.js over each other)
 * @returns the paths of the HTML files written, fit then residual per axis
 */
export async function writeAxisChartFiles(axisCharts: readonly AxisCharts[], dir: string, { copyLibrary = true } = {}): Promise<string[]> {
  if (copyLibrary) await preparePlotsDir(dir);
  const written: string[] = [];
  for (const charts of axisCharts) {
    const stem = safeFileStem(charts.axis);
    for (const [kind, figure] of [
      ["fit", charts.fit],
      ["residual", charts.residual],
    ] as const) {
      const file = path.join(dir, `${stem}_${kind}.html`);
      await fs.writeFile(file, chartPageHtml(figure.layout.title.text, [figure], "plotly.min.js"));
      written.push(file);
    }
  }
  return written;
}
