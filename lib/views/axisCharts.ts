/**
 * The per-axis charts: the fit chart (data and fitted trend over `time_s`)
 * and the residual chart (with MinC/MaxC, or the thresholded statistic), for
 * one axis or every axis of a prediction.
 *
 * Large series are decimated for display with {@link decimateMinMax} (the
 * smallest and largest value of each bucket survive, so spikes stay
 * visible). The figures are plain plotly.js specs (see ./figure); the HTML
 * that draws them is in ./html, the chart files in ./chartFiles.
 */
import { decimateMinMax, decimateSeries } from "./decimate";
import { CHART_COLORS, DEFAULT_MAX_POINTS, baseLayout, finiteRange, horizontalLine, seriesFrom, withTimeAxis, type PlotlyFigure, type PlotlyTrace } from "./figure";
import { timeAxis, type ChartClock } from "./timeAxis";
import { formatNumber } from "../core/formatNumber";
import { isIdleSample } from "../core/idleSample";
import { recordedStatistic, statisticColumn, statisticLabel } from "../model/statistic";
import type { AxisThresholds, Prediction } from "../shapes/types";

/** Options of {@link fitChart}. */
export interface FitChartOptions {
  /** Axis name, used in the title. */
  readonly axis: string;
  /** Points per trace after decimation; defaults to {@link DEFAULT_MAX_POINTS}. */
  readonly maxPoints?: number;
  /** Chart height in pixels; defaults to 380. */
  readonly height?: number;
  /** The version's `time0`/`time_type` (e.g. its `prepStats`): x in UTC clock time; default: `time_s`. */
  readonly clock?: ChartClock;
}

/**
 * The fit chart of one axis: the measured data as markers and the fitted
 * trend as a line in another color, over `time_s`. Exact zeros (which the
 * linear fit excludes) are drawn as grey markers of their own.
 *
 * @param timeS seconds since the first row
 * @param actual measured values of the axis
 * @param predicted fitted values of the axis
 * @param options `axis` (required), `maxPoints` (default 2000), `height` (default 380), `clock` (default: x is `time_s`)
 * @example
 * import { fitChart } from "mlbox";
 * fitChart(Float64Array.of(0, 60), Float64Array.of(1, 2), Float64Array.of(1, 2), { axis: "axis1", clock: { time0: 1666075471, time_type: "timestamptz" } });
 */
export function fitChart(timeS: Float64Array, actual: Float64Array, predicted: Float64Array, options: FitChartOptions): PlotlyFigure {
  const { axis, maxPoints = DEFAULT_MAX_POINTS, height = 380 } = options;
  const time = timeAxis(options.clock);
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
      ...seriesFrom(working, time),
      marker: { color: CHART_COLORS.data, size: 4, opacity: 0.7 },
    },
  ];
  if (idle !== undefined) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: `exact zeros (${zeroCount}, not fitted)`,
      ...seriesFrom(idle, time),
      marker: { color: CHART_COLORS.zeros, size: 4, opacity: 0.7 },
    });
  }
  data.push({
    type: "scatter",
    mode: "lines",
    name: "fitted trend",
    ...seriesFrom(fitted, time),
    line: { color: CHART_COLORS.fit, width: 3 },
  });
  return { data, layout: withTimeAxis(baseLayout(`${axis}: data and fitted trend`, time.title, axis, height), time) };
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
  /** The version's `time0`/`time_type` (e.g. its `prepStats`): x in UTC clock time; default: `time_s`. */
  readonly clock?: ChartClock;
}

/** The values MinC/MaxC apply to: the residual, or the statistic the thresholds record (given, or computed over `timeS`). */
export function thresholdedValues(
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
 *   `statistic` (default computed), `maxGapSeconds` (default null), `clock` (default: x is `time_s`)
 * @example
 * import { residualChart } from "mlbox";
 * residualChart(Float64Array.of(0, 60), Float64Array.of(0.1, -0.1), { axis: "axis1", clock: { time0: 1666075471, time_type: "timestamptz" } });
 */
export function residualChart(timeS: Float64Array, residual: Float64Array, options: ResidualChartOptions): PlotlyFigure {
  const { axis, thresholds, maxPoints = DEFAULT_MAX_POINTS, height = 380 } = options;
  const time = timeAxis(options.clock);
  const [s0, s1] = finiteRange(timeS);
  const span = [time.at(s0), time.at(s1)] as const;
  const { smoothed, values, label } = thresholdedValues(timeS, residual, options);
  const data: PlotlyTrace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "residual",
      ...seriesFrom(decimateMinMax(timeS, residual, maxPoints), time),
      marker: smoothed ? { color: CHART_COLORS.zeros, size: 3, opacity: 0.35 } : { color: CHART_COLORS.residual, size: 4, opacity: 0.7 },
    },
  ];
  if (smoothed) {
    data.push({ type: "scatter", mode: "lines", name: label, ...seriesFrom(decimateMinMax(timeS, values, maxPoints), time), line: { color: CHART_COLORS.residual, width: 1.5 } });
  }
  data.push(horizontalLine("zero", 0, span, CHART_COLORS.zeroLine, "dash"));
  if (thresholds) {
    data.push(horizontalLine(`MinC (alert) = ${formatNumber(thresholds.MinC)}`, thresholds.MinC, span, CHART_COLORS.minc, "dot"));
    data.push(horizontalLine(`MaxC (error) = ${formatNumber(thresholds.MaxC)}`, thresholds.MaxC, span, CHART_COLORS.maxc, "dashdot"));
  }
  const title = smoothed ? `${axis}: ${label}, thresholded (residual behind)` : `${axis}: residual (actual − fitted)`;
  return { data, layout: withTimeAxis(baseLayout(title, time.title, smoothed ? `${axis} ${label}` : `${axis} residual`, height), time) };
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
 * @param options `maxPoints` per trace (default 2000); `maxGapSeconds` (default null) resets a smoothed statistic at larger gaps;
 *   `clock` (the version's `prepStats`): x in UTC clock time (default `time_s`)
 */
export function predictionCharts(
  prediction: Prediction,
  thresholds?: Readonly<Record<string, AxisThresholds>>,
  options: { readonly maxPoints?: number; readonly maxGapSeconds?: number | null; readonly clock?: ChartClock } = {},
): AxisCharts[] {
  const { maxPoints = DEFAULT_MAX_POINTS, maxGapSeconds = null, clock } = options;
  return prediction.axes.map((axis, i) => ({
    axis,
    fit: fitChart(prediction.timeS, prediction.actual[i], prediction.predicted[i], { axis, maxPoints, clock }),
    residual: residualChart(prediction.timeS, prediction.residual[i], { axis, thresholds: thresholds?.[axis], maxPoints, maxGapSeconds, clock }),
  }));
}

