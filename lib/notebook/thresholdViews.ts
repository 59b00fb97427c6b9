/**
 * Views of the thresholding notebook (06): the calibrated thresholds as table
 * rows, per axis the residual (or thresholded statistic) with MinC/MaxC and
 * the run lengths the sustain steps were calibrated on, and the threshold
 * notes (lib/views/thresholdNotes.ts) of a training window — 06's own, a pca
 * fit's, or a registered version's (08).
 */
import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { predictionOf, residualPair } from "./fitViews";
import { runLengthChart } from "../views/histogramCharts";
import type { PlotlyFigure } from "../views/figure";
import type { ChartClock } from "../views/timeAxis";
import { recordedStatistic, statisticLabel } from "../model/statistic";
import { axisStatistic, runLengths } from "../stages/thresholds";
import type { AxisThresholds, Config } from "../shapes/types";
import { thresholdNotes, type ThresholdNote, type ThresholdNoteInput, type ThresholdNoteOptions } from "../views/thresholdNotes";
import { extractScoringWindow } from "../views/scoreViews";
import { numericColumn } from "../shapes/frame";
import { timeColumnSeconds } from "../shapes/timeColumn";
import { isoToEpochSeconds } from "../core/time";
import { score } from "../scoring/scoreFrame";
import { PCA_CHANNELS } from "../shapes/pcaArtifacts";
import type { PcaTrained } from "../stages/pcaTrain";
import type { LoadedVersion } from "../registry";

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

/**
 * For every axis: the {@link residualCharts} with MinC/MaxC, then the
 * histograms of the run lengths of residual ≥ MinC (alert, `T_long_steps`
 * marked) and ≥ MaxC (error, `T_short_steps` marked), as one flat list.
 * When the thresholds record a smoothed statistic, the charts and runs are
 * of its values (labelled, e.g. "EWMA(α=0.1) of residual").
 *
 * @param options `max_gap_seconds` (default null) as calibration had it: pass `config.scoring`; `clock` (e.g. the
 *   version's `prepStats`): time axes in UTC clock time (default `time_s`).
 */
export function thresholdCharts(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: { readonly max_gap_seconds?: number | null; readonly clock?: ChartClock } = {},
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
    return [...residualPair(p, i, t, values, options.clock), runs("MinC", "alert", "T_long_steps"), runs("MaxC", "error", "T_short_steps")];
  });
}

// Field by field: tslab compiles without strictNullChecks, where zod makes every artifact field optional.
const levels = (t: AxisThresholds): Pick<ThresholdNoteInput, "MinC" | "MaxC" | "T_long_steps" | "T_short_steps"> => ({
  MinC: t.MinC,
  MaxC: t.MaxC,
  T_long_steps: t.T_long_steps,
  T_short_steps: t.T_short_steps,
});

/**
 * The threshold notes of a training window fitted per axis (06): per axis its calibrated statistic
 * (the residual unless the thresholds record another) over the window against its MinC/MaxC.
 *
 * @param options `max_gap_seconds` as calibration had it (pass `config.scoring`), and the rule's limits
 * @example
 * import { analyze, calibrateThresholds, extractWindow, loadConfig, predict, prepare, resolveConfigPath, showMarkdown, thresholdNotesMarkdown, train, windowThresholdNotes } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const axes = prepared.frame.columns.slice(1);
 * const predicted = predict(prepared.frame, train(prepared.frame, axes));
 * const thresholds = calibrateThresholds(predicted, axes, analyze(raw, config.data.time_col).dt_seconds, config.thresholds, config.scoring);
 * showMarkdown(thresholdNotesMarkdown(windowThresholdNotes(predicted, axes, thresholds, config.scoring)));
 */
export function windowThresholdNotes(
  predicted: dfd.DataFrame,
  axes: readonly string[],
  thresholds: Readonly<Record<string, AxisThresholds>>,
  options: ThresholdNoteOptions & { readonly max_gap_seconds?: number | null } = {},
): ThresholdNote[] {
  const p = predictionOf(predicted, axes);
  const inputs: ThresholdNoteInput[] = p.axes.flatMap((axis, i) => {
    const t = thresholds[axis];
    if (t === undefined) return [];
    const spec = recordedStatistic(t);
    return [{ ...levels(t), axis, values: axisStatistic(p, i, spec, options.max_gap_seconds ?? null), statistic: statisticLabel(spec) }];
  });
  return thresholdNotes(inputs, options);
}

/**
 * The threshold notes of a pca fit over its training window (06 with `model.type: pca`): T² and SPE
 * of the final model against their limits.
 *
 * @example
 * import { analyze, extractWindow, loadConfig, pcaThresholdNotes, pcaWindowFit, prepare, resolveConfigPath, showMarkdown, thresholdNotesMarkdown } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const trained = pcaWindowFit(prepared.frame, config, analyze(raw, config.data.time_col).dt_seconds);
 * showMarkdown(thresholdNotesMarkdown(pcaThresholdNotes(trained)));
 */
export function pcaThresholdNotes(trained: Pick<PcaTrained, "thresholds" | "t2" | "spe">, options: ThresholdNoteOptions = {}): ThresholdNote[] {
  return thresholdNotes(
    [
      { ...levels(trained.thresholds.T2), axis: "T2", values: trained.t2, statistic: "T²" },
      { ...levels(trained.thresholds.SPE), axis: "SPE", values: trained.spe, statistic: "SPE" },
    ],
    options,
  );
}

/**
 * The threshold notes of a registered version (08): its own training window (`train_start` to
 * `train_end` of its metadata) re-read and scored by the version from a fresh state, each scored
 * channel (axis, or T² and SPE) against the version's MinC/MaxC.
 *
 * @param config the project config (database and `scoring.max_gap_seconds`)
 * @throws InputError when the version's training window has no rows in the table
 * @example
 * import { loadConfig, loadVersion, resolveConfigPath, showMarkdown, thresholdNotesMarkdown, versionThresholdNotes } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const latest = await loadVersion(config.registry.root_dir, "latest");
 * showMarkdown(thresholdNotesMarkdown(await versionThresholdNotes(latest, config)));
 */
export async function versionThresholdNotes(version: LoadedVersion, config: Config, options: ThresholdNoteOptions = {}): Promise<ThresholdNote[]> {
  const { train_start, train_end } = version.meta.data;
  const frame = await extractScoringWindow(config, version, { from: train_start });
  const end = typeof train_end === "number" ? train_end : isoToEpochSeconds(String(train_end));
  const seconds = frame === null ? new Float64Array(0) : timeColumnSeconds(frame, frame.columns[0], "versionThresholdNotes").seconds;
  let rows = 0;
  while (rows < seconds.length && seconds[rows] < end) rows++;
  if (frame === null || rows === 0) {
    throw new InputError(`versionThresholdNotes: no rows of ${version.version}'s training window (${String(train_start)} to ${String(train_end)}) in ${config.data.table}`);
  }
  const scored = score(frame, version, { maxGapSeconds: config.scoring.max_gap_seconds });
  const channels = version.pca !== undefined ? [...PCA_CHANNELS] : version.models.models.map((m) => m.axis);
  const inputs: ThresholdNoteInput[] = channels.flatMap((axis) => {
    const t = version.thresholds[axis];
    if (t === undefined) return [];
    const values = numericColumn(scored.statistics, `${axis}_stat`, "versionThresholdNotes").subarray(0, rows);
    return [{ ...levels(t), axis, values, statistic: version.pca !== undefined ? (axis === "T2" ? "T²" : axis) : statisticLabel(recordedStatistic(t)) }];
  });
  return thresholdNotes(inputs, options);
}
