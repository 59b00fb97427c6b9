import { InputError } from "./errors";

/** A model type ML Box can fit. */
export interface ModelChoice {
  readonly type: "linear";
  readonly description: string;
}

/** Every model type there is, by name. */
export const MODEL_TYPES: Readonly<Record<string, ModelChoice>> = Object.freeze({
  linear: Object.freeze({
    type: "linear",
    description: "one ordinary-least-squares line per axis, y = coef * time_s + intercept, fitted on finite non-zero samples",
  }),
});

/**
 * Looks up a model type by name (`config.model.type`). Only `linear` exists.
 *
 * @throws InputError naming the unknown type and listing the ones that exist.
 */
export function selectModel(type: string): ModelChoice {
  const choice = Object.prototype.hasOwnProperty.call(MODEL_TYPES, type) ? MODEL_TYPES[type] : undefined;
  if (!choice) {
    throw new InputError(`model.type "${type}" does not exist; available: ${Object.keys(MODEL_TYPES).join(", ")}`);
  }
  return choice;
}
