/**
 * The plotly.js figure spec ML Box builds (`{ data, layout }`, only the keys
 * it uses typed), the colors and limits every chart shares, and the small
 * pieces the chart builders compose: the common layout, a decimated series
 * as trace points, a horizontal line across the time span.
 */
import type { DecimatedSeries } from "./decimate";
import type { TimeAxis } from "./timeAxis";

/** Default maximum number of points per trace after decimation. */
export const DEFAULT_MAX_POINTS = 2000;

/** Significant digits of the numbers written into chart JSON. */
export const CHART_SIGNIFICANT_DIGITS = 8;

/** Colors shared by every chart so that a color means the same thing everywhere. */
export const CHART_COLORS = Object.freeze({
  data: "#1f77b4",
  fit: "#ff7f0e",
  zeros: "#9e9e9e",
  residual: "#4c72b0",
  zeroLine: "#222222",
  minc: "#e6a100",
  maxc: "#d62728",
  bars: "#4c72b0",
});

/** One plotly.js trace (only the keys ML Box uses). */
export interface PlotlyTrace {
  readonly type: "scatter" | "bar" | "heatmap";
  readonly name: string;
  readonly x: readonly (number | string)[];
  readonly y: readonly (number | string | null)[];
  /** Heatmap values, one row per `y`. */
  readonly z?: readonly (readonly (number | null)[])[];
  readonly zmin?: number;
  readonly zmax?: number;
  readonly colorscale?: string | readonly (readonly [number, string])[];
  readonly colorbar?: { readonly title?: { readonly text: string } };
  /** Heatmap cell labels (`texttemplate: "%{text}"`). */
  readonly texttemplate?: string;
  /** Horizontal bars: `x` are lengths from `base`, `y` the lanes. */
  readonly orientation?: "h" | "v";
  readonly base?: readonly (number | string)[];
  readonly width?: number | readonly number[];
  readonly legendgroup?: string;
  readonly mode?: "markers" | "lines" | "lines+markers";
  readonly marker?: {
    readonly color?: string;
    readonly size?: number;
    readonly opacity?: number;
    readonly symbol?: string;
    /** Bar fill pattern (e.g. "/" hatching), so levels differ without colour. */
    readonly pattern?: { readonly shape: "" | "/" | "\\" | "x" | "-" | "|" | "+" | "."; readonly fgcolor?: string; readonly bgcolor?: string; readonly solidity?: number };
    readonly line?: { readonly color?: string; readonly width?: number };
  };
  readonly fill?: "toself" | "none";
  readonly fillcolor?: string;
  readonly opacity?: number;
  readonly line?: { readonly color?: string; readonly width?: number; readonly dash?: "solid" | "dash" | "dot" | "dashdot" };
  readonly showlegend?: boolean;
  readonly hovertemplate?: string;
  readonly hoverinfo?: "skip" | "text" | "none";
  /** Where bar `text` is drawn; "none": only in the hover. */
  readonly textposition?: "none" | "auto" | "inside" | "outside";
  /** Per-point text, shown by `%{text}` in a hovertemplate. */
  readonly text?: readonly string[];
  /** Hidden until clicked in the legend ("legendonly"). */
  readonly visible?: boolean | "legendonly";
}

