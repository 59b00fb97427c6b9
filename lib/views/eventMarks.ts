/**
 * How scoring events are drawn on time charts, the same on every chart: a
 * shaded span per event at least {@link MIN_EVENT_WIDTH_FRACTION} of the x
 * range wide (so a 2-sample event in 4 hours is not a hairline), one legend
 * entry per level, and alert and error told apart without colour: alerts
 * light with a dotted border and ▲ markers at the peak, errors darker with a
 * solid border and ✕ markers.
 */
import { CHART_COLORS, type PlotlyShape, type PlotlyTrace } from "./figure";
import type { TimeAxis } from "./timeAxis";
import { isoToEpochSeconds } from "../core/time";
import { formatNumber } from "../core/formatNumber";
import type { ScoreEvent } from "../scoring/score";

/** The rule for short events: every event is drawn at least this share of the chart's x range wide (0.4 %). */
export const MIN_EVENT_WIDTH_FRACTION = 0.004;

/** The look of each level: fill, border and peak marker (symbols differ so levels read without colour). */
export const EVENT_STYLE = Object.freeze({
  alert: { color: CHART_COLORS.minc, opacity: 0.22, dash: "dot", border: 1, symbol: "triangle-up", label: "alert events (≥ MinC, dotted border, ▲ peak)" },
  error: { color: CHART_COLORS.maxc, opacity: 0.38, dash: "solid", border: 2, symbol: "x", label: "error events (≥ MaxC, solid border, ✕ peak)" },
} as const);

/** An event time (epoch seconds or ISO text, as `score` reports it) in epoch seconds. */
export const eventSeconds = (value: number | string): number => (typeof value === "number" ? value : isoToEpochSeconds(value));

/** Start and end of an event in epoch seconds, the end widened to the minimum width (`minWidth` seconds); an open event ends at `lastS`. */
export function eventSpan(e: ScoreEvent, lastS: number, minWidth: number): readonly [number, number] {
  const start = eventSeconds(e.started_at);
  const end = e.ended_at === null ? Math.max(lastS, start) : eventSeconds(e.ended_at);
  return [start, Math.max(end, start + minWidth)];
}

/** Duration of an event in seconds (start to end; 0 while open or for one sample). */
export const eventDuration = (e: ScoreEvent): number => (e.ended_at === null ? 0 : eventSeconds(e.ended_at) - eventSeconds(e.started_at));

/** One line describing an event for hover text: level, start, duration, peak against its threshold. */
export function eventHover(e: ScoreEvent): string {
  const d = e.ended_at === null ? "open" : `${formatNumber(eventDuration(e))} s`;
  return `${e.axis} ${e.level}${e.direction === "down" ? " (low)" : ""}: ${e.samples} samples, ${d}<br>from ${String(e.started_at)}<br>peak ${formatNumber(e.peak_residual)} vs threshold ${formatNumber(e.threshold)}`;
}

/**
 * Shapes and peak-marker traces for `events` on a chart whose x axis is `time` over seconds since
 * `time0`: a span per event ({@link MIN_EVENT_WIDTH_FRACTION} of `rangeS` at least, open events to
 * `lastS`), the first span of each level carrying that level's one legend entry (its markers toggle
 * with it), ▲/✕ markers at each event's fired time and peak value.
 *
 * @param events events of one chart (e.g. one axis)
 * @param options `time` (x axis), `time0` (epoch seconds of time_s 0), `rangeS` [first, last] seconds since time0
 * @example
 * import { eventMarks, timeAxis } from "mlbox";
 * eventMarks([], { time: timeAxis(undefined), time0: 0, rangeS: [0, 3600] }); // { shapes: [], traces: [] }
 */
export function eventMarks(
  events: readonly ScoreEvent[],
  options: { readonly time: TimeAxis; readonly time0: number; readonly rangeS: readonly [number, number] },
): { readonly shapes: PlotlyShape[]; readonly traces: PlotlyTrace[] } {
  const { time, time0, rangeS } = options;
  const minWidth = MIN_EVENT_WIDTH_FRACTION * Math.max(0, rangeS[1] - rangeS[0]);
  const shapes: PlotlyShape[] = [];
  const traces: PlotlyTrace[] = [];
  for (const level of ["alert", "error"] as const) {
    const style = EVENT_STYLE[level];
    const mine = events.filter((e) => e.level === level);
    mine.forEach((e, k) => {
      const [start, end] = eventSpan(e, rangeS[1] + time0, minWidth);
      shapes.push({
        type: "rect",
        xref: "x",
        yref: "paper",
        x0: time.at(start - time0),
        x1: time.at(end - time0),
        y0: 0,
        y1: 1,
        fillcolor: style.color,
        opacity: style.opacity,
        line: { width: style.border, color: style.color, dash: style.dash },
        layer: "below",
        name: `${style.label.replace(" events", ` events (${mine.length})`)}`,
        showlegend: k === 0,
        legendgroup: level,
      });
    });
    if (mine.length > 0) {
      traces.push({
        type: "scatter",
        mode: "markers",
        name: `${level} peaks`,
        x: mine.map((e) => time.at(eventSeconds(e.fired_at) - time0)),
        y: mine.map((e) => e.peak_residual),
        marker: { color: style.color, size: 9, symbol: style.symbol, line: { color: CHART_COLORS.zeroLine, width: 1 } },
        text: mine.map(eventHover),
        hovertemplate: "%{text}<extra></extra>",
        legendgroup: level,
        showlegend: false,
      });
    }
  }
  return { shapes, traces };
}
