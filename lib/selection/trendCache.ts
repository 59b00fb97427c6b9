/**
 * The trend of a part of a window, fitted once for every candidate that
 * shares it: candidates that differ only in their statistic (`linear +
 * residual`, `linear + ewma`, `linear + cusum`) fit the same models and read
 * the same residuals. One entry per part (the latest trend asked for; the
 * candidates of one model come one after another), held weakly by the part,
 * so it goes with the window.
 */
import { predictColumns } from "../stages/predict";
import { trainColumns, type TrainOptions } from "../stages/train";
import type { ModelSet, PreparedColumns } from "../shapes/types";

/** A part's fitted trend and its residuals (actual − predicted, every row), per axis. */
export interface PartTrend {
  readonly models: ModelSet;
  readonly residual: readonly Float64Array[];
}

const latest = new WeakMap<PreparedColumns, { readonly key: string; readonly trend: PartTrend }>();

/**
 * Lets the trend kept for `part` go (runSelection calls it when done).
 *
 * @example
 * forgetPartTrend(split.fit);
 */
export function forgetPartTrend(part: PreparedColumns): void {
  latest.delete(part);
}

/**
 * `trainColumns` of `part` with `options` and the residuals of `predictColumns`, the same
 * objects for the same part and options as the last call (the models are then shared: treat
 * them as read-only, as everything does).
 *
 * @example
 * const { models, residual } = partTrend(split.fit, { type: "poly", degree: 2 });
 */
export function partTrend(part: PreparedColumns, options: TrainOptions): PartTrend {
  const key = JSON.stringify(options);
  const cached = latest.get(part);
  if (cached !== undefined && cached.key === key) return cached.trend;
  const models = trainColumns(part.timeS, part.axes, part.values, options);
  // One predicted column serves every axis in turn: only the residuals are kept.
  const scratch = new Float64Array(part.timeS.length);
  const into = { predicted: part.axes.map(() => scratch), residual: part.axes.map(() => new Float64Array(part.timeS.length)) };
  const trend = { models, residual: predictColumns(part.timeS, models, part.values, into).residual };
  latest.set(part, { key, trend });
  return trend;
}
