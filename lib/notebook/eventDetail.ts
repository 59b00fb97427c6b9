/**
 * The drill-down of one scoring event for a notebook: a few minutes around
 * it, every axis's value against what the model expected, the scored
 * statistic against its limits, and for a multivariate (pca) event each
 * axis's share of the statistic — figures plus a small table, so an analyst
 * can see what happened without re-scoring by hand.
 */
import type * as dfd from "danfojs-node";
import { resolveConfigPath } from "./configPath";
import { loadConfig } from "../shapes/config";
import { timeColumnSeconds } from "../shapes/timeColumn";
import { numericColumn } from "../shapes/frame";
import { score } from "../scoring/scoreFrame";
import type { ScoreEvent } from "../scoring/score";
import type { LoadedVersion } from "../registry";
import { extractScoringWindow } from "../views/scoreViews";
import { CHART_COLORS, baseLayout, horizontalLine, withTimeAxis, type PlotlyFigure, type PlotlyTrace } from "../views/figure";
import { eventMarks, eventSeconds } from "../views/eventMarks";
import { barChart } from "../views/seriesCharts";
import { timeAxis } from "../views/timeAxis";
import { formatNumber } from "../core/formatNumber";
import { InputError } from "../core/errors";
import type { Config } from "../shapes/types";

/** One row of {@link EventDetail.table}: an axis at the sample where the event fired. */
export interface EventDetailRow {
  readonly axis: string;
  /** The measured value. */
  readonly value: number;
  /** What the model expected there (the fitted trend; for pca events the value less the axis's unusual part; NaN when unknown). */
  readonly expected: number;
  /** `value − expected`. */
  readonly difference: number;
  /** pca events: the axis's share of the statistic at the peak (0–1); NaN otherwise. */
  readonly share: number;
}

/** What {@link eventDetail} returns. */
export interface EventDetail {
  /** Per axis value vs expected, then the statistic vs its limits, then (pca) the contributions. */
  readonly figures: PlotlyFigure[];
  /** One row per model axis at the event's fired sample. */
  readonly table: EventDetailRow[];
  /** The rows shown: first and last time of the window around the event. */
  readonly window: { readonly from: number | string; readonly to: number | string };
}

/** Options of {@link eventDetail}. */
export interface EventDetailOptions {
  /** The scored rows (e.g. 08's `extractScoringWindow` frame); default: read from `config`'s database from the version's `train_end`. */
  readonly frame?: dfd.DataFrame;
  /** The project config; default `loadConfig(resolveConfigPath())`. Read only when `frame` is not given, and for `scoring.max_gap_seconds`. */
  readonly config?: Config;
  /** Minutes shown before the start and after the end of the event; default 5. */
  readonly minutes?: number;
}

const nearest = (seconds: Float64Array, target: number): number => {
  let best = 0;
  for (let i = 1; i < seconds.length; i++) if (Math.abs(seconds[i] - target) < Math.abs(seconds[best] - target)) best = i;
  return best;
};

/**
 * Drill-down of one event of `version`: re-scores the rows (from the version's `train_end`, so
 * smoothed statistics carry their state as the scorer had it) and shows `minutes` around the event —
 * per model axis the measured value against the expected value (fitted trend; pca: value less the
 * axis's unusual part, at the peak), the scored statistic of the event's axis (or T²/SPE) with its
 * MinC/MaxC, the event drawn as on the score charts, and for pca events a bar chart of each axis's
 * share. The table has one row per axis at the sample where the event fired.
 *
 * @param version the version that scored the event (e.g. `loadVersion(root, "latest")`)
 * @param event one of `score(...).events`
 * @param options `frame` (default: read the rows), `config` (default: the project's), `minutes` (default 5)
 * @throws InputError when the event's axis is not one the version scores, or no rows are near the event
 * @example
 * import { eventDetail, loadConfig, loadVersion, resolveConfigPath, score, extractScoringWindow, showCharts, showTable } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const latest = await loadVersion(config.registry.root_dir, "latest");
 * const frame = await extractScoringWindow(config, latest);
 * const scored = score(frame!, latest, { maxGapSeconds: config.scoring.max_gap_seconds });
 * const detail = await eventDetail(latest, scored.events[0], { frame: frame!, config });
 * showCharts(detail.figures);
 * showTable(detail.table, { caption: "At the event" });
 */
