/**
 * Views of the model selection, training and evaluation notebooks (03, 04,
 * 05): fit and residual charts of a `predict` DataFrame, the fitted models
 * and the rows they used, evaluation metrics (all rows and working rows only),
 * and the checks that a straight line describes an axis. What they compute
 * lives in the stage files (half-window fits in selectModel, working-row
 * metrics in evaluate).
 */
import type * as dfd from "danfojs-node";
import { predictionCharts, residualChart } from "../views/axisCharts";
import { residualHistogram } from "../views/histogramCharts";
import { barChart, lineChart } from "../views/seriesCharts";
import type { PlotlyFigure } from "../views/figure";
import type { ChartClock } from "../views/timeAxis";
import { numericColumn, rawColumn } from "../shapes/frame";
import { predictionFromDataFrame } from "../stages/predict";
import { evaluateColumns } from "../stages/evaluate";
import { halfWindowFitColumns, residualBucketMeans, type HalfWindowFit } from "../stages/selectModel";
import { describeTrend, isLinearModel } from "../model/trendModel";
import type { AxisMetrics, AxisThresholds, ModelSet, Prediction } from "../shapes/types";

/** The typed prediction of an axis list from a `predict` DataFrame (`time_s`, axes, `<axis>_pred`, `<axis>_res`). */
export function predictionOf(predicted: dfd.DataFrame, axes: readonly string[]): Prediction {
  return predictionFromDataFrame(predicted, axes, "charts");
}

/**
 * Fit and residual chart of every axis of a `predict` DataFrame, fit then
 * residual per axis, MinC/MaxC drawn where `thresholds` has the axis; with
 * `clock` (the version's or preparation's `prepStats`) in UTC clock time.
 */
export function axisCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds?: Readonly<Record<string, AxisThresholds>>,
  clock?: ChartClock,
): PlotlyFigure[] {
  return predictionCharts(predictionOf(predicted, axes), thresholds, { clock }).flatMap((c) => [c.fit, c.residual]);
}

/** The fit chart of every axis of a `predict` DataFrame (in UTC clock time with `clock`, e.g. `prepStats`). */
export function fitCharts(predicted: dfd.DataFrame, axes: readonly string[], clock?: ChartClock): PlotlyFigure[] {
  return predictionCharts(predictionOf(predicted, axes), undefined, { clock }).map((c) => c.fit);
}

/** The residual chart and residual distribution of every axis (MinC/MaxC where `thresholds` has the axis). */
export function residualCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds?: Readonly<Record<string, AxisThresholds>>,
  clock?: ChartClock,
): PlotlyFigure[] {
  const p = predictionOf(predicted, axes);
  return p.axes.flatMap((axis, i) => residualPair(p, i, thresholds?.[axis], undefined, clock));
}

/** The residual chart and distribution of axis `i` of a prediction (of the thresholded statistic's values when given). */
export function residualPair(p: Prediction, i: number, thresholds: AxisThresholds | undefined, statistic?: Float64Array, clock?: ChartClock): PlotlyFigure[] {
  const axis = p.axes[i];
  return [residualChart(p.timeS, p.residual[i], { axis, thresholds, statistic, clock }), residualHistogram(p.residual[i], { axis, thresholds, statistic })];
}

/** Line chart of {@link residualBucketMeans} per axis: flat around 0 when a straight line describes the axis. */
export function residualTrendChart(predicted: dfd.DataFrame, axes: readonly string[], buckets = 48, clock?: ChartClock): PlotlyFigure {
  const { centers, means } = residualBucketMeans(predictionOf(predicted, axes), buckets);
  return lineChart(centers, axes.map((name, k) => ({ name, values: means[k] })), {
    title: `Mean residual of the fitted rows over time (${buckets} slices)`,
    yTitle: "mean residual",
    mode: "lines",
    clock,
  });
}

