/**
 * Run lengths at many thresholds in one pass: for each threshold `u`, the
 * lengths of the runs of consecutive rows whose value is ≥ `u` (NaN ends a
 * run), kept as counts by length, so a quantile of them reads two ranks
 * without sorting. The same runs as `runLengths` of lib/stages/thresholds.ts
 * at each threshold; calibrating many alert levels of one column costs one
 * pass instead of one per level.
 */
import { quantileSorted, sortedView } from "../stats";

/** Lengths below this are counted in a dense array; longer runs (rare) in a map. */
const DENSE_LENGTHS = 256;

/** The runs at one threshold, as counts by length. */
export interface RunCounts {
  /** How many runs there are. */
  readonly runs: number;
  /** The `q`-quantile of the run lengths as `quantileSorted` of the sorted lengths gives it (NaN without runs). */
  quantile(q: number): number;
}

/** Counts of one threshold: dense below {@link DENSE_LENGTHS}, a map above. */
class Counts implements RunCounts {
  runs = 0;
  constructor(
    private readonly dense: Int32Array,
    private readonly offset: number,
    readonly long: Map<number, number>,
  ) {}

  quantile(q: number): number {
    const dense = this.dense;
    const offset = this.offset;
    const longLengths = [...this.long.keys()].sort((a, b) => a - b);
    const lengthAt = (r: number): number => {
      let below = 0;
      for (let length = 1; length < DENSE_LENGTHS; length++) {
        below += dense[offset + length];
        if (r < below) return length;
      }
      for (const length of longLengths) {
        below += this.long.get(length) as number;
        if (r < below) return length;
      }
      return NaN; // r ≥ runs: not read by quantileSorted
    };
    return quantileSorted(sortedView(this.runs, lengthAt), q);
  }
}

/**
 * The runs of `values ≥ thresholds[j]` for every `j`, in one pass over `values`.
 * Thresholds may repeat (their counts are shared) and come in any order.
 *
 * @example
 * const [low, high] = runCountsAt(Float64Array.of(1, 3, 3, 0, 2), [1, 3]);
 * low.runs; // 2 (lengths 3 and 1)
 * high.quantile(1); // 2
 */
export function runCountsAt(values: Float64Array, thresholds: readonly number[]): RunCounts[] {
  // NaN reaches no threshold: its runs are none.
  const unique = [...new Set(thresholds)].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  const m = unique.length;
  const u = Float64Array.from(unique);
  const dense = new Int32Array(m * DENSE_LENGTHS);
  const counts = unique.map((_, j) => new Counts(dense, j * DENSE_LENGTHS, new Map()));
  const record = (j: number, length: number): void => {
    const c = counts[j];
    c.runs++;
    if (length < DENSE_LENGTHS) dense[j * DENSE_LENGTHS + length]++;
    else c.long.set(length, (c.long.get(length) ?? 0) + 1);
  };
  const start = new Int32Array(m);
  const low = m > 0 ? u[0] : Infinity;
  // k: how many thresholds the current value reaches (the runs of thresholds 0..k−1 are open).
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    let next: number;
    if (!(value >= low)) next = 0; // below every threshold, or NaN
    else {
      next = k;
      while (next < m && u[next] <= value) next++;
      while (next > 0 && u[next - 1] > value) next--;
    }
    if (next < k) for (let j = next; j < k; j++) record(j, i - start[j]);
    else for (let j = k; j < next; j++) start[j] = i;
    k = next;
  }
  for (let j = 0; j < k; j++) record(j, values.length - start[j]);
  const byValue = new Map(unique.map((value, j) => [value, counts[j]]));
  const none = new Counts(new Int32Array(DENSE_LENGTHS), 0, new Map());
  return thresholds.map((threshold) => byValue.get(threshold) ?? none);
}
