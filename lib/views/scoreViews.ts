/**
 * Notebook views of scoring: the rows after a version's training window, a
 * per-axis event summary (also printed by `npm start -- score`) and residual
 * charts with MinC/MaxC and the events shaded.
 */
import type * as dfd from "danfojs-node";
import { residualChart } from "./axisCharts";
import { finiteRange, type PlotlyFigure } from "./figure";
import { eventMarks, eventSeconds } from "./eventMarks";
import { timeAxis } from "./timeAxis";
import { connect } from "../db/connect";
import { toDataFrame } from "../shapes/frame";
import type { LoadedVersion } from "../registry";
import { readScoreRows, versionDataConfig } from "../scoring/replay";
import { epochSecondsToIso } from "../core/time";
import type { ScoreEvent } from "../scoring/score";
import { recordedStatistic, statisticLabel } from "../model/statistic";
import type { Config } from "../shapes/types";

/**
 * The rows of the configured table from `version`'s `train_end` (or `from`) to the last row, as a
 * DataFrame `[time_col, ...model axes]` like `extract` returns; null when there are none.
 */
export async function extractScoringWindow(config: Config, version: LoadedVersion, options: { readonly from?: number | string } = {}): Promise<dfd.DataFrame | null> {
  // A notebook shows stderr as an error: the first run's "building the demo database" notice goes to the cell's output.
  const db = await connect(config.database, { onDemoBuild: (notice) => console.log(notice) });
  try {
    const rows = await readScoreRows(db, versionDataConfig(config, version), version.prepStats.time_type, { from: options.from ?? version.meta.data.train_end });
    if (rows === null) return null;
    const timeType = rows.timeType;
    const time = timeType === "float" ? rows.time : Array.from(rows.time, (t) => epochSecondsToIso(t, timeType));
    return toDataFrame([[rows.timeCol, time], ...rows.axes.map((axis, a) => [axis, rows.values[a]] as const)]);
  } finally {
    await db.destroy();
  }
}

/** One line of {@link scoreSummaryRows}. */
export interface ScoreSummaryRow {
  readonly axis: string;
  readonly alerts: number;
  readonly errors: number;
  /** Longest event in samples (0: none). */
  readonly longest: number;
  /** Start of the first and of the last event ("" when none). */
  readonly first: number | string;
  readonly last: number | string;
}

/** Per axis: alert and error events, the longest (samples), the first and last start. */
export function scoreSummaryRows(axes: readonly string[], events: readonly ScoreEvent[]): ScoreSummaryRow[] {
  return axes.map((axis) => {
    const mine = events.filter((e) => e.axis === axis);
    const starts = mine.map((e) => e.started_at).sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    return {
      axis,
      alerts: mine.filter((e) => e.level === "alert").length,
      errors: mine.filter((e) => e.level === "error").length,
      longest: mine.reduce((max, e) => Math.max(max, e.samples), 0),
      first: starts.length > 0 ? starts[0] : "",
      last: starts.length > 0 ? starts[starts.length - 1] : "",
    };
  });
}

/**
 * Per model axis: the scored residuals in UTC clock time (the column's own seconds for a float time
 * column) with MinC/MaxC lines and the axis's events drawn by {@link eventMarks}: a span per event at
 * least 0.4 % of the time range wide (open events to the last row), one legend entry per level, alerts
 * light with a dotted border and ▲ at the peak, errors darker with a solid border and ✕. When the
 * version scores a smoothed statistic, its values are drawn too (MinC/MaxC apply to them):
 * `statistics` as scored, else computed from the residuals.
 * @param residuals `score(...).residuals`: time column then `<axis>_res`
 * @param events `score(...).events`
 * @param version the version that scored them
 * @param statistics `score(...).statistics` (`<axis>_stat`); optional
 */
export function scoreCharts(residuals: dfd.DataFrame, events: readonly ScoreEvent[], version: LoadedVersion, statistics?: dfd.DataFrame): PlotlyFigure[] {
  const timeCol = residuals.columns[0];
  const raw = residuals.column(timeCol).values as (number | string)[];
  const time0 = version.prepStats.time0;
  const timeS = Float64Array.from(raw, (t) => eventSeconds(t) - time0);
  const rangeS = finiteRange(timeS);
  const time = timeAxis(version.prepStats);
  return version.models.models.map(({ axis }) => {
    const residual = Float64Array.from(residuals.column(`${axis}_res`).values as number[]);
    const thresholds = version.thresholds[axis];
    const statistic = statistics === undefined ? undefined : Float64Array.from(statistics.column(`${axis}_stat`).values as number[]);
    const figure = residualChart(timeS, residual, { axis, thresholds, statistic, clock: version.prepStats });
    const scored = thresholds === undefined ? "residual" : statisticLabel(recordedStatistic(thresholds));
    const mine = events.filter((e) => e.axis === axis);
    const { shapes, traces } = eventMarks(mine, { time, time0, rangeS });
    const counts = `${mine.length} event${mine.length === 1 ? "" : "s"}`;
    return {
      data: [...figure.data, ...traces],
      layout: { ...figure.layout, title: { ...figure.layout.title, text: `${axis}: scored ${scored} with alert/error events (${counts})` }, shapes },
    };
  });
}

/**
 * What a version detects with, as one record for the notebooks: its trend model type, the statistic
 * its thresholds apply to (per axis when they differ), its alert/error percentiles, and how they were
 * chosen (selection's one-line reason from `selection.json`, or "as configured").
 */
export function versionDetection(version: LoadedVersion): Record<string, string | number> {
  const labels = [...new Set(version.models.models.map((m) => statisticLabel(recordedStatistic(version.thresholds[m.axis] ?? {}))))];
  const policy = version.models.models.length > 0 ? version.thresholds[version.models.models[0].axis]?.policy : undefined;
  return {
    model: version.version,
    trend: version.models.type,
    statistic: labels.join("; "),
    minc_percentile: policy?.minc_percentile ?? NaN,
    maxc_percentile: policy?.maxc_percentile ?? NaN,
    chosen_by: version.selection?.chosen.reason ?? "as configured (no selection.json)",
  };
}
