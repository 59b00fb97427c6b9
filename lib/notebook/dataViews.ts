/**
 * Views of the extraction, analysis and preparation notebooks (01, 02): the
 * training window as a DataFrame, sampling intervals, zeros and missing
 * values per axis, the raw series and value distributions. What they count
 * is computed by the stage files (lib/stages/analyze.ts), never here.
 */
import type * as dfd from "danfojs-node";
import { analyze, samplingGaps, timeSteps, type Profile, type SamplingGap } from "../stages/analyze";
import { clockValue } from "../views/timeAxis";
import { resample } from "../stages/resample";
import { connect } from "../db/connect";
import { extract } from "../db/extract";
import { histogramChart } from "../views/histogramCharts";
import { barChart, lineChart } from "../views/seriesCharts";
import type { PlotlyFigure } from "../views/figure";
import { isIdleSample } from "../core/idleSample";
import { frameColumns, type FrameColumns } from "../shapes/timeColumn";
import type { Config } from "../shapes/types";

/**
 * Connects to the database of `config`, extracts the training window as a
 * DataFrame (see `extract`) and closes the connection again. With
 * `prep.resample_seconds` set the window comes resampled (see `resample`),
 * as the pipeline analyses and prepares it.
 */
export async function extractWindow(config: Config): Promise<dfd.DataFrame> {
  // A notebook shows stderr as an error: the first run's "building the demo database" notice goes to the cell's output.
  const db = await connect(config.database, { onDemoBuild: (notice) => console.log(notice) });
  try {
    const raw = await extract(db, config.data);
    return resample(raw, { seconds: config.prep.resample_seconds ?? null, timeCol: config.data.time_col });
  } finally {
    await db.destroy();
  }
}

/**
 * Histogram of the sampling intervals (log count axis, so rare gaps show),
 * with the median interval marked.
 */
export function samplingIntervalChart(time: Float64Array, dtSeconds: number): PlotlyFigure {
  return histogramChart(timeSteps(time), {
    title: "Sampling interval between consecutive rows",
    xTitle: "interval (s)",
    bins: 80,
    logY: true,
    markers: [{ name: "median dt_seconds", value: dtSeconds, color: "#d62728" }],
  });
}

/** Bar chart of the share of exact zeros (idle samples) and of missing values per axis. */
export function zeroFractionChart(profile: Profile): PlotlyFigure {
  const names = profile.axes.map((a) => a.axis);
  return barChart(
    names,
    [
      { name: "exact zeros", values: profile.axes.map((a) => a.zero_fraction) },
      { name: "missing (NaN)", values: profile.axes.map((a) => (profile.rows === 0 ? 0 : a.nan_count / profile.rows)) },
    ],
    { title: "Share of exact zeros and missing values per axis", yTitle: "fraction of rows" },
  );
}

/**
 * Every axis of a DataFrame over time, decimated (min/max per bucket): in UTC
 * clock time when the time column holds timestamps (ISO text, as `extract`
 * returns them), else in the column's own seconds.
 */
export function seriesChart(frame: dfd.DataFrame, timeCol: string, title = "Raw series per axis"): PlotlyFigure {
  const { time, timeType, axes, values } = frameColumns(frame, timeCol);
  const t0 = time.length > 0 ? time[0] : 0;
  const timeS = time.map((t) => t - t0);
  return lineChart(
    timeS,
    axes.map((name, i) => ({ name, values: values[i] })),
    { title, maxPoints: 1500, clock: { time0: t0, time_type: timeType } },
  );
}

/** One row of {@link samplingGapRows}: a {@link SamplingGap} with `after_time` as the time column shows it. */
export interface SamplingGapRow {
  readonly row: number;
  /** Time of the sample before the gap: ISO UTC text for timestamps, the column's seconds for float time. */
  readonly after_time: number | string;
  readonly step_seconds: number;
  readonly step_dt: number;
}

/**
 * The longest gaps of a window's time column ({@link samplingGaps}) for a table: `after_time` in UTC
 * ISO text when the column holds timestamps (not 1.66601e+9), as is for float seconds.
 *
 * @param columns `frameColumns(raw, config.data.time_col)`
 * @param dtSeconds the median step (`profile.dt_seconds`)
 * @example
 * import { samplingGapRows } from "mlbox";
 * samplingGapRows({ time: Float64Array.of(1666075471, 1666075472, 1666075500), timeType: "timestamptz" }, 1)[0].after_time; // "2022-10-18T06:44:32.000Z"
 */
export function samplingGapRows(columns: Pick<FrameColumns, "time" | "timeType">, dtSeconds: number, options: { readonly factor?: number; readonly limit?: number } = {}): SamplingGapRow[] {
  return samplingGaps(columns.time, dtSeconds, options).map((g) => ({ ...g, after_time: clockValue(g.after_time, columns.timeType) }));
}

/** Count of missing (NaN) values per axis of a DataFrame, as rows `{ axis, missing, rows }` (from {@link analyze}). */
export function missingCounts(frame: dfd.DataFrame, timeCol: string): { axis: string; missing: number; rows: number }[] {
  const profile = analyze(frame, timeCol);
  return profile.axes.map((a) => ({ axis: a.axis, missing: a.nan_count, rows: profile.rows }));
}

/**
 * Value distribution per axis of a DataFrame (idle zeros and missing values
 * left out, as the fit leaves them out), one histogram per axis.
 */
export function valueHistograms(frame: dfd.DataFrame, timeCol: string): PlotlyFigure[] {
  const { axes, values } = frameColumns(frame, timeCol);
  return axes.map((axis, i) =>
    histogramChart(
      values[i].filter((v) => !isIdleSample(v)),
      { title: `${axis}: distribution of non-zero values`, xTitle: axis, bins: 60, height: 300 },
    ),
  );
}

/** Missing values per axis before and after preparation, as rows `{ axis, missing_before, missing_after, rows }`. */
export function missingComparison(
  raw: dfd.DataFrame,
  timeCol: string,
  prepared: dfd.DataFrame,
): { axis: string; missing_before: number; missing_after: number; rows: number }[] {
  const before = missingCounts(raw, timeCol);
  const after = new Map(missingCounts(prepared, "time_s").map((r) => [r.axis, r.missing]));
  return before.map((r) => ({ axis: r.axis, missing_before: r.missing, missing_after: after.get(r.axis) ?? NaN, rows: r.rows }));
}
