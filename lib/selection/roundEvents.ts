/**
 * A round's alert events on one axis, found only where the round can differ
 * from the clean window. A round's values are the clean ones plus its
 * injections, so its statistic equals the clean statistic up to an
 * injection's first row, and again once the two states meet (an EWMA's
 * difference shrinks every step until rounding makes them equal, a CUSUM's
 * ends when both reach 0, a gap resets both; a residual has no state). An
 * alert event can catch an injection only if it is open between the
 * injection's start and `CATCH_SECONDS` after its end. So the rows are
 * stepped from the last quiet row before each injection (a finite clean value
 * below every level: no run open, the state known) to a quiet row after it
 * where the states are equal again and every catch window has passed; the
 * rows skipped are the clean window's own and hold no event that catches one.
 * The events handed over are those `forEachAlertEvent` finds in the whole
 * round, in the same order, less ones that end before a skip (they catch
 * nothing).
 */
import { CATCH_SECONDS } from "./detection";
import { addedAt, type Injection } from "./injection";
import { isIdleSample } from "../core/idleSample";
import { forEachAlertEvent, lowestLevel, type AlertLevel } from "./levelEvents";
import { predictValue } from "../model/trendModel";
import { smoothedState, type StatisticSpec } from "../model/statistic";
import type { AxisModel } from "../shapes/types";

/** One axis of the clean validation part: its time, values, residuals and scored statistic. */
export interface CleanAxis {
  readonly timeS: Float64Array;
  readonly values: Float64Array;
  readonly residuals: Float64Array;
  /**
   * The statistic of `residuals` from a fresh state (`statisticColumn`; for a residual spec the residuals
   * themselves, possibly the same column). Its stepped rows are overwritten with the round's while they
   * are scanned and put back before {@link forEachRoundEvent} returns.
   */
  readonly statistic: Float64Array;
}

/**
 * Hands `emit` the alert events at each of `levels` of the window `clean` plus `injections` (this
 * axis's, as `injectAnomalies` adds them), scored with `model` and `spec` from a fresh state, that lie
 * around the injections (see the module comment): every event that can catch one of them, in the order
 * `forEachAlertEvent` over the whole round hands them over.
 *
 * @example
 * forEachRoundEvent(clean, injections, model, spec, maxGapSeconds, levels, (l, startedAt, firedAt, endedAt) => kept[l].push({ startedAt, firedAt, endedAt }));
 */
export function forEachRoundEvent(
  clean: CleanAxis,
  injections: readonly Injection[],
  model: AxisModel,
  spec: StatisticSpec,
  maxGapSeconds: number | null,
  levels: readonly AlertLevel[],
  emit: (level: number, startedAt: number, firedAt: number, endedAt: number | null) => void,
): void {
  if (injections.length === 0) return;
  const { timeS, values, residuals, statistic } = clean;
  const n = timeS.length;
  const low = lowestLevel(levels);
  // By first row: the order they begin in while stepping.
  const byStart = [...injections].sort((x, y) => x.startIndex - y.startIndex);
  const saved: [from: number, rows: Float64Array][] = [];
  let stepped = new Float64Array(256);
  // statisticColumn's state (NaN: fresh), and whether the round's may differ from the clean one's.
  let current = NaN;
  let diverged = false;
  let begun = 0; // injections of byStart whose first row has been stepped
  let coveredUntil = -1; // last injected row among those begun
  let catchUntil = -Infinity; // last time a run may start and still catch one of them
  let row = 0;
  while (begun < byStart.length) {
    // Jump to just after the last quiet row before the next injection (its time earlier than the injection's).
    const target = byStart[begun].startIndex;
    for (let q = target - 1; q >= row; q--) {
      const value = statistic[q];
      if (Number.isFinite(value) && value < low && timeS[q] < timeS[target]) {
        current = value;
        row = q + 1;
        break;
      }
    }
    const from = row;
    const first = begun; // the segment ends only after the injection it was stepped for has begun
    let to = n;
    for (; row < n; row++) {
      while (begun < byStart.length && byStart[begun].startIndex <= row) {
        coveredUntil = Math.max(coveredUntil, byStart[begun].endIndex);
        catchUntil = Math.max(catchUntil, byStart[begun].end + CATCH_SECONDS);
        begun++;
      }
      // The round's residual: an injected working sample's as scoredStatistic computes it (the last injection covering the row), else the clean one.
      let residual = residuals[row];
      const value = values[row];
      if (row <= coveredUntil && !isIdleSample(value)) {
        for (const injection of injections) {
          if (row < injection.startIndex || row > injection.endIndex) continue;
          const injected = value + addedAt(injection, row);
          residual = injected - predictValue(model, timeS[row], injected);
        }
      }
      // statisticColumn's step: a gap resets the state; NaN for a missing residual (the state kept).
      if (maxGapSeconds !== null && row > 0 && timeS[row] - timeS[row - 1] > maxGapSeconds) current = NaN;
      let scored: number;
      if (spec.type === "residual") scored = residual;
      else if (!Number.isFinite(residual)) scored = NaN;
      else scored = current = smoothedState(spec, current, residual);
      const cleanScored = statistic[row];
      // Equal finite values are equal states (the state is the value); both NaN leave it as it was.
      if (Number.isFinite(scored)) diverged = !Object.is(scored, cleanScored);
      else if (!Number.isNaN(cleanScored)) diverged = true;
      if (row - from === stepped.length) {
        const longer = new Float64Array(2 * stepped.length);
        longer.set(stepped);
        stepped = longer;
      }
      stepped[row - from] = scored;
      if (begun > first && !(scored >= low) && !diverged && row >= coveredUntil && timeS[row] > catchUntil) {
        to = row + 1;
        row++;
        break;
      }
    }
    saved.push([from, statistic.slice(from, to)]);
    statistic.set(stepped.subarray(0, to - from), from);
    forEachAlertEvent(timeS, statistic, levels, maxGapSeconds, emit, from, to);
    if (to === n) break;
  }
  for (const [from, rows] of saved) statistic.set(rows, from);
}
