/**
 * Display helpers for notebooks (tslab): tables and charts in one call each,
 * so notebook cells stay one-liners.
 *
 * Everything is emitted as `text/html` (the only rich type JupyterLab 4 and
 * nbconvert's HTML export both render without extensions). The first chart
 * shown in a kernel session also emits plotly.js itself, inlined once; later
 * charts reuse `window.Plotly`. Nothing is ever fetched from a CDN.
 *
 * The `...Html` functions are pure and usable anywhere; the `show...`
 * functions send HTML to the notebook through `tslab.display`.
 */
import type { Display } from "tslab";
import type { Profile } from "../stages/analyze";
import type { PlotlyFigure } from "./figure";
import { chartHtml, escapeHtml, plotlyScriptHtml } from "./html";
import { markdownHtml } from "./markdown";
import { formatNumber } from "../core/formatNumber";
import { relabelFigure, relabelHtml, type AxisNames } from "./axisNames";

/** Where `show...` functions send HTML: tslab's `display` in a notebook. */
export interface HtmlSink {
  html(html: string): void;
}

let sink: HtmlSink | undefined;
let plotlyEmitted = false;
let shownAxisNames: AxisNames = new Map();

/**
 * Shows axes by display names from now on in every chart, table and text of the `show...` functions
 * (see lib/views/axisNames.ts; the notebooks pass `data.axis_labels`/`data.units` through `axisNames`).
 * An empty map (the default) shows the column names.
 * @example
 * useAxisNames(axisNames(config.data.axes, config.data));
 */
export function useAxisNames(names: AxisNames): void {
  shownAxisNames = names;
}

/**
 * Replaces the display target of the `show...` functions (tests, other
 * frontends) and forgets that plotly.js was emitted; `undefined` restores
 * tslab's display.
 */
export function useDisplay(target: HtmlSink | undefined): void {
  sink = target;
  plotlyEmitted = false;
}

function currentSink(): HtmlSink {
  if (sink) return sink;
  // Loaded lazily so that importing the library outside a notebook never loads tslab.
  const tslab = require("tslab") as { display: Display };
  return tslab.display;
}

/** Default row limit of {@link tableHtml}. */
export const DEFAULT_MAX_ROWS = 20;

/** The parts of a danfo DataFrame that tables read (danfo's `DataFrame` satisfies it). */
export interface DataFrameLike {
  readonly columns: readonly string[];
  readonly shape: readonly number[];
  head(rows?: number): { readonly values: unknown; readonly index: readonly (string | number)[] };
}

/** What {@link tableHtml} renders: a danfo DataFrame, an array of row objects, or an object of equal-length columns. */
export type TableSource = DataFrameLike | readonly object[] | Readonly<Record<string, ArrayLike<unknown>>>;

/** Options of {@link tableHtml}. */
export interface TableOptions {
  /** Most rows shown (the first ones); defaults to {@link DEFAULT_MAX_ROWS}. */
  readonly maxRows?: number;
  /** Caption above the table; defaults to none. */
  readonly caption?: string;
  /** Significant digits of non-integer numbers; defaults to 6. */
  readonly digits?: number;
}

function isDataFrameLike(value: unknown): value is DataFrameLike {
  const v = value as Partial<DataFrameLike> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.columns) && Array.isArray(v.shape) && typeof v.head === "function";
}

