/**
 * Bounds on the numbers a registry version must hold for scoring to work:
 * sustain steps (`T_long_steps`, `T_short_steps`) are whole numbers from 1 to
 * {@link MAX_SUSTAIN_STEPS} (the scorer keeps them in an Int32Array, where
 * 5e9 once wrapped to −1,294,967,296), and every `dt_seconds` is a finite
 * number > 0. Checked when a version is written and when it is read.
 */
import { z } from "../core/schema";

/** Largest sustain steps a version may hold: 2^31 − 1, the largest Int32. */
export const MAX_SUSTAIN_STEPS = 2_147_483_647;

/**
 * `T_long_steps`/`T_short_steps`: a whole number from 1 to {@link MAX_SUSTAIN_STEPS}.
 * @example
 * sustainStepsSchema.parse(5); // 5
 */
export const sustainStepsSchema = z.custom<number>(
  (value) => Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SUSTAIN_STEPS,
  () => ({ message: `must be a whole number from 1 to ${MAX_SUSTAIN_STEPS} (sampling steps)` }),
);

/**
 * `dt_seconds`: the sampling interval, a finite number of seconds > 0.
 * @example
 * dtSecondsSchema.parse(0.5); // 0.5
 */
export const dtSecondsSchema = z.custom<number>(
  (value) => typeof value === "number" && Number.isFinite(value) && value > 0,
  () => ({ message: "must be a finite number of seconds > 0 (the sampling interval; a window of one time has none)" }),
);
