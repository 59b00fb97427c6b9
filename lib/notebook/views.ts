/**
 * Notebook glue: where the config is (notebooks take no parameters, so they
 * read `MLBOX_CONFIG`), DataFrame-in wrappers of the stage files' typed
 * analyses, the tables and charts the stage notebooks show, and registering
 * a notebook run. What a view computes lives in the stage files (sampling
 * gaps in analyze, half-window fits in selectModel, working-row metrics in
 * evaluate, run lengths in thresholds), never here or in the notebook.
 */
import * as path from "path";
import { findPackageRoot, packageRoot } from "../core/packageRoot";
import type * as dfd from "danfojs-node";
import { analyze, timeSteps, type Profile } from "../stages/analyze";
import {
  barChart,
  histogramChart,
  lineChart,
  predictionCharts,
  residualChart,
  residualHistogram,
  runLengthChart,
  type NamedSeries,
  type PlotlyFigure,
} from "../views/charts";
import { numericColumn, rawColumn } from "../shapes/frame";
import { predictionFromDataFrame } from "../stages/predict";
import { connect } from "../db/connect";
import { evaluateColumns } from "../stages/evaluate";
import { extract } from "../db/extract";
import { resample } from "../stages/resample";
import { isIdleSample } from "../core/idleSample";
import { runPipeline } from "../pipeline/inMemory";
import type { Prepared } from "../stages/prepare";
import { describeTrend, isLinearModel } from "../model/trendModel";
import { halfWindowFitColumns, residualBucketMeans, type HalfWindowFit } from "../stages/selectModel";
import {
  listVersions,
  loadVersion,
  registerModel,
  type LoadedVersion,
  type RegisteredVersion,
  type VersionSummary,
} from "../registry";
import { recordedStatistic, statisticLabel } from "../model/statistic";
import { axisStatistic, runLengths } from "../stages/thresholds";
import { frameColumns } from "../shapes/timeColumn";
import { versionMeta } from "../pipeline/versionMeta";
import type { AxisMetrics, AxisThresholds, Config, Layout, ModelSet, Prediction } from "../shapes/types";
import type { Selection } from "../shapes/artifacts";

/** Environment variable naming the config file notebooks use. */
export const CONFIG_ENV = "MLBOX_CONFIG";


/**
 * The ML Box project folder: the nearest folder at or above `start` holding
 * a `package.json` named `mlbox` (and `lib/`); when there is none (a notebook
 * outside the project), the folder this library lives in.
 *
 * @param start where to start looking; defaults to `process.cwd()`
 */
export function projectRoot(start: string = process.cwd()): string {
  return findPackageRoot(start) ?? packageRoot();
}

/**
 * The config file a notebook uses: `$MLBOX_CONFIG` when set (a relative path
 * is taken relative to the project root, see {@link projectRoot}), else
 * `config.yaml` in the project root. The path is not checked here:
 * `loadConfig` reports a missing file.
 *
 * @param options `env` (default `process.env`), `cwd` (default `process.cwd()`)
 */
export function resolveConfigPath(options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): string {
  const { env = process.env, cwd = process.cwd() } = options;
  const root = projectRoot(cwd);
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return path.resolve(root, fromEnv.trim());
  return path.join(root, "config.yaml");
}

/**
 * Histogram of the sampling intervals (log count axis, so rare gaps show),
 * with the median interval marked.
 */
export function samplingIntervalChart(time: Float64Array, dtSeconds: number): PlotlyFigure {
  return histogramChart(timeSteps(time), {
    title: "Sampling interval between consecutive rows",
    xTitle: "interval (s)",
    bins: 80,
    logY: true,
    markers: [{ name: "median dt_seconds", value: dtSeconds, color: "#d62728" }],
  });
}

/** Bar chart of the share of exact zeros (idle samples) and of missing values per axis. */
export function zeroFractionChart(profile: Profile): PlotlyFigure {
  const names = profile.axes.map((a) => a.axis);
  return barChart(
    names,
    [
      { name: "exact zeros", values: profile.axes.map((a) => a.zero_fraction) },
      { name: "missing (NaN)", values: profile.axes.map((a) => (profile.rows === 0 ? 0 : a.nan_count / profile.rows)) },
    ],
    { title: "Share of exact zeros and missing values per axis", yTitle: "fraction of rows" },
  );
}

