/**
 * The trend of a part of a window, fitted once for every candidate that
 * shares it: candidates that differ only in their statistic (`linear +
 * residual`, `linear + ewma`, `linear + cusum`) fit the same models. Only the
 * models are kept: an axis's residuals are predicted again when read, into
 * one scratch column of the part (a kept residual matrix of the fit part is
 * the size of the window's raw columns). One entry per part (the latest trend
 * asked for; the candidates of one model come one after another), held
 * weakly by the part, so it goes with the window.
 */
import { FitWorkspace } from "../model/fitWorkspace";
import { predictColumn } from "../model/trendModel";
import { trainColumns, type TrainOptions } from "../stages/train";
import type { ModelSet, PreparedColumns } from "../shapes/types";

/** A part's fitted trend, and its residuals (actual − predicted, every row) of one axis at a time. */
export interface PartTrend {
  readonly models: ModelSet;
  /** Axis `a`'s residuals, `actual − predicted` as `predictColumns` computes them, written into `into` (as long as the part). */
  residualInto(a: number, into: Float64Array): Float64Array;
}

const latest = new WeakMap<PreparedColumns, { readonly key: string; readonly trend: PartTrend }>();
const scratchOf = new WeakMap<PreparedColumns, Float64Array>();
const rankScratchOf = new WeakMap<PreparedColumns, Float64Array>();

/**
 * Lets the trend and the scratch column kept for `part` go (runSelection calls it when done).
 *
 * @example
 * forgetPartTrend(split.fit);
 */
export function forgetPartTrend(part: PreparedColumns): void {
  latest.delete(part);
  scratchOf.delete(part);
  rankScratchOf.delete(part);
}

/**
 * One column as long as `part`, the same for every caller until {@link forgetPartTrend}: what a
 * candidate's calibration column is computed in (its readers take one axis at a time and keep nothing).
 *
 * @example
 * const residual = trend.residualInto(0, partScratch(split.fit));
 */
export function partScratch(part: PreparedColumns): Float64Array {
  let scratch = scratchOf.get(part);
  if (scratch === undefined) scratchOf.set(part, (scratch = new Float64Array(part.timeS.length)));
  return scratch;
}

/**
 * A second column as long as `part`, the same for every caller until {@link forgetPartTrend}: where
 * values are copied to have ranks selected while the scratch column holds a residual (CUSUM's
 * reference), instead of a new column per candidate and axis.
 *
 * @example
 * const spec = statisticSpec(scoring, residual, part.values[a], partRankScratch(part));
 */
export function partRankScratch(part: PreparedColumns): Float64Array {
  let scratch = rankScratchOf.get(part);
  if (scratch === undefined) rankScratchOf.set(part, (scratch = new Float64Array(part.timeS.length)));
  return scratch;
}

/**
 * Makes the first `part.timeS.length` values of `column` the part's scratch column ({@link partScratch}):
 * a column the caller does not read until {@link forgetPartTrend}, lent instead of a new one. Ignored when
 * `column` is too short or not at the start of its buffer (the fits' workspace takes columns from offset 0).
 *
 * @example
 * lendPartScratch(split.fit, idleColumn);
 */
export function lendPartScratch(part: PreparedColumns, column: Float64Array): void {
  const n = part.timeS.length;
  if (column.length >= n && column.byteOffset === 0 && !scratchOf.has(part)) scratchOf.set(part, column.subarray(0, n));
}

/**
 * `trainColumns` of `part` with `options`, the same object for the same part and options as the
 * last call (the models are then shared: treat them as read-only, as everything does).
 *
 * @example
 * const { models, residualInto } = partTrend(split.fit, { type: "poly", degree: 2 });
 */
export function partTrend(part: PreparedColumns, options: TrainOptions): PartTrend {
  const key = JSON.stringify(options);
  const cached = latest.get(part);
  if (cached !== undefined && cached.key === key) return cached.trend;
  // The part's scratch is not read while the trend is fitted (each reader writes it first): the fits' first work column.
  const workspace = new FitWorkspace();
  const scratch = partScratch(part);
  if (scratch.byteOffset === 0) workspace.give(scratch);
  const models = trainColumns(part.timeS, part.axes, part.values, options, workspace);
  const residualInto = (a: number, into: Float64Array): Float64Array => {
    const y = part.values[a];
    // predictColumns' residual, y − fit, with the fit written into `into` first (each row read before it is overwritten).
    const fit = predictColumn(models.models[a], part.timeS, y, into);
    for (let i = 0; i < fit.length; i++) fit[i] = y[i] - fit[i];
    return fit;
  };
  const trend = { models, residualInto };
  latest.set(part, { key, trend });
  return trend;
}
