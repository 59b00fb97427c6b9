/**
 * What a pipeline run returns, and the clock that times its stages: one
 * result type and one clock for the in-memory and the in-database pipelines.
 */
import type { Profile } from "../stages/analyze";
import type { Selection } from "../shapes/artifacts";
import type { AxisMetrics, AxisThresholds, Layout, ModelSet, PrepStats, TimeType } from "../shapes/types";

/** Everything one pipeline run produced. */
export interface PipelineResult {
  /** Registered version tag, e.g. `v3`, and its folder. */
  readonly version: string;
  readonly versionDir: string;
  /** Rows × columns of the extracted window, time column included. */
  readonly rawShape: readonly [number, number];
  /** Rows × columns of the prepared frame (`time_s` + axes). */
  readonly trainShape: readonly [number, number];
  readonly layout: Layout;
  readonly timeType: TimeType;
  readonly profile: Profile;
  readonly prepStats: PrepStats;
  readonly models: ModelSet;
  readonly metrics: readonly AxisMetrics[];
  /** The metrics over the working rows only (idle zeros left out), as notebook 05 shows them; absent in the database path. */
  readonly workingMetrics?: readonly AxisMetrics[];
  readonly thresholds: Readonly<Record<string, AxisThresholds>>;
  /** Chart files written (empty when `plots.enabled` is false). */
  readonly chartFiles: readonly string[];
  /** Where the data came from, without any password. */
  readonly database: string;
  /**
   * Seconds per stage (extract, resample, analyze, prepare, select, train, predict, evaluate, thresholds, charts,
   * register): wall-clock, except the per-axis stages train to charts, whose seconds are summed over the axes
   * (over `threads` threads, so they may add up to more than `axesSeconds`).
   */
  readonly stageSeconds: Readonly<Record<string, number>>;
  /** Threads the axes ran on (this one included; see `defaultAxisThreads`). */
  readonly threads: number;
  /** Wall-clock seconds of the per-axis stages, train to charts, all axes together. */
  readonly axesSeconds: number;
  /** What selection measured and chose (`selection.json`); absent without `auto` or `thresholds.target_alarms_per_day`. */
  readonly selection?: Selection;
  /** What selection chose, in one or two lines; absent without selection. */
  readonly selectionSummary?: readonly string[];
  /** The rows left out inside incidents labelled fault; absent when the stream has none. */
  readonly labelledFault?: LabelledFaultExclusion;
}

/** Rows of the training window left out because they fall inside incidents labelled `fault` (issue 17). */
export interface LabelledFaultExclusion {
  /** Rows left out. */
  readonly rows: number;
  /** Incidents labelled fault that held at least one of them. */
  readonly incidents: number;
  /** Rows extracted before leaving them out. */
  readonly extractedRows: number;
}

/** A stage clock: `mark(stage)` records the seconds since the previous mark (or start) under `stage`. */
export interface StageClock {
  /** Seconds per stage recorded so far. */
  readonly seconds: Record<string, number>;
  /** Records the time since the previous mark under `stage` and returns it as `"1.23 s"`. */
  readonly mark: (stage: string) => string;
  /** Starts the next stage's clock without recording the time since the last mark. */
  readonly restart: () => void;
}

/**
 * A new stage clock, started now.
 *
 * @example
 * const clock = stageClock();
 * await extract();
 * log(`extract done (${clock.mark("extract")})`); // clock.seconds.extract ≈ 0.8
 */
export function stageClock(): StageClock {
  const seconds: Record<string, number> = {};
  let started = performance.now();
  return {
    seconds,
    mark(stage) {
      const now = performance.now();
      seconds[stage] = (now - started) / 1000;
      started = now;
      return `${seconds[stage].toFixed(2)} s`;
    },
    restart() {
      started = performance.now();
    },
  };
}
