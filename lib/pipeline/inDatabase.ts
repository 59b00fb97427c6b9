/**
 * `compute.mode`: training inside the database when the window no longer fits
 * in memory, and `auto`'s choice between the two paths.
 */
import { sql, type Kysely } from "kysely";
import type { Profile } from "../stages/analyze";
import { assertTrainableWindow } from "../stages/trainingWindow";
import { writeChartFiles } from "../views/chartFiles";
import { describeDatabase } from "../db/connect";
import { InputError } from "../core/errors";
import { stageClock, type PipelineResult } from "./result";
import { registerModel } from "../registry";
import type { AxisMetrics, AxisThresholds, ComputeConfig, Config, LinearModelSet, PrepStats, Prediction } from "../shapes/types";
import { versionMeta } from "./versionMeta";
import { databaseChartSeries } from "../inDatabase/chartSeries";
import { databaseEvaluate, databaseThresholds, databaseTrain, wideMetrics, wideResidualIntervals, type WideResidualIntervals } from "../inDatabase/stages";
import { databaseTimeStep, databaseWindowSummary, type WindowSummary } from "../inDatabase/windowSummary";
import { sqlWindow, type SqlWindow } from "../inDatabase/window";
import { onAnalyticSession } from "../inDatabase/session";

/** `compute:` defaults: `auto`, 1024 MB. */
export const DEFAULT_COMPUTE: ComputeConfig = Object.freeze({ mode: "auto", memory_budget_mb: 1024 });

/** What {@link chooseComputeMode} decided, and why (one line for the progress output). */
export interface ComputeChoice {
  readonly mode: "memory" | "database";
  readonly reason: string;
  /** The planner's estimate of the window's samples (time points), when `auto` asked for it. */
  readonly estimatedSamples?: number;
}

/**
 * The in-database path fits lines only: any other `model.type` is an
 * InputError of one line naming `compute.mode` and `model.type` (`why`, when
 * given, says how database was chosen, e.g. by `compute.mode: auto`).
 */
export function assertInDatabaseSupported(config: Pick<Config, "model"> & { readonly scoring?: Pick<Config["scoring"], "statistic"> }, why?: string): void {
  const problems: string[] = [];
  const modelType = config.model?.type ?? "linear";
  if (modelType !== "linear") problems.push(`model.type ${modelType}`);
  const statistic = config.scoring?.statistic ?? "residual";
  if (statistic !== "residual") problems.push(`scoring.statistic ${statistic}`);
  if ((config as { readonly thresholds?: { readonly direction?: string } }).thresholds?.direction === "both") problems.push("thresholds.direction both");
  if (problems.length === 0) return;
  const how = why === undefined ? "" : ` (${why})`;
  throw new InputError(`compute.mode database supports model.type linear and scoring.statistic residual; got ${problems.join(", ")}${how}: set compute.mode memory`);
}

/**
 * Picks where the pipeline computes. `memory` and `database` are taken as
 * given; `auto` (the default) estimates the window's in-memory size from the
 * planner's row estimate (`EXPLAIN`, no scan; WIDE rows × (axes + 1) × 8
 * bytes, LONG rows × 3 × 8) and picks `database` when it exceeds
 * `compute.memory_budget_mb` (default 1024).
 *
 * @throws InputError when the database is chosen (given or by `auto`) for what it does not support ({@link assertInDatabaseSupported}).
 */
export async function chooseComputeMode(db: Kysely<any>, config: Config): Promise<ComputeChoice> {
  const { mode, memory_budget_mb: budget } = config.compute ?? DEFAULT_COMPUTE;
  if (mode === "database") assertInDatabaseSupported(config);
  if (mode !== "auto") return { mode, reason: `compute.mode: ${mode}` };
  let window: SqlWindow;
  let estimatedRows: number;
  try {
    window = await sqlWindow(db, config.data);
    const { rows } = await sql<{ "QUERY PLAN": unknown }>`explain (format json) ${window.raw}`.execute(db);
    const plan = rows[0]?.["QUERY PLAN"];
    const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as Array<{ Plan: { "Plan Rows": number } }>;
    estimatedRows = Number(parsed[0]?.Plan?.["Plan Rows"] ?? 0);
  } catch {
    // A config problem: extraction reports it with its own, more detailed message.
    return { mode: "memory", reason: "auto: no size estimate" };
  }
  const megabytes = (estimatedRows * (window.layout === "wide" ? window.axes.length + 1 : 3) * 8) / 2 ** 20;
  const picked = megabytes > budget ? "database" : "memory";
  if (picked === "database") {
    assertInDatabaseSupported(config, `compute.mode auto picked database: window ≈ ${Math.round(megabytes)} MB > compute.memory_budget_mb ${budget}`);
  }
  return {
    mode: picked,
    reason: `auto: window ≈ ${Math.round(megabytes)} MB (${estimatedRows} rows estimated) ${picked === "database" ? ">" : "≤"} compute.memory_budget_mb ${budget}`,
    estimatedSamples: window.layout === "wide" ? estimatedRows : estimatedRows / Math.max(1, window.axes.length),
  };
}

