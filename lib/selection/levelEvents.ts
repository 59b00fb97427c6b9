/**
 * Alert events of one axis at many alert levels in one pass over its scored
 * statistic: the events `scoreBatch` (lib/scoring/score.ts) raises from a
 * fresh state with each level's MinC and T_long_steps. A run is a maximal
 * stretch of values ≥ MinC; NaN ends it, and so does a time gap larger than
 * `maxGapSeconds` (the run ends at the sample before the gap); every run of
 * at least T_long_steps samples is one event, fired at its T_long_steps-th
 * sample, `ended_at` its last sample or null when still open at the end.
 * The statistic does not depend on the level, so selection scores each
 * window once per candidate and axis and reads every level's events here.
 */
import type { DetectionEvent } from "./detection";

/** One alert level of an axis: its threshold and sustain steps. */
export interface AlertLevel {
  readonly minC: number;
  readonly tLongSteps: number;
}

/**
 * The alert events of `axis` at each of `levels` (same order), from the statistic's `values`
 * aligned with `timeS`; per level in the order the runs start.
 *
 * @example
 * const [low, high] = alertEventsAtLevels("a", Float64Array.of(0, 1, 2, 3), Float64Array.of(0, 2, 2, 0), [{ minC: 1, tLongSteps: 2 }, { minC: 3, tLongSteps: 1 }]);
 * low; // [{ axis: "a", started_at: 1, fired_at: 2, ended_at: 2 }]
 * high; // []
 */
export function alertEventsAtLevels(
  axis: string,
  timeS: Float64Array,
  values: Float64Array,
  levels: readonly AlertLevel[],
  maxGapSeconds: number | null = null,
): DetectionEvent[][] {
  const out: DetectionEvent[][] = levels.map(() => []);
  forEachAlertEvent(timeS, values, levels, maxGapSeconds, (l, startedAt, firedAt, endedAt) => {
    out[l].push({ axis, started_at: startedAt, fired_at: firedAt, ended_at: endedAt });
  });
  for (const events of out) events.sort((a, b) => a.started_at - b.started_at);
  return out;
}

/**
 * The events of {@link alertEventsAtLevels} handed to `emit` (level index, started_at, fired_at,
 * ended_at), in the order the runs end, without making an object of each: for callers that count
 * them or keep only a few.
 *
 * With `from` and `to`, only rows `from` to `to − 1` are scanned, from no run open: the events of the
 * whole column that lie there when no run is open after row `from − 1` (its value below every
 * level, NaN, or `from` = 0) and none after row `to − 1` (or `to` is the column's length: runs still
 * open there are handed over with `ended_at` null).
 *
 * @example
 * let count = 0;
 * forEachAlertEvent(timeS, statistic, levels, null, () => count++);
 */
export function forEachAlertEvent(
  timeS: Float64Array,
  values: Float64Array,
  levels: readonly AlertLevel[],
  maxGapSeconds: number | null,
  emit: (level: number, startedAt: number, firedAt: number, endedAt: number | null) => void,
  from = 0,
  to = values.length,
): void {
  // Distinct thresholds ascending; each with the levels that use it. NaN reaches no value.
  const unique = [...new Set(levels.map((level) => level.minC))].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  const m = unique.length;
  const u = Float64Array.from(unique);
  const users: number[][] = unique.map(() => []);
  levels.forEach((level, l) => {
    const j = unique.indexOf(level.minC);
    if (j >= 0) users[j].push(l);
  });
  const start = new Int32Array(m);
  const close = (j: number, last: number, open: boolean): void => {
    const length = last - start[j] + 1;
    for (const l of users[j]) {
      const steps = levels[l].tLongSteps;
      if (length >= steps) {
        emit(l, timeS[start[j]], timeS[start[j] + steps - 1], open ? null : timeS[last]);
      }
    }
  };
  const low = m > 0 ? u[0] : Infinity;
  let k = 0; // the runs of thresholds 0..k−1 are open
  for (let i = from; i < to; i++) {
    if (maxGapSeconds !== null && i > 0 && timeS[i] - timeS[i - 1] > maxGapSeconds) {
      for (let j = 0; j < k; j++) close(j, i - 1, false);
      k = 0;
    }
    const value = values[i];
    let next: number;
    if (!(value >= low)) next = 0;
    else {
      next = k;
      while (next < m && u[next] <= value) next++;
      while (next > 0 && u[next - 1] > value) next--;
    }
    if (next < k) for (let j = next; j < k; j++) close(j, i - 1, false);
    else for (let j = k; j < next; j++) start[j] = i;
    k = next;
  }
  if (to === values.length) for (let j = 0; j < k; j++) close(j, values.length - 1, true);
}

/**
 * The lowest alert level of `levels` (NaN ones left out; Infinity when none): a value below it, or NaN,
 * leaves no run open in {@link forEachAlertEvent}.
 *
 * @example
 * lowestLevel([{ minC: 2, tLongSteps: 3 }, { minC: 1, tLongSteps: 3 }]); // 1
 */
export function lowestLevel(levels: readonly AlertLevel[]): number {
  let low = Infinity;
  for (const level of levels) if (level.minC < low) low = level.minC;
  return low;
}