/**
 * Every axis of a DataFrame over time, decimated (min/max per bucket), with
 * time shown in seconds since the first row.
 */
export function seriesChart(frame: dfd.DataFrame, timeCol: string, title = "Raw series per axis"): PlotlyFigure {
  const { time, axes, values } = frameColumns(frame, timeCol);
  const t0 = time.length > 0 ? time[0] : 0;
  const timeS = time.map((t) => t - t0);
  return lineChart(
    timeS,
    axes.map((name, i) => ({ name, values: values[i] })),
    { title, xTitle: `seconds since the first row (${timeCol})`, maxPoints: 1500 },
  );
}

/** Count of missing (NaN) values per axis of a DataFrame, as rows `{ axis, missing, rows }` (from {@link analyze}). */
export function missingCounts(frame: dfd.DataFrame, timeCol: string): { axis: string; missing: number; rows: number }[] {
  const profile = analyze(frame, timeCol);
  return profile.axes.map((a) => ({ axis: a.axis, missing: a.nan_count, rows: profile.rows }));
}

/** One row of {@link thresholdRows}. */
export interface ThresholdRow {
  readonly axis: string;
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
  readonly T_long_seconds: number;
  readonly T_short_seconds: number;
  readonly method: string;
  /** What MinC/MaxC apply to: `residual`, or e.g. `EWMA(α=0.1) of residual`. */
  readonly statistic: string;
}

/** Thresholds as table rows, one per axis, with the sustain steps also in seconds and the statistic they apply to. */
export function thresholdRows(thresholds: Readonly<Record<string, AxisThresholds>>): ThresholdRow[] {
  return Object.entries(thresholds).map(([axis, t]) => ({
    axis,
    MinC: t.MinC,
    MaxC: t.MaxC,
    T_long_steps: t.T_long_steps,
    T_short_steps: t.T_short_steps,
    T_long_seconds: t.T_long_steps * t.dt_seconds,
    T_short_seconds: t.T_short_steps * t.dt_seconds,
    method: t.meta.method,
    statistic: statisticLabel(recordedStatistic(t)),
  }));
}

/** Reads `axis, r2, mae, rmse` rows from an `evaluate` DataFrame (or passes metric rows through). */
export function metricRows(metrics: dfd.DataFrame | readonly AxisMetrics[]): AxisMetrics[] {
  if (Array.isArray(metrics)) return [...(metrics as readonly AxisMetrics[])];
  const frame = metrics as dfd.DataFrame;
  const axes = rawColumn(frame, "axis", "metricRows");
  const [r2, mae, rmse] = ["r2", "mae", "rmse"].map((c) => numericColumn(frame, c, "metricRows"));
  return Array.from({ length: axes.length }, (_, i) => ({ axis: String(axes[i]), r2: r2[i], mae: mae[i], rmse: rmse[i] }));
}

/** Two bar charts of evaluation metrics per axis: R², and MAE next to RMSE. */
export function metricsCharts(metrics: dfd.DataFrame | readonly AxisMetrics[]): PlotlyFigure[] {
  const rows = metricRows(metrics);
  const axes = rows.map((m) => m.axis);
  return [
    barChart(axes, [{ name: "R²", values: rows.map((m) => m.r2) }], { title: "R² per axis (1 = perfect line, 0 = no better than the mean)", yTitle: "R²" }),
    barChart(
      axes,
      [
        { name: "MAE", values: rows.map((m) => m.mae) },
        { name: "RMSE", values: rows.map((m) => m.rmse) },
      ],
      { title: "Mean absolute and root-mean-square error per axis", yTitle: "error (axis units)" },
    ),
  ];
}

