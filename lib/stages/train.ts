/**
 * The train stage: fits one trend per axis over `time_s`, leaving exact zeros
 * (idle samples) and missing values out (a least-squares line by default;
 * poly, piecewise or per-mode lines with `model.type`). `train` takes the
 * prepared DataFrame, `trainColumns` is its typed core.
 */
import type * as dfd from "danfojs-node";
import { numericColumn } from "../shapes/frame";
import { fitAxisModel, type TrendOptions } from "../model/trendModel";
import { FitWorkspace } from "../model/fitWorkspace";
import type { LinearModelSet, ModelSet, ModelType } from "../shapes/types";

export { fitLinear } from "../model/fitLinear";

/** What to fit: `type` (default `linear`) and the options of that type (see {@link TrendOptions}). */
export interface TrainOptions extends TrendOptions {
  readonly type?: ModelType;
}

/**
 * Typed core of {@link train}: one {@link fitAxisModel} per axis (lines without options).
 * `workspace` (default: a new one) lends the fits their work columns; it may hold columns the caller does not read meanwhile.
 *
 * @example
 * import { trainColumns } from "mlbox";
 * const models = trainColumns(Float64Array.of(0, 1, 2, 3), ["a"], [Float64Array.of(1, 3, 5, 7)]);
 * models.models[0]; // { axis: "a", coef: 2, intercept: 1, samples_used: 4 }
 */
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[]): LinearModelSet;
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[], options: TrainOptions, workspace?: FitWorkspace): ModelSet;
export function trainColumns(timeS: Float64Array, axes: readonly string[], values: readonly Float64Array[], options: TrainOptions = {}, workspace = new FitWorkspace()): ModelSet {
  const type = options.type ?? "linear";
  // One pool of work columns for every axis (see FitWorkspace): the fits of one training reuse them.
  return { type, models: axes.map((axis, i) => fitAxisModel(type, axis, timeS, values[i], options, workspace)) };
}

/**
 * Fits one trend per axis (by default a line, `y = coef * time_s + intercept`) on the
 * rows where the axis is finite and not exactly 0 (idle samples are left out).
 *
 * @param frame The prepared DataFrame (`time_s` plus axes).
 * @param axes The axis columns to fit, in order.
 * @param options `type` (default `linear`), `degree`, `breakpoints`, `modes`: pass `config.model` once `auto` is resolved.
 * @throws InputError when a column is missing or an axis has no usable samples.
 *
 * @example
 * import { extractWindow, loadConfig, prepare, resolveConfigPath, train } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const axes = prepared.frame.columns.slice(1);
 * const models = train(prepared.frame, axes);
 * models.models.map((m) => [m.axis, m.samples_used]); // rows each line was fitted on (zeros and gaps left out)
 */
export function train(frame: dfd.DataFrame, axes: readonly string[]): LinearModelSet;
export function train(frame: dfd.DataFrame, axes: readonly string[], options: TrainOptions): ModelSet;
export function train(frame: dfd.DataFrame, axes: readonly string[], options: TrainOptions = {}): ModelSet {
  const timeS = numericColumn(frame, "time_s", "train");
  return trainColumns(timeS, axes, axes.map((axis) => numericColumn(frame, axis, "train")), options);
}
