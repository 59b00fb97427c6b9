/**
 * The configuration a training run actually uses: with `auto` in
 * `model.type` or `scoring.statistic` (or `thresholds.target_alarms_per_day`
 * set), selection measures the candidates on the window (see lib/selection.ts)
 * and its choice replaces the `auto` keys and the alert/error percentiles;
 * otherwise the configuration is used as it is. The CLI pipeline and the
 * notebooks both go through {@link resolveSelection}, so they train the same.
 */
import type * as dfd from "danfojs-node";
import type { Selection } from "../shapes/artifacts";
import type { CandidateStatistic } from "./candidates";
import { numericColumn } from "../shapes/frame";
import { InputError } from "../core/errors";
import { needsSelection, runSelection, type SelectionOptions, type SelectionResult } from "./runSelection";
import { runSelectionOnThreads } from "./selectionThreads";
import type { Worker } from "worker_threads";
import type { LabelledWindow } from "./labelledOutcomes";
import type { TrainOptions } from "../stages/train";
import type { Config, ModelType, PreparedColumns } from "../shapes/types";

/** What {@link resolveSelection} returns. */
export interface ResolvedSelection {
  /** The config to train, calibrate and register with: no `auto` left, percentiles as chosen. */
  readonly config: Config;
  /** What selection measured and chose; null when the config asked for none or the window was too short. */
  readonly selected: SelectionResult | null;
  /** One line when selection could not run on this window (too short) and the stated default was trained instead. */
  readonly warning?: string;
}

/**
 * Resolves `auto` (and `thresholds.target_alarms_per_day`) by {@link runSelection} on the prepared window.
 *
 * @param columns The prepared window (`time_s` plus axes), in time order.
 * @param dtSeconds Its sampling interval (`analyze`'s `dt_seconds`).
 * @param labelled Labelled incidents and the fault rows left out, when the stream has any: selection reports on them.
 * @param idleColumn A column as long as the window that the caller does not read meanwhile: selection works in it instead of a new one.
 */
export function resolveSelection(columns: PreparedColumns, dtSeconds: number, config: Config, labelled?: LabelledWindow, idleColumn?: Float64Array): ResolvedSelection {
  if (!needsSelection(config)) return { config, selected: null };
  try {
    return resolvedBy(config, runSelection(columns, dtSeconds, config, selectionOptions(labelled, idleColumn)));
  } catch (error) {
    return skippedBy(config, error);
  }
}

/**
 * {@link resolveSelection} with the candidates measured on this thread and on `worker` as well
 * (lib/selection/selectionThreads.ts); the same result, and the threads it was measured on.
 *
 * @param worker A started worker thread that runs lib/pipeline/axisWorker.ts, or null (this thread only).
 */
export async function resolveSelectionOnThreads(
  columns: PreparedColumns,
  dtSeconds: number,
  config: Config,
  labelled: LabelledWindow | undefined,
  idleColumn: Float64Array | undefined,
  worker: Worker | null,
): Promise<ResolvedSelection & { readonly threads: number }> {
  if (!needsSelection(config)) return { config, selected: null, threads: 1 };
  try {
    const { threads, ...selected } = await runSelectionOnThreads(columns, dtSeconds, config, selectionOptions(labelled, idleColumn), worker);
    return { ...resolvedBy(config, selected), threads };
  } catch (error) {
    return { ...skippedBy(config, error), threads: 1 };
  }
}

function selectionOptions(labelled: LabelledWindow | undefined, idleColumn: Float64Array | undefined): SelectionOptions {
  return { ...(labelled === undefined ? {} : { labelled }), ...(idleColumn === undefined ? {} : { idleColumn }) };
}

/** The config with selection's choice in place of the `auto` keys and the percentiles. */
function resolvedBy(config: Config, selected: SelectionResult): ResolvedSelection {
  const chosen: Config = {
    ...config,
    // Candidates come from CANDIDATE_MODELS and CANDIDATE_STATISTICS (lib/detectionCandidates.ts).
    model: { ...config.model, type: selected.chosen.model as ModelType },
    scoring: { ...config.scoring, statistic: selected.chosen.statistic as CandidateStatistic },
    thresholds: { ...config.thresholds, minc_percentile: selected.chosen.minc_percentile, maxc_percentile: selected.chosen.maxc_percentile },
  };
  return { config: chosen, selected };
}

