/**
 * The resample stage (optional, `prep.resample_seconds`): one row per fixed
 * time bucket holding each axis's mean, as pandas `resample(...).mean()`
 * does, right after extraction (before `analyze` and `prepare`). `resample`
 * works on the DataFrame from `extract`, `resampleColumns` is its typed core.
 */
import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { toDataFrame } from "../shapes/frame";
import { epochSecondsToIso, microsToSeconds, secondsToMicros } from "../core/time";
import { frameColumns } from "../shapes/timeColumn";

const MICROS_PER_DAY = 86_400_000_000;
/** More rows than this is a cadence far finer than the data: refuse rather than run out of memory. */
const MAX_BUCKETS = 10_000_000;

/** A window resampled to a fixed cadence. */
export interface ResampledColumns {
  /** Bucket start of each row, in seconds (as pandas converts timestamps: nanoseconds / 1e9). */
  readonly time: Float64Array;
  /** One column per axis: the bucket means, NaN for a bucket without values. */
  readonly values: readonly Float64Array[];
}

/**
 * Typed core of {@link resample}: pandas `frame.resample(f"{seconds}s").mean()`
 * with its default origin. Times are taken to the microsecond (as PostgreSQL
 * stores timestamps); buckets are `[origin + k·seconds, origin + (k+1)·seconds)`
 * with `origin` midnight (UTC) of the earliest sample's day, i.e. multiples
 * of `seconds` since the epoch when `seconds` divides a day. Each bucket is
 * labelled by its start and holds, per axis, the mean of the values that
 * are not NaN (compensated summation, as pandas). Buckets between the first
 * and the last without any value are kept as all-NaN rows (gaps, which
 * `prep.interpolate` may fill). Float-second times are read as seconds since
 * the epoch: same rule, so for them too buckets start at multiples of
 * `seconds` when it divides 86 400. Rows with a non-finite time are dropped.
 *
 * @throws InputError when `seconds` is not a positive number of at least 1 µs,
 *   or would make more than 10 million rows.
 *
 * @example
 * import { resampleColumns } from "mlbox";
 * const time = Float64Array.of(0, 1, 2, 3, 10, 11); // seconds since the epoch
 * const { time: starts, values } = resampleColumns(time, [Float64Array.of(1, 2, 3, 4, 5, 6)], 5);
 * [Array.from(starts), Array.from(values[0])]; // [[0, 5, 10], [2.5, NaN, 5.5]]: the empty bucket is a gap
 */
export function resampleColumns(time: Float64Array, values: readonly Float64Array[], seconds: number): ResampledColumns {
  const step = Math.round(seconds * 1e6);
  if (!Number.isFinite(step) || step < 1) throw new InputError(`prep.resample_seconds must be a positive number of seconds (at least 0.000001), got ${seconds}`);
  const micros = Array.from(time, (t) => (Number.isFinite(t) ? secondsToMicros(t) : NaN));
  const finite = micros.filter((t) => !Number.isNaN(t));
  if (finite.length === 0) return { time: new Float64Array(0), values: values.map(() => new Float64Array(0)) };
  const low = finite.reduce((a, b) => Math.min(a, b));
  const high = finite.reduce((a, b) => Math.max(a, b));
  const origin = Math.floor(low / MICROS_PER_DAY) * MICROS_PER_DAY;
  // Exact: microseconds since the epoch are integers below 2^53, so floor(a / b) is the true bucket.
  const bucketOf = (t: number): number => Math.floor((t - origin) / step);
  const first = bucketOf(low);
  const count = bucketOf(high) - first + 1;
  if (count > MAX_BUCKETS) {
    throw new InputError(`prep.resample_seconds ${seconds} would make ${count} rows out of ${finite.length} samples: use a larger cadence`);
  }
  const outTime = new Float64Array(count);
  for (let k = 0; k < count; k++) outTime[k] = microsToSeconds(origin + (first + k) * step);
  const outValues = values.map((column) => {
    // pandas group_mean: Kahan-compensated sums over the non-NaN values.
    const sum = new Float64Array(count);
    const compensation = new Float64Array(count);
    const seen = new Float64Array(count);
    for (let i = 0; i < micros.length; i++) {
      const value = column[i];
      if (Number.isNaN(micros[i]) || Number.isNaN(value)) continue;
      const k = bucketOf(micros[i]) - first;
      seen[k]++;
      const y = value - compensation[k];
      const t = sum[k] + y;
      compensation[k] = t - sum[k] - y;
      if (Number.isNaN(compensation[k])) compensation[k] = 0;
      sum[k] = t;
    }
    return sum.map((total, k) => (seen[k] > 0 ? total / seen[k] : NaN));
  });
  return { time: outTime, values: outValues };
}

/** Options of {@link resample}. */
export interface ResampleOptions {
  /** The cadence in seconds (`prep.resample_seconds`); null or absent returns the frame unchanged. */
  readonly seconds?: number | null;
  /** Name of the time column; defaults to the frame's first column. */
  readonly timeCol?: string;
}

/**
 * Resamples an extracted window to a fixed cadence, before `prepare`: one
 * row per `seconds`-long time bucket, labelled by its start, holding the mean
 * of each axis's values in the bucket (see {@link resampleColumns} for the
 * bucket origin and gaps). Timestamp columns stay ISO-8601 strings of the
 * same kind, float seconds stay numbers.
 *
 * @param frame The DataFrame from `extract`: `[time_col, ...axes]`.
 * @param options `seconds` defaults to null (no resampling); `timeCol` to the first column.
 *
 * @example
 * import { extractWindow, loadConfig, resample, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const perMinute = resample(raw, { seconds: 60, timeCol: config.data.time_col });
 * perMinute.shape; // one row per minute of the window
 */
export function resample(frame: dfd.DataFrame, options: ResampleOptions = {}): dfd.DataFrame {
  const { seconds = null, timeCol = frame.columns[0] } = options;
  if (seconds === null) return frame;
  const { time, timeType, axes, values } = frameColumns(frame, timeCol, "resample");
  const resampled = resampleColumns(time, values, seconds);
  const times = timeType === "float" ? resampled.time : Array.from(resampled.time, (t) => epochSecondsToIso(t, timeType));
  return toDataFrame([[timeCol, times], ...axes.map((axis, i) => [axis, resampled.values[i]] as const)]);
}
