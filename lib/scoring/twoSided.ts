/**
 * Two-sided per-axis scoring (`thresholds.direction: both`): each axis's lower
 * side is scored as an axis of its own on the negated residual — same run
 * rules, its own statistic state and levels (thresholds.json `lower`) — so a
 * residual that stays low raises `down` events the way a high one raises `up`
 * events. The state holds the runs and statistic states of both sides (the
 * upper sides first), so batches and follow checkpoints work unchanged.
 */
import { recordedStatistic } from "../model/statistic";
import type { AxisThresholds } from "../shapes/types";
import type { ScoreBatch, ScoreEvent, ScoreResult, ScoreState, ScoringModel } from "./scoreTypes";

/**
 * The `down` part of a scoring model from the axes' thresholds: absent when no axis has a lower side.
 *
 * @example
 * downOf([{ ...upper, lower: { MinC: -2, MaxC: -3, T_long_steps: 5, T_short_steps: 3 } }]).down?.minC; // Float64Array [2]
 */
export function downOf(thresholds: readonly AxisThresholds[]): Pick<ScoringModel, "down"> {
  if (!thresholds.some((t) => t.lower !== undefined)) return {};
  // An axis without a lower side never raises a down event (levels +∞).
  const side = (t: AxisThresholds) => t.lower ?? { MinC: -Infinity, MaxC: -Infinity, T_long_steps: 1, T_short_steps: 1, statistic: undefined };
  return {
    down: {
      minC: Float64Array.from(thresholds, (t) => -side(t).MinC),
      maxC: Float64Array.from(thresholds, (t) => -side(t).MaxC),
      tLongSteps: Int32Array.from(thresholds, (t) => side(t).T_long_steps),
      tShortSteps: Int32Array.from(thresholds, (t) => side(t).T_short_steps),
      statistics: thresholds.map((t) => recordedStatistic({ statistic: side(t).statistic })),
    },
  };
}

const expanded = new WeakMap<ScoringModel, ScoringModel>();

/** How the lower side of axis `a` is named in the expanded model's runs (and so in a follower's checkpoint). */
export const DOWN_SUFFIX = ":down";

/**
 * The one-sided model the two-sided one is scored as: every axis twice, first as it is
 * (sign +1), then its lower side (sign −1, the `down` levels and statistics).
 *
 * @example
 * twoSidedModel(model).axes; // ["a", "b", "a:down", "b:down"]
 */
export function twoSidedModel(model: ScoringModel): ScoringModel {
  const down = model.down;
  if (down === undefined) return model;
  const known = expanded.get(model);
  if (known !== undefined) return known;
  const n = model.axes.length;
  const twice = <T>(up: ArrayLike<T>, low: ArrayLike<T>): T[] => [...Array.from(up), ...Array.from(low)];
  const built: ScoringModel = Object.freeze({
    ...model,
    axes: Object.freeze(twice(model.axes, model.axes.map((axis) => `${axis}${DOWN_SUFFIX}`))),
    coef: Float64Array.from(twice(model.coef, model.coef)),
    intercept: Float64Array.from(twice(model.intercept, model.intercept)),
    ...(model.models === undefined ? {} : { models: Object.freeze(twice(model.models, model.models)) }),
    minC: Float64Array.from(twice(model.minC, down.minC)),
    maxC: Float64Array.from(twice(model.maxC, down.maxC)),
    tLongSteps: Int32Array.from(twice(model.tLongSteps, down.tLongSteps)),
    tShortSteps: Int32Array.from(twice(model.tShortSteps, down.tShortSteps)),
    statistics: Object.freeze(twice(model.statistics ?? model.axes.map(() => ({ type: "residual" as const })), down.statistics)),
    signs: Float64Array.from({ length: 2 * n }, (_, a) => (a < n ? 1 : -1)),
    down: undefined,
  });
  expanded.set(model, built);
  return built;
}

/**
 * Scores one batch of a two-sided version with `scoreAxes` (the one-sided scorer) on
 * {@link twoSidedModel}: events get `direction`; a down event's `peak_residual` and
 * `threshold` are in the residual's units (the lowest value, the negative level).
 * Residuals and statistics returned are the upper sides' (the model's axes).
 *
 * @example
 * const { events } = scoreTwoSidedBatch(model, initialScoreState(model, "s"), batch, scoreBatch);
 * events.filter((e) => e.direction === "down");
 */
export function scoreTwoSidedBatch(
  model: ScoringModel,
  state: ScoreState,
  batch: ScoreBatch,
  scoreAxes: (model: ScoringModel, state: ScoreState, batch: ScoreBatch) => ScoreResult,
): ScoreResult {
  const both = twoSidedModel(model);
  const n = model.axes.length;
  const result = scoreAxes(both, state, { time: batch.time, values: batch.values.length === n ? [...batch.values, ...batch.values] : batch.values });
  const lower = new Set(both.axes.slice(n));
  const events = result.events.map((event): ScoreEvent =>
    lower.has(event.axis)
      ? { ...event, axis: event.axis.slice(0, -DOWN_SUFFIX.length), direction: "down", peak_residual: -event.peak_residual, threshold: -event.threshold }
      : { ...event, direction: "up" },
  );
  return { ...result, residuals: result.residuals.slice(0, n), statistics: result.statistics.slice(0, n), events };
}
