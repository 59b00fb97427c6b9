/**
 * Views of the thresholding notebook (06): the calibrated thresholds as table
 * rows, and per axis the residual (or thresholded statistic) with MinC/MaxC
 * and the run lengths the sustain steps were calibrated on.
 */
import type * as dfd from "danfojs-node";
import { predictionOf, residualPair } from "./fitViews";
import { runLengthChart } from "../views/histogramCharts";
import type { PlotlyFigure } from "../views/figure";
import type { ChartClock } from "../views/timeAxis";
import { recordedStatistic, statisticLabel } from "../model/statistic";
import { axisStatistic, runLengths } from "../stages/thresholds";
import type { AxisThresholds } from "../shapes/types";

/** One row of {@link thresholdRows}. */
export interface ThresholdRow {
  readonly axis: string;
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
  readonly T_long_seconds: number;
  readonly T_short_seconds: number;
  readonly method: string;
  /** What MinC/MaxC apply to: `residual`, or e.g. `EWMA(α=0.1) of residual`. */
  readonly statistic: string;
}

/** Thresholds as table rows, one per axis, with the sustain steps also in seconds and the statistic they apply to. */
export function thresholdRows(thresholds: Readonly<Record<string, AxisThresholds>>): ThresholdRow[] {
  return Object.entries(thresholds).map(([axis, t]) => ({
    axis,
    MinC: t.MinC,
    MaxC: t.MaxC,
    T_long_steps: t.T_long_steps,
    T_short_steps: t.T_short_steps,
    T_long_seconds: t.T_long_steps * t.dt_seconds,
    T_short_seconds: t.T_short_steps * t.dt_seconds,
    method: t.meta.method,
    statistic: statisticLabel(recordedStatistic(t)),
  }));
}

/**
 * For every axis: the {@link residualCharts} with MinC/MaxC, then the
 * histograms of the run lengths of residual ≥ MinC (alert, `T_long_steps`
 * marked) and ≥ MaxC (error, `T_short_steps` marked), as one flat list.
 * When the thresholds record a smoothed statistic, the charts and runs are
 * of its values (labelled, e.g. "EWMA(α=0.1) of residual").
 *
 * @param options `max_gap_seconds` (default null) as calibration had it: pass `config.scoring`; `clock` (e.g. the
 *   version's `prepStats`): time axes in UTC clock time (default `time_s`).
 */
export function thresholdCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: { readonly max_gap_seconds?: number | null; readonly clock?: ChartClock } = {},
): PlotlyFigure[] {
  const p = predictionOf(predicted, axes);
  return p.axes.flatMap((axis, i) => {
    const t = thresholds[axis];
    const spec = t ? recordedStatistic(t) : ({ type: "residual" } as const);
    const values = axisStatistic(p, i, spec, options.max_gap_seconds ?? null);
    const name = spec.type === "residual" ? "residual" : statisticLabel(spec);
    const runs = (level: "MinC" | "MaxC", kind: string, sustain: "T_long_steps" | "T_short_steps"): PlotlyFigure =>
      runLengthChart(t ? runLengths(values, t[level]) : new Int32Array(0), {
        title: `${axis}: runs with ${name} ≥ ${level} (${kind})`,
        sustainSteps: t?.[sustain],
        sustainName: sustain,
      });
    return [...residualPair(p, i, t, values, options.clock), runs("MinC", "alert", "T_long_steps"), runs("MaxC", "error", "T_short_steps")];
  });
}
