/**
 * Decimation for display: long series reduced to the smallest and largest
 * value of each bucket of consecutive samples, so spikes stay visible.
 */
import { isIdleSample } from "../core/idleSample";

/** A decimated (x, y) series. */
export interface DecimatedSeries {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/**
 * Which samples a decimated series keeps besides needing finite x and y:
 * all of them, only the working (non-idle) ones, or only the idle ones
 * (drawn at y = 0).
 */
export type Kept = "all" | "working" | "idle";

/** One series to decimate: its values, and which of them it keeps (default all). */
export interface DecimatedInput {
  readonly y: ArrayLike<number>;
  readonly kept?: Kept;
}

/**
 * Reduces `(x, y)` to at most `maxPoints` points for display, keeping the
 * minimum and the maximum of `y` in each of `floor(maxPoints / 2)` buckets of
 * consecutive samples (in their original order), so spikes survive. Points
 * where `x` or `y` is not finite are dropped. Series that already fit are
 * returned as they are (minus non-finite points).
 *
 * @param x sample positions (e.g. `time_s`), same length as `y`
 * @param y sample values
 * @param maxPoints upper bound on the points returned; at least 2
 */
export function decimateMinMax(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): DecimatedSeries {
  return decimateSeries(x, [{ y }], maxPoints)[0];
}

/**
 * {@link decimateMinMax} of several series over the same `x` in one pass over
 * the rows (the charts of a long window read each column once, not once per
 * trace). A series keeps the samples its `kept` selects, as if the others
 * were NaN: no masked copy of the column is made. Idle samples are drawn as 0
 * whatever the sign of their zero, so a bucket's first idle sample stands for
 * its minimum and its maximum.
 */
export function decimateSeries(x: ArrayLike<number>, inputs: readonly DecimatedInput[], maxPoints: number): DecimatedSeries[] {
  for (const { y } of inputs) {
    if (x.length !== y.length) throw new RangeError(`decimateMinMax: x has ${x.length} values but y has ${y.length}`);
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`decimateMinMax: maxPoints must be an integer >= 2, got ${maxPoints}`);
  // One array type in the loop below (it runs over every row of every chart): other array-likes are copied.
  const xs = asFloats(x);
  const ys = inputs.map(({ y }) => asFloats(y));
  const only = Int32Array.from(inputs, ({ kept = "all" }) => (kept === "all" ? KEEP_ALL : kept === "working" ? KEEP_WORKING : KEEP_IDLE));
  const width = inputs.length;
  const n = xs.length;
  // Bucket b covers rows [floor(b·n / buckets), floor((b + 1)·n / buckets)); a series that fits is one row per bucket.
  const fits = n <= maxPoints;
  const buckets = fits ? n : Math.floor(maxPoints / 2);
  const outX = ys.map(() => new Float64Array(Math.min(n, 2 * buckets)));
  const outY = ys.map(() => new Float64Array(Math.min(n, 2 * buckets)));
  const counts = new Int32Array(width);
  const found = new Int32Array(2);
  for (let b = 0; b < buckets; b++) {
    const start = fits ? b : Math.floor((b * n) / buckets);
    const end = fits ? b + 1 : Math.floor(((b + 1) * n) / buckets);
    for (let s = 0; s < width; s++) {
      bucketExtremes(xs, ys[s], start, end, only[s], found);
      const [iMin, iMax] = found;
      if (iMin < 0) continue;
      const first = Math.min(iMin, iMax);
      const second = Math.max(iMin, iMax);
      const zeroed = only[s] === KEEP_IDLE;
      outX[s][counts[s]] = xs[first];
      outY[s][counts[s]++] = zeroed ? 0 : ys[s][first];
      if (second !== first) {
        outX[s][counts[s]] = xs[second];
        outY[s][counts[s]++] = zeroed ? 0 : ys[s][second];
      }
    }
  }
  return ys.map((_, s) => ({ x: outX[s].slice(0, counts[s]), y: outY[s].slice(0, counts[s]) }));
}

/**
 * Rows of the smallest and the largest value `y` keeps (`only`, KEEP_*) in
 * rows `[start, end)` into `found` (−1 when it keeps none there). Idle rows
 * are all drawn at 0: the first one stands for both.
 */
function bucketExtremes(x: Float64Array, y: Float64Array, start: number, end: number, only: number, found: Int32Array): void {
  let iMin = -1;
  let iMax = -1;
  if (only === KEEP_IDLE) {
    for (let i = start; i < end; i++) {
      if (isIdleSample(y[i]) && Number.isFinite(x[i])) {
        iMin = iMax = i;
        break;
      }
    }
  } else {
    let low = Infinity;
    let high = -Infinity;
    for (let i = start; i < end; i++) {
      const v = y[i];
      // Only a new extreme is tested further (NaN is none): most rows cost two comparisons, and x is read rarely.
      if (!(v < low || v > high)) continue;
      if (!Number.isFinite(v) || !Number.isFinite(x[i]) || (only === KEEP_WORKING && isIdleSample(v))) continue;
      if (v < low) {
        iMin = i;
        low = v;
      }
      if (v > high) {
        iMax = i;
        high = v;
      }
    }
  }
  found[0] = iMin;
  found[1] = iMax;
}

const KEEP_ALL = 0;
const KEEP_WORKING = 1;
const KEEP_IDLE = 2;

function asFloats(values: ArrayLike<number>): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values);
}