/** Text of one table cell: numbers as {@link formatNumber} writes them, objects as JSON, null/undefined as empty. */
export function cellText(value: unknown, digits = 6): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value, digits);
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${Array.from(value as unknown as ArrayLike<number>, (v) => cellText(v, digits)).join(", ")}]`;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

interface Grid {
  readonly columns: readonly string[];
  readonly index?: readonly (string | number)[];
  readonly rows: readonly (readonly unknown[])[];
  readonly totalRows: number;
}

function toGrid(source: TableSource, maxRows: number): Grid {
  if (isDataFrameLike(source)) {
    const totalRows = source.shape[0] ?? 0;
    if (totalRows === 0 || maxRows === 0) return { columns: source.columns, rows: [], totalRows };
    const head = source.head(Math.min(maxRows, totalRows));
    const values = head.values as readonly unknown[];
    const rows = values.map((row) => (Array.isArray(row) ? row : [row]));
    return { columns: source.columns, index: head.index, rows, totalRows };
  }
  if (Array.isArray(source)) {
    const objects = source as readonly Record<string, unknown>[];
    const columns: string[] = [];
    const seen = new Set<string>();
    const shown = objects.slice(0, maxRows);
    for (const row of shown) {
      for (const key of Object.keys(row)) {
        if (!seen.has(key)) {
          seen.add(key);
          columns.push(key);
        }
      }
    }
    return { columns, rows: shown.map((row) => columns.map((c) => row[c])), totalRows: objects.length };
  }
  const record = source as Readonly<Record<string, ArrayLike<unknown>>>;
  const columns = Object.keys(record);
  const totalRows = columns.reduce((n, c) => Math.max(n, record[c].length), 0);
  const rows: unknown[][] = [];
  for (let i = 0; i < Math.min(maxRows, totalRows); i++) rows.push(columns.map((c) => record[c][i]));
  return { columns, rows, totalRows };
}

/**
 * An HTML table of `source` (first `maxRows` rows), every value escaped,
 * with a note of how many rows exist when some are not shown.
 *
 * @param source a danfo DataFrame, an array of row objects, or an object of columns
 * @param options `maxRows` (default 20), `caption` (default none), `digits` (default 6)
 */
export function tableHtml(source: TableSource, options: TableOptions = {}): string {
  const { maxRows = DEFAULT_MAX_ROWS, caption, digits = 6 } = options;
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new RangeError(`tableHtml: maxRows must be a whole number >= 0, got ${maxRows}`);
  const grid = toGrid(source, maxRows);
  const hasIndex = grid.index !== undefined;
  const head =
    "<thead><tr>" +
    (hasIndex ? "<th></th>" : "") +
    grid.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("") +
    "</tr></thead>";
  const body = grid.rows
    .map((row, r) => {
      const cells = grid.columns.map((_c, i) => {
        const value = row[i];
        const align = typeof value === "number" ? ' style="text-align:right"' : "";
        return `<td${align}>${escapeHtml(cellText(value, digits))}</td>`;
      });
      const indexCell = hasIndex ? `<th>${escapeHtml(String(grid.index?.[r] ?? r))}</th>` : "";
      return `<tr>${indexCell}${cells.join("")}</tr>`;
    })
    .join("");
  const captionHtml = caption === undefined ? "" : `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(caption)}</caption>`;
  const shown = grid.rows.length;
  const note =
    grid.totalRows === 0
      ? '<p class="mlbox-table-note">no rows</p>'
      : shown < grid.totalRows
      ? `<p class="mlbox-table-note">showing ${shown} of ${grid.totalRows} rows × ${grid.columns.length} columns</p>`
      : `<p class="mlbox-table-note">${grid.totalRows} rows × ${grid.columns.length} columns</p>`;
  return `<div class="mlbox-table"><table class="dataframe">${captionHtml}${head}<tbody>${body}</tbody></table>${note}</div>`;
}

/**
 * A two-column key/value table of a flat object (nested values as JSON),
 * e.g. a config block, `PrepStats` or a registry entry's metadata.
 *
 * @param record the object to show
 * @param options `caption` (default none), `digits` (default 6)
 */
export function keyValueHtml(record: object, options: { readonly caption?: string; readonly digits?: number } = {}): string {
  const { caption, digits = 6 } = options;
  const rows = Object.entries(record).map(([key, value]) => ({ key, value: typeof value === "number" ? value : cellText(value, digits) }));
  return tableHtml(rows, { maxRows: rows.length, caption, digits });
}

/** Sends raw HTML to the notebook. */
export function showHtml(html: string): void {
  currentSink().html(html);
}

/** Shows a heading-less paragraph of escaped text (for short notes between outputs). */
export function showText(text: string): void {
  showHtml(relabelHtml(`<p>${escapeHtml(text)}</p>`, shownAxisNames));
}

/**
 * Shows a few sentences written in markdown (paragraphs, `- ` lists, fenced code, `code`, **bold**; see
 * {@link markdownHtml}), e.g. the threshold notes or the selection advice.
 */
export function showMarkdown(markdown: string): void {
  showHtml(relabelHtml(markdownHtml(markdown), shownAxisNames));
}

/**
 * Shows a table of a danfo DataFrame, an array of row objects or an object
 * of columns (see {@link tableHtml}: `maxRows` defaults to 20).
 */
export function showTable(source: TableSource, options: TableOptions = {}): void {
  showHtml(relabelHtml(tableHtml(source, options), shownAxisNames));
}

/** Shows a key/value table of a flat object (see {@link keyValueHtml}). */
export function showRecord(record: object, options: { readonly caption?: string; readonly digits?: number } = {}): void {
  showHtml(relabelHtml(keyValueHtml(record, options), shownAxisNames));
}

/**
 * The HTML for a chart in this kernel session: the first call's HTML also
 * carries plotly.js (inlined), later calls only the chart.
 */
export function sessionChartHtml(figure: PlotlyFigure): string {
  const library = plotlyEmitted ? "" : plotlyScriptHtml() + "\n";
  plotlyEmitted = true;
  return library + chartHtml(figure);
}

/** Shows an interactive plotly chart (plotly.js is embedded with the first chart of the session). */
export function showChart(figure: PlotlyFigure): void {
  showHtml(sessionChartHtml(relabelFigure(figure, shownAxisNames)));
}

/** Shows several charts, one output each. */
export function showCharts(figures: readonly PlotlyFigure[]): void {
  for (const figure of figures) showChart(figure);
}

/**
 * Emits plotly.js again in the next chart, e.g. after the output holding it
 * was cleared and the page reloaded.
 */
export function reloadPlotly(): void {
  plotlyEmitted = false;
}

/**
 * The HTML of an extraction profile (from `analyze`): rows, sampling
 * interval and time span, then one table row per axis.
 */
export function profileHtml(profile: Profile): string {
  const summary = {
    rows: profile.rows,
    dt_seconds: profile.dt_seconds,
    first_time: profile.first_time,
    last_time: profile.last_time,
    span_seconds: profile.last_time - profile.first_time,
  };
  return (
    keyValueHtml(summary, { caption: "Window", digits: 12 }) +
    tableHtml(profile.axes, { maxRows: profile.axes.length, caption: `Axes (${profile.axes.length})` })
  );
}

/** Shows an extraction profile (see {@link profileHtml}). */
export function showProfile(profile: Profile): void {
  showHtml(profileHtml(profile));
}
