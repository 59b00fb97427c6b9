/**
 * Charts of a `model.type: pca` model (docs/pca.md) for the notebooks: the
 * slow-axis test (03), the explained variance of the components (04), T² and
 * SPE over time against their limits with events shaded (06, 08), and each
 * multivariate event's contributions (08). Own file, so the per-axis chart
 * builders stay as they are.
 */
import { decimateMinMax } from "./decimate";
import { CHART_COLORS, DEFAULT_MAX_POINTS, baseLayout, finiteRange, horizontalLine, seriesFrom, withTimeAxis, type PlotlyFigure, type PlotlyShape, type PlotlyTrace } from "./figure";
import { timeAxis, type ChartClock } from "./timeAxis";
import { formatNumber } from "../core/formatNumber";
import type { PcaArtifact } from "../shapes/pcaArtifacts";
import type { AxisThresholds } from "../shapes/types";

/** Samples of the moving average of the slow-axis test (lib/shapes/pcaArtifacts.ts SLOW_WINDOW_SAMPLES). */
const NOISE_SHARE_WINDOW = 31;

/**
 * Bar chart of the slow-axis test per axis: the share of its variance its 31-sample moving average keeps
 * (`pca.json` `slow_ratio`), against `model.slow_ratio` (an axis above it enters as its first difference)
 * and 1/31 (what noise around a level keeps).
 *
 * @example
 * showChart(slowAxisChart(trained.pca)); // bars per axis, the threshold dashed
 */
export function slowAxisChart(pca: Pick<PcaArtifact, "axes" | "slow_ratio" | "slow_threshold" | "differenced">): PlotlyFigure {
  const slow = pca.axes.filter((_, j) => pca.differenced[j]);
  const title = `Slow-axis test: variance share of the ${NOISE_SHARE_WINDOW}-sample moving average (${slow.length === 0 ? "no axis slow" : `slow: ${slow.join(", ")}`})`;
  const x = [...pca.axes];
  const bars: PlotlyTrace = {
    type: "bar",
    name: "moving-average share",
    x,
    y: [...pca.slow_ratio],
    marker: { color: CHART_COLORS.bars },
    text: pca.axes.map((_, j) => (pca.differenced[j] ? "slow: enters as its first difference" : "enters as its level")),
    hovertemplate: "%{x}: %{y:.4f}<br>%{text}<extra></extra>",
  };
  // Reference levels as lines through every category (a category axis places points by name).
  const level = (name: string, value: number, color: string, dash: "dash" | "dot"): PlotlyTrace => ({
    type: "scatter",
    mode: "lines",
    name,
    x,
    y: x.map(() => value),
    line: { color, width: 2, dash },
    hovertemplate: `${name}<extra></extra>`,
  });
  const layout = baseLayout(title, "axis", "var(moving average) / var(values)", 360);
  return {
    data: [
      bars,
      level(`model.slow_ratio ${formatNumber(pca.slow_threshold)}: above it an axis is slow`, pca.slow_threshold, CHART_COLORS.maxc, "dash"),
      level(`noise around a level ≈ 1/${NOISE_SHARE_WINDOW}`, 1 / NOISE_SHARE_WINDOW, CHART_COLORS.zeros, "dot"),
    ],
    layout: { ...layout, margin: { ...layout.margin, b: 80 }, xaxis: { ...layout.xaxis, type: "category" }, yaxis: { ...layout.yaxis, type: "linear" } },
  };
}

/**
 * Bars of each principal component's share of the standardised variance (kept components blue, the
 * others grey) with the cumulative share as a line and the `model.explained_variance` target.
 *
 * @example
 * showChart(explainedVarianceChart(version.pca)); // "Explained variance: 3 of 8 components keep 96.1 %…"
 */
