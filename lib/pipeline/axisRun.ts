/**
 * Everything the pipeline does to one axis once the window is prepared:
 * fit its trend, predict, score the fit, draw the fit chart, turn the fitted
 * values into residuals, calibrate MinC/MaxC and sustain steps, draw the
 * residual chart. Axes do not depend on each other, so the pipeline runs this
 * on several threads at once (see axisThreads).
 */
import { fitChart, residualChart } from "../views/axisCharts";
import { writeAxisChartFiles } from "../views/chartFiles";
import type { ChartClock } from "../views/timeAxis";
import { regressionMetricsWithWorking } from "../stages/evaluate";
import type { StatisticOptions } from "../model/statistic";
import { calibrateColumns } from "../stages/thresholds";
import { calibrateLower } from "../stages/lowerThresholds";
import type { TrainOptions } from "../stages/train";
import { fitAxisModel, predictColumn } from "../model/trendModel";
import type { FitWorkspace } from "../model/fitWorkspace";
import type { AxisMetrics, AxisModel, AxisThresholds, Prediction, ThresholdPolicy } from "../shapes/types";

/** What {@link runAxis} needs besides the scratch column: plain data, so it can be posted to a worker thread. */
export interface AxisRunInput {
  readonly axis: string;
  /** Seconds since the first row, shared by every axis. */
  readonly timeS: Float64Array;
  /** The axis's prepared values, same length as `timeS`. */
  readonly actual: Float64Array;
  /** The sampling interval (`analyze`'s `dt_seconds`). */
  readonly dtSeconds: number;
  /** The trend to fit (the config's `model:` with `auto` resolved). */
  readonly trainOptions: TrainOptions;
  /** The config's `thresholds:` block. */
  readonly policy: ThresholdPolicy;
  /** The config's `scoring:` block (the statistic calibrated, `max_gap_seconds`). */
  readonly scoring: StatisticOptions;
  /** Where to write the axis's two chart pages; null for none. */
  readonly plotsDir: string | null;
  /** `time0`/`time_type` of the preparation: the chart pages' x axes in UTC clock time. */
  readonly clock?: ChartClock;
}

/** The stages {@link runAxis} times. */
export type AxisStage = "train" | "predict" | "evaluate" | "thresholds" | "charts";

/** What {@link runAxis} produced for one axis. */
export interface AxisRunResult {
  readonly model: AxisModel;
  readonly metrics: AxisMetrics;
  /** The same metrics over the working rows only (idle zeros left out): the CLI summary shows both. */
  readonly workingMetrics: AxisMetrics;
  readonly thresholds: AxisThresholds;
  /** Chart pages written: fit, then residual (none without `plotsDir`). */
  readonly chartFiles: readonly string[];
  /** Seconds spent per stage on this axis. */
  readonly seconds: Readonly<Record<AxisStage, number>>;
}

/**
 * Trains, scores and calibrates one axis, and writes its charts. `scratch`
 * (at least `timeS.length` long, overwritten) holds the fitted values until
 * the metrics and fit chart are done, then the residual (actual − fitted,
 * written over them): the only full-length column used beyond the inputs.
 * The plotly.js file the chart pages load must already be in `plotsDir`.
 * `workspace` (default: the fit's own) lends the trend fit its work columns; it may hold `scratch`,
 * which is free until the fit returns.
 *
 * @throws InputError when the axis has no usable samples.
 */
export async function runAxis(input: AxisRunInput, scratch: Float64Array, workspace?: FitWorkspace): Promise<AxisRunResult> {
  const { axis, timeS, actual, dtSeconds, trainOptions, policy, scoring, plotsDir } = input;
  const seconds: Record<AxisStage, number> = { train: 0, predict: 0, evaluate: 0, thresholds: 0, charts: 0 };
  const timed = <T>(stage: AxisStage, work: () => T): T => {
    const begin = performance.now();
    const result = work();
    seconds[stage] += (performance.now() - begin) / 1000;
    return result;
  };
  const { type = "linear", ...trendOptions } = trainOptions;
  const model = timed("train", () => fitAxisModel(type, axis, timeS, actual, trendOptions, workspace));
  const column = scratch.length === timeS.length ? scratch : scratch.subarray(0, timeS.length);
  const fitted = timed("predict", () => predictColumn(model, timeS, actual, column));
  // Both metric sets in one walk of the columns (see regressionMetricsWithWorking).
  const [metrics, workingMetrics] = timed("evaluate", () => regressionMetricsWithWorking(axis, actual, fitted));
  const fit = plotsDir === null ? null : timed("charts", () => fitChart(timeS, actual, fitted, { axis, clock: input.clock }));
  const residual = timed("predict", () => {
    for (let j = 0; j < fitted.length; j++) fitted[j] = actual[j] - fitted[j];
    return fitted;
  });
  // The fitted values are gone: calibration and the residual chart read only actual and residual.
  const prediction: Prediction = { timeS, axes: [axis], actual: [actual], predicted: [], residual: [residual] };
  // MinC/MaxC and sustain steps on the chosen statistic's values (the residual by default).
  const upper = timed("thresholds", () => calibrateColumns(prediction, dtSeconds, policy, scoring))[axis];
  // thresholds.direction both: the lower side, by the same policy on the negated residuals.
  const thresholds = policy.direction === "both" ? { ...upper, lower: timed("thresholds", () => calibrateLower(residual, actual, timeS, dtSeconds, policy, scoring)) } : upper;
  const chartFiles: string[] = [];
  if (fit !== null && plotsDir !== null) {
    const begin = performance.now();
    const residualFigure = residualChart(timeS, residual, { axis, thresholds, maxGapSeconds: scoring.max_gap_seconds ?? null, clock: input.clock });
    chartFiles.push(...(await writeAxisChartFiles([{ axis, fit, residual: residualFigure }], plotsDir, { copyLibrary: false })));
    seconds.charts += (performance.now() - begin) / 1000;
  }
  return { model, metrics, workingMetrics, thresholds, chartFiles, seconds };
}
