import type * as dfd from "danfojs-node";
import { numericColumn } from "../shapes/frame";
import { fitAxisModel, type TrendOptions } from "../model/trendModel";
import type { LinearModelSet, ModelSet, ModelType } from "../shapes/types";

export { fitLinear } from "../model/fitLinear";

/** What to fit: `type` (default `linear`) and the options of that type (see {@link TrendOptions}). */
export interface TrainOptions extends TrendOptions {
  readonly type?: ModelType;
}

/** Typed core of {@link train}: one {@link fitAxisModel} per axis (lines without options). */
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[]): LinearModelSet;
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[], options: TrainOptions): ModelSet;
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[], options: TrainOptions = {}): ModelSet {
  const type = options.type ?? "linear";
  return { type, models: axes.map((axis, i) => fitAxisModel(type, axis, timeS, values[i], options)) };
}

/**
 * Fits one trend per axis (by default a line, `y = coef * time_s + intercept`) on the
 * rows where the axis is finite and not exactly 0 (idle samples are left out).
 *
 * @param frame The prepared DataFrame (`time_s` plus axes).
 * @param axes The axis columns to fit, in order.
 * @param options `type` (default `linear`), `degree`, `breakpoints`, `modes`: pass `config.model` once `auto` is resolved.
 * @throws InputError when a column is missing or an axis has no usable samples.
 */
export function train(frame: dfd.DataFrame, axes: readonly string[]): LinearModelSet;
export function train(frame: dfd.DataFrame, axes: readonly string[], options: TrainOptions): ModelSet;
export function train(frame: dfd.DataFrame, axes: readonly string[], options: TrainOptions = {}): ModelSet {
  const timeS = numericColumn(frame, "time_s", "train");
  return trainColumns(timeS, axes, axes.map((axis) => numericColumn(frame, axis, "train")), options);
}