/** One row of {@link modelRows}. */
export interface ModelRow {
  readonly axis: string;
  /** The fitted trend in one line (see `describeTrend`). */
  readonly trend: string;
  /** The line's slope and intercept; NaN when the trend is not a line. */
  readonly coef: number;
  readonly intercept: number;
  /** Change of the trend per hour (`coef × 3600`). */
  readonly drift_per_hour: number;
  readonly samples_used: number;
  /** Rows not used to fit (exact zeros and missing values). */
  readonly rows_left_out: number;
}

/**
 * Fitted models as table rows, with the drift per hour and how many of the
 * `rows` training rows each fit left out (exact zeros, missing values).
 */
export function modelRows(models: ModelSet, rows: number): ModelRow[] {
  return models.models.map((m) => ({
    axis: m.axis,
    trend: describeTrend(m),
    coef: isLinearModel(m) ? m.coef : NaN,
    intercept: isLinearModel(m) ? m.intercept : NaN,
    drift_per_hour: isLinearModel(m) ? m.coef * 3600 : NaN,
    samples_used: m.samples_used,
    rows_left_out: rows - m.samples_used,
  }));
}

/** Bar chart of the rows each axis's fit used and left out (exact zeros, missing values). */
export function samplesUsedChart(models: ModelSet, rows: number): PlotlyFigure {
  const r = modelRows(models, rows);
  return barChart(
    r.map((m) => m.axis),
    [
      { name: "used to fit", values: r.map((m) => m.samples_used) },
      { name: "left out (zeros, missing)", values: r.map((m) => m.rows_left_out) },
    ],
    { title: "Rows used by each axis's fit", yTitle: "rows" },
  );
}

/**
 * Value distribution per axis of a DataFrame (idle zeros and missing values
 * left out, as the fit leaves them out), one histogram per axis.
 */
export function valueHistograms(frame: dfd.DataFrame, timeCol: string): PlotlyFigure[] {
  const { axes, values } = frameColumns(frame, timeCol);
  return axes.map((axis, i) =>
    histogramChart(
      values[i].filter((v) => !isIdleSample(v)),
      { title: `${axis}: distribution of non-zero values`, xTitle: axis, bins: 60, height: 300 },
    ),
  );
}

/** Missing values per axis before and after preparation, as rows `{ axis, missing_before, missing_after, rows }`. */
export function missingComparison(
  raw: dfd.DataFrame,
  timeCol: string,
  prepared: dfd.DataFrame,
): { axis: string; missing_before: number; missing_after: number; rows: number }[] {
  const before = missingCounts(raw, timeCol);
  const after = new Map(missingCounts(prepared, "time_s").map((r) => [r.axis, r.missing]));
  return before.map((r) => ({ axis: r.axis, missing_before: r.missing, missing_after: after.get(r.axis) ?? NaN, rows: r.rows }));
}

/** The typed prediction of an axis list from a `predict` DataFrame (`time_s`, axes, `<axis>_pred`, `<axis>_res`). */
export function predictionOf(predicted: dfd.DataFrame, axes: readonly string[]): Prediction {
  return predictionFromDataFrame(predicted, axes, "charts");
}

/**
 * Fit and residual chart of every axis of a `predict` DataFrame, fit then
 * residual per axis, MinC/MaxC drawn where `thresholds` has the axis.
 */
export function axisCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds?: Readonly<Record<string, AxisThresholds>>,
): PlotlyFigure[] {
  return predictionCharts(predictionOf(predicted, axes), thresholds).flatMap((c) => [c.fit, c.residual]);
}

/** The fit chart of every axis of a `predict` DataFrame. */
export function fitCharts(predicted: dfd.DataFrame, axes: readonly string[]): PlotlyFigure[] {
  return predictionCharts(predictionOf(predicted, axes)).map((c) => c.fit);
}

/** The residual chart and residual distribution of every axis (MinC/MaxC where `thresholds` has the axis). */
export function residualCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds?: Readonly<Record<string, AxisThresholds>>,
): PlotlyFigure[] {
  const p = predictionOf(predicted, axes);
  return p.axes.flatMap((axis, i) => residualPair(p, i, thresholds?.[axis]));
}

