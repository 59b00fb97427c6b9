/**
 * Holding out the end of a prepared training window: the earlier part fits
 * models and calibrates thresholds, the later part validates them (false
 * alarms on it as it is, detections on a copy with injected anomalies).
 */
import { InputError } from "../core/errors";
import type { PreparedColumns } from "../shapes/types";

/** Default share of the window held out for validation (`selection.validation_fraction`). */
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/** A prepared window cut in two at one row, in time order. */
export interface WindowSplit {
  /** The first `fitRows` rows: models are fitted and thresholds calibrated here. */
  readonly fit: PreparedColumns;
  /** The remaining rows: where false alarms and detections are counted. */
  readonly validation: PreparedColumns;
  /** Rows in the fit part. */
  readonly fitRows: number;
}

/**
 * Splits `columns` before row `fitRows` (the first row of the validation part). The parts are
 * views (`subarray`) of the input columns, not copies.
 *
 * @throws InputError when either part would have fewer than 2 rows.
 */
export function splitWindowAt(columns: PreparedColumns, fitRows: number): WindowSplit {
  const n = columns.timeS.length;
  if (!Number.isInteger(fitRows) || fitRows < 2 || n - fitRows < 2) {
    throw new InputError(`selection: the window of ${n} rows cannot be split into a fit part and a validation part of at least 2 rows each (fit rows ${fitRows}); use a longer window or change selection.validation_fraction`);
  }
  const part = (from: number, to: number): PreparedColumns => ({
    timeS: columns.timeS.subarray(from, to),
    axes: columns.axes,
    values: columns.values.map((column) => column.subarray(from, to)),
  });
  return { fit: part(0, fitRows), validation: part(fitRows, n), fitRows };
}

/**
 * Splits a prepared window in time: the first `floor(rows · (1 − validationFraction))` rows fit, the
 * rest validate (rows are in time order, so this is a split in time).
 *
 * @param validationFraction Share of the rows held out, in (0, 0.5]; defaults to 0.2.
 * @throws InputError naming `selection.validation_fraction` when it is out of range, or when a part
 *   would have fewer than 2 rows.
 */
export function splitWindow(columns: PreparedColumns, validationFraction = DEFAULT_VALIDATION_FRACTION): WindowSplit {
  if (!(validationFraction > 0 && validationFraction <= 0.5)) {
    throw new InputError(`selection.validation_fraction must be within 0 (exclusive) to 0.5, got ${validationFraction}`);
  }
  return splitWindowAt(columns, Math.floor(columns.timeS.length * (1 - validationFraction)));
}
