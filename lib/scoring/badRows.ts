/**
 * `scoring.on_bad_row`: what scoring does with a row it cannot score in
 * order — a time that duplicates or precedes the previous sample, or is not
 * a finite time. `stop` (the default) refuses the batch with one line naming
 * the sample; `skip` leaves such rows unscored, counted, and reports each one
 * once (the follower's position moves past it, so it is never read again).
 */
import type { ScoreBatch } from "./score";

/** The values of `scoring.on_bad_row`. */
export const ON_BAD_ROW = ["stop", "skip"] as const;
/** `stop` or `skip`. */
export type OnBadRow = (typeof ON_BAD_ROW)[number];

/** A row left unscored. */
export interface SkippedRow {
  /** Its time in seconds (NaN when it had none). */
  readonly time: number;
  /** Why: `duplicates`, `is before` (the previous sample at `previous`) or `has no valid time`. */
  readonly why: "duplicates" | "is before" | "has no valid time";
  /** The previous sample's time in seconds, or null. */
  readonly previous: number | null;
}

/**
 * The rows of `batch` that can be scored in order after `lastTime`, and those left out.
 * @example
 * dropBadRows({ time: Float64Array.of(1, 1, 2), values: [Float64Array.of(5, 6, 7)] }, null).skipped; // [{ time: 1, why: "duplicates", previous: 1 }]
 */
export function dropBadRows(batch: ScoreBatch, lastTime: number | null): { readonly batch: ScoreBatch; readonly skipped: readonly SkippedRow[] } {
  const keep: number[] = [];
  const skipped: SkippedRow[] = [];
  let previous = lastTime;
  batch.time.forEach((t, i) => {
    if (!Number.isFinite(t)) skipped.push({ time: t, why: "has no valid time", previous });
    else if (previous !== null && !(t > previous)) skipped.push({ time: t, why: t === previous ? "duplicates" : "is before", previous });
    else {
      keep.push(i);
      previous = t;
    }
  });
  if (skipped.length === 0) return { batch, skipped };
  const pick = (column: Float64Array): Float64Array => Float64Array.from(keep, (i) => column[i]);
  return { batch: { time: pick(batch.time), values: batch.values.map(pick) }, skipped };
}
