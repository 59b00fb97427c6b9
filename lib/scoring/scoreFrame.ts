/**
 * `score`: the scorer as a DataFrame stage for notebooks — a whole frame (as
 * `extract` returns it) scored with a registered version in one pass, the
 * residuals and scored statistics as DataFrames beside the events. The
 * incremental scorer it runs is `scoreBatch` (./score).
 */
import type * as dfd from "danfojs-node";
import { InputError } from "../core/errors";
import { toDataFrame, type FrameColumn } from "../shapes/frame";
import { frameColumns } from "../shapes/timeColumn";
import type { LoadedVersion } from "../registry";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreState } from "./score";

/** What {@link score} returns. */
export interface ScoredFrame {
  /** `[time column, ...<axis>_res]`: the input's time column and one residual column per model axis. */
  readonly residuals: dfd.DataFrame;
  /** `[time column, ...<axis>_stat]`: the scored statistic per model axis (equal to the residual for a residual axis). */
  readonly statistics: dfd.DataFrame;
  /** Every event, once: closed ones, then those still open at the last row (`ended_at` null). */
  readonly events: readonly ScoreEvent[];
  /** The stream's state after the last row (to continue with {@link scoreBatch}). */
  readonly state: ScoreState;
}

/**
 * Scores a DataFrame (as `extract` returns it: time column, then the axes; any extra columns are
 * ignored) with a registered version in one pass; see {@link scoreBatch} for the rules.
 *
 * @param frame Rows in increasing time order; timestamps as ISO-8601 strings, float seconds as numbers.
 * @param version What `loadVersion` returned.
 * @param options `stream` defaults to `"notebook"`; `timeCol` to the frame's first column; `maxGapSeconds` to null.
 * @throws InputError when a model axis is missing, or on out-of-order or duplicated times.
 *
 * @example
 * import { ensureRegistered, extractScoringWindow, loadConfig, loadVersion, resolveConfigPath, score } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * await ensureRegistered(config); // trains and registers a version when the registry is empty
 * const latest = await loadVersion(config.registry.root_dir, "latest");
 * const frame = await extractScoringWindow(config, latest); // the rows after its training window; null when none
 * const scored = frame === null ? null : score(frame, latest, { stream: config.data.table, maxGapSeconds: config.scoring.max_gap_seconds });
 * scored?.events.slice(0, 5); // alert and error events, with when they started and ended
 */
export function score(
  frame: dfd.DataFrame,
  version: LoadedVersion,
  options: { readonly stream?: string; readonly timeCol?: string; readonly maxGapSeconds?: number | null } = {},
): ScoredFrame {
  const { stream = "notebook", timeCol = frame.columns[0], maxGapSeconds = null } = options;
  const model = scoringModel(version, { maxGapSeconds });
  const columns = frameColumns(frame, timeCol, "score");
  const values = model.axes.map((axis) => {
    const index = columns.axes.indexOf(axis);
    if (index < 0) throw new InputError(`score: model ${model.version} needs column "${axis}", not in the DataFrame (columns: ${frame.columns.join(", ")})`);
    return columns.values[index];
  });
  const result = scoreBatch(model, initialScoreState(model, stream), { time: columns.time, values });
  const time = frame.column(timeCol).values as FrameColumn;
  // A pca version scores its two statistics: columns T2_res/SPE_res (and _stat), the statistics themselves.
  const scored = model.pca?.channels.axes ?? model.axes;
  const residuals = toDataFrame([[timeCol, time], ...scored.map((axis, a) => [`${axis}_res`, result.residuals[a]] as const)]);
  const statistics = toDataFrame([[timeCol, time], ...scored.map((axis, a) => [`${axis}_stat`, result.statistics[a]] as const)]);
  return { residuals, statistics, events: result.events, state: result.state };
}