/** Everything the in-database stages computed (no per-row data). */
export interface DatabaseTrainingResult {
  readonly window: SqlWindow;
  readonly profile: Profile;
  readonly prepStats: PrepStats;
  readonly models: LinearModelSet;
  readonly metrics: readonly AxisMetrics[];
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** Decimated chart series (a few thousand rows at most). */
  readonly chartSeries: Prediction;
  /** SQL-side content fingerprint of the window. */
  readonly fingerprint: string;
}

/**
 * Runs every stage as SQL inside the database (see lib/inDatabase/):
 * window summary → median time step → per-axis profile and fit → metrics →
 * thresholds → decimated chart series. Only aggregates travel. Interpolation
 * (`prep.interpolate`) is not available here.
 *
 * @param log receives one line per stage; defaults to ignoring them.
 * @param mark returns the time of the stage just finished (for the log); defaults to "".
 * @throws InputError for an empty window, an axis without usable samples, or `prep.interpolate: true`.
 */
export async function trainInDatabase(
  db: Kysely<any>,
  config: Config,
  log: (line: string) => void = () => {},
  mark: (stage: string) => string = () => "",
): Promise<DatabaseTrainingResult> {
  assertInDatabaseSupported(config);
  if (config.prep.interpolate) throw new InputError("prep.interpolate: true is not available with compute.mode: database; set compute.mode: memory or prep.interpolate: false");
  const window = await sqlWindow(db, config.data);
  const summary = await databaseWindowSummary(db, window);
  if (summary.rows === 0) {
    throw new InputError(`no rows in table "${window.table}" with ${window.timeCol} in [${String(config.data.train_start)}, ${String(config.data.train_end)}): check data.train_start and data.train_end`);
  }
  log(`[1/7] extract    (in database) ${summary.rows} rows × ${window.axes.length} axes (${window.layout}, time ${window.timeType}) (${mark("extract")})`);
  // The train pass does not need the time step: it runs alongside the time step's sort, on a second connection.
  // Each on a session of its own, one after the other (not nested): a pool of one connection takes them in turn.
  const trainQuery = onAnalyticSession(db, (session) => databaseTrain(session, window, summary));
  trainQuery.catch(() => undefined); // awaited below (an unusable window is reported first)
  let dtSeconds: number;
  try {
    dtSeconds = await onAnalyticSession(db, (session) => databaseTimeStep(session, window, summary.rows));
    log(`[2/7] analyze    dt = ${dtSeconds} s (${mark("analyze")})`);
    assertTrainableWindow(summary.rows, dtSeconds, { table: window.table, trainStart: config.data.train_start, trainEnd: config.data.train_end });
  } catch (error) {
    await trainQuery.catch(() => undefined); // let it end before the caller closes the connections
    throw error;
  }
  const time0 = summary.firstTime;
  const prepStats: PrepStats = { time0, time_col: window.timeCol, time_type: window.timeType, dt_seconds: dtSeconds, interpolate: false };
  log(`[3/7] prepare    time0 = ${time0} (${mark("prepare")})`);
  const training = await trainQuery;
  const { profiles, models, fingerprint } = training;
  log(`[4/7] train      linear: ${models.models.map((m) => `${m.axis} (${m.samples_used} samples)`).join(", ")} (${mark("train")})`);
  profiles.forEach(({ axis, nonFinite }) => {
    if (nonFinite > 0) log(`             ${axis}: ${nonFinite} NaN/±Infinity values are left out of fitting and scoring`);
  });
  const { metrics, thresholds, chartSeries } =
    window.wide !== undefined && window.plain
      ? await wideEvaluateAndThresholds(db, window, time0, models, training.finiteMeans, summary, dtSeconds, config, log, mark)
      : await onAnalyticSession(db, async (session) => {
          const evaluation = await databaseEvaluate(session, window, time0, models, training, summary.lastTime - summary.firstTime);
          log(`[5/7] evaluate   R², MAE, RMSE for ${evaluation.metrics.length} axes (${mark("evaluate")})`);
          const thresholds = await databaseThresholds(session, window, time0, models, evaluation, dtSeconds, config.thresholds, summary.rows);
          log(`[6/7] thresholds MinC/MaxC and sustain steps for ${window.axes.length} axes (${mark("thresholds")})`);
          const chartSeries: Prediction = config.plots.enabled ? await databaseChartSeries(session, window, summary, models) : noChartSeries(window);
          return { metrics: evaluation.metrics, thresholds, chartSeries };
        });
  const profile: Profile = { rows: summary.rows, dt_seconds: dtSeconds, first_time: summary.firstTime, last_time: summary.lastTime, axes: profiles.map(({ nonFinite: _, finiteMax: __, ...axis }) => axis) };
  return { window, profile, prepStats, models, metrics, thresholds, chartSeries, fingerprint };
}