/** The residual chart and distribution of axis `i` of a prediction (of the thresholded statistic's values when given). */
function residualPair(p: Prediction, i: number, thresholds: AxisThresholds | undefined, statistic?: Float64Array): PlotlyFigure[] {
  const axis = p.axes[i];
  return [residualChart(p.timeS, p.residual[i], { axis, thresholds, statistic }), residualHistogram(p.residual[i], { axis, thresholds, statistic })];
}

/** One row of {@link versionRows}: everything registered for one axis. */
export interface VersionAxisRow {
  readonly version: string;
  readonly axis: string;
  /** The line's slope and intercept; NaN when the trend is not a line. */
  readonly coef: number;
  readonly intercept: number;
  readonly r2: number;
  readonly mae: number;
  readonly rmse: number;
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
}

/** A registered version as one row per axis: model, metrics and thresholds side by side. */
export function versionRows(loaded: LoadedVersion): VersionAxisRow[] {
  return loaded.models.models.map((m) => {
    const metric = loaded.metrics.find((x) => x.axis === m.axis);
    const t = loaded.thresholds[m.axis];
    return {
      version: loaded.version,
      axis: m.axis,
      coef: isLinearModel(m) ? m.coef : NaN,
      intercept: isLinearModel(m) ? m.intercept : NaN,
      r2: metric?.r2 ?? NaN,
      mae: metric?.mae ?? NaN,
      rmse: metric?.rmse ?? NaN,
      MinC: t?.MinC ?? NaN,
      MaxC: t?.MaxC ?? NaN,
      T_long_steps: t?.T_long_steps ?? NaN,
      T_short_steps: t?.T_short_steps ?? NaN,
    };
  });
}

/**
 * {@link versionDiff} between the last two of `versions` (as from
 * {@link loadRecentVersions}); with a single version the differences are NaN.
 */
export function latestChanges(versions: readonly LoadedVersion[]): ReturnType<typeof versionDiff> {
  if (versions.length === 0) return [];
  return versionDiff(versions.length > 1 ? versions[versions.length - 2] : undefined, versions[versions.length - 1]);
}

/** Where a version came from, flattened for a key/value table (no password: the registry never stores one). */
export function versionSummary(loaded: LoadedVersion): Record<string, string | number | boolean> {
  const { meta } = loaded;
  return {
    version: loaded.version,
    latest: loaded.isLatest,
    folder: loaded.dir,
    saved_at: meta.saved_at,
    model: meta.model.type,
    table: meta.data.schema === undefined ? meta.data.table : `${meta.data.schema}.${meta.data.table}`,
    layout: meta.data.layout,
    time: `${meta.data.time_col} (${meta.data.time_type})`,
    window: `[${String(meta.data.train_start)}, ${String(meta.data.train_end)})`,
    rows_raw: meta.rows.raw,
    rows_train: meta.rows.train,
    interpolate: meta.prep.interpolate,
    dt_seconds: loaded.prepStats.dt_seconds,
    config: meta.lineage.config_path,
    config_sha256: meta.lineage.config_sha256,
    data_fingerprint: meta.lineage.data_fingerprint,
    database: meta.lineage.database,
    package_version: meta.lineage.package_version,
    git_commit: meta.lineage.git_commit ?? "unavailable",
  };
}

/**
 * The last `last` versions of a registry (oldest first), loaded, for
 * comparison. Empty when the registry is empty.
 *
 * @param rootDir registry root
 * @param options `last` (default 5)
 */
export async function loadRecentVersions(rootDir: string, options: { readonly last?: number } = {}): Promise<LoadedVersion[]> {
  const { last = 5 } = options;
  const list = await listVersions(rootDir);
  return Promise.all(list.slice(-last).map((v) => loadVersion(rootDir, v.version)));
}

