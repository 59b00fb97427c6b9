/**
 * Leaves the rows of a training window that fall inside labelled-fault spans
 * out of everything after extraction (issue 17, "Labels feed training"). The
 * rows are dropped, not set to NaN: a dropped row is a gap in the data, which
 * every stage already handles the same way for every model type (PCA,
 * selection and resampling included), whereas NaN values would be refilled by
 * `prep.interpolate` and fitted after all. The cost: a sustain run is counted
 * across the gap as across any other gap in the data.
 */
import type { Extraction } from "../shapes/types";

/** A span [start, end] in epoch seconds, both ends inside; `end` null: to the window's end. */
export interface ExcludedSpan {
  readonly start: number;
  readonly end: number | null;
}

/** What {@link excludeSpans} left out. */
export interface SpanExclusion {
  /** The window without the rows inside a span (the same object when none was). */
  readonly extraction: Extraction;
  /** Rows left out. */
  readonly rows: number;
  /** Spans that held at least one row of the window. */
  readonly spans: number;
}

/**
 * Drops the rows whose time t has start ≤ t ≤ end for some span (an open span reaches the window's end).
 * @example
 * const { extraction: kept, rows } = excludeSpans(extraction, [{ start: 1666080000, end: 1666080600 }]);
 */
export function excludeSpans(extraction: Extraction, spans: readonly ExcludedSpan[]): SpanExclusion {
  const { time } = extraction;
  const inside = new Uint8Array(time.length);
  let spansHit = 0;
  for (const span of spans) {
    const end = span.end ?? Infinity;
    let hit = false;
    for (let i = 0; i < time.length; i++) {
      if (time[i] >= span.start && time[i] <= end) {
        inside[i] = 1;
        hit = true;
      }
    }
    if (hit) spansHit++;
  }
  let rows = 0;
  for (let i = 0; i < inside.length; i++) rows += inside[i];
  if (rows === 0) return { extraction, rows: 0, spans: 0 };
  const keep = (column: Float64Array): Float64Array => {
    const out = new Float64Array(column.length - rows);
    let j = 0;
    for (let i = 0; i < column.length; i++) if (inside[i] === 0) out[j++] = column[i];
    return out;
  };
  return { extraction: { ...extraction, time: keep(time), values: extraction.values.map(keep) }, rows, spans: spansHit };
}
