/**
 * The predict stage: the fitted trend at every row and the residual
 * (actual − predicted) per axis. `predict` adds `<axis>_pred` and
 * `<axis>_res` columns to the prepared DataFrame, `predictColumns` is its
 * typed core.
 */
import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { numericColumn, toDataFrame, type FrameColumn } from "../shapes/frame";
import { predictColumn } from "../model/trendModel";
import type { ModelSet, Prediction } from "../shapes/types";

/**
 * Typed core of {@link predict}: `predicted` by {@link predictColumn} (a line: `time_s * coef + intercept`), `residual = actual - predicted`, every row.
 * `into` (default: new columns) holds columns as long as `timeS` to write them into, one per model,
 * e.g. the same ones from axis to axis, so finished columns do not pile up waiting for the garbage collector.
 *
 * @example
 * import { predictColumns, trainColumns } from "mlbox";
 * const timeS = Float64Array.of(0, 1, 2, 3);
 * const values = [Float64Array.of(1, 3, 5, 8)];
 * const prediction = predictColumns(timeS, trainColumns(timeS, ["a"], values), values);
 * Array.from(prediction.residual[0]); // actual − predicted per row
 */
export function predictColumns(
  timeS: Float64Array,
  models: ModelSet,
  actual: readonly Float64Array[],
  into?: { readonly predicted: readonly Float64Array[]; readonly residual: readonly Float64Array[] },
): Prediction {
  const predicted: Float64Array[] = [];
  const residual: Float64Array[] = [];
  models.models.forEach((model, index) => {
    const y = actual[index];
    const fit = predictColumn(model, timeS, y, into?.predicted[index]);
    const res = into?.residual[index] ?? new Float64Array(timeS.length);
    for (let i = 0; i < timeS.length; i++) res[i] = y[i] - fit[i];
    predicted.push(fit);
    residual.push(res);
  });
  return { timeS, axes: models.models.map((model) => model.axis), actual, predicted, residual };
}

/**
 * Applies the fitted trends to every row (idle zeros included): adds
 * `<axis>_pred` and `<axis>_res` (actual − predicted) after the frame's
 * `time_s` and axis columns.
 *
 * @param frame The prepared DataFrame (`time_s` plus axes).
 * @param models What `train` returned.
 *
 * @example
 * import { extractWindow, loadConfig, predict, prepare, resolveConfigPath, train } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const axes = prepared.frame.columns.slice(1);
 * const predicted = predict(prepared.frame, train(prepared.frame, axes));
 * predicted.columns; // time_s, the axes, then <axis>_pred and <axis>_res per axis
 */
export function predict(frame: dfd.DataFrame, models: ModelSet): dfd.DataFrame {
  if (models.models.length === 0) throw new InputError("predict: the model set has no axes");
  const timeS = numericColumn(frame, "time_s", "predict");
  const prediction = predictColumns(timeS, models, models.models.map((m) => numericColumn(frame, m.axis, "predict")));
  return predictionToDataFrame(prediction);
}

/** A prediction as a DataFrame `[time_s, ...axes, ...<axis>_pred, ...<axis>_res]`. */
export function predictionToDataFrame(prediction: Prediction): dfd.DataFrame {
  const columns: Array<readonly [string, FrameColumn]> = [["time_s", prediction.timeS]];
  prediction.axes.forEach((axis, i) => columns.push([axis, prediction.actual[i]]));
  prediction.axes.forEach((axis, i) => columns.push([`${axis}_pred`, prediction.predicted[i]]));
  prediction.axes.forEach((axis, i) => columns.push([`${axis}_res`, prediction.residual[i]]));
  return toDataFrame(columns);
}

/** Reads the typed prediction of `axes` back from a {@link predict} DataFrame. */
export function predictionFromDataFrame(frame: dfd.DataFrame, axes: readonly string[], stage: string): Prediction {
  return {
    timeS: numericColumn(frame, "time_s", stage),
    axes,
    actual: axes.map((axis) => numericColumn(frame, axis, stage)),
    predicted: axes.map((axis) => numericColumn(frame, `${axis}_pred`, stage)),
    residual: axes.map((axis) => numericColumn(frame, `${axis}_res`, stage)),
  };
}
