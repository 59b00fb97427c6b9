/**
 * The pipeline's train-and-register steps for `model.type: pca`, from a
 * prepared window on: one multivariate model over every axis (lib/stages/pcaTrain.ts)
 * instead of one trend per axis, registered with its pca.json and the T²/SPE
 * thresholds.
 */
import { trainPca } from "../stages/pcaTrain";
import { registerModel } from "../registry/store";
import { versionMeta } from "./versionMeta";
import type { Profile } from "../stages/analyze";
import type { LabelledFaultExclusion, PipelineResult } from "./result";
import type { Config, Extraction, ModelSet, PrepStats } from "../shapes/types";
import type { Selection } from "../shapes/artifacts";
import type { VersionMetaInput } from "../registry";

/** What the in-memory pipeline hands over once the window is prepared. */
export interface PreparedWindow {
  readonly extraction: Extraction;
  readonly timeS: Float64Array;
  readonly values: readonly Float64Array[];
  readonly profile: Profile;
  readonly prepStats: PrepStats;
  /** What selection measured (`model.type: auto` chose pca); written as selection.json. */
  readonly selection?: Selection;
  /** The rows left out inside incidents labelled fault (absent: the stream has none). */
  readonly labelledFault?: LabelledFaultExclusion;
}

/** The pipeline's context: its clock, log, database text, commit and data fingerprint. */
export interface PcaRunContext {
  readonly stageSeconds: Record<string, number>;
  readonly mark: (stage: string) => string;
  readonly log: (line: string) => void;
  readonly database: string;
  readonly commit: Promise<string | null>;
  /** Adds the extracted columns to the data fingerprint and returns it. */
  readonly fingerprint: () => string;
}

/**
 * Trains a pca model on the prepared window and registers it (see
 * lib/stages/pcaTrain.ts). Logs steps 4–7 like the per-axis pipeline.
 *
 * @example
 * const result = await runPcaPipeline(config, prepared, context); // result.models.type === "pca"
 * @throws InputError for a window with too few usable rows.
 */
export async function runPcaPipeline(config: Config, prepared: PreparedWindow, context: PcaRunContext): Promise<PipelineResult> {
  const { extraction, timeS, values, profile, prepStats } = prepared;
  const { log, mark, stageSeconds } = context;
  const { axes } = extraction;
  const ewma = config.scoring.statistic === "ewma";
  const trained = trainPca(axes, timeS, values, profile.dt_seconds, config.thresholds, {
    explainedVariance: config.model.explained_variance,
    slowRatio: config.model.slow_ratio,
    ewmaAlpha: ewma ? config.scoring.ewma_alpha : null,
    maxGapSeconds: config.scoring.max_gap_seconds,
  });
  const { pca } = trained;
  const slow = axes.filter((_, j) => pca.differenced[j]);
  log(
    `[4/7] train      pca: ${pca.components} of ${axes.length} components explain ${(100 * pca.explained).toFixed(1)} % (${pca.rows_used} rows${ewma ? `, EWMA α=${config.scoring.ewma_alpha}` : ""}); ` +
      `first differences: ${slow.length === 0 ? "none" : slow.join(", ")} (${mark("train")})`,
  );
  log(`[5/7] evaluate   reconstruction R², MAE, RMSE for ${axes.length} axes`);
  const { T2, SPE } = trained.thresholds;
  log(`[6/7] thresholds T2 ${T2.MinC.toPrecision(4)}/${T2.MaxC.toPrecision(4)}, SPE ${SPE.MinC.toPrecision(4)}/${SPE.MaxC.toPrecision(4)} (held-out blocks), sustain ${T2.T_long_steps}/${T2.T_short_steps} steps`);
  const models: ModelSet = { type: "pca", models: trained.models };
  const meta: VersionMetaInput = versionMeta(config, {
    timeType: extraction.timeType,
    layout: extraction.layout,
    axes,
    time: extraction.time,
    values: extraction.values,
    fingerprint: context.fingerprint(),
    trainRows: timeS.length,
    ...(prepared.labelledFault === undefined ? {} : { labelledFault: prepared.labelledFault }),
  });
  const registered = await registerModel({
    rootDir: config.registry.root_dir,
    versionTag: config.registry.version_tag,
    models,
    prepStats,
    thresholds: trained.thresholds,
    metrics: trained.metrics,
    pca,
    ...(prepared.selection === undefined ? {} : { selection: prepared.selection }),
    meta: { ...meta, lineage: { ...meta.lineage, git_commit: await context.commit } },
  });
  log(`[7/7] register   ${registered.version} → ${registered.dir} (${mark("register")})`);
  return {
    version: registered.version,
    versionDir: registered.dir,
    rawShape: [prepared.labelledFault?.extractedRows ?? extraction.time.length, axes.length + 1],
    ...(prepared.labelledFault === undefined ? {} : { labelledFault: prepared.labelledFault }),
    trainShape: [timeS.length, axes.length + 1],
    layout: extraction.layout,
    timeType: extraction.timeType,
    profile,
    prepStats,
    models,
    metrics: trained.metrics,
    thresholds: trained.thresholds,
    chartFiles: [],
    database: context.database,
    stageSeconds,
    threads: 1,
    axesSeconds: stageSeconds.train ?? 0,
  };
}
