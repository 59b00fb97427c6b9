/**
 * The stream timeline: every event of a stream on one chart, one lane per
 * axis or multivariate statistic (T², SPE), events as bars in clock time, so
 * an analyst sees at a glance when and where a stream misbehaved.
 */
import { CHART_COLORS, type PlotlyFigure, type PlotlyTrace } from "./figure";
import { EVENT_STYLE, MIN_EVENT_WIDTH_FRACTION, eventHover, eventSeconds } from "./eventMarks";
import { isoUtc } from "./timeAxis";
import type { ScoreEvent } from "../scoring/score";

/** Options of {@link timelineChart}. */
export interface TimelineOptions {
  /** Chart title; default "Event timeline: <n> events on <m> lanes". */
  readonly title?: string;
  /** Lanes top to bottom (e.g. every model axis, or `["T2", "SPE"]`), so lanes without events show too; default: the events' axes in order of appearance. */
  readonly lanes?: readonly string[];
  /** The time span the chart covers, as the events' times are (ISO text or seconds); default: first start to last end. Open events end at its end. */
  readonly range?: readonly [number | string, number | string];
  /** Chart height in pixels; default 120 + 36 per lane. */
  readonly height?: number;
}

/**
 * A timeline of `events`: one horizontal lane per axis or statistic, each event a bar from its start
 * to its end (at least {@link MIN_EVENT_WIDTH_FRACTION} of the range wide; open events to the range's
 * end), one trace and legend entry per level — alerts light and solid, errors darker and hatched, so
 * they differ without colour. The x axis is UTC clock time (`date`) when the events' times are ISO
 * text, the time column's own seconds when they are numbers. Hover: axis, level, samples, duration,
 * start, peak against its threshold.
 *
 * @param events `score(...).events` (or rows read back from the events table)
 * @param options `title`, `lanes`, `range`, `height`
 * @example
 * import { timelineChart } from "mlbox";
 * timelineChart([{ axis: "axis1", level: "alert", started_at: "2022-10-18T06:44:31Z", fired_at: "2022-10-18T06:44:41Z", ended_at: "2022-10-18T06:45:31Z", samples: 7, peak_residual: 0.3, threshold: 0.19, model_version: "v1", stream: "demo" }], { lanes: ["axis1", "axis2"] });
 */
export function timelineChart(events: readonly ScoreEvent[], options: TimelineOptions = {}): PlotlyFigure {
  const clock = events.some((e) => typeof e.started_at === "string") || typeof options.range?.[0] === "string";
  const lanes = [...(options.lanes ?? [])];
  for (const e of events) if (!lanes.includes(e.axis)) lanes.push(e.axis);
  const starts = events.map((e) => eventSeconds(e.started_at));
  const ends = events.map((e) => (e.ended_at === null ? eventSeconds(e.fired_at) : eventSeconds(e.ended_at)));
  const first = options.range ? eventSeconds(options.range[0]) : starts.length > 0 ? Math.min(...starts) : 0;
  const last = options.range ? eventSeconds(options.range[1]) : ends.length > 0 ? Math.max(...ends) : 0;
  const minWidth = MIN_EVENT_WIDTH_FRACTION * Math.max(0, last - first);
  // A date axis measures bar lengths in milliseconds; a seconds axis in seconds.
  const unit = clock ? 1000 : 1;
  const at = (s: number): number | string => (clock ? isoUtc(s) : s);
  const data: PlotlyTrace[] = [];
  for (const level of ["alert", "error"] as const) {
    const style = EVENT_STYLE[level];
    const mine = events.map((e, i) => [e, i] as const).filter(([e]) => e.level === level);
    if (mine.length === 0) continue;
    data.push({
      type: "bar",
      orientation: "h",
      name: `${level} events (${mine.length})${level === "error" ? ", hatched" : ""}`,
      legendgroup: level,
      y: mine.map(([e]) => e.axis),
      base: mine.map(([, i]) => at(starts[i])),
      x: mine.map(([e, i]) => unit * Math.max((e.ended_at === null ? Math.max(last, starts[i]) : ends[i]) - starts[i], minWidth)),
      width: level === "error" ? 0.5 : 0.8,
      marker: {
        color: style.color,
        opacity: level === "error" ? 0.9 : 0.6,
        line: { color: CHART_COLORS.zeroLine, width: level === "error" ? 1.5 : 0.5 },
        ...(level === "error" ? { pattern: { shape: "/", fgcolor: CHART_COLORS.zeroLine, bgcolor: style.color, solidity: 0.3 } } : {}),
      },
      text: mine.map(([e]) => eventHover(e)),
      textposition: "none",
      hovertemplate: "%{text}<extra></extra>",
    });
  }
  // Every lane drawn, events or not: an invisible point per lane.
  data.push({ type: "scatter", mode: "markers", name: "lanes", x: lanes.map(() => at(first)), y: lanes, marker: { opacity: 0 }, showlegend: false, hoverinfo: "skip" });
  const title = options.title ?? `Event timeline: ${events.length} event${events.length === 1 ? "" : "s"} on ${lanes.length} lane${lanes.length === 1 ? "" : "s"}`;
  return {
    data,
    layout: {
      title: { text: title, x: 0.01, xanchor: "left", y: 0.97, yanchor: "top" },
      xaxis: {
        title: { text: clock ? "time (UTC)" : "time (s, as the time column holds it)" },
        type: clock ? "date" : "linear",
        ...(events.length > 0 || options.range ? { range: [at(first), at(last + minWidth)] } : {}),
      },
      yaxis: { title: { text: "axis / statistic" }, type: "category", autorange: "reversed", categoryorder: "array", categoryarray: lanes },
      height: options.height ?? 120 + 36 * Math.max(1, lanes.length),
      margin: { l: 90, r: 40, t: 80, b: 50 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" },
      hovermode: "closest",
      barmode: "overlay",
    },
  };
}
