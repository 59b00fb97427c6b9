import { formatNumber } from "../lib/core/formatNumber";
import type { PipelineResult } from "../lib/pipeline/inMemory";
import type { AxisMetrics } from "../lib/shapes/types";
import { axisCaption, type AxisDisplay } from "../lib/shapes/axisDisplay";

/** What a negative all-rows R² beside the working-rows figure means for the fitted trend, in one line. */
export const METRICS_NOTE =
  "R2 < 0 over all rows means the trend misses the idle zeros (it is fitted to the working samples only); " +
  "a working-rows R2 near 0 means it is the slow baseline residuals are measured from, not a model of every swing.";

/**
 * The end-of-run summary the CLI prints: artifact dir, shapes, one line of metrics and of thresholds per axis.
 * The metrics are the registered ones (over all rows, idle zeros included), with the working-rows figures
 * (idle zeros left out, as notebook 05 shows them) beside them when the run has them, and
 * {@link METRICS_NOTE} when an all-rows R² is negative. Axes are named by `data.axis_labels`/`data.units`
 * when the config has them (`Motor 1 (A) [axis1]`, lib/shapes/axisDisplay.ts).
 *
 * @example
 * const config = loadConfig("config.yaml");
 * console.log(formatSummary(await runPipeline(config), config.data));
 */
export function formatSummary(result: PipelineResult, display?: AxisDisplay): string {
  const name = (axis: string): string => axisCaption(axis, display);
  const width = Math.max(...result.metrics.map((m) => name(m.axis).length), ...Object.keys(result.thresholds).map((axis) => name(axis).length), 4);
  const metric = (m: AxisMetrics): string => `R2=${formatNumber(m.r2)}  MAE=${formatNumber(m.mae)}  RMSE=${formatNumber(m.rmse)}`;
  const working = result.workingMetrics;
  const lines = [
    `Artifacts: ${result.versionDir}`,
    `Version: ${result.version}`,
    `Data: ${result.database}`,
    `Raw shape: (${result.rawShape.join(", ")})  Train shape: (${result.trainShape.join(", ")})`,
    working === undefined ? "Metrics (all rows, idle zeros included):" : "Metrics (all rows, idle zeros included; working rows only, idle zeros left out):",
    ...result.metrics.map((m, i) => `  ${name(m.axis).padEnd(width)}  ${metric(m)}${working?.[i] === undefined ? "" : `  working: ${metric(working[i])}`}`),
    ...(working !== undefined && result.metrics.some((m) => m.r2 < 0) ? [`  ${METRICS_NOTE}`] : []),
    "Thresholds:",
    ...Object.entries(result.thresholds).map(
      ([axis, t]) =>
        `  ${name(axis).padEnd(width)}  MinC=${formatNumber(t.MinC)}  MaxC=${formatNumber(t.MaxC)}  T_long=${t.T_long_steps} steps  T_short=${t.T_short_steps} steps  dt=${formatNumber(t.dt_seconds)} s  (${t.meta.method})`,
    ),
  ];
  if (result.labelledFault !== undefined) {
    lines.push(`Labelled faults: ${result.labelledFault.rows} rows left out of fitting and thresholds (${result.labelledFault.incidents} incident${result.labelledFault.incidents === 1 ? "" : "s"} labelled fault)`);
  }
  if (result.selectionSummary !== undefined) lines.push(`Selection: ${result.selectionSummary.join(" ")}`);
  if (result.chartFiles.length > 0) lines.push(`Charts: ${result.chartFiles.length} files in ${dirnameOf(result.chartFiles[0])}`);
  return lines.join("\n");
}

function dirnameOf(file: string): string {
  const index = file.lastIndexOf("/");
  return index < 0 ? "." : file.slice(0, index);
}
