/**
 * The last hours of each stream's scored statistic, kept in the service's
 * memory for the page (`GET /`, `GET /v1/streams/<s>/recent`), bounded: per
 * stream at most `points` points, each the min and max of every channel over
 * a span of samples (raw samples while they fit; when full, points older than
 * `hours` before the stream's last sample are dropped, then neighbours are
 * merged in pairs, doubling the span a point covers), and at most `streams`
 * streams (the least recently scored leaves first). Memory is at most
 * streams × points × (8 + 16 × channels) bytes: 200 × 600 × 136 B ≈ 16 MB for
 * 8-axis streams with the defaults. Not kept across restarts (the incidents,
 * which the page shades, are in the database).
 */
import type { ScoringModel } from "../lib/scoring/score";
import type { TimeType } from "../lib/shapes/types";

/** Bounds of the recent store. */
export interface RecentOptions {
  /** Hours of data time before a stream's last sample that are kept; default 6. */
  readonly hours?: number;
  /** Most points per stream; default 600. */
  readonly points?: number;
  /** Most streams kept; default 200. */
  readonly streams?: number;
}

/** One channel's limits as the page draws them (null: none on that side). */
export interface ChannelLimits {
  readonly axis: string;
  /** MinC and MaxC of the scored statistic. */
  readonly alert: number;
  readonly error: number;
  /** A two-sided version's lower levels, in the statistic's units (only for the residual and EWMA, where they are). */
  readonly lower_alert: number | null;
  readonly lower_error: number | null;
}

/** A stream's recent statistic: one time per point (its first sample) and per channel the min and max over the point. */
export interface RecentSeries {
  readonly stream: string;
  readonly model_version: string;
  readonly time_type: TimeType;
  readonly channels: readonly ChannelLimits[];
  /** Seconds (epoch seconds for timestamps) of each point's first sample. */
  readonly t: readonly number[];
  /** Per channel, per point; null where every value was missing. */
  readonly max: readonly (number | null)[][];
  readonly min: readonly (number | null)[][];
  /** Seconds a point covers at most now (0: one sample each). */
  readonly point_seconds: number;
  /** The stream's last sample scored (seconds). */
  readonly last: number;
}

/** What the service keeps. */
export interface RecentStore {
  /** Adds a scored batch: its times and per channel the scored statistic (`ScoreResult.statistics`). */
  add(stream: string, model: ScoringModel, time: Float64Array, statistics: readonly Float64Array[]): void;
  /** The stream's points within `hours` of its last sample, or null when none are kept. */
  get(stream: string): RecentSeries | null;
  /** The streams kept, most recently scored last. */
  streams(): string[];
}

interface Entry {
  version: string;
  timeType: TimeType;
  channels: ChannelLimits[];
  start: Float64Array;
  max: Float64Array[];
  min: Float64Array[];
  count: number;
  width: number;
  last: number;
}

/**
 * The channels of a model as the page draws them: a pca version's T2 and SPE, else its axes (upper side, with the
 * lower levels of a two-sided version beside them).
 * @example
 * channelLimits(model).map((c) => [c.axis, c.alert, c.error]);
 */
export function channelLimits(model: ScoringModel): ChannelLimits[] {
  const channels = model.pca?.channels ?? model;
  return channels.axes.map((axis, a) => {
    const down = model.pca === undefined ? model.down : undefined;
    const drawable = down !== undefined && ["residual", "ewma"].includes(down.statistics[a]?.type ?? "residual") && Number.isFinite(down.minC[a]);
    return {
      axis,
      alert: channels.minC[a],
      error: channels.maxC[a],
      lower_alert: drawable ? -down.minC[a] : null,
      lower_error: drawable && Number.isFinite(down.maxC[a]) ? -down.maxC[a] : null,
    };
  });
}

/**
 * The recent store; see the file header.
 * @example
 * const recent = createRecentStore({ hours: 6, points: 600, streams: 200 });
 * recent.add("robot-7", model, batch.time, result.statistics);
 * recent.get("robot-7")?.t.length;
 */
