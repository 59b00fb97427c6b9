import { formatNumber } from "../lib/core/formatNumber";
import type { PipelineResult } from "../lib/pipeline/inMemory";

/** The end-of-run summary the CLI prints: artifact dir, shapes, one line of metrics and of thresholds per axis. */
export function formatSummary(result: PipelineResult): string {
  const width = Math.max(...result.metrics.map((m) => m.axis.length), 4);
  const lines = [
    `Artifacts: ${result.versionDir}`,
    `Version: ${result.version}`,
    `Data: ${result.database}`,
    `Raw shape: (${result.rawShape.join(", ")})  Train shape: (${result.trainShape.join(", ")})`,
    "Metrics:",
    ...result.metrics.map((m) => `  ${m.axis.padEnd(width)}  R2=${formatNumber(m.r2)}  MAE=${formatNumber(m.mae)}  RMSE=${formatNumber(m.rmse)}`),
    "Thresholds:",
    ...Object.entries(result.thresholds).map(
      ([axis, t]) =>
        `  ${axis.padEnd(width)}  MinC=${formatNumber(t.MinC)}  MaxC=${formatNumber(t.MaxC)}  T_long=${t.T_long_steps} steps  T_short=${t.T_short_steps} steps  dt=${formatNumber(t.dt_seconds)} s  (${t.meta.method})`,
    ),
  ];
  if (result.selectionSummary !== undefined) lines.push(`Selection: ${result.selectionSummary.join(" ")}`);
  if (result.chartFiles.length > 0) lines.push(`Charts: ${result.chartFiles.length} files in ${dirnameOf(result.chartFiles[0])}`);
  return lines.join("\n");
}

function dirnameOf(file: string): string {
  const index = file.lastIndexOf("/");
  return index < 0 ? "." : file.slice(0, index);
}
