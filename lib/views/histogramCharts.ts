/**
 * Distribution charts: equal-width histograms (precomputed bars, so a figure
 * stays small whatever the number of values) with marker lines, the residual
 * distribution with MinC/MaxC, and run-length histograms with the sustain
 * time marked.
 */
import { thresholdedValues } from "./axisCharts";
import { CHART_COLORS, baseLayout, type PlotlyFigure, type PlotlyTrace } from "./figure";
import { formatNumber } from "../core/formatNumber";
import type { AxisThresholds } from "../shapes/types";

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

