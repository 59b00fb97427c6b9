/**
 * `runPipeline`, what `npm start` runs: connect, extract the training window,
 * analyze, prepare, choose the detection (`auto`), train, predict, evaluate
 * and calibrate every axis (on several threads), write the charts and
 * register the version — in memory, or inside the database when
 * `compute.mode` says so (./inDatabase).
 */
import { packageRoot } from "../core/packageRoot";
import { profileColumns } from "../stages/analyze";
import { assertTrainableWindow } from "../stages/trainingWindow";
import { defaultAxisThreads, runAxes, startAxisWorkers, type AxisWorkers } from "./axisThreads";
import { preparePlotsDir, safeFileStem } from "../views/chartFiles";
import { connect, describeDatabase } from "../db/connect";
import { InputError, toInputError } from "../core/errors";
import { extractColumns, type ExtractProgress } from "../db/extract";
import { chooseComputeMode, runPipelineInDatabase } from "./inDatabase";
import { gitCommitAsync, startFingerprint } from "../registry/lineage";
import { prepareColumns } from "../stages/prepare";
import { resampleColumns } from "../stages/resample";
import { assertRegistryWritable, assertVersionFree, registerModel } from "../registry/store";
import { resolveSelectionOnThreads, trainOptionsOf } from "../selection/chooseDetection";
import { needsSelection } from "../selection/runSelection";
import { versionMeta } from "./versionMeta";
import { runPcaPipeline } from "./pcaPipeline";
import type { VersionMetaInput } from "../registry";
import { stageClock, type LabelledFaultExclusion, type PipelineResult } from "./result";
import { labelledSpans, type FaultSpan, type LabelledSpans } from "../scoring/labelledFaults";
import { labelledWindow } from "../selection/labelledOutcomes";
import { scoreStreamName } from "../scoring/replay";
import { excludeSpans } from "../stages/excludeSpans";
import { isoToEpochSeconds } from "../core/time";
export type { PipelineResult } from "./result";
import type { AxisMetrics, AxisThresholds, Config, Extraction, ModelSet } from "../shapes/types";

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Receives one line per stage as it runs; defaults to ignoring them. */
  readonly log?: (line: string) => void;
  /** Receives extraction progress (the CLI prints it: `stderrProgress`, cli/progress.ts); defaults to none. */
  readonly onExtractProgress?: (progress: ExtractProgress) => void;
  /** Threads training, scoring and calibrating the axes (this one included); defaults to `defaultAxisThreads` (one per core, within memory). */
  readonly threads?: number;
}

/** `meta` with the ML Box commit already known (registerModel would otherwise ask git itself). */
function withCommit(meta: VersionMetaInput, commit: string | null): VersionMetaInput {
  return { ...meta, lineage: { ...meta.lineage, git_commit: commit } };
}

/** Seconds of a `data.train_start`/`train_end` bound. */
function boundSeconds(bound: number | string): number {
  return typeof bound === "number" ? bound : isoToEpochSeconds(bound);
}

/**
 * compute.mode database does not leave labelled rows out: it refuses when an incident labelled `fault`
 * overlaps the training window [train_start, train_end), rather than learning the fault as normal.
 */
function refuseLabelledInDatabase(config: Config, spans: readonly FaultSpan[], reason: string): void {
  const from = boundSeconds(config.data.train_start);
  const to = boundSeconds(config.data.train_end);
  const inside = spans.filter((span) => span.start < to && (span.end === null || span.end >= from));
  if (inside.length === 0) return;
  throw new InputError(
    `compute.mode database (${reason}) cannot leave out the rows of ${inside.length} incident(s) labelled fault in ${config.scoring.incidents_table} (first ${inside[0].id}) inside data.train_start..train_end: set compute.mode memory, or move the training window`,
  );
}

/** Counts values that are NaN or ±Infinity. */
function countNonFinite(values: Float64Array): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return count;
}

/**
 * Runs the whole pipeline from a validated config: extract → resample (when
 * `prep.resample_seconds` is set) → analyze → prepare → train → predict → evaluate → calibrate thresholds → register
 * (charts are written just before registering). Bad input fails before anything is written (a fixed version
 * tag that exists and an unwritable registry are found before extracting); the registry version appears
 * whole or not at all.
 *
 * @throws InputError for anything the user should fix (config, data, database).
 *
 * @example
 * import { loadConfig, resolveConfigPath, runPipeline } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const result = await runPipeline(config, { log: (line) => console.log(line) });
 * result.version; // the version registered in config.registry.root_dir, e.g. "v3"
 */