/** A plotly.js layout (only the keys ML Box sets are typed; plotly accepts more). */
export interface PlotlyLayout {
  readonly title: { readonly text: string; readonly x?: number; readonly xanchor?: "left" | "center" | "right"; readonly y?: number; readonly yanchor?: "top" | "middle" | "bottom" };
  readonly xaxis: { readonly title: { readonly text: string }; readonly type?: "linear" | "log" | "category" | "date"; readonly range?: readonly (number | string)[] };
  readonly yaxis: {
    readonly title: { readonly text: string };
    readonly type?: "linear" | "log" | "category" | "date";
    readonly zeroline?: boolean;
    readonly autorange?: boolean | "reversed";
    /** Category order (e.g. timeline lanes as given). */
    readonly categoryorder?: "array" | "trace";
    readonly categoryarray?: readonly string[];
    readonly range?: readonly (number | string)[];
  };
  readonly height: number;
  readonly margin: { readonly l: number; readonly r: number; readonly t: number; readonly b: number };
  readonly legend: {
    readonly orientation: "h" | "v";
    readonly x?: number;
    readonly y?: number;
    readonly xanchor?: "left" | "center" | "right";
    readonly yanchor?: "top" | "middle" | "bottom";
  };
  readonly hovermode?: "closest" | "x" | "x unified";
  readonly barmode?: "group" | "overlay" | "stack";
  readonly bargap?: number;
  /** Shaded spans (e.g. scoring events) drawn below the traces. */
  readonly shapes?: readonly PlotlyShape[];
}

/** A plotly.js layout shape: here only rectangles spanning the plot's height. */
export interface PlotlyShape {
  readonly type: "rect";
  readonly xref: "x";
  readonly yref: "paper";
  readonly x0: number | string;
  readonly x1: number | string;
  readonly y0: number;
  readonly y1: number;
  readonly fillcolor: string;
  readonly opacity: number;
  readonly line: { readonly width: number; readonly color?: string; readonly dash?: "solid" | "dash" | "dot" | "dashdot" };
  readonly layer: "below" | "above";
  /** Shapes with a legend entry (plotly.js ≥ 2.26): the name shown, and the group it toggles with. */
  readonly name?: string;
  readonly showlegend?: boolean;
  readonly legendgroup?: string;
}

/** A plotly.js figure spec: what `Plotly.newPlot(div, data, layout)` takes. */
export interface PlotlyFigure {
  readonly data: readonly PlotlyTrace[];
  readonly layout: PlotlyLayout;
}

/** The layout every chart starts from: title top left, legend above the plot. */
export const baseLayout = (title: string, xTitle: string, yTitle: string, height: number): PlotlyLayout => ({
  title: { text: title, x: 0.01, xanchor: "left", y: 0.97, yanchor: "top" },
  xaxis: { title: { text: xTitle } },
  yaxis: { title: { text: yTitle } },
  height,
  margin: { l: 70, r: 40, t: 80, b: 50 },
  legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" },
  hovermode: "closest",
});

/** A decimated series as a trace's `x` and `y`; `time` turns x (seconds) into clock time (see ./timeAxis). */
export const seriesFrom = (s: DecimatedSeries, time?: TimeAxis): { x: (number | string)[]; y: number[] } => ({ x: time === undefined ? Array.from(s.x) : time.x(s.x), y: Array.from(s.y) });

/** `layout` with its x axis titled and typed for `time` (a `date` axis for clock time). */
export const withTimeAxis = (layout: PlotlyLayout, time: TimeAxis): PlotlyLayout => ({
  ...layout,
  xaxis: { ...layout.xaxis, title: { text: time.title }, type: time.type },
});

/** First and last finite value of `x`, or [0, 0] when there is none. */
export function finiteRange(x: ArrayLike<number>): readonly [number, number] {
  // From both ends: times are finite but for the rare row, so this reads a few values, not the column.
  let first = 0;
  while (first < x.length && !Number.isFinite(x[first])) first++;
  if (first === x.length) return [0, 0];
  let last = x.length - 1;
  while (!Number.isFinite(x[last])) last--;
  return [x[first], x[last]];
}

/** A line at `value` from `x0` to `x1` (e.g. zero, MinC, MaxC across the time span). */
export const horizontalLine = (
  name: string,
  value: number,
  [x0, x1]: readonly [number | string, number | string],
  color: string,
  dash: "solid" | "dash" | "dot" | "dashdot",
): PlotlyTrace => ({
  type: "scatter",
  mode: "lines",
  name,
  x: [x0, x1],
  y: [value, value],
  line: { color, width: 2, dash },
  hovertemplate: `${name}<extra></extra>`,
});

