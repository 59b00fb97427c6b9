/**
 * Scoring: applies a registered model to new samples and reports sustained
 * anomalies as events.
 *
 * Per axis `residual = value − trend(t − time0)`: for a line
 * `(t − time0)·coef + intercept`, for the other model types `predictValue`
 * (lib/trendModel.ts), computed in the same order of operations as training,
 * so a replay of the training window reproduces calibration's residuals bit for bit. Two levels per axis:
 * **alert** (`residual ≥ MinC` sustained `T_long_steps` samples) and
 * **error** (`≥ MaxC`, `T_short_steps`). A run is a maximal sequence of
 * consecutive samples at or above the threshold; a NaN value ends it (as in
 * calibration), and so does a time gap larger than `maxGapSeconds` when set.
 * Every run that reaches its sustain steps is one event.
 *
 * When the version's thresholds record a smoothed statistic (EWMA, CUSUM; see
 * lib/statistic.ts), the runs are on its value instead of the residual's: it is
 * computed per sample from the residual and the axis's statistic state, which a
 * NaN residual leaves unchanged and a gap larger than `maxGapSeconds` resets.
 *
 * {@link scoreBatch} is pure and incremental: the state it returns carries
 * the open runs and the statistics' states, so any split of the same samples
 * into batches yields the same events as one pass. Scoring a whole DataFrame
 * at once is `score` (./scoreFrame).
 */
import { InputError } from "../core/errors";
import { recordedStatistic, smoothedState, type StatisticSpec } from "../model/statistic";
import type { LoadedVersion } from "../registry";
import { isLinearModel, predictValue } from "../model/trendModel";
import { initialPcaStreamState, pcaScoringModel, scorePcaBatch } from "./pcaBatch";
import { downOf, scoreTwoSidedBatch, twoSidedModel } from "./twoSided";
import { SCORE_LEVELS, formatScoreTime, type RunState, type ScoreBatch, type ScoreEvent, type ScoreResult, type ScoreState, type ScoringModel } from "./scoreTypes";
export { SCORE_LEVELS, formatScoreTime, type RunState, type ScoreBatch, type ScoreEvent, type ScoreLevel, type ScoreResult, type ScoreState, type ScoringModel } from "./scoreTypes";


/**
 * The scoring model of a registry version.
 *
 * @param version What `loadVersion` returned.
 * @param options `maxGapSeconds` defaults to null (a gap in time does not end a run, as in calibration).
 * @throws InputError when the version lacks thresholds for an axis or `maxGapSeconds` is not a number > 0.
 *
 * @example
 * import { ensureRegistered, loadConfig, loadVersion, resolveConfigPath, scoringModel } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const model = scoringModel(await loadVersion(config.registry.root_dir, "latest"), { maxGapSeconds: config.scoring.max_gap_seconds });
 * [model.version, model.axes];
 */
export function scoringModel(version: LoadedVersion, options: { maxGapSeconds?: number | null } = {}): ScoringModel {
  const maxGapSeconds = options.maxGapSeconds ?? null;
  if (maxGapSeconds !== null && !(maxGapSeconds > 0)) {
    throw new InputError(`scoring.max_gap_seconds must be a number > 0, got ${String(maxGapSeconds)}`);
  }
  if (version.models.type === "pca") return pcaScoringModel(version, maxGapSeconds);
  const models = version.models.models;
  const axes = models.map((model) => model.axis);
  const thresholds = axes.map((axis) => {
    const found = version.thresholds[axis];
    if (found === undefined) throw new InputError(`model version ${version.version} has no thresholds for axis "${axis}"`);
    for (const key of ["T_long_steps", "T_short_steps"] as const) {
      if (!Number.isInteger(found[key]) || found[key] < 1) {
        throw new InputError(`model version ${version.version}: thresholds.json ${axis}.${key} must be a whole number ≥ 1, got ${found[key]}`);
      }
    }
    return found;
  });
  return Object.freeze({
    version: version.version,
    axes: Object.freeze(axes),
    timeType: version.prepStats.time_type,
    time0: version.prepStats.time0,
    coef: Float64Array.from(models, (model) => (isLinearModel(model) ? model.coef : NaN)),
    intercept: Float64Array.from(models, (model) => (isLinearModel(model) ? model.intercept : NaN)),
    models: Object.freeze([...models]),
    minC: Float64Array.from(thresholds, (t) => t.MinC),
    maxC: Float64Array.from(thresholds, (t) => t.MaxC),
    tLongSteps: Int32Array.from(thresholds, (t) => t.T_long_steps),
    tShortSteps: Int32Array.from(thresholds, (t) => t.T_short_steps),
    maxGapSeconds,
    statistics: Object.freeze(thresholds.map(recordedStatistic)),
    ...downOf(thresholds),
  });
}


