/**
 * The candidates selection chooses between: one trend model type × one
 * scoring statistic each, fitted on the fit part of a window and scored by
 * the real scorer (`scoreBatch`) on the validation part. Adding a model type
 * or a statistic is one entry in {@link CANDIDATE_MODELS} or
 * {@link CANDIDATE_STATISTICS}.
 */
import { TREND_MODEL_TYPES } from "../shapes/artifacts";
import type { DetectionEvent } from "./detection";
import type { LoadedVersion } from "../registry";
import { initialScoreState, scoreBatch, scoringModel } from "../scoring/score";
import { statisticColumn, statisticSpec, type StatisticSpec } from "../model/statistic";
import { partRankScratch, partScratch, partTrend } from "./trendCache";
import type { AxisThresholds, Config, ModelSet, ModelType, PreparedColumns } from "../shapes/types";
import type { PcaArtifact } from "../shapes/pcaArtifacts";
import { pcaColumns, trainPcaSmoothings } from "../stages/pcaTrain";
import { partPca } from "./pcaCache";
import { DEFAULT_THRESHOLD_POLICY } from "../shapes/config";
import { medianOfSteps } from "../stats";

/** Model types selection tries with `model.type: auto`, simplest first: linear, poly, piecewise, per_mode, then pca (all axes at once). */
export const CANDIDATE_MODELS: readonly (ModelType | "pca")[] = Object.freeze([...TREND_MODEL_TYPES, "pca" as const]);

/** A statistic a candidate can score with (`scoring.statistic` without `auto`). */
export type CandidateStatistic = "residual" | "ewma" | "cusum";

/** Statistics selection tries with `scoring.statistic: auto`, simplest first: residual, ewma, cusum. */
export const CANDIDATE_STATISTICS: readonly CandidateStatistic[] = Object.freeze(["residual", "ewma", "cusum"] as const);

/** The config keys a candidate reads: the model's options (`model.degree` …) and the statistic's (`scoring.ewma_alpha`, `cusum_k`, `max_gap_seconds`). */
export type CandidateConfig = Pick<Config, "model" | "scoring">;

/** A candidate fitted on the fit part of a window. */
export interface FittedCandidate {
  /** The fitted trend models, one per axis. */
  readonly models: ModelSet;
  /** Per axis, what calibration sees over the fit part: the statistic of the residuals, in time order (read one axis at a time: a read may reuse the column of the previous one). */
  readonly calibration: readonly Float64Array[];
  /** The thresholds.json entry of an axis from what the policy calibrated on `calibration` (adds e.g. the statistic). */
  thresholds(axisIndex: number, calibrated: AxisThresholds): AxisThresholds;
  /**
   * A pca candidate: its model and its own limits (held-out blocks of the fit part, see lib/stages/pcaTrain.ts),
   * the same at every swept percentile: it is measured at the policy it is trained with.
   */
  readonly pca?: { readonly artifact: PcaArtifact; readonly limits: Readonly<Record<string, AxisThresholds>> };
}

/** One model type × statistic combination. */
export interface DetectionCandidate {
  /** `model.type` value. */
  readonly model: string;
  /** `scoring.statistic` value. */
  readonly statistic: string;
  /** Rank for ties: lower is simpler (model rank + statistic rank, in the lists' order). */
  readonly complexity: number;
  /** Fits the models (and the statistic's parameters) on `part`. */
  fit(part: PreparedColumns): FittedCandidate;
}

/**
 * The candidate `model` × `statistic` with the other keys as in `config`.
 *
 * @param pcaStatistics For a pca candidate, the statistics of the pca candidates evaluated with it: their
 *   models are trained together on the first fit (lib/selection/pcaCache.ts); defaults to its own only.
 * @throws Error for a model or statistic not in the candidate lists (a bug: the config schema admits only those).
 */