/** A window too short to measure candidates on: the stated default (linear + residual, the configured percentiles), one warning; any other error is thrown. */
function skippedBy(config: Config, error: unknown): ResolvedSelection {
  if (!(error instanceof InputError) || !/^selection: /.test(error.message)) throw error;
  const fallback: Config = {
    ...config,
    model: { ...config.model, type: config.model.type === "auto" ? "linear" : config.model.type },
    scoring: { ...config.scoring, statistic: config.scoring.statistic === "auto" ? "residual" : config.scoring.statistic },
    thresholds: { ...config.thresholds, target_alarms_per_day: null },
  };
  const warning = `warning: ${error.message.replace(/^selection: /, "")}; selection skipped: trained ${fallback.model.type} + ${fallback.scoring.statistic} at the configured percentiles`;
  return { config: fallback, selected: null, warning };
}

/** The `train` options of a resolved config (`model.type` and its keys). */
export function trainOptionsOf(config: Config): TrainOptions {
  const { type, ...options } = config.model;
  // resolveSelection leaves no `auto`; a config that still has it was not resolved.
  if (type === "auto") throw new Error("model.type auto must be resolved first (resolveSelection / chooseDetection)");
  if (type === "pca") throw new Error("model.type pca trains all axes at once (trainPca), not per-axis trends");
  return { type, ...options };
}

/** What {@link chooseDetection} returns. */
export interface DetectionChoice {
  /** The config to train, calibrate and register with (pass it to `calibrateThresholds` and `registerRun`). */
  readonly config: Config;
  /**
   * The `train` options of that config: the model type chosen or configured, with its keys. For `pca`
   * (all axes at once: `pcaWindowFit`/`trainPca`) the `linear` trend, which notebooks show beside it.
   */
  readonly trainOptions: TrainOptions;
  /** What selection measured (`selection.json`); null when the config asked for no selection. */
  readonly selection: Selection | null;
  /** One or two lines: what was chosen and why; empty without selection. */
  readonly summary: readonly string[];
}

/**
 * Decides the trend model and the scoring statistic for a prepared window, as
 * the CLI's training does: with `auto` in `model.type` or `scoring.statistic`
 * (or `thresholds.target_alarms_per_day`), by measuring every candidate on the
 * held-out end of the window at the default rule's false alarms (see docs/detection.md;
 * README "Detection (auto)"); otherwise as configured.
 *
 * @param prepared The DataFrame from `prepare` (`time_s` plus axes).
 * @param config The loaded config.
 * @param dtSeconds The sampling interval (`analyze(...).dt_seconds`).
 *
 * @example
 * import { analyze, chooseDetection, extractWindow, loadConfig, prepare, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const choice = chooseDetection(prepared.frame, config, analyze(raw, config.data.time_col).dt_seconds);
 * [choice.trainOptions.type ?? "linear", choice.config.scoring.statistic, choice.summary]; // as configured, or what `auto` measured
 */
export function chooseDetection(prepared: dfd.DataFrame, config: Config, dtSeconds: number): DetectionChoice {
  const axes = prepared.columns.slice(1);
  const columns: PreparedColumns = {
    timeS: numericColumn(prepared, "time_s", "chooseDetection"),
    axes,
    values: axes.map((axis) => numericColumn(prepared, axis, "chooseDetection")),
  };
  const resolved = resolveSelection(columns, dtSeconds, config);
  return {
    config: resolved.config,
    // A pca config trains all axes at once; its per-axis views show the linear trend for comparison.
    trainOptions: trainOptionsOf(resolved.config.model.type === "pca" ? { ...resolved.config, model: { ...resolved.config.model, type: "linear" } } : resolved.config),
    selection: resolved.selected?.selection ?? null,
    summary: resolved.selected?.summary ?? [],
  };
}