export async function eventDetail(version: LoadedVersion, event: ScoreEvent, options: EventDetailOptions = {}): Promise<EventDetail> {
  const { minutes = 5 } = options;
  if (!(minutes >= 0)) throw new InputError(`eventDetail: minutes must be a number ≥ 0, got ${String(minutes)}`);
  const config = options.config ?? (options.frame === undefined ? loadConfig(resolveConfigPath()) : undefined);
  const frame = options.frame ?? (await extractScoringWindow(config as Config, version));
  if (frame === null) throw new InputError(`eventDetail: no rows after ${version.version}'s training window in ${config?.data.table ?? "the table"}`);
  const scored = score(frame, version, { stream: event.stream, maxGapSeconds: config?.scoring.max_gap_seconds ?? null });
  const timeCol = frame.columns[0];
  const { seconds } = timeColumnSeconds(frame, timeCol, "eventDetail");
  const statColumn = `${event.axis}_stat`;
  if (!scored.statistics.columns.includes(statColumn)) {
    throw new InputError(`eventDetail: event axis "${event.axis}" is not scored by ${version.version} (it scores ${scored.statistics.columns.slice(1).map((c) => c.replace(/_stat$/, "")).join(", ")})`);
  }
  const start = eventSeconds(event.started_at);
  const end = event.ended_at === null ? eventSeconds(event.fired_at) : eventSeconds(event.ended_at);
  const pad = minutes * 60;
  const rows: number[] = [];
  for (let i = 0; i < seconds.length; i++) if (seconds[i] >= start - pad && seconds[i] <= end + pad) rows.push(i);
  if (rows.length === 0) throw new InputError(`eventDetail: no rows within ${minutes} min of the event at ${String(event.started_at)}`);
  const time0 = version.prepStats.time0;
  const time = timeAxis(version.prepStats);
  const timeS = rows.map((i) => seconds[i] - time0);
  const x = time.x(timeS);
  const rangeS = [timeS[0], timeS[timeS.length - 1]] as const;
  const marks = eventMarks([event], { time, time0, rangeS });
  const fired = nearest(seconds, eventSeconds(event.fired_at));
  const pick = (column: Float64Array): number[] => rows.map((i) => column[i]);
  const pca = version.pca !== undefined;
  const contributions = new Map((event.contributions ?? []).map((c) => [c.axis, c]));
  const figures: PlotlyFigure[] = [];
  const table: EventDetailRow[] = [];
  for (const { axis } of version.models.models) {
    const actual = numericColumn(frame, axis, "eventDetail");
    const data: PlotlyTrace[] = [{ type: "scatter", mode: "lines+markers", name: `${axis} measured`, x, y: pick(actual), marker: { color: CHART_COLORS.data, size: 4 }, line: { color: CHART_COLORS.data, width: 1 } }];
    let expectedAtFired = NaN;
    if (!pca) {
      const residual = numericColumn(scored.residuals, `${axis}_res`, "eventDetail");
      const expected = Float64Array.from(actual, (v, i) => v - residual[i]);
      expectedAtFired = expected[fired];
      data.push({ type: "scatter", mode: "lines", name: "expected (fitted trend)", x, y: pick(expected), line: { color: CHART_COLORS.fit, width: 2, dash: "dash" } });
    } else {
      const c = contributions.get(axis);
      if (c !== undefined) {
        expectedAtFired = c.expected;
        data.push({ type: "scatter", mode: "markers", name: `expected at the peak (${formatNumber(100 * c.share, 3)} % of ${event.axis})`, x: [time.at(eventSeconds(event.fired_at) - time0)], y: [c.expected], marker: { color: CHART_COLORS.fit, size: 11, symbol: "diamond" } });
      }
    }
    const value = actual[fired];
    table.push({ axis, value, expected: expectedAtFired, difference: value - expectedAtFired, share: contributions.get(axis)?.share ?? NaN });
    const layout = withTimeAxis(baseLayout(`${axis}: measured vs expected around the ${event.level} on ${event.axis} started ${String(event.started_at)}`, time.title, axis, 260), time);
    figures.push({ data, layout: { ...layout, margin: { l: 70, r: 40, t: 70, b: 40 }, shapes: marks.shapes } });
  }
  const statistic = numericColumn(scored.statistics, statColumn, "eventDetail");
  const limits = version.thresholds[event.axis];
  const span = [x[0], x[x.length - 1]] as const;
  const statData: PlotlyTrace[] = [{ type: "scatter", mode: "lines+markers", name: `${event.axis} scored statistic`, x, y: pick(statistic), marker: { color: CHART_COLORS.residual, size: 4 }, line: { color: CHART_COLORS.residual, width: 1.5 } }];
  if (limits !== undefined) {
    statData.push(horizontalLine(`MinC (alert) = ${formatNumber(limits.MinC)}`, limits.MinC, span, CHART_COLORS.minc, "dot"));
    statData.push(horizontalLine(`MaxC (error) = ${formatNumber(limits.MaxC)}`, limits.MaxC, span, CHART_COLORS.maxc, "dashdot"));
  }
  statData.push(...marks.traces);
  const statLayout = withTimeAxis(baseLayout(`${event.axis}: scored statistic against its limits, ${event.level} started ${String(event.started_at)} (peak ${formatNumber(event.peak_residual)} vs ${formatNumber(event.threshold)})`, time.title, event.axis, 320), time);
  figures.push({ data: statData, layout: { ...statLayout, shapes: marks.shapes } });
  if (event.contributions !== undefined && event.contributions.length > 0) {
    figures.push(
      barChart(
        event.contributions.map((c) => c.axis),
        [{ name: `share of ${event.axis}`, values: event.contributions.map((c) => c.share), color: CHART_COLORS.bars }],
        { title: `${event.axis} ${event.level} started ${String(event.started_at)}: each axis's share of the statistic at the peak`, yTitle: "share (0–1)" },
      ),
    );
  }
  const shown = (i: number): number | string => time.at(seconds[i] - time0);
  return { figures, table, window: { from: shown(rows[0]), to: shown(rows[rows.length - 1]) } };
}