export async function runPipeline(config: Config, options: PipelineOptions = {}): Promise<PipelineResult> {
  const { log = () => {}, onExtractProgress } = options;
  const { seconds: stageSeconds, mark, restart } = stageClock();
  if (config.registry.version_tag !== "auto") await assertVersionFree(config.registry.root_dir, config.registry.version_tag);
  // An unwritable registry is bad input found now, not after the whole run.
  await assertRegistryWritable(config.registry.root_dir);

  const database = describeDatabase(config.database);
  // Asked now, read when registering: `git rev-parse` runs while the data is read.
  const commit = gitCommitAsync(packageRoot());
  log(`[1/7] extract    ${config.data.table} from ${database}`);
  const db = await connect(config.database);
  let extraction;
  // Set only when this stream has incidents labelled fault (none: nothing changes, not even the log).
  let labelledFault: LabelledFaultExclusion | undefined;
  // Set when it has incidents labelled fault or false_alarm: selection reports on them (the fault rows left out, to put back).
  let labelled: { spans: LabelledSpans; dropped: { time: Float64Array; values: readonly Float64Array[] } } | undefined;
  let workers: AxisWorkers | undefined;
  try {
    const compute = await chooseComputeMode(db, config);
    log(`             compute in ${compute.mode} (${compute.reason})`);
    if (compute.mode === "database" && needsSelection(config)) {
      throw new InputError(
        `compute.mode database (${compute.reason}) cannot measure candidates on held-out data: model.type auto, scoring.statistic auto and thresholds.target_alarms_per_day need compute.mode memory`,
      );
    }
    const allSpans = await labelledSpans(db, config.scoring.incidents_table, scoreStreamName(config.data));
    const spans = allSpans.faults;
    if (compute.mode === "database") {
      refuseLabelledInDatabase(config, spans, compute.reason);
      return await runPipelineInDatabase(db, config, log);
    }
    // Worker threads for the axes start now when the estimate asks for them: loading their code overlaps extraction.
    const estimated = compute.estimatedSamples;
    workers = startAxisWorkers(options.threads ?? (estimated === undefined ? 1 : defaultAxisThreads(estimated, config.data.axes.length)));
    const extracted = await extractColumns(db, config.data, { onProgress: onExtractProgress });
    // No span: the same window back (nothing dropped).
    const excluded = excludeSpans(extracted, spans);
    extraction = excluded.extraction;
    if (spans.length > 0) labelledFault = { rows: excluded.rows, incidents: excluded.spans, extractedRows: extracted.time.length };
    if (spans.length > 0 || allSpans.falseAlarms.length > 0) labelled = { spans: allSpans, dropped: excluded.dropped };
  } catch (error) {
    workers?.close();
    // Permission denied, statement timeout, overflow: the table or the database user is the user's to fix.
    const { schema, table, time_col: timeCol, axes, value_col: valueCol } = config.data;
    const columns = [timeCol, ...(valueCol ? [valueCol] : axes.map(String))];
    throw toInputError(error, { table: schema ? `${schema}.${table}` : table, columns });
  } finally {
    await db.destroy();
  }
  try {
    return await trainExtracted(config, extraction, workers as AxisWorkers, options, { stageSeconds, mark, restart, log, database, commit, labelledFault, labelled });
  } finally {
    workers?.close();
  }
}

/**
 * The pipeline from an extracted window on: see {@link runPipeline}. `workers`
 * are the axis threads started during extraction (resized to the window).
 */
