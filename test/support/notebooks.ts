/**
 * Helpers for the notebook tests: a throw-away config (temp registry, temp
 * embedded database), a private Jupyter kernelspec, reading executed
 * notebooks, and the outputs each notebook must produce.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { jupyterEnv, writePrivateKernelspec } from "../../scripts/notebooks";
import { PROJECT_ROOT } from "../../scripts/install-kernel";

/**
 * Writes `<dir>/config.yaml`: the parity config (test/fixtures/parity.yaml: the demo
 * data with the code's defaults, linear + residual, whose numbers the expectations
 * below describe) with registry, plots and embedded database inside `dir`; with `layout: "long"` it trains on the LONG
 * demo table `stream_samples` (axis ids 1..8, columns `axis<id>`) instead.
 */
export function writeTestConfig(dir: string, options: { readonly layout?: "wide" | "long" } = {}): string {
  const { layout = "wide" } = options;
  mkdirSync(dir, { recursive: true });
  let text = readFileSync(path.join(PROJECT_ROOT, "test", "fixtures", "parity.yaml"), "utf8");
  const replace = (pattern: RegExp, value: string): void => {
    if (!pattern.test(text)) throw new Error(`parity.yaml: ${pattern} not found`);
    text = text.replace(pattern, value);
  };
  replace(/^(\s*embedded_dir:).*$/m, `$1 ${JSON.stringify(path.join(dir, "pglite"))}`);
  replace(/^(\s*root_dir:).*$/m, `$1 ${JSON.stringify(path.join(dir, "registry"))}`);
  replace(/^(plots:\n(?:.*\n)*?\s*dir:).*$/m, `$1 ${JSON.stringify(path.join(dir, "plots"))}`);
  if (layout === "long") {
    replace(/^(\s*table:).*$/m, "$1 stream_samples");
    replace(/^(\s*axes:).*$/m, "$1 [1, 2, 3, 4, 5, 6, 7, 8]");
    replace(/^(\s*)# (axis_id_col: axis_id)$/m, "$1$2");
    replace(/^(\s*)# (value_col: value)$/m, "$1$2");
  }
  const file = path.join(dir, "config.yaml");
  writeFileSync(file, text);
  return file;
}

/** Environment for Jupyter processes using this clone's kernel (private kernelspec under `dir`). */
export function testJupyterEnv(dir: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = jupyterEnv(writePrivateKernelspec(path.join(dir, "jupyter")), extra);
  delete env.DB_URL;
  return { ...env, ...extra };
}

/** One output of an executed notebook, reduced to what the tests look at. */
export interface Output {
  readonly type: string;
  readonly name?: string;
  readonly text: string;
  readonly html: string;
}

interface RawOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

interface RawNotebook {
  cells: { cell_type: string; source: string | string[]; outputs?: RawOutput[]; execution_count?: number | null }[];
  metadata: { kernelspec?: { name?: string; display_name?: string } };
}

const join = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join("") : (v ?? ""));

/** Reads a notebook file. */
export function readNotebook(file: string): RawNotebook {
  return JSON.parse(readFileSync(file, "utf8")) as RawNotebook;
}

/** Every output of every code cell of an executed notebook, in order. */
export function outputsOf(file: string): Output[] {
  return readNotebook(file).cells.flatMap((cell) =>
    (cell.outputs ?? []).map((o) => ({
      type: o.output_type,
      name: o.name,
      text: o.output_type === "error" ? `${o.ename ?? ""}: ${o.evalue ?? ""}` : join(o.text),
      html: join(o.data?.["text/html"]),
    })),
  );
}

const unescape = (s: string): string =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** Titles of the charts (`data-title` of `.mlbox-chart` divs) in the outputs. */
export function chartTitles(outputs: readonly Output[]): string[] {
  return outputs.flatMap((o) => Array.from(o.html.matchAll(/class="mlbox-chart" id="[^"]*" data-title="([^"]*)"/g), (m) => unescape(m[1])));
}

/** The figure JSON of every chart in the outputs. */
export function chartFigures(outputs: readonly Output[]): { data: { x: unknown[]; y: unknown[] }[]; layout: { title: { text: string } } }[] {
  return outputs.flatMap((o) =>
    Array.from(o.html.matchAll(/var fig=(\{.*?\});var host=/g), (m) => JSON.parse(m[1]) as { data: { x: unknown[]; y: unknown[] }[]; layout: { title: { text: string } } }),
  );
}

/** Captions and notes ("showing 8 of 40000 rows …") of the tables in the outputs. */
export function tableCaptions(outputs: readonly Output[]): string[] {
  return outputs.flatMap((o) => Array.from(o.html.matchAll(/<caption[^>]*>([^<]*)<\/caption>/g), (m) => unescape(m[1])));
}

/** Number of HTML tables in the outputs. */
export function tableCount(outputs: readonly Output[]): number {
  return outputs.reduce((n, o) => n + (o.html.match(/<div class="mlbox-table">/g)?.length ?? 0), 0);
}

/** What one notebook must show. */
export interface Expected {
  /** Chart title prefixes, each matching exactly one chart. */
  readonly charts: readonly string[];
  /** Table captions that must appear. */
  readonly captions: readonly string[];
  /** Table column headers that must appear somewhere. */
  readonly headers: readonly string[];
  /** Least number of tables. */
  readonly minTables: number;
  /** Text (HTML as emitted, e.g. a markdown note's) that must appear in the outputs. */
  readonly texts?: readonly string[];
}

/** Axes of the demo config. */
export const DEMO_AXES = ["axis1", "axis2", "axis3", "axis4", "axis5", "axis6", "axis7", "axis8"] as const;

const perAxis = (...titles: readonly string[]): string[] => DEMO_AXES.flatMap((a) => titles.map((t) => `${a}: ${t}`));

/** The threshold notes' rule, as 06 and 08 print it first (lib/views/thresholdNotes.ts). */
const NOTE_RULE = "A note for an axis when its MaxC (error level) is below the 99th percentile of the statistic over its own training window";

/** 08's drill-down charts of one event on the demo data: every axis measured vs expected, then the event's statistic. */
const drillDown = (level: string, axis: string, started: string): string[] => [
  ...perAxis(`measured vs expected around the ${level} on ${axis} started ${started}`),
  `${axis}: scored statistic against its limits, ${level} started ${started}`,
];

/** The first three incidents of the demo's scoring window with the parity config (08's drill-down). */
const FIRST_INCIDENTS = [
  ["alert", "axis8", "2022-10-18T06:00:22.019000Z"],
  ["alert", "axis3", "2022-10-18T06:02:32.505000Z"],
  ["alert", "axis8", "2022-10-18T06:03:36.360000Z"],
] as const;

/**
 * Expected outputs per notebook (by file name without extension) on the demo
 * data (axes axis1..axis8), read from `table`.
 */
export function expectedOutputs(table = "stream_samples_wide"): Readonly<Record<string, Expected>> {
  return {
    "00_Main": {
      charts: perAxis("data and fitted trend", "residual (actual − fitted)"),
      captions: ["Training data", "Window", "Axes (8)", "Preparation", "Version v1", "All versions in the registry"],
      headers: ["r2", "rmse", "MinC", "T_long_steps", "coef", "drift_per_hour"],
      minTables: 12,
    },
    "01_DataExtractionAnalysis": {
      charts: [
        "Raw series per axis",
        "Sampling interval between consecutive rows",
        "Share of exact zeros and missing values per axis",
        ...perAxis("distribution of non-zero values"),
        "Which axes move together",
      ],
      captions: ["Training data", "Window", "Axes (8)", "Longest gaps (after_time: the sample before the gap)"],
      headers: ["zero_fraction", "step_seconds"],
      minTables: 6,
    },
    "02_DataPreparation": {
      charts: ["Prepared series (time_s)"],
      captions: ["Preparation stats (prep_stats.json)", "interpolate: false", "interpolate: true"],
      headers: ["time_s", "missing_before", "missing_after"],
      minTables: 5,
    },
    "03_ModelSelection": {
      charts: [
        "R² per axis",
        "Mean absolute and root-mean-square error per axis",
        "Mean residual of the fitted rows over time",
        ...perAxis("data and fitted trend"),
        "Recall of injected anomalies vs false alarms",
        "Median detection delay vs false alarms",
        "Slow-axis test: variance share of the 31-sample moving average",
      ],
      captions: ["Model types", "model.type: linear", "Chosen (what auto would register)", "Every candidate at the default's false alarms", "Slow-axis test (model.slow_ratio 0.4)"],
      headers: ["r2", "first_half", "second_half", "false_alarms_per_hour", "recall", "median_delay_seconds", "slow_ratio", "enters_as", "why"],
      minTables: 6,
      texts: ["<code>auto</code> measured <strong>linear + cusum</strong> better than the configured <strong>linear + residual</strong>", '<code class="language-yaml">model:\n  type: linear\nscoring:\n  statistic: cusum']
    },
    "04_ModelTraining": {
      charts: ["Rows used by each axis's fit", ...perAxis("data and fitted trend"), "Explained variance:"],
      captions: ["Model and statistic", "linear models (models.json)", "pca model", "Components (eigenvalues of the standardised covariance)", "Loadings of the kept components"],
      headers: ["coef", "intercept", "samples_used", "rows_left_out", "eigenvalue", "cumulative", "PC1"],
      minTables: 5,
    },
    "05_ModelEvaluation": {
      charts: ["R² per axis", "Mean absolute and root-mean-square error per axis", ...perAxis("residual (actual − fitted)", "residual distribution")],
      captions: ["All rows", "Working rows only (actual ≠ 0)"],
      headers: ["axis1_pred", "axis1_res", "mae"],
      minTables: 3,
    },
    "06_Thresholding": {
      charts: perAxis("residual (actual − fitted)", "residual distribution", "runs with residual ≥ MinC (alert)", "runs with residual ≥ MaxC (error)"),
      captions: ["Threshold policy (thresholds:)"],
      headers: ["MinC", "MaxC", "T_long_seconds", "alerts", "errors"],
      minTables: 3,
      texts: [NOTE_RULE, "<strong>axis8</strong>: MaxC (error level) 0.2496 is below the 99th percentile of its training residual"],
    },
    "07_ModelRegistry": {
      charts: [
        "MinC (alert threshold) per axis and version",
        "MaxC (error threshold) per axis and version",
        "R² per axis and version",
        "Trend slope per axis and version",
      ],
      captions: ["Per axis: model, metrics and thresholds", "Recent versions", `v1 scored on ${table}`],
      headers: ["version", "saved_at", "dMinC"],
      minTables: 6,
    },
    "08_Scoring": {
      charts: [
        "Event timeline: 61 events on 8 lanes",
        ...perAxis("scored residual with alert/error events"),
        ...FIRST_INCIDENTS.flatMap(([level, axis, started]) => drillDown(level, axis, started)),
      ],
      captions: [
        "Scoring window",
        "Trend and statistic",
        "Events per axis",
        "Incidents",
        "Events",
        ...FIRST_INCIDENTS.map(([level, axis, started]) => `${axis} ${level} started ${started}: every axis where it fired`),
      ],
      headers: ["alerts", "errors", "longest", "levels", "duration_seconds", "peak_over_threshold", "started_at", "fired_at", "ended_at", "peak_residual", "model_version", "expected", "difference"],
      minTables: 8,
      texts: [NOTE_RULE, "<strong>axis8</strong>: MaxC (error level) 0.2496 is below the 99th percentile of its training residual"],
    },
  };
}

/** {@link expectedOutputs} of the default (WIDE) demo config. */
export const EXPECTED = expectedOutputs();

/**
 * Problems of an executed notebook against its expectations: error outputs,
 * stderr output, missing/duplicated charts, charts without data, missing
 * tables, plotly.js not embedded exactly once, network references. Empty
 * when all is well.
 */
export function notebookProblems(file: string, expected: Expected): string[] {
  const outputs = outputsOf(file);
  const problems: string[] = [];
  for (const o of outputs) {
    if (o.type === "error") problems.push(`error output: ${o.text}`);
    if (o.type === "stream" && o.name === "stderr") problems.push(`stderr output: ${o.text.slice(0, 500)}`);
  }
  const titles = chartTitles(outputs);
  for (const prefix of expected.charts) {
    const matching = titles.filter((t) => t.startsWith(prefix));
    if (matching.length !== 1) problems.push(`chart "${prefix}…" found ${matching.length} times (charts: ${titles.join(" | ")})`);
  }
  if (titles.length !== expected.charts.length) problems.push(`${titles.length} charts, expected ${expected.charts.length}`);
  const figures = chartFigures(outputs);
  if (figures.length !== titles.length) problems.push(`${figures.length} chart figures for ${titles.length} chart divs`);
  for (const f of figures) {
    if (!f.data.some((trace) => trace.x.length > 0 && trace.y.length > 0)) problems.push(`chart "${f.layout.title.text}" has no data`);
  }
  const captions = tableCaptions(outputs);
  for (const caption of expected.captions) {
    if (!captions.includes(caption)) problems.push(`table "${caption}" missing (captions: ${captions.join(" | ")})`);
  }
  const html = outputs.map((o) => o.html).join("\n");
  for (const header of expected.headers) {
    if (!html.includes(`<th>${header}</th>`)) problems.push(`no table with column "${header}"`);
  }
  for (const text of expected.texts ?? []) {
    if (!html.includes(text)) problems.push(`no output contains ${JSON.stringify(text)}`);
  }
  const tables = tableCount(outputs);
  if (tables < expected.minTables) problems.push(`${tables} tables, expected at least ${expected.minTables}`);
  const libraries = html.match(/data-mlbox="plotly\.js"/g)?.length ?? 0;
  if (libraries !== (expected.charts.length > 0 ? 1 : 0)) problems.push(`plotly.js embedded ${libraries} times`);
  if (/<script[^>]+src=/i.test(html)) problems.push("an output loads a script by URL");
  return problems;
}