export function createRecentStore(options: RecentOptions = {}): RecentStore {
  const hours = options.hours ?? 6;
  const cap = Math.max(4, Math.floor(options.points ?? 600));
  const most = Math.max(1, Math.floor(options.streams ?? 200));
  const keep = hours * 3600;
  const entries = new Map<string, Entry>();

  const fresh = (model: ScoringModel): Entry => {
    const channels = channelLimits(model);
    return {
      version: model.version,
      timeType: model.timeType,
      channels,
      start: new Float64Array(cap),
      max: channels.map(() => new Float64Array(cap)),
      min: channels.map(() => new Float64Array(cap)),
      count: 0,
      width: 0,
      last: -Infinity,
    };
  };
  /** Room for one more point: drop what is older than the window, else merge neighbours in pairs. */
  const makeRoom = (entry: Entry, now: number): void => {
    const { start } = entry;
    let first = 0;
    while (first < entry.count && start[first] < now - keep) first++;
    if (first > 0) {
      start.copyWithin(0, first, entry.count);
      for (const column of [...entry.max, ...entry.min]) column.copyWithin(0, first, entry.count);
      entry.count -= first;
    }
    if (entry.count < cap) return;
    const half = Math.ceil(entry.count / 2);
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = Math.min(a + 1, entry.count - 1);
      start[j] = start[a];
      entry.max.forEach((column) => (column[j] = fmax(column[a], column[b])));
      entry.min.forEach((column) => (column[j] = fmin(column[a], column[b])));
    }
    const span = start[half - 1] - start[0];
    entry.count = half;
    entry.width = Math.max(2 * entry.width, span / Math.floor(cap / 2));
  };

  return {
    add(stream, model, time, statistics) {
      let entry = entries.get(stream);
      entries.delete(stream);
      if (entry === undefined || (model.pca?.channels ?? model).axes.length !== entry.channels.length || model.timeType !== entry.timeType) entry = fresh(model);
      else if (entry.version !== model.version) {
        entry.version = model.version;
        entry.channels = channelLimits(model);
      }
      entries.set(stream, entry);
      while (entries.size > most) entries.delete(entries.keys().next().value as string);
      // Plain loops over locals: this runs for every sample scored (8 channels × 1,000 samples a request). The samples
      // that fall into one point are a run of the batch: each channel's run is folded in one loop (in sample order).
      const channels = entry.channels.length;
      const { max, min } = entry;
      for (let i = 0; i < time.length; ) {
        const t = time[i];
        const k = entry.count - 1;
        if (!(k >= 0 && entry.width > 0 && t < entry.start[k] + entry.width)) {
          if (entry.count === cap) makeRoom(entry, t);
          const n = entry.count++;
          entry.start[n] = t;
          for (let c = 0; c < channels; c++) max[c][n] = min[c][n] = NaN;
        }
        const p = entry.count - 1;
        let end = i + 1;
        if (entry.width > 0) {
          const until = entry.start[p] + entry.width;
          while (end < time.length && time[end] < until) end++;
        }
        for (let c = 0; c < channels; c++) {
          const column = statistics[c];
          let high = max[c][p];
          let low = min[c][p];
          for (let s = i; s < end; s++) {
            const value = column === undefined || s >= column.length ? NaN : column[s];
            high = fmax(high, value);
            low = fmin(low, value);
          }
          max[c][p] = high;
          min[c][p] = low;
        }
        i = end;
      }
      if (time.length > 0) entry.last = time[time.length - 1];
    },
    get(stream) {
      const entry = entries.get(stream);
      if (entry === undefined || entry.count === 0) return null;
      let first = 0;
      while (first < entry.count && entry.start[first] < entry.last - keep) first++;
      const slice = (column: Float64Array): (number | null)[] => Array.from(column.subarray(first, entry.count), (v) => (Number.isFinite(v) ? v : null));
      return {
        stream,
        model_version: entry.version,
        time_type: entry.timeType,
        channels: entry.channels,
        t: Array.from(entry.start.subarray(first, entry.count)),
        max: entry.max.map(slice),
        min: entry.min.map(slice),
        point_seconds: entry.width,
        last: entry.last,
      };
    },
    streams: () => [...entries.keys()],
  };
}

/** The larger of two values, a missing (NaN) one left out. */
function fmax(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b);
}

function fmin(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b);
}