export function explainedVarianceChart(pca: Pick<PcaArtifact, "eigenvalues" | "components" | "explained" | "explained_variance">): PlotlyFigure {
  const total = pca.eigenvalues.reduce((sum, v) => sum + v, 0);
  const shares = pca.eigenvalues.map((v) => (total > 0 ? v / total : 0));
  let running = 0;
  const cumulative = shares.map((s) => (running += s));
  const x = shares.map((_, k) => k + 1);
  const title = `Explained variance: ${pca.components} of ${shares.length} components keep ${(100 * pca.explained).toFixed(1)} % (target ${formatNumber(100 * pca.explained_variance)} %)`;
  const layout = baseLayout(title, "principal component", "share of the standardised variance", 380);
  return {
    data: [
      { type: "bar", name: "kept", x: x.slice(0, pca.components), y: shares.slice(0, pca.components), marker: { color: CHART_COLORS.bars } },
      { type: "bar", name: "left out (SPE)", x: x.slice(pca.components), y: shares.slice(pca.components), marker: { color: CHART_COLORS.zeros } },
      { type: "scatter", mode: "lines+markers", name: "cumulative", x, y: cumulative, line: { color: CHART_COLORS.fit, width: 2 } },
      horizontalLine(`model.explained_variance ${formatNumber(pca.explained_variance)}`, pca.explained_variance, [0.5, shares.length + 0.5], CHART_COLORS.maxc, "dash"),
    ],
    layout: { ...layout, yaxis: { ...layout.yaxis, type: "linear" }, barmode: "overlay" },
  };
}

/** An event (from the scorer) as {@link pcaStatisticCharts} shades it: its channel, level and span in seconds of the chart's x. */
export interface StatisticSpan {
  readonly axis: string;
  readonly level: string;
  readonly startS: number;
  /** Last sample; null while open (shaded to the last row). */
  readonly endS: number | null;
}

/**
 * One chart per pca statistic (T², SPE) over time with its alert (MinC, dotted) and error (MaxC, dash-dot)
 * levels, a log y axis (both statistics are positive and skewed), and events shaded (alert orange, error
 * red; at least 0.2 % of the span wide).
 *
 * @param x time of every sample in seconds since the version's `time0` (`time_s`), aligned with the statistics
 * @param statistics `{ T2, SPE }` per sample (NaN where missing or idle)
 * @param thresholds the version's `T2` and `SPE` entries of thresholds.json
 * @param options `title` (what the values are, e.g. "training window"), `events` (`startS`/`endS` in `time_s`),
 *   `clock` (the version's or preparation's `prepStats`): x in UTC clock time as the other charts (./timeAxis; default
 *   `time_s`), `xTitle` (default the clock's axis title)
 * @example
 * import { DEFAULT_THRESHOLD_POLICY, pcaStatisticCharts } from "mlbox";
 * const t = { MinC: 1, MaxC: 2, T_long_steps: 1, T_short_steps: 1, dt_seconds: 60, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "heldout_blocks=4" } };
 * pcaStatisticCharts(Float64Array.of(0, 60), { T2: [0.5, 1.5], SPE: [0.2, 0.3] }, { T2: t, SPE: t }, { title: "window", clock: { time0: 1666075471, time_type: "timestamptz" } })[0].layout.xaxis.type; // "date"
 */
