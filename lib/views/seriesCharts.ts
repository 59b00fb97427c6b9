/**
 * Charts of named series: grouped bars per category, and lines or markers
 * over a shared x (decimated with {@link decimateMinMax}).
 */
import { decimateMinMax } from "./decimate";
import { DEFAULT_MAX_POINTS, baseLayout, seriesFrom, withTimeAxis, type PlotlyFigure, type PlotlyTrace } from "./figure";
import { timeAxis, type ChartClock } from "./timeAxis";

/** One named series of a {@link barChart} or {@link lineChart}. */
export interface NamedSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
  readonly color?: string;
}

/**
 * Grouped bar chart: one group per category, one bar per series.
 *
 * @param categories category labels (x axis)
 * @param series one bar per category each, in order
 * @param options `title`, `yTitle` (required), `xTitle` (default ""), `height` (default 340), `logY` (default false)
 */
export function barChart(
  categories: readonly string[],
  series: readonly NamedSeries[],
  options: { readonly title: string; readonly yTitle: string; readonly xTitle?: string; readonly height?: number; readonly logY?: boolean },
): PlotlyFigure {
  const { title, yTitle, xTitle = "", height = 340, logY = false } = options;
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "bar",
    name: s.name,
    x: [...categories],
    y: Array.from(s.values),
    ...(s.color ? { marker: { color: s.color } } : {}),
  }));
  const layout = baseLayout(title, xTitle, yTitle, height);
  return {
    data,
    layout: { ...layout, xaxis: { ...layout.xaxis, type: "category" }, yaxis: { ...layout.yaxis, type: logY ? "log" : "linear" }, barmode: "group" },
  };
}

/**
 * Several series over a shared x (e.g. every axis over `time_s`), each
 * decimated with {@link decimateMinMax}.
 *
 * @param x shared positions
 * @param series values per series, aligned with `x`
 * @param options `title` (required), `xTitle` (default "time_s (s)"), `yTitle` (default "value"),
 *   `mode` (default "markers"), `maxPoints` per series (default 2000), `height` (default 420),
 *   `clock`: `x` is seconds since `clock.time0` and is drawn in UTC clock time (a `date` axis; `xTitle` ignored)
 * @example
 * import { lineChart } from "mlbox";
 * lineChart(Float64Array.of(0, 60), [{ name: "axis1", values: [1, 2] }], { title: "Raw series", clock: { time0: 1666075471, time_type: "timestamptz" } });
 */
export function lineChart(
  x: Float64Array,
  series: readonly NamedSeries[],
  options: {
    readonly title: string;
    readonly xTitle?: string;
    readonly yTitle?: string;
    readonly mode?: "markers" | "lines";
    readonly maxPoints?: number;
    readonly height?: number;
    readonly clock?: ChartClock;
  },
): PlotlyFigure {
  const { title, xTitle = "time_s (s)", yTitle = "value", mode = "markers", maxPoints = DEFAULT_MAX_POINTS, height = 420, clock } = options;
  const time = clock === undefined ? undefined : timeAxis(clock);
  const data: PlotlyTrace[] = series.map((s) => ({
    type: "scatter",
    mode,
    name: s.name,
    ...seriesFrom(decimateMinMax(x, s.values, maxPoints), time),
    ...(mode === "markers" ? { marker: { size: 3, ...(s.color ? { color: s.color } : {}) } } : { line: { width: 1.5, ...(s.color ? { color: s.color } : {}) } }),
  }));
  const layout = baseLayout(title, xTitle, yTitle, height);
  return { data, layout: time === undefined ? layout : withTimeAxis(layout, time) };
}