/** Per-axis comparison charts across versions: MinC, MaxC, R² and trend slope, one bar per version. */
export function versionComparisonCharts(versions: readonly LoadedVersion[]): PlotlyFigure[] {
  const axes = Array.from(new Set(versions.flatMap((v) => v.models.models.map((m) => m.axis))));
  const rowsOf = versions.map((v) => new Map(versionRows(v).map((r) => [r.axis, r])));
  const series = (pick: (r: VersionAxisRow) => number): NamedSeries[] =>
    versions.map((v, i) => ({ name: v.version, values: axes.map((a) => { const r = rowsOf[i].get(a); return r ? pick(r) : NaN; }) }));
  return [
    barChart(axes, series((r) => r.MinC), { title: "MinC (alert threshold) per axis and version", yTitle: "MinC" }),
    barChart(axes, series((r) => r.MaxC), { title: "MaxC (error threshold) per axis and version", yTitle: "MaxC" }),
    barChart(axes, series((r) => r.r2), { title: "R² per axis and version", yTitle: "R²" }),
    barChart(axes, series((r) => r.coef * 3600), { title: "Trend slope per axis and version (per hour)", yTitle: "drift per hour" }),
  ];
}

/**
 * Change from version `before` to version `after`, per axis: the new value
 * and the difference of MinC, MaxC, R² and slope (NaN where `before` lacks
 * the axis or is not given).
 */
export function versionDiff(
  before: LoadedVersion | undefined,
  after: LoadedVersion,
): { axis: string; MinC: number; dMinC: number; MaxC: number; dMaxC: number; r2: number; dR2: number; coef: number; dCoef: number }[] {
  const old = new Map(before ? versionRows(before).map((r) => [r.axis, r]) : []);
  return versionRows(after).map((r) => {
    const o = old.get(r.axis);
    const d = (pick: (x: VersionAxisRow) => number): number => (o ? pick(r) - pick(o) : NaN);
    return {
      axis: r.axis,
      MinC: r.MinC,
      dMinC: d((x) => x.MinC),
      MaxC: r.MaxC,
      dMaxC: d((x) => x.MaxC),
      r2: r.r2,
      dR2: d((x) => x.r2),
      coef: r.coef,
      dCoef: d((x) => x.coef),
    };
  });
}

/** The stage results of a notebook run that {@link registerRun} writes to the registry. */
export interface NotebookRun {
  /** The extracted window (from `extract`), for the data fingerprint and row count. */
  readonly raw: dfd.DataFrame;
  /** What `prepare` returned. */
  readonly prepared: Prepared;
  /** What `train` returned. */
  readonly models: ModelSet;
  /** What `evaluate` returned (or metric rows). */
  readonly metrics: dfd.DataFrame | readonly AxisMetrics[];
  /** What `calibrateThresholds` returned. */
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** What `chooseDetection` measured (written as `selection.json`); omit or null without selection. */
  readonly selection?: Selection | null;
}

/**
 * Registers the results of a notebook's stages as a new version of
 * `config.registry.root_dir` (tag `config.registry.version_tag`), with the
 * same metadata and lineage as the CLI pipeline writes (config path and
 * hash, data fingerprint of the extracted columns, database without
 * password; package version and git commit as the registry fills them in).
 */
export async function registerRun(config: Config, run: NotebookRun): Promise<RegisteredVersion> {
  const { raw, prepared, models, metrics, thresholds, selection = null } = run;
  const columns = frameColumns(raw, config.data.time_col);
  const layout: Layout = config.data.axes.length > 0 && typeof config.data.axes[0] === "number" ? "long" : "wide";
  return registerModel({
    rootDir: config.registry.root_dir,
    versionTag: config.registry.version_tag,
    models,
    prepStats: prepared.stats,
    thresholds,
    metrics: metricRows(metrics),
    ...(selection === null ? {} : { selection }),
    meta: versionMeta(config, {
      timeType: prepared.stats.time_type,
      layout,
      axes: columns.axes,
      time: columns.time,
      values: columns.values,
      trainRows: prepared.frame.shape[0],
    }),
  });
}

/**
 * Makes sure the registry of `config` holds at least one version: when it is
 * empty, runs the whole pipeline once (as `npm start` does) to register one.
 * Returns the versions afterwards and whether one was registered now.
 */
