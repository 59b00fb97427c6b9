/**
 * Registry writes from notebooks: registering the results of a notebook's
 * stages as a version (with the CLI pipeline's metadata and lineage), and
 * making sure a registry holds a version before the notebooks that read one.
 */
import type * as dfd from "danfojs-node";
import { metricRows } from "./fitViews";
import { runPipeline } from "../pipeline/inMemory";
import { versionMeta } from "../pipeline/versionMeta";
import { listVersions, registerModel, type RegisteredVersion, type VersionSummary } from "../registry";
import type { Prepared } from "../stages/prepare";
import { frameColumns } from "../shapes/timeColumn";
import type { Selection } from "../shapes/artifacts";
import type { PcaTrained } from "../stages/pcaTrain";
import { InputError } from "../core/errors";
import type { AxisMetrics, AxisThresholds, Config, Layout, ModelSet } from "../shapes/types";

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
  /**
   * What `pcaWindowFit` trained: required when `config.model.type` is `pca`, and then registered instead
   * of `models`, `metrics` and `thresholds` (as `npm start` registers a pca version: pca.json, T2/SPE).
   */
  readonly pca?: PcaTrained | null;
}

/**
 * Registers the results of a notebook's stages as a new version of
 * `config.registry.root_dir` (tag `config.registry.version_tag`), with the
 * same metadata and lineage as the CLI pipeline writes (config path and
 * hash, data fingerprint of the extracted columns, database without
 * password; package version and git commit as the registry fills them in).
 */
export async function registerRun(config: Config, run: NotebookRun): Promise<RegisteredVersion> {
  const { raw, prepared, selection = null, pca = null } = run;
  if (config.model.type === "pca" && pca === null) throw new InputError("registerRun: model.type is pca: pass pca (what pcaWindowFit trained on this window)");
  if (config.model.type !== "pca" && pca !== null) throw new InputError(`registerRun: model.type is ${config.model.type}, not pca: leave pca out`);
  const models: ModelSet = pca === null ? run.models : { type: "pca", models: pca.models };
  const thresholds = pca === null ? run.thresholds : pca.thresholds;
  const metrics = pca === null ? run.metrics : pca.metrics;
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
    ...(pca === null ? {} : { pca: pca.pca }),
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