async function trainExtracted(
  config: Config,
  extraction: Extraction,
  workers: AxisWorkers,
  options: PipelineOptions,
  context: {
    stageSeconds: Record<string, number>;
    mark: (stage: string) => string;
    /** Starts the next stage's clock without recording the time since the last mark. */
    restart: () => void;
    log: (line: string) => void;
    database: string;
    /** The ML Box checkout's commit (see gitCommitAsync), for the version's lineage. */
    commit: Promise<string | null>;
    /** The rows left out inside incidents labelled fault, when the stream has any. */
    labelledFault?: LabelledFaultExclusion;
    /** The stream's labelled incidents and the fault rows left out, for selection's report. */
    labelled?: { spans: LabelledSpans; dropped: { time: Float64Array; values: readonly Float64Array[] } };
  },
): Promise<PipelineResult> {
  const { stageSeconds, mark, restart, log, database, labelledFault } = context;
  const { axes } = extraction;
  // The times now (preparing turns them into time_s in place); the axes while the axis threads start.
  const fingerprint = startFingerprint();
  fingerprint.add(extraction.time);
  log(`             ${extraction.time.length} rows × ${axes.length} axes (${extraction.layout}, time ${extraction.timeType}) in ${mark("extract")}`);
  if (labelledFault !== undefined) {
    log(`             left out ${labelledFault.rows} rows inside ${labelledFault.incidents} incident(s) labelled fault (of ${labelledFault.extractedRows} extracted)`);
  }
  const resampleSeconds = config.prep.resample_seconds ?? null;
  const { time, values } = resampleSeconds === null ? extraction : resampleColumns(extraction.time, extraction.values, resampleSeconds);
  if (resampleSeconds !== null) log(`             resampled to ${resampleSeconds} s: ${time.length} rows (${mark("resample")})`);

  // The one column beyond the extracted ones: the time steps here, then each axis's fitted values and residual.
  const column = new Float64Array(time.length);
  const profile = profileColumns(time, axes, values, column);
  log(`[2/7] analyze    dt = ${profile.dt_seconds} s (${mark("analyze")})`);
  assertTrainableWindow(time.length, profile.dt_seconds, { table: config.data.table, trainStart: config.data.train_start, trainEnd: config.data.train_end });
  axes.forEach((axis, i) => {
    // The profile shows whether anything is not finite (NaN counted, ±Infinity as min or max): count only then.
    const { nan_count: nanCount, min, max } = profile.axes[i];
    if (nanCount === 0 && Number.isFinite(min) && Number.isFinite(max)) return;
    const bad = countNonFinite(values[i]);
    if (bad > 0) log(`             ${axis}: ${bad} NaN/±Infinity values are left out of fitting and scoring`);
  });

  const { columns, stats } = prepareColumns(time, axes, values, {
    interpolate: config.prep.interpolate,
    timeCol: extraction.timeCol,
    timeType: extraction.timeType,
    dtSeconds: profile.dt_seconds,
    resampleSeconds,
    inPlace: true,
  });
  log(`[3/7] prepare    time0 = ${stats.time0}${stats.interpolate ? ", gaps interpolated" : ""} (${mark("prepare")})`);

  // Selection: fit on the earlier part, measure on the later part, then train the choice on the whole window.
  const labelled = context.labelled === undefined ? undefined : labelledWindow(context.labelled.spans, context.labelled.dropped, { time0: stats.time0, resampleSeconds, interpolate: stats.interpolate, axes });
  // `column` is not read again until the axes run (each writes it first): selection works in it.
  // With an axis worker waiting (a window large enough for two threads), it measures half the candidates meanwhile.
  const selectionWorker = (options.threads ?? defaultAxisThreads(columns.timeS.length, axes.length)) > 1 ? (workers.workers[0] ?? null) : null;
  const { config: chosen, selected, warning, threads: selectionThreads } = await resolveSelectionOnThreads(columns, profile.dt_seconds, config, labelled, column, selectionWorker);
  // Its heap still holds selection's garbage: a fresh worker (about 0.1 s to start, while this thread takes the first axes) runs the axes, so their peak is what it was.
  if (selectionWorker !== null && selectionThreads > 1) await selectionWorker.terminate();
  if (warning !== undefined) log(`             ${warning}`);
  if (selected !== null) log(`             select     ${selected.summary.join("\n                        ")} (${mark("select")}${selectionThreads > 1 ? ` on ${selectionThreads} threads` : ""})`);
  if (chosen.model.type === "pca") {
    const fingerprintOf = (): string => {
      extraction.values.forEach((v) => fingerprint.add(v));
      return fingerprint.digest();
    };
    const prepared = { extraction, ...(labelledFault === undefined ? {} : { labelledFault }), timeS: columns.timeS, values: columns.values, profile, prepStats: stats, ...(selected === null ? {} : { selection: selected.selection }) };
    const result = await runPcaPipeline(chosen, prepared, { stageSeconds, mark, log, database, commit: context.commit, fingerprint: fingerprintOf });
    return selected === null ? result : { ...result, selection: selected.selection, selectionSummary: selected.summary };
  }
  // One axis at a time per thread: at most one column beyond the prepared ones is alive per thread (see runAxis).
  const chartStems = new Map<string, string>();
  for (const axis of config.plots.enabled ? axes : []) {
    const other = chartStems.get(safeFileStem(axis));
    if (other !== undefined) throw new InputError(`plots: axes "${other}" and "${axis}" both map to chart file name "${safeFileStem(axis)}"; rename one of them`);
    chartStems.set(safeFileStem(axis), axis);
  }
  const plotsDir = config.plots.enabled ? config.plots.dir : null;
  if (plotsDir !== null) await preparePlotsDir(plotsDir);
  const trainOptions = trainOptionsOf(chosen);
  const inputs = axes.map((axis, i) => ({
    axis,
    timeS: columns.timeS,
    actual: columns.values[i],
    dtSeconds: profile.dt_seconds,
    trainOptions,
    policy: chosen.thresholds,
    scoring: chosen.scoring,
    plotsDir,
    clock: { time0: stats.time0, time_type: stats.time_type },
  }));
  const begin = performance.now();
  const { runs, threads } = await runAxes(inputs, column, workers.resize(options.threads ?? defaultAxisThreads(columns.timeS.length, axes.length)), {
    first: () => extraction.values.forEach((v) => fingerprint.add(v)),
  });
  const axesSeconds = (performance.now() - begin) / 1000;
  const dataFingerprint = fingerprint.digest();
  const models: ModelSet = { type: trainOptions.type ?? "linear", models: runs.map((run) => run.model) } as ModelSet;
  const metrics: AxisMetrics[] = runs.map((run) => run.metrics);
  const thresholds: Record<string, AxisThresholds> = Object.fromEntries(runs.map((run, i) => [axes[i], run.thresholds]));
  const chartFiles = runs.flatMap((run) => run.chartFiles);
  // Seconds per stage summed over the axes (over threads, so they may add up to more than the wall time).
  const seconds = { train: 0, predict: 0, evaluate: 0, thresholds: 0, charts: 0 };
  for (const run of runs) for (const stage of Object.keys(seconds) as (keyof typeof seconds)[]) seconds[stage] += run.seconds[stage];
  const { charts, ...computed } = seconds;
  Object.assign(stageSeconds, computed, config.plots.enabled ? { charts } : {});
  restart();
  const onThreads = threads > 1 ? ` on ${threads} threads` : "";
  log(`[4/7] train      ${models.type}: ${models.models.map((m) => `${m.axis} (${m.samples_used} samples)`).join(", ")} (${seconds.train.toFixed(2)} s)`);
  log(`[5/7] evaluate   R², MAE, RMSE for ${metrics.length} axes (${seconds.evaluate.toFixed(2)} s)`);
  log(`[6/7] thresholds MinC/MaxC and sustain steps for ${axes.length} axes (${seconds.thresholds.toFixed(2)} s)`);
  if (chartFiles.length > 0) log(`             ${chartFiles.length} charts → ${config.plots.dir} (${seconds.charts.toFixed(2)} s)`);
  log(`             ${axes.length} axes in ${axesSeconds.toFixed(2)} s${onThreads}`);

  const registered = await registerModel({
    rootDir: config.registry.root_dir,
    versionTag: config.registry.version_tag,
    models,
    prepStats: stats,
    thresholds,
    metrics,
    ...(selected === null ? {} : { selection: selected.selection }),
    meta: withCommit(
      versionMeta(chosen, {
        timeType: extraction.timeType,
        layout: extraction.layout,
        axes,
        time: extraction.time,
        values: extraction.values,
        fingerprint: dataFingerprint,
        trainRows: columns.timeS.length,
        ...(labelledFault === undefined ? {} : { labelledFault }),
      }),
      await context.commit,
    ),
  });
  log(`[7/7] register   ${registered.version} → ${registered.dir} (${mark("register")})`);


  return {
    version: registered.version,
    versionDir: registered.dir,
    rawShape: [labelledFault?.extractedRows ?? extraction.time.length, axes.length + 1],
    trainShape: [columns.timeS.length, axes.length + 1],
    ...(labelledFault === undefined ? {} : { labelledFault }),
    layout: extraction.layout,
    timeType: extraction.timeType,
    profile,
    prepStats: stats,
    models,
    metrics,
    workingMetrics: runs.map((run) => run.workingMetrics),
    thresholds,
    chartFiles,
    database,
    stageSeconds,
    threads,
    axesSeconds,
    ...(selected === null ? {} : { selection: selected.selection, selectionSummary: selected.summary }),
  };
}
