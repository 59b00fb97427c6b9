/**
 * Scoring a `model.type: pca` version: each sample's raw values go through
 * the multivariate model (lib/model/pca.ts) to T² and SPE, which are then
 * scored as two axes named `T2` and `SPE` by the per-axis run rules of
 * lib/scoring/score.ts (MinC/T_long alert, MaxC/T_short error, a NaN or a
 * gap ends a run). Every event carries `contributions`: the axes' shares of
 * its statistic at the run's peak sample (the first sample with the largest
 * value, as `peak_residual`; while open: as of `fired_at`).
 *
 * The stream state adds the model's state (previous raw values, smoothed
 * vector) and, per open run, the vector at its peak, all JSON, so a split of
 * the samples into batches (and a follower restart) gives the same events.
 */
import { InputError } from "../core/errors";
import { pcaContributions, pcaStatisticsInto, pcaVectorStepInPlace, type PcaState } from "../model/pca";
import { PCA_CHANNELS } from "../shapes/pcaArtifacts";
import type { LoadedVersion } from "../registry";
import type { PcaStreamState, ScoreBatch, ScoreEvent, ScoreResult, ScoreState, ScoringModel } from "./scoreTypes";

/**
 * The scoring model of a pca version: the model's axes (what a batch holds),
 * and as `pca.channels` the two statistics with thresholds.json's `T2`/`SPE` levels.
 *
 * @example
 * const model = pcaScoringModel(await loadVersion(root, "latest"), null); // model.pca.channels.axes: ["T2", "SPE"]
 * @throws InputError when the version has no pca.json or bad sustain steps.
 */
export function pcaScoringModel(version: LoadedVersion, maxGapSeconds: number | null): ScoringModel {
  const artifact = version.pca;
  if (artifact === undefined) throw new InputError(`model version ${version.version} is model_type pca but has no pca.json`);
  const thresholds = PCA_CHANNELS.map((channel) => {
    const found = version.thresholds[channel];
    if (found === undefined) throw new InputError(`model version ${version.version} has no thresholds for ${channel}`);
    for (const key of ["T_long_steps", "T_short_steps"] as const) {
      if (!Number.isInteger(found[key]) || found[key] < 1) {
        throw new InputError(`model version ${version.version}: thresholds.json ${channel}.${key} must be a whole number ≥ 1, got ${found[key]}`);
      }
    }
    return found;
  });
  const base = {
    version: version.version,
    timeType: version.prepStats.time_type,
    time0: version.prepStats.time0,
    maxGapSeconds,
  };
  const channels: ScoringModel = Object.freeze({
    ...base,
    axes: Object.freeze([...PCA_CHANNELS]),
    coef: new Float64Array(PCA_CHANNELS.length),
    intercept: new Float64Array(PCA_CHANNELS.length),
    minC: Float64Array.from(thresholds, (t) => t.MinC),
    maxC: Float64Array.from(thresholds, (t) => t.MaxC),
    tLongSteps: Int32Array.from(thresholds, (t) => t.T_long_steps),
    tShortSteps: Int32Array.from(thresholds, (t) => t.T_short_steps),
  });
  const axes = version.models.models.map((model) => model.axis);
  return Object.freeze({
    ...base,
    axes: Object.freeze(axes),
    coef: new Float64Array(axes.length).fill(NaN),
    intercept: new Float64Array(axes.length).fill(NaN),
    minC: channels.minC,
    maxC: channels.maxC,
    tLongSteps: channels.tLongSteps,
    tShortSteps: channels.tShortSteps,
    pca: Object.freeze({ artifact, channels }),
  });
}

/** The pca part of a fresh stream state: no previous sample, smoothed vector 0, no runs. */
export function initialPcaStreamState(model: ScoringModel, runs: number): PcaStreamState {
  return { previous: model.axes.map(() => null), smoothed: model.axes.map(() => 0), peaks: Array.from({ length: runs }, () => null) };
}

/** A stored peak: the smoothed vector and the raw values of the sample. */
type Peak = { readonly s: readonly number[]; readonly row: readonly number[] };

/**
 * Scores one batch of a pca version (see the file header); `scoreChannels` is
 * the per-axis scorer (`scoreBatch`), applied to the T²/SPE columns. Pure: does not mutate `state`.
 *
 * @example
 * const { events } = scorePcaBatch(model, initialScoreState(model, "s"), batch, scoreBatch);
 * events[0].contributions?.[0].axis; // the axis with the largest share
 * @throws InputError as `scoreBatch` does, and when the state is not a pca state of this model.
 */