/**
 * The state of a stream before its first sample.
 *
 * @example
 * import { ensureRegistered, initialScoreState, loadConfig, loadVersion, resolveConfigPath, scoringModel } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const model = scoringModel(await loadVersion(config.registry.root_dir, "latest"));
 * initialScoreState(model, "line-1"); // no samples seen yet; pass it to scoreBatch
 */
export function initialScoreState(model: ScoringModel, stream: string): ScoreState {
  if (model.pca !== undefined) return { ...initialScoreState(model.pca.channels, stream), pca: initialPcaStreamState(model, 2 * model.pca.channels.axes.length) };
  if (model.down !== undefined) return initialScoreState(twoSidedModel(model), stream);
  const runs: RunState[] = [];
  for (const axis of model.axes) {
    for (const level of SCORE_LEVELS) runs.push({ axis, level, length: 0, started_at: null, fired_at: null, peak_residual: null });
  }
  return { stream, lastTime: null, runs, statistics: model.axes.map(() => null) };
}


/** Mutable copy of a run while a batch is scored. */
interface Run {
  length: number;
  startedAt: number;
  firedAt: number;
  peak: number;
  /** Peak at the firing sample (what an open event reports). */
  firedPeak: number;
}

/**
 * Scores one batch of samples of a stream. Pure: does not mutate `state`.
 *
 * @throws InputError on out-of-order or duplicated times (relative to state.lastTime and within the batch),
 *   naming the sample; on a non-finite time; when `batch.values` does not have one column per model axis of
 *   the batch's length.
 *
 * @example
 * import { ensureRegistered, initialScoreState, loadConfig, loadVersion, resolveConfigPath, scoreBatch, scoringModel } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const model = scoringModel(await loadVersion(config.registry.root_dir, "latest"));
 * // Two samples a second apart (epoch seconds for timestamp columns), every axis at 0.5.
 * const batch = { time: Float64Array.of(1_700_000_000, 1_700_000_001), values: model.axes.map(() => Float64Array.of(0.5, 0.5)) };
 * const { state, events, residuals } = scoreBatch(model, initialScoreState(model, "line-1"), batch);
 * [state.lastTime, events, Array.from(residuals[0])]; // pass `state` to the next batch
 */