/** The chart series when the charts are off. */
function noChartSeries(window: SqlWindow): Prediction {
  return { timeS: new Float64Array(0), axes: window.axes, actual: [], predicted: [], residual: [] };
}

/**
 * Evaluate and thresholds of a plain WIDE table on two sessions at once: the metrics (and chart series) pass needs
 * only the models, so it runs beside the chain the thresholds need (sample, residual intervals, order statistics,
 * run lengths), each in its own session (one after the other on a pool of one connection, never nested).
 */
async function wideEvaluateAndThresholds(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  finiteMeans: readonly number[],
  summary: WindowSummary,
  dtSeconds: number,
  config: Config,
  log: (line: string) => void,
  mark: (stage: string) => string,
): Promise<{ metrics: readonly AxisMetrics[]; thresholds: Record<string, AxisThresholds>; chartSeries: Prediction }> {
  const measured = onAnalyticSession(db, (session) => wideMetrics(session, window, time0, models, finiteMeans, config.plots.enabled ? summary : undefined));
  measured.catch(() => undefined); // awaited below
  let counted: (value: WideResidualIntervals) => void = () => undefined;
  const intervalsReady = new Promise<WideResidualIntervals>((resolve) => (counted = resolve));
  const thresholding = onAnalyticSession(db, async (session) => {
    const intervals = await wideResidualIntervals(session, window, time0, models, summary.rows, config.thresholds);
    counted(intervals);
    const evaluation = { ...intervals, histograms: [], scales: [] };
    return databaseThresholds(session, window, time0, models, evaluation, dtSeconds, config.thresholds, summary.rows);
  });
  thresholding.catch(() => undefined); // awaited below
  try {
    const [{ metrics, chartSeries }] = await Promise.all([measured, Promise.race([intervalsReady, thresholding])]);
    log(`[5/7] evaluate   R², MAE, RMSE for ${metrics.length} axes (${mark("evaluate")})`);
    const thresholds = await thresholding;
    log(`[6/7] thresholds MinC/MaxC and sustain steps for ${window.axes.length} axes (${mark("thresholds")})`);
    return { metrics, thresholds, chartSeries: chartSeries ?? noChartSeries(window) };
  } catch (error) {
    await Promise.allSettled([measured, thresholding]); // let both end before the caller closes the connections
    throw error;
  }
}

/**
 * The pipeline with `compute.mode: database`: {@link trainInDatabase}, charts
 * from the decimated series, then the same registry files as the in-memory
 * path (`meta.yaml`'s `lineage.data_fingerprint` is the SQL-side one,
 * prefixed `sql:`).
 */
export async function runPipelineInDatabase(db: Kysely<any>, config: Config, log: (line: string) => void = () => {}): Promise<PipelineResult> {
  const { seconds: stageSeconds, mark } = stageClock();
  const result = await trainInDatabase(db, config, log, mark);
  const { window, profile, prepStats, models, metrics, thresholds } = result;
  const chartFiles = config.plots.enabled ? await writeChartFiles(result.chartSeries, thresholds, config.plots.dir, { clock: prepStats }) : [];
  if (chartFiles.length > 0) log(`             ${chartFiles.length} charts → ${config.plots.dir} (${mark("charts")})`);
  const meta = versionMeta(config, { timeType: window.timeType, layout: window.layout, axes: window.axes, time: new Float64Array(0), values: [], trainRows: profile.rows });
  const registered = await registerModel({
    rootDir: config.registry.root_dir,
    versionTag: config.registry.version_tag,
    models,
    prepStats,
    thresholds,
    metrics,
    meta: { ...meta, rows: { raw: profile.rows, train: profile.rows }, lineage: { ...meta.lineage, data_fingerprint: `sql:${result.fingerprint}` } },
  });
  log(`[7/7] register   ${registered.version} → ${registered.dir} (${mark("register")})`);
  return {
    version: registered.version,
    versionDir: registered.dir,
    rawShape: [profile.rows, window.axes.length + 1],
    trainShape: [profile.rows, window.axes.length + 1],
    layout: window.layout,
    timeType: window.timeType,
    profile,
    prepStats,
    models,
    metrics,
    thresholds,
    chartFiles,
    database: describeDatabase(config.database),
    stageSeconds,
    // The database computes the axes; this thread only asks.
    threads: 1,
    axesSeconds: ["train", "predict", "evaluate", "thresholds", "charts"].reduce((sum, stage) => sum + (stageSeconds[stage] ?? 0), 0),
  };
}
