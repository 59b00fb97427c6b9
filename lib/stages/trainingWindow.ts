/**
 * The smallest training window a model can be estimated from. A line needs
 * 2 rows and its residual spread (MinC/MaxC) at least one more; the sampling
 * interval (which turns sustain seconds into steps) needs two distinct times.
 * A 1-row window once published dt 0 s and sustain steps of 5e9; a 2-row one
 * thresholds of exactly 0. Such windows are refused before anything is fitted
 * or registered.
 */
import { cutText } from "../core/boundedText";
import { InputError } from "../core/errors";

/** Fewest rows a training window may have (after resampling). */
export const MIN_TRAINING_ROWS = 3;

/** Where the window came from, for the message. */
export interface TrainingWindowSource {
  readonly table: string;
  readonly trainStart: number | string;
  readonly trainEnd: number | string;
}

/**
 * Refuses a window too small to estimate the model: fewer than
 * {@link MIN_TRAINING_ROWS} rows, or no sampling interval (`dtSeconds` not a finite number > 0).
 * @throws InputError of one line naming the table and the window keys to widen.
 * @example
 * assertTrainableWindow(1000, 0.5, { table: "t", trainStart: 0, trainEnd: 500 }); // passes
 */
export function assertTrainableWindow(rows: number, dtSeconds: number, source: TrainingWindowSource): void {
  const window = `table "${cutText(source.table)}" with data.train_start ${cutText(String(source.trainStart))} to data.train_end ${cutText(String(source.trainEnd))}`;
  const fix = "widen data.train_start/data.train_end (nothing was registered)";
  if (rows < MIN_TRAINING_ROWS) {
    throw new InputError(
      `the training window (${window}) has ${rows} row${rows === 1 ? "" : "s"}: a model needs at least ${MIN_TRAINING_ROWS} rows at distinct times (2 to fit a trend, more to measure its residual spread): ${fix}`,
    );
  }
  if (!(Number.isFinite(dtSeconds) && dtSeconds > 0)) {
    throw new InputError(`the training window (${window}) has no sampling interval (dt ${dtSeconds} s: its rows share one time): ${fix}`);
  }
}
