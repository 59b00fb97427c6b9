/**
 * The trend model of one axis (`model.type`): the fitted values every stage
 * and the scorer subtract from the actual ones. One prediction function,
 * {@link predictValue}, serves training, evaluation, calibration and scoring
 * alike, so a replay of the training window reproduces calibration exactly.
 */
import { fitLinear } from "./fitLinear";
import { fitPerMode, perModeColumn, perModeValue } from "./fitPerMode";
import { fitPiecewise, piecewiseColumn, piecewiseValue } from "./fitPiecewise";
import type { FitWorkspace } from "./fitWorkspace";
import { fitPoly, polyColumn, polyValue } from "./fitPoly";
import type { AxisModel, LinearModel, ModelType } from "../shapes/types";

export type { AxisModel, ModelType } from "../shapes/types";

/** Options of the fits: `degree` (poly, default 2), `breakpoints` (piecewise, at most; default 3), `modes` (per_mode, default 3). */
export interface TrendOptions {
  readonly degree?: number;
  readonly breakpoints?: number;
  readonly modes?: number;
}

/** `model.degree`, `model.breakpoints`, `model.modes` defaults. */
export const DEFAULT_TREND_OPTIONS = Object.freeze({ degree: 2, breakpoints: 3, modes: 3 });

/** True for a line (`type` absent or `"linear"`). */
export function isLinearModel(model: AxisModel): model is LinearModel {
  return model.type === undefined || model.type === "linear";
}

/**
 * The trend's value for one sample at `timeS` (seconds since `time0`).
 * `value` (the sample's actual value) is used only by `per_mode`, to pick the
 * sample's mode; a line is `timeS * coef + intercept`, in that order.
 */
export function predictValue(model: AxisModel, timeS: number, value: number): number {
  switch (model.type) {
    case undefined:
    case "linear":
      return timeS * model.coef + model.intercept;
    case "poly":
      return polyValue(model, timeS);
    case "piecewise":
      return piecewiseValue(model, timeS);
    case "per_mode":
      return perModeValue(model, timeS, value);
  }
}

/** {@link predictValue} for every row (the same numbers, bit for bit), written into `into` (default: a new column). */
export function predictColumn(model: AxisModel, timeS: Float64Array, values: Float64Array, into?: Float64Array): Float64Array {
  const fit = into ?? new Float64Array(timeS.length);
  if (isLinearModel(model)) {
    const { coef, intercept } = model;
    for (let i = 0; i < timeS.length; i++) fit[i] = timeS[i] * coef + intercept;
  } else if (model.type === "poly") {
    polyColumn(model, timeS, fit);
  } else if (model.type === "piecewise") {
    piecewiseColumn(model, timeS, fit);
  } else {
    perModeColumn(model, timeS, values, fit);
  }
  return fit;
}

/**
 * Fits the trend of one axis on its usable samples (finite, not idle zeros):
 * `linear` ({@link fitLinear}), `poly` ({@link fitPoly}), `piecewise`
 * ({@link fitPiecewise}), `per_mode` ({@link fitPerMode}).
 *
 * @param options defaults {@link DEFAULT_TREND_OPTIONS}
 * @param workspace Work columns shared by the axes of one training (poly, piecewise and per_mode use them); a fit of its own by default.
 * @throws InputError when the axis has no usable sample.
 */
export function fitAxisModel(type: ModelType, axis: string, timeS: Float64Array, values: Float64Array, options: TrendOptions = {}, workspace?: FitWorkspace): AxisModel {
  switch (type) {
    case "linear":
      return fitLinear(axis, timeS, values);
    case "poly":
      return fitPoly(axis, timeS, values, options.degree ?? DEFAULT_TREND_OPTIONS.degree, workspace);
    case "piecewise":
      return fitPiecewise(axis, timeS, values, options.breakpoints ?? DEFAULT_TREND_OPTIONS.breakpoints, workspace);
    case "per_mode":
      return fitPerMode(axis, timeS, values, options.modes ?? DEFAULT_TREND_OPTIONS.modes, workspace);
  }
}

/**
 * One line describing a fitted trend (numbers with 4 significant digits), e.g.
 * `poly degree 2 in x = (time_s − 1800) / 1800: 4.1 + 0.2·x − 1.3·x²`.
 */
export function describeTrend(model: AxisModel): string {
  const g = (value: number): string => String(Number(value.toPrecision(4)));
  switch (model.type) {
    case undefined:
    case "linear":
      return `linear: ${g(model.coef)}·time_s + ${g(model.intercept)}`;
    case "poly":
      return `poly degree ${model.degree} in x = (time_s − ${g(model.center)}) / ${g(model.scale)}: ${model.coefficients.map((c, j) => (j === 0 ? g(c) : `${g(c)}·x${j > 1 ? `^${j}` : ""}`)).join(" + ")}`;
    case "piecewise":
      return `piecewise: ${model.breakpoints.length} breakpoints at time_s ${model.breakpoints.map(g).join(", ") || "(none)"}; slopes ${model.coefficients.slice(1).map((_, k) => g(model.coefficients.slice(1, k + 2).reduce((a, b) => a + b, 0))).join(", ")}`;
    case "per_mode":
      return `per_mode: ${model.modes.length} modes at levels ${model.modes.map((m) => g(m.level)).join(", ")}`;
  }
}