/** {@link halfWindowFitColumns} of a prepared DataFrame (`time_s` plus axes). */
export function halfWindowFits(frame: dfd.DataFrame, axes: readonly string[]): HalfWindowFit[] {
  const column = (name: string): Float64Array => numericColumn(frame, name, "halfWindowFits");
  return halfWindowFitColumns(column("time_s"), axes, axes.map(column));
}

/** One row of {@link modelRows}. */
export interface ModelRow {
  readonly axis: string;
  /** The fitted trend in one line (see `describeTrend`). */
  readonly trend: string;
  /** The line's slope and intercept; NaN when the trend is not a line. */
  readonly coef: number;
  readonly intercept: number;
  /** Change of the trend per hour (`coef × 3600`). */
  readonly drift_per_hour: number;
  readonly samples_used: number;
  /** Rows not used to fit (exact zeros and missing values). */
  readonly rows_left_out: number;
}

/**
 * Fitted models as table rows, with the drift per hour and how many of the
 * `rows` training rows each fit left out (exact zeros, missing values).
 */
export function modelRows(models: ModelSet, rows: number): ModelRow[] {
  return models.models.map((m) => ({
    axis: m.axis,
    trend: describeTrend(m),
    coef: isLinearModel(m) ? m.coef : NaN,
    intercept: isLinearModel(m) ? m.intercept : NaN,
    drift_per_hour: isLinearModel(m) ? m.coef * 3600 : NaN,
    samples_used: m.samples_used,
    rows_left_out: rows - m.samples_used,
  }));
}

/** Bar chart of the rows each axis's fit used and left out (exact zeros, missing values). */
export function samplesUsedChart(models: ModelSet, rows: number): PlotlyFigure {
  const r = modelRows(models, rows);
  return barChart(
    r.map((m) => m.axis),
    [
      { name: "used to fit", values: r.map((m) => m.samples_used) },
      { name: "left out (zeros, missing)", values: r.map((m) => m.rows_left_out) },
    ],
    { title: "Rows used by each axis's fit", yTitle: "rows" },
  );
}

/** Reads `axis, r2, mae, rmse` rows from an `evaluate` DataFrame (or passes metric rows through). */
export function metricRows(metrics: dfd.DataFrame | readonly AxisMetrics[]): AxisMetrics[] {
  if (Array.isArray(metrics)) return [...(metrics as readonly AxisMetrics[])];
  const frame = metrics as dfd.DataFrame;
  const axes = rawColumn(frame, "axis", "metricRows");
  const [r2, mae, rmse] = ["r2", "mae", "rmse"].map((c) => numericColumn(frame, c, "metricRows"));
  return Array.from({ length: axes.length }, (_, i) => ({ axis: String(axes[i]), r2: r2[i], mae: mae[i], rmse: rmse[i] }));
}

/** Two bar charts of evaluation metrics per axis: R², and MAE next to RMSE. */
export function metricsCharts(metrics: dfd.DataFrame | readonly AxisMetrics[]): PlotlyFigure[] {
  const rows = metricRows(metrics);
  const axes = rows.map((m) => m.axis);
  return [
    barChart(axes, [{ name: "R²", values: rows.map((m) => m.r2) }], { title: "R² per axis (1 = perfect line, 0 = no better than the mean)", yTitle: "R²" }),
    barChart(
      axes,
      [
        { name: "MAE", values: rows.map((m) => m.mae) },
        { name: "RMSE", values: rows.map((m) => m.rmse) },
      ],
      { title: "Mean absolute and root-mean-square error per axis", yTitle: "error (axis units)" },
    ),
  ];
}

/** R², MAE and RMSE per axis of a `predict` DataFrame over the working rows only (`evaluateColumns` with `workingRowsOnly`). */
export function workingRowMetrics(predicted: dfd.DataFrame, axes: readonly string[]): AxisMetrics[] {
  return evaluateColumns(predictionOf(predicted, axes), { workingRowsOnly: true });
}
