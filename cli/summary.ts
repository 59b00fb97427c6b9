import type { PipelineResult } from "../lib/pipeline";

/** Formats a number for the summary: up to 6 significant digits, like the reference's `%.6g`. */
function short(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

/** The end-of-run summary the CLI prints: artifact dir, shapes, one line of metrics and of thresholds per axis. */
export function formatSummary(result: PipelineResult): string {
  const width = Math.max(...result.metrics.map((m) => m.axis.length), 4);
  const lines = [
    `Artifacts: ${result.versionDir}`,
    `Version: ${result.version}`,
    `Data: ${result.database}`,
    `Raw shape: (${result.rawShape.join(", ")})  Train shape: (${result.trainShape.join(", ")})`,
    "Metrics:",
    ...result.metrics.map((m) => `  ${m.axis.padEnd(width)}  R2=${short(m.r2)}  MAE=${short(m.mae)}  RMSE=${short(m.rmse)}`),
    "Thresholds:",
    ...Object.entries(result.thresholds).map(
      ([axis, t]) =>
        `  ${axis.padEnd(width)}  MinC=${short(t.MinC)}  MaxC=${short(t.MaxC)}  T_long=${t.T_long_steps} steps  T_short=${t.T_short_steps} steps  dt=${short(t.dt_seconds)} s  (${t.meta.method})`,
    ),
  ];
  if (result.chartFiles.length > 0) lines.push(`Charts: ${result.chartFiles.length} files in ${dirnameOf(result.chartFiles[0])}`);
  return lines.join("\n");
}

function dirnameOf(file: string): string {
  const index = file.lastIndexOf("/");
  return index < 0 ? "." : file.slice(0, index);
}