export function detectionCandidate(model: string, statistic: string, config: CandidateConfig, pcaStatistics: readonly CandidateStatistic[] = [statistic as CandidateStatistic]): DetectionCandidate {
  const modelRank = CANDIDATE_MODELS.indexOf(model as ModelType);
  const statisticRank = CANDIDATE_STATISTICS.indexOf(statistic as CandidateStatistic);
  if (modelRank < 0 || statisticRank < 0) throw new Error(`no detection candidate ${model} + ${statistic}`);
  if (model === "pca") return pcaCandidate(statistic as CandidateStatistic, config, modelRank + statisticRank, pcaStatistics);
  const { type: _type, ...trendOptions } = config.model;
  const scoring = { ...config.scoring, statistic: statistic as CandidateStatistic };
  return {
    model,
    statistic,
    complexity: modelRank + statisticRank,
    fit(part) {
      // Exactly what training does: fit the trend, residuals on every row, the statistic's spec from them,
      // calibration on the statistic's values from a fresh state (gaps reset it as the scorer does).
      // The trend is fitted once for the candidates of one model (lib/selection/trendCache.ts); an axis's
      // residuals are predicted again at each read, into the part's one scratch column, and its statistic
      // computed over them in place (each row is read before it is written): the readers (calibrateLevels,
      // calibrateAxis) take one axis at a time and keep nothing of it.
      const trend = partTrend(part, { ...trendOptions, type: model as ModelType });
      const specs: StatisticSpec[] = [];
      const specOf = (a: number, residual: Float64Array): StatisticSpec => (specs[a] ??= statisticSpec(scoring, residual, part.values[a], scoring.statistic === "cusum" ? partRankScratch(part) : undefined));
      const calibration: Float64Array[] = [];
      part.axes.forEach((_axis, a) =>
        Object.defineProperty(calibration, a, {
          enumerable: true,
          get: () => {
            const residual = trend.residualInto(a, partScratch(part));
            return statisticColumn(specOf(a, residual), residual, NaN, { timeS: part.timeS, maxGapSeconds: scoring.max_gap_seconds, into: residual }).values;
          },
        }),
      );
      const models = trend.models;
      return {
        models,
        calibration,
        thresholds: (a, calibrated) => {
          const spec = specs[a] ?? specOf(a, trend.residualInto(a, partScratch(part)));
          return spec.type === "residual" ? calibrated : { ...calibrated, statistic: spec };
        },
      };
    },
  };
}

/**
 * Scores `values` (per axis, aligned with `timeS`, the time of the prepared window) with a fitted
 * candidate and per-axis thresholds, from a fresh state, through `scoreBatch` (the scorer of replay,
 * follow and HTTP). Returns the alert events; `ended_at` is null for one still open at the end.
 */
export function alertEvents(
  fitted: FittedCandidate,
  thresholds: Readonly<Record<string, AxisThresholds>>,
  timeS: Float64Array,
  values: readonly Float64Array[],
  maxGapSeconds: number | null = null,
): DetectionEvent[] {
  // time0 = 0: the prepared time is already time_s, and (t − 0) is t exactly.
  const version = { version: "validation", models: fitted.models, thresholds, prepStats: { time0: 0, time_type: "float" }, ...(fitted.pca === undefined ? {} : { pca: fitted.pca.artifact }) } as unknown as LoadedVersion;
  const model = scoringModel(version, { maxGapSeconds });
  const { events } = scoreBatch(model, initialScoreState(model, "validation"), { time: timeS, values });
  return events
    .filter((event) => event.level === "alert")
    // A pca event (T2/SPE) counts on the axis it attributes the most to.
    .map((event) => ({ axis: event.contributions?.[0]?.axis ?? event.axis, started_at: event.started_at as number, fired_at: event.fired_at as number, ended_at: event.ended_at as number | null }));
}

/**
 * The pca candidate with `statistic` (residual: T²/SPE per sample; ewma: of the smoothed vector; cusum
 * is not available and measures nothing: its fit throws, so candidatesFor leaves it out).
 */
function pcaCandidate(statistic: CandidateStatistic, config: CandidateConfig, complexity: number, together: readonly CandidateStatistic[]): DetectionCandidate {
  const policy = (config as Partial<Pick<Config, "thresholds">>).thresholds ?? DEFAULT_THRESHOLD_POLICY;
  const alphaOf = (s: CandidateStatistic): number | null => (s === "ewma" ? config.scoring.ewma_alpha : null);
  return {
    model: "pca",
    statistic,
    complexity,
    fit(part) {
      const options = {
        explainedVariance: config.model.explained_variance,
        slowRatio: config.model.slow_ratio,
        maxGapSeconds: config.scoring.max_gap_seconds ?? null,
        metrics: false,
        columns: false,
      };
      // The pca candidates of one selection share the usable rows, blocks and standardisations: trained together, once.
      const alphas = [...new Set(together.map(alphaOf))];
      const trained = partPca(part, JSON.stringify({ options, policy }), alphaOf(statistic), alphas, (wanted) => {
        return trainPcaSmoothings(part.axes, part.timeS, part.values, medianOfSteps(part.timeS, partScratch(part)) /* the steps in the part's scratch, free while a candidate fits */, policy, { ...options, ewmaAlpha: null }, wanted);
      });
      // T² and SPE over the fit part only when read: a pca candidate is measured at its own limits, which never read them.
      const maxGapSeconds = config.scoring.max_gap_seconds ?? null;
      let columns: { t2: Float64Array; spe: Float64Array } | undefined;
      const read = () => (columns ??= pcaColumns(trained.pca, part.timeS, part.values, maxGapSeconds));
      const calibration: Float64Array[] = [];
      ["t2", "spe"].forEach((channel, c) => Object.defineProperty(calibration, c, { enumerable: true, get: () => read()[channel as "t2" | "spe"] }));
      return {
        models: { type: "pca", models: trained.models },
        calibration,
        thresholds: (_a, calibrated) => calibrated,
        pca: { artifact: trained.pca, limits: trained.thresholds },
      };
    },
  };
}
