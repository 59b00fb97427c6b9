/**
 * Views of `selection.json` for notebooks and the detection benchmark: the
 * candidates as a table, and their detection curves (recall and detection
 * delay against false alarms per hour as the alert level is swept).
 */
import type { Selection } from "../shapes/artifacts";
import { CHART_COLORS, type PlotlyFigure, type PlotlyTrace } from "./figure";
import { chartHtml, escapeHtml, htmlPage, plotlyScriptHtml } from "./html";
import { tableHtml } from "./display";
import { formatNumber } from "../core/formatNumber";

/** One row of {@link selectionRows}. */
export interface SelectionRow {
  /** `linear + residual`, …; the first row is the default rule at the config's percentile. */
  readonly candidate: string;
  /** The matched alert level (the default's own for the first row); null when no level matched. */
  readonly minc_percentile: number | null;
  readonly false_alarms: number | null;
  readonly false_alarms_per_hour: number | null;
  /** `caught/injected`, or "" when no level matched. */
  readonly caught: string;
  readonly recall: number | null;
  readonly median_delay_seconds: number | null;
  /** "chosen" on the chosen candidate's row, else "". */
  readonly chosen: string;
}

const label = (c: { readonly model?: string; readonly statistic?: string }): string => `${c.model} + ${c.statistic}`;

/**
 * The selection as table rows: first the default rule (linear + residual at the config's
 * `minc_percentile`: the false-alarm budget), then every candidate at its matched level (best recall at
 * no more false alarms than the default), the chosen one marked.
 */
export function selectionRows(selection: Selection): SelectionRow[] {
  const d = selection.default;
  const rows: SelectionRow[] = [
    {
      candidate: `default: ${label(d)}`,
      minc_percentile: d.minc_percentile,
      false_alarms: d.false_alarms,
      false_alarms_per_hour: d.false_alarms_per_hour,
      caught: `${d.caught}/${d.injected}`,
      recall: d.recall,
      median_delay_seconds: d.median_delay_seconds,
      chosen: "",
    },
  ];
  for (const c of selection.candidates) {
    rows.push({
      candidate: label(c),
      minc_percentile: c.minc_percentile,
      false_alarms: c.false_alarms,
      false_alarms_per_hour: c.false_alarms_per_hour,
      caught: c.caught === null ? "" : `${c.caught}/${c.injected}`,
      recall: c.recall,
      median_delay_seconds: c.median_delay_seconds,
      chosen: c.model === selection.chosen.model && c.statistic === selection.chosen.statistic ? "chosen" : "",
    });
  }
  return rows;
}

/** Distinct colors for up to 12 candidates (plotly's defaults, then the D3 category set). */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"];

function curvesChart(selection: Selection, y: "recall" | "median_delay_seconds", title: string, yTitle: string): PlotlyFigure {
  const data: PlotlyTrace[] = selection.candidates.map((c, i) => {
    const chosen = c.model === selection.chosen.model && c.statistic === selection.chosen.statistic;
    return {
      type: "scatter",
      mode: "lines+markers",
      name: `${label(c)}${chosen ? " (chosen)" : ""}`,
      x: c.curve.map((p) => p.false_alarms_per_hour),
      y: c.curve.map((p) => p[y]),
      text: c.curve.map((p) => `minc_percentile ${formatNumber(p.minc_percentile)}: ${p.caught}/${p.injected} caught, ${p.false_alarms} false alarms`),
      line: { color: PALETTE[i % PALETTE.length], width: chosen ? 3.5 : 1.5 },
      marker: { size: chosen ? 7 : 5 },
      hovertemplate: `${label(c)}<br>%{text}<extra></extra>`,
    };
  });
  const d = selection.default;
  const top = y === "recall" ? 1 : Math.max(1, ...selection.candidates.flatMap((c) => c.curve.map((p) => p.median_delay_seconds ?? 0)));
  data.push({
    type: "scatter",
    mode: "lines",
    name: `default's false alarms (${formatNumber(d.false_alarms_per_hour, 3)}/h)`,
    x: [d.false_alarms_per_hour, d.false_alarms_per_hour],
    y: [0, top],
    line: { color: CHART_COLORS.zeroLine, width: 1.5, dash: "dash" },
    hovertemplate: "the default's false alarms: candidates are compared at or left of this line<extra></extra>",
  });
  data.push({
    type: "scatter",
    mode: "markers",
    name: `default: ${label(d)} at ${formatNumber(d.minc_percentile)}`,
    x: [d.false_alarms_per_hour],
    y: [d[y]],
    marker: { color: CHART_COLORS.maxc, size: 12 },
    hovertemplate: `default: ${d.caught}/${d.injected} caught, ${d.false_alarms} false alarms<extra></extra>`,
  });
  return {
    data,
    layout: {
      title: { text: title, x: 0.01, xanchor: "left", y: 0.97, yanchor: "top" },
      xaxis: { title: { text: "false alarms per hour on the clean validation part" } },
      yaxis: { title: { text: yTitle } },
      height: 520,
      margin: { l: 70, r: 40, t: 110, b: 50 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" },
      hovermode: "closest",
    },
  };
}

/**
 * Detection curves: per candidate, recall of the injected anomalies against false alarms per hour on
 * the clean validation part, one point per swept `minc_percentile` (hover shows it); the default rule's
 * point and its false-alarm rate (dashed) mark where candidates are compared. The chosen one is drawn
 * thicker.
 */
export function detectionCurvesChart(selection: Selection): PlotlyFigure {
  return curvesChart(selection, "recall", "Recall of injected anomalies vs false alarms (alert level swept)", "recall (caught / injected)");
}

/** Like {@link detectionCurvesChart}, with the median detection delay (seconds from anomaly start to the alert firing) on the y axis. */
export function detectionDelayChart(selection: Selection): PlotlyFigure {
  return curvesChart(selection, "median_delay_seconds", "Median detection delay vs false alarms (alert level swept)", "median detection delay (s)");
}

/**
 * A self-contained HTML page (plotly.js inlined, works offline): `introHtml` (trusted HTML, e.g. a
 * measured table), the selection table, and both curve charts.
 */
export function selectionPageHtml(title: string, selection: Selection, introHtml = ""): string {
  return htmlPage(title, {
    head: ["<style>body{font-family:sans-serif;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>", plotlyScriptHtml()],
    body: [
      `<h1>${escapeHtml(title)}</h1>`,
      introHtml,
      `<p>${escapeHtml(`Chosen: ${label(selection.chosen)} at minc_percentile ${formatNumber(selection.chosen.minc_percentile)} — ${selection.chosen.reason}`)}</p>`,
      tableHtml(selectionRows(selection), { maxRows: 100, caption: "Candidates at matched false alarms" }),
      chartHtml(detectionCurvesChart(selection)),
      chartHtml(detectionDelayChart(selection)),
    ],
  });
}