export async function ensureRegistered(config: Config): Promise<{ readonly versions: VersionSummary[]; readonly registeredNow: string | null }> {
  const before = await listVersions(config.registry.root_dir);
  if (before.length > 0) return { versions: before, registeredNow: null };
  const result = await runPipeline({ ...config, plots: { ...config.plots, enabled: false } });
  return { versions: await listVersions(config.registry.root_dir), registeredNow: result.version };
}

/**
 * Connects to the database of `config`, extracts the training window as a
 * DataFrame (see `extract`) and closes the connection again. With
 * `prep.resample_seconds` set the window comes resampled (see `resample`),
 * as the pipeline analyses and prepares it.
 */
export async function extractWindow(config: Config): Promise<dfd.DataFrame> {
  // A notebook shows stderr as an error: the first run's "building the demo database" notice goes to the cell's output.
  const db = await connect(config.database, { onDemoBuild: (notice) => console.log(notice) });
  try {
    const raw = await extract(db, config.data);
    return resample(raw, { seconds: config.prep.resample_seconds ?? null, timeCol: config.data.time_col });
  } finally {
    await db.destroy();
  }
}

/** Line chart of {@link residualBucketMeans} per axis: flat around 0 when a straight line describes the axis. */
export function residualTrendChart(predicted: dfd.DataFrame, axes: readonly string[], buckets = 48): PlotlyFigure {
  const { centers, means } = residualBucketMeans(predictionOf(predicted, axes), buckets);
  return lineChart(centers, axes.map((name, k) => ({ name, values: means[k] })), {
    title: `Mean residual of the fitted rows over time (${buckets} slices)`,
    yTitle: "mean residual",
    mode: "lines",
  });
}

/** {@link halfWindowFitColumns} of a prepared DataFrame (`time_s` plus axes). */
export function halfWindowFits(frame: dfd.DataFrame, axes: readonly string[]): HalfWindowFit[] {
  const column = (name: string): Float64Array => numericColumn(frame, name, "halfWindowFits");
  return halfWindowFitColumns(column("time_s"), axes, axes.map(column));
}

/** R², MAE and RMSE per axis of a `predict` DataFrame over the working rows only (`evaluateColumns` with `workingRowsOnly`). */
export function workingRowMetrics(predicted: dfd.DataFrame, axes: readonly string[]): AxisMetrics[] {
  return evaluateColumns(predictionOf(predicted, axes), { workingRowsOnly: true });
}

/**
 * For every axis: the {@link residualCharts} with MinC/MaxC, then the
 * histograms of the run lengths of residual ≥ MinC (alert, `T_long_steps`
 * marked) and ≥ MaxC (error, `T_short_steps` marked), as one flat list.
 * When the thresholds record a smoothed statistic, the charts and runs are
 * of its values (labelled, e.g. "EWMA(α=0.1) of residual").
 *
 * @param options `max_gap_seconds` (default null) as calibration had it: pass `config.scoring`.
 */
export function thresholdCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: { readonly max_gap_seconds?: number | null } = {},
): PlotlyFigure[] {
  const p = predictionOf(predicted, axes);
  return p.axes.flatMap((axis, i) => {
    const t = thresholds[axis];
    const spec = t ? recordedStatistic(t) : ({ type: "residual" } as const);
    const values = axisStatistic(p, i, spec, options.max_gap_seconds ?? null);
    const name = spec.type === "residual" ? "residual" : statisticLabel(spec);
    const runs = (level: "MinC" | "MaxC", kind: string, sustain: "T_long_steps" | "T_short_steps"): PlotlyFigure =>
      runLengthChart(t ? runLengths(values, t[level]) : new Int32Array(0), {
        title: `${axis}: runs with ${name} ≥ ${level} (${kind})`,
        sustainSteps: t?.[sustain],
        sustainName: sustain,
      });
    return [...residualPair(p, i, t, values), runs("MinC", "alert", "T_long_steps"), runs("MaxC", "error", "T_short_steps")];
  });
}