export function pcaStatisticCharts(
  x: Float64Array,
  statistics: Readonly<Record<"T2" | "SPE", ArrayLike<number>>>,
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: { readonly title: string; readonly events?: readonly StatisticSpan[]; readonly xTitle?: string; readonly maxPoints?: number; readonly clock?: ChartClock },
): PlotlyFigure[] {
  const time = timeAxis(options.clock);
  const { title, events = [], xTitle = time.title, maxPoints = DEFAULT_MAX_POINTS } = options;
  const range = finiteRange(x);
  const span = [time.at(range[0]), time.at(range[1])] as const;
  const minWidth = 0.002 * (range[1] - range[0]);
  return (["T2", "SPE"] as const).map((channel) => {
    const values = statistics[channel];
    const limits = thresholds[channel];
    const series = decimateMinMax(x, values, maxPoints);
    let above = 0;
    let finite = 0;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) continue;
      finite++;
      if (limits !== undefined && values[i] >= limits.MinC) above++;
    }
    const label = channel === "T2" ? "T² (in the component space)" : "SPE (off it: squared reconstruction error)";
    const data: PlotlyTrace[] = [
      { type: "scatter", mode: "lines", name: channel === "T2" ? "T²" : "SPE", ...seriesFrom(series, time), line: { color: CHART_COLORS.residual, width: 1 } },
    ];
    if (limits !== undefined) {
      data.push(horizontalLine(`MinC (alert) ${formatNumber(limits.MinC)}`, limits.MinC, span, CHART_COLORS.minc, "dot"));
      data.push(horizontalLine(`MaxC (error) ${formatNumber(limits.MaxC)}`, limits.MaxC, span, CHART_COLORS.maxc, "dashdot"));
    }
    const mine = events.filter((e) => e.axis === channel);
    const shapes: PlotlyShape[] = mine.map((e) => ({
      type: "rect",
      xref: "x",
      yref: "paper",
      x0: time.at(e.startS),
      x1: time.at(Math.max(e.endS ?? range[1], e.startS + minWidth)),
      y0: 0,
      y1: 1,
      fillcolor: e.level === "alert" ? CHART_COLORS.minc : CHART_COLORS.maxc,
      opacity: e.level === "alert" ? 0.18 : 0.3,
      line: { width: 0 },
      layer: "below",
    }));
    const share = finite > 0 ? (100 * above) / finite : 0;
    const heading = `${channel}: ${title} against its limits (${share.toFixed(2)} % of samples ≥ MinC${options.events === undefined ? "" : `, ${mine.length} event${mine.length === 1 ? "" : "s"}`})`;
    const layout = withTimeAxis(baseLayout(heading, xTitle, label, 380), { ...time, title: xTitle });
    return { data, layout: { ...layout, yaxis: { ...layout.yaxis, type: "log" }, shapes } };
  });
}

/** One axis's part of a multivariate event (an event's `contributions` entry). */
export interface ContributionLike {
  readonly axis: string;
  readonly share: number;
  readonly value: number;
  readonly expected: number;
}

/** What {@link contributionChart} reads of an event. */
export interface ExplainedEvent {
  readonly axis: string;
  readonly level: string;
  readonly fired_at: number | string;
  readonly peak_residual: number;
  readonly threshold: number;
  readonly contributions?: readonly ContributionLike[] | null;
}

/**
 * Bar chart of one multivariate event's contributions: each axis's share of the statistic at the event's
 * peak, largest first; under each bar the axis, its value and what the model expected there (its own
 * units), so the chart reads "value vs expected" without hovering.
 *
 * @param index the event's number in its list (shown in the title, so titles stay unique)
 * @example
 * showChart(contributionChart(events[0], 1)); // "#1 T2 alert at 2022-…: b 62 % (3.4, expected 2.1)"
 */
export function contributionChart(event: ExplainedEvent, index: number): PlotlyFigure {
  const parts = event.contributions ?? [];
  const top = parts[0];
  const lead = top === undefined ? "no contributions" : `${top.axis} ${(100 * top.share).toFixed(0)} % (${formatNumber(top.value)}, expected ${formatNumber(top.expected)})`;
  const title = `#${index} ${event.axis} ${event.level} at ${event.fired_at}: ${lead}`;
  const layout = baseLayout(title, "axis: value, expected (largest share first)", `share of ${event.axis} at the peak (${formatNumber(event.peak_residual)} vs ${formatNumber(event.threshold)})`, 320);
  return {
    data: [
      {
        type: "bar",
        name: "share",
        x: parts.map((p) => `${p.axis}<br>${formatNumber(p.value, 4)}<br>exp. ${formatNumber(p.expected, 4)}`),
        y: parts.map((p) => p.share),
        marker: { color: event.level === "alert" ? CHART_COLORS.minc : CHART_COLORS.maxc },
        hovertemplate: "%{y:.1%} of the statistic<br>%{x}<extra></extra>",
      },
    ],
    layout: { ...layout, margin: { ...layout.margin, b: 80 }, xaxis: { ...layout.xaxis, type: "category" }, yaxis: { ...layout.yaxis, type: "linear" } },
  };
}