export function scoreBatch(model: ScoringModel, state: ScoreState, batch: ScoreBatch): ScoreResult {
  // A pca version: T² and SPE per sample, scored as two axes by the rules below, events explained by contributions.
  if (model.pca !== undefined) return scorePcaBatch(model, state, batch, scoreBatch);
  // Two-sided: the lower sides scored as axes of their own on the negated residuals.
  if (model.down !== undefined) return scoreTwoSidedBatch(model, state, batch, scoreBatch);
  const signs = model.signs;
  const { axes, coef, intercept, time0, timeType, maxGapSeconds } = model;
  // Axes whose trend is not a line go through predictValue; lines keep the inline expression below.
  const trends = axes.map((_, a) => (model.models !== undefined && !isLinearModel(model.models[a]) ? model.models[a] : null));
  const { time, values } = batch;
  const n = time.length;
  const axisCount = axes.length;
  if (values.length !== axisCount) {
    throw new InputError(`score: expected ${axisCount} value columns (${axes.join(", ")}), got ${values.length}`);
  }
  values.forEach((column, a) => {
    if (column.length !== n) throw new InputError(`score: axis "${axes[a]}" has ${column.length} values for ${n} times`);
  });
  if (state.runs.length !== 2 * axisCount) {
    throw new InputError(`score: state of stream "${state.stream}" has ${state.runs.length} runs, model ${model.version} needs ${2 * axisCount}`);
  }
  if (state.statistics !== undefined && state.statistics.length !== axisCount) {
    throw new InputError(`score: state of stream "${state.stream}" has ${state.statistics.length} statistic states, model ${model.version} needs ${axisCount}`);
  }
  const show = (seconds: number): string => String(formatScoreTime(seconds, timeType));
  let previous = state.lastTime;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (!Number.isFinite(t)) throw new InputError(`score: sample ${i} of stream "${state.stream}" has no valid time (${t})`);
    if (previous !== null && !(t > previous)) {
      const what = t === previous ? "duplicates" : "is before";
      throw new InputError(`score: sample ${i} of stream "${state.stream}" at ${show(t)} ${what} the previous sample at ${show(previous)}: samples must be in increasing time order`);
    }
    previous = t;
  }

  const thresholds = [model.minC, model.maxC];
  const sustain = [model.tLongSteps, model.tShortSteps];
  const runs: Run[] = state.runs.map((run) => ({
    length: run.length,
    startedAt: run.started_at ?? NaN,
    firedAt: run.fired_at ?? NaN,
    peak: run.peak_residual ?? Infinity, // JSON turns an infinite peak into null
    firedPeak: NaN,
  }));
  const firedHere = new Uint8Array(runs.length);
  const closed: ScoreEvent[] = [];
  const event = (index: number, run: Run, endedAt: number | null): ScoreEvent => {
    const axis = index >> 1;
    const level = index & 1;
    const open = endedAt === null;
    return {
      axis: axes[axis],
      level: SCORE_LEVELS[level],
      started_at: formatScoreTime(run.startedAt, timeType),
      fired_at: formatScoreTime(run.firedAt, timeType),
      ended_at: open ? null : formatScoreTime(endedAt, timeType),
      samples: open ? sustain[level][axis] : run.length,
      peak_residual: open ? run.firedPeak : run.peak,
      threshold: thresholds[level][axis],
      model_version: model.version,
      stream: state.stream,
    };
  };
  const end = (index: number, endedAt: number): void => {
    const run = runs[index];
    if (run.length >= sustain[index & 1][index >> 1]) {
      closed.push(event(index, run, endedAt));
      firedHere[index] = 0;
    }
    run.length = 0;
  };

  const residuals = axes.map(() => new Float64Array(n));
  // Smoothed axes get their own column and state; residual axes score the residual itself.
  const specs: readonly StatisticSpec[] = model.statistics ?? axes.map(() => ({ type: "residual" }) as const);
  const smoothed = specs.map((spec) => spec.type !== "residual");
  const statistics = axes.map((_, a) => (smoothed[a] ? new Float64Array(n) : residuals[a]));
  const statisticState = Float64Array.from(axes, (_, a) => state.statistics?.[a] ?? NaN);
  let last = state.lastTime;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    if (maxGapSeconds !== null && last !== null && t - last > maxGapSeconds) {
      for (let r = 0; r < runs.length; r++) if (runs[r].length > 0) end(r, last);
      statisticState.fill(NaN);
    }
    for (let a = 0; a < axisCount; a++) {
      // Same operations, in the same order, as training's predictColumns.
      const trend = trends[a];
      let residual = values[a][i] - (trend === null ? (t - time0) * coef[a] + intercept[a] : predictValue(trend, t - time0, values[a][i]));
      if (signs !== undefined) residual *= signs[a];
      residuals[a][i] = residual;
      let value = residual;
      if (smoothed[a]) {
        // statisticStep without its array: NaN for a missing value, the state kept.
        value = Number.isFinite(residual) ? (statisticState[a] = smoothedState(specs[a], statisticState[a], residual)) : NaN;
        statistics[a][i] = value;
      }
      for (let level = 0; level < 2; level++) {
        const index = 2 * a + level;
        const run = runs[index];
        if (value >= thresholds[level][a]) {
          if (run.length === 0) {
            run.startedAt = t;
            run.peak = value;
          } else if (value > run.peak) {
            run.peak = value;
          }
          run.length++;
          if (run.length === sustain[level][a]) {
            run.firedAt = t;
            run.firedPeak = run.peak;
            firedHere[index] = 1;
          }
        } else if (run.length > 0) {
          end(index, last as number);
        }
      }
    }
    last = t;
  }

  const events = closed;
  for (let r = 0; r < runs.length; r++) if (firedHere[r] === 1) events.push(event(r, runs[r], null));
  const nextRuns: RunState[] = runs.map((run, r) => ({
    axis: axes[r >> 1],
    level: SCORE_LEVELS[r & 1],
    length: run.length,
    started_at: run.length > 0 ? run.startedAt : null,
    fired_at: run.length >= sustain[r & 1][r >> 1] ? run.firedAt : null,
    peak_residual: run.length > 0 ? run.peak : null,
  }));
  const nextStatistics = Array.from(statisticState, (value) => (Number.isNaN(value) ? null : value));
  return { state: { stream: state.stream, lastTime: last, runs: nextRuns, statistics: nextStatistics }, residuals, statistics, events };
}
