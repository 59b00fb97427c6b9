/**
 * The scorer's data shapes: the scoring model of a version, the state of a
 * stream (checkpointable JSON), batches, results and events. They sit apart
 * from lib/scoring/score.ts so the multivariate scorer (pcaBatch.ts) can
 * name them without an import cycle; score.ts re-exports them.
 */
import type { StatisticSpec } from "../model/statistic";
import type { Contribution } from "../model/pca";
import type { PcaArtifact } from "../shapes/pcaArtifacts";
import { epochSecondsToIso } from "../core/time";
import type { AxisModel, TimeType } from "../shapes/types";

/** The two event levels, in the order the runs of an axis are kept. */
export const SCORE_LEVELS = ["alert", "error"] as const;

/** `alert` (MinC, T_long_steps) or `error` (MaxC, T_short_steps). */
export type ScoreLevel = (typeof SCORE_LEVELS)[number];

/** Everything the scorer needs from a registry version (see lib/registry.ts LoadedVersion). */
export interface ScoringModel {
  readonly version: string;
  /** Model axes, in order; `ScoreBatch.values` follow it. */
  readonly axes: readonly string[];
  /** How the training time column was stored: event times are reported the same way. */
  readonly timeType: TimeType;
  /** Seconds subtracted from every time before applying the trends (`prep_stats.json`). */
  readonly time0: number;
  /** Per axis line; NaN for an axis whose trend is not a line (see `models`). */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  /** Per axis trend model; absent: every axis is the line `coef`, `intercept`. */
  readonly models?: readonly AxisModel[];
  /** Alert threshold per axis. */
  readonly minC: Float64Array;
  /** Error threshold per axis. */
  readonly maxC: Float64Array;
  /** Alert sustain steps per axis. */
  readonly tLongSteps: Int32Array;
  /** Error sustain steps per axis. */
  readonly tShortSteps: Int32Array;
  /** A larger gap between consecutive samples ends every run (and resets the statistics); null: gaps never end runs. */
  readonly maxGapSeconds: number | null;
  /** Per axis, the statistic MinC/MaxC apply to (thresholds.json `statistic`); absent: the residual for every axis. */
  readonly statistics?: readonly StatisticSpec[];
  /**
   * A `model.type: pca` version: its model (pca.json) and the scoring model of its two statistics
   * (axes `T2`, `SPE`: lines 0, so each statistic is its own residual, with their thresholds). Absent: per-axis trends.
   */
  readonly pca?: { readonly artifact: PcaArtifact; readonly channels: ScoringModel };
  /**
   * `thresholds.direction: both`: per axis the lower side, as levels of the statistic of the negated residual
   * (positive: `−lower.MinC`, `−lower.MaxC`), sustain steps and statistic. Absent: upward only.
   */
  readonly down?: {
    readonly minC: Float64Array;
    readonly maxC: Float64Array;
    readonly tLongSteps: Int32Array;
    readonly tShortSteps: Int32Array;
    readonly statistics: readonly StatisticSpec[];
  };
  /** Per axis, the residual's sign as scored (−1: a lower side of a two-sided version, see lib/scoring/twoSided.ts); absent: all +1. */
  readonly signs?: Float64Array;
}
/** One open (or idle) run of one axis and level; times in seconds. */
export interface RunState {
  readonly axis: string;
  readonly level: ScoreLevel;
  /** Samples in the current run (0: no run). */
  readonly length: number;
  /** Time of the run's first sample; null when no run. */
  readonly started_at: number | null;
  /** Time of the sample where the run reached its sustain steps; null until then. */
  readonly fired_at: number | null;
  /** Largest value of the scored statistic (the residual unless the version records another) in the run so far; null when no run. */
  readonly peak_residual: number | null;
}

/** JSON-serialisable state of one stream (checkpointable). */
export interface ScoreState {
  readonly stream: string;
  /** Time of the last sample scored (seconds); null before the first. */
  readonly lastTime: number | null;
  /** Per axis × level: index `2·axis + (alert 0 | error 1)`. */
  readonly runs: readonly RunState[];
  /**
   * Per axis, the state of its statistic (EWMA value, CUSUM sum); null: none yet (and always for
   * the residual). Absent (checkpoints written before statistics existed): none yet for every axis.
   */
  readonly statistics?: readonly (number | null)[];
  /** A pca version's stream state (see lib/scoring/pcaBatch.ts); absent for per-axis versions. */
  readonly pca?: PcaStreamState;
}

/** The multivariate part of a pca stream's state: JSON, so it goes into the follower's checkpoint. */
export interface PcaStreamState {
  /** Per axis, the previous sample's raw value (for axes entering as first differences); null: none yet. */
  readonly previous: readonly (number | null)[];
  /** The smoothed standardised vector (0 before the first sample). */
  readonly smoothed: readonly number[];
  /** Per run (T2 alert, T2 error, SPE alert, SPE error): the smoothed vector and raw values at its peak so far; null: no run. */
  readonly peaks: readonly ({ readonly s: readonly number[]; readonly row: readonly number[] } | null)[];
}
/** One sustained anomaly. Times as the time column holds them: seconds, or ISO-8601 UTC with microseconds. */
export interface ScoreEvent {
  readonly axis: string;
  readonly level: "alert" | "error";
  /** First sample of the run. */
  readonly started_at: number | string;
  /** The sample at which the run length reached the sustain steps. */
  readonly fired_at: number | string;
  /** Last sample of the run; null while the run is still open. */
  readonly ended_at: number | string | null;
  /** Run length in samples (while open: the sustain steps, as of `fired_at`). */
  readonly samples: number;
  /** Largest value of the scored statistic in the run, i.e. the largest residual unless the version records a smoothed statistic (while open: as of `fired_at`). */
  readonly peak_residual: number;
  /** MinC (alert) or MaxC (error). */
  readonly threshold: number;
  readonly model_version: string;
  readonly stream: string;
  /** A pca version's event: the axes ranked by their share of the statistic at the event's peak (see lib/model/pca.ts). */
  readonly contributions?: readonly Contribution[];
  /** `thresholds.direction: both` versions: `up` (residual high) or `down` (residual low); absent: up (older and one-sided versions). */
  readonly direction?: "up" | "down";
}

/** Samples of one stream, in time order. */
export interface ScoreBatch {
  /** Seconds; epoch seconds for timestamps. */
  readonly time: Float64Array;
  /** One column per model axis, aligned with `time`; NaN = missing. */
  readonly values: readonly Float64Array[];
}

/** What {@link scoreBatch} returns. */
export interface ScoreResult {
  /** The stream's state after the batch. */
  readonly state: ScoreState;
  /** Per model axis, one residual per sample (NaN where the value is missing). */
  readonly residuals: readonly Float64Array[];
  /** Per model axis, the scored statistic's value per sample (the `residuals` array itself for a residual axis). */
  readonly statistics: readonly Float64Array[];
  /**
   * Events that fired or closed in this batch: first the closed ones in the order they closed
   * (axis order, alert before error, at the same sample), then those still open.
   * An event still open has ended_at null and is reported again when it closes.
   */
  readonly events: readonly ScoreEvent[];
}

/** A time as events report it. */
export function formatScoreTime(seconds: number, timeType: TimeType): number | string {
  return timeType === "float" ? seconds : epochSecondsToIso(seconds, timeType);
}