export function scorePcaBatch(
  model: ScoringModel,
  state: ScoreState,
  batch: ScoreBatch,
  scoreChannels: (model: ScoringModel, state: ScoreState, batch: ScoreBatch) => ScoreResult,
): ScoreResult {
  const pca = model.pca;
  if (pca === undefined) throw new Error("scorePcaBatch: not a pca model");
  const { artifact, channels } = pca;
  const { time, values } = batch;
  const n = time.length;
  const axisCount = model.axes.length;
  if (values.length !== axisCount) throw new InputError(`score: expected ${axisCount} value columns (${model.axes.join(", ")}), got ${values.length}`);
  values.forEach((column, a) => {
    if (column.length !== n) throw new InputError(`score: axis "${model.axes[a]}" has ${column.length} values for ${n} times`);
  });
  const saved = state.pca;
  if (saved === undefined || saved.previous.length !== axisCount || saved.peaks.length !== state.runs.length) {
    throw new InputError(`score: state of stream "${state.stream}" is not a pca state of model ${model.version} (${axisCount} axes): start from initialScoreState`);
  }
  // The model's statistics, sample by sample (a gap larger than maxGapSeconds resets the model's state).
  let modelState: PcaState = { previous: Float64Array.from(saved.previous, (v) => v ?? NaN), smoothed: Float64Array.from(saved.smoothed) };
  // The vectors of the rows a run's peak can be at (T² or SPE at or above one of its levels), in one flat growing
  // column (row i at slot[i] · axisCount), not an array per row nor one for every row: only those are read below.
  const [minC, maxC] = [channels.minC, channels.maxC];
  const slot = new Int32Array(n);
  let vectors = new Float64Array(Math.min(n, 1024) * axisCount);
  let stored = 0;
  const t2 = new Float64Array(n);
  const spe = new Float64Array(n);
  const row = new Float64Array(axisCount);
  const residual = new Float64Array(axisCount);
  const out = new Float64Array(2);
  const { maxGapSeconds } = model;
  let last = state.lastTime;
  for (let i = 0; i < n; i++) {
    if (maxGapSeconds !== null && last !== null && time[i] - last > maxGapSeconds) {
      modelState = { previous: new Float64Array(axisCount).fill(NaN), smoothed: new Float64Array(axisCount) };
    }
    for (let a = 0; a < axisCount; a++) row[a] = values[a][i];
    if (pcaVectorStepInPlace(artifact, modelState, row)) {
      const s = modelState.smoothed;
      pcaStatisticsInto(artifact, s, residual, out);
      t2[i] = out[0];
      spe[i] = out[1];
      if (out[0] >= minC[0] || out[0] >= maxC[0] || out[1] >= minC[1] || out[1] >= maxC[1]) {
        if ((stored + 1) * axisCount > vectors.length) {
          const grown = new Float64Array(Math.max(1, 2 * stored) * axisCount);
          grown.set(vectors);
          vectors = grown;
        }
        vectors.set(s, stored * axisCount);
        slot[i] = stored++;
      }
    } else {
      t2[i] = NaN;
      spe[i] = NaN;
    }
    last = time[i];
  }
  const { pca: _, ...channelState } = state;
  const result = scoreChannels(channels, channelState, { time, values: [t2, spe] });

  // The runs again, only to know each one's peak sample: the same rules as the scorer (≥ threshold, strictly larger peak, NaN/gap ends).
  const thresholds = [channels.minC, channels.maxC];
  const sustain = [channels.tLongSteps, channels.tShortSteps];
  const columns = [t2, spe];
  const peaks: (Peak | null)[] = [...saved.peaks];
  const lengths = state.runs.map((run) => run.length);
  const peakValues = state.runs.map((run) => run.peak_residual ?? Infinity);
  const closedPeaks: Peak[][] = state.runs.map(() => []);
  const firedPeaks: (Peak | null)[] = state.runs.map(() => null);
  const rawAt = (i: number): number[] => values.map((column) => column[i]);
  const close = (r: number): void => {
    if (lengths[r] >= sustain[r & 1][r >> 1] && peaks[r] !== null) closedPeaks[r].push(peaks[r] as Peak);
    lengths[r] = 0;
    peaks[r] = null;
  };
  last = state.lastTime;
  for (let i = 0; i < n; i++) {
    if (maxGapSeconds !== null && last !== null && time[i] - last > maxGapSeconds) for (let r = 0; r < lengths.length; r++) if (lengths[r] > 0) close(r);
    for (let r = 0; r < lengths.length; r++) {
      const value = columns[r >> 1][i];
      if (value >= thresholds[r & 1][r >> 1]) {
        if (lengths[r] === 0 || value > peakValues[r]) {
          peakValues[r] = value;
          peaks[r] = { s: Array.from(vectors.subarray(slot[i] * axisCount, (slot[i] + 1) * axisCount)), row: rawAt(i) };
        }
        lengths[r]++;
        if (lengths[r] === sustain[r & 1][r >> 1]) firedPeaks[r] = peaks[r];
      } else if (lengths[r] > 0) {
        close(r);
      }
    }
    last = time[i];
  }
  const explain = (event: ScoreEvent, peak: Peak | null): ScoreEvent =>
    peak === null ? event : { ...event, contributions: pcaContributions(artifact, model.axes, event.axis as "T2" | "SPE", peak.s, peak.row) };
  const taken = state.runs.map(() => 0);
  const events = result.events.map((event) => {
    const r = 2 * PCA_CHANNELS.indexOf(event.axis as "T2") + (event.level === "alert" ? 0 : 1);
    return explain(event, event.ended_at === null ? firedPeaks[r] : (closedPeaks[r][taken[r]++] ?? null));
  });
  const pcaState: PcaStreamState = {
    previous: Array.from(modelState.previous, (v) => (Number.isNaN(v) ? null : v)),
    smoothed: Array.from(modelState.smoothed),
    peaks,
  };
  return { ...result, state: { ...result.state, pca: pcaState }, events };
}
