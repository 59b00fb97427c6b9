/**
 * The prepare stage: turns the extracted window into what training fits —
 * `time_s` (seconds since the first row, which is kept as `time0`) then the
 * axes, with NaN gaps optionally filled — and records what it did
 * (`prep_stats.json`). `prepare` takes a DataFrame, `prepareColumns` is its
 * typed core.
 */
import type * as dfd from "danfojs-node";
import { medianTimeStep } from "./analyze";
import { toDataFrame } from "../shapes/frame";
import { interpolateGaps } from "../stats";
import { frameColumns } from "../shapes/timeColumn";
import type { PrepStats, PreparedColumns, TimeType } from "../shapes/types";

/** Options of {@link prepare}. */
export interface PrepareOptions {
  /** Fill NaN gaps like pandas `interpolate(limit_direction="both")`; defaults to false. */
  readonly interpolate?: boolean;
  /** Name of the time column; defaults to the frame's first column. */
  readonly timeCol?: string;
  /** The cadence `resample` brought the frame to, recorded in the stats; defaults to null (raw cadence). */
  readonly resampleSeconds?: number | null;
}

/** A prepared window and what preparation recorded. */
export interface Prepared {
  /** `time_s` (seconds since the first row) then the axes. */
  readonly frame: dfd.DataFrame;
  readonly stats: PrepStats;
}

/**
 * Typed core of {@link prepare}: shifts time to `time_s` and optionally fills
 * gaps. `dtSeconds` passes an already computed `analyze` interval (defaults
 * to computing it here); `resampleSeconds` (defaults to null) is only recorded.
 * With `inPlace` (default false) `time_s` is written over `time`, saving a
 * column when the caller needs the times no more.
 *
 * @example
 * import { prepareColumns } from "mlbox";
 * const { columns, stats } = prepareColumns(Float64Array.of(100, 101, 102), ["a"], [Float64Array.of(1, NaN, 3)], { interpolate: true });
 * [Array.from(columns.timeS), Array.from(columns.values[0]), stats.time0]; // [[0, 1, 2], [1, 2, 3], 100]
 */
export function prepareColumns(
  time: Float64Array,
  axes: readonly string[],
  values: readonly Float64Array[],
  { interpolate = false, timeCol = "ts", timeType = "float" as TimeType, dtSeconds = NaN, resampleSeconds = null as number | null, inPlace = false } = {},
): { readonly columns: PreparedColumns; readonly stats: PrepStats } {
  const time0 = time.length > 0 ? time[0] : 0;
  if (Number.isNaN(dtSeconds)) dtSeconds = medianTimeStep(time);
  const timeS = inPlace ? time : new Float64Array(time.length);
  for (let i = 0; i < time.length; i++) timeS[i] = time[i] - time0;
  return {
    columns: { timeS, axes, values: interpolate ? values.map(interpolateGaps) : values },
    stats: { time0, time_col: timeCol, time_type: timeType, dt_seconds: dtSeconds, interpolate, resample_seconds: resampleSeconds },
  };
}

/**
 * Prepares an extracted window for training: `time_s` = seconds since the
 * first row's time (which is kept as `stats.time0`), then the axes; with
 * `interpolate: true`, NaN gaps are filled linearly over row positions (not
 * time) and at the edges with the nearest value, as pandas'
 * `interpolate(limit_direction="both")`.
 *
 * @param frame The DataFrame from `extract` (or `resample`): `[time_col, ...axes]`.
 * @param options `interpolate` defaults to false; `timeCol` to the first column; `resampleSeconds` to null.
 *
 * @example
 * import { extractWindow, loadConfig, prepare, resolveConfigPath } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col, resampleSeconds: config.prep.resample_seconds });
 * [prepared.frame.columns, prepared.stats.dt_seconds]; // ["time_s", ...axes], the sampling interval
 */
export function prepare(frame: dfd.DataFrame, options: PrepareOptions = {}): Prepared {
  const { interpolate = false, timeCol = frame.columns[0], resampleSeconds = null } = options;
  const { time, timeType, axes, values } = frameColumns(frame, timeCol, "prepare");
  const { columns, stats } = prepareColumns(time, axes, values, { interpolate, timeCol, timeType, resampleSeconds });
  return { frame: preparedToDataFrame(columns), stats };
}

/** The prepared columns as a DataFrame `[time_s, ...axes]`. */
export function preparedToDataFrame(columns: PreparedColumns): dfd.DataFrame {
  return toDataFrame([["time_s", columns.timeS], ...columns.axes.map((axis, i) => [axis, columns.values[i]] as const)]);
}
