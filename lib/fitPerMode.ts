import { fitLinear } from "./fitLinear";
import { usableSamples } from "./leastSquares";
import type { ModeModel, PerModeModel } from "./types";

/** Lloyd iterations stop here at the latest (they normally converge much sooner). */
const MAX_ITERATIONS = 100;

/**
 * Index of the mode whose line at `timeS` is nearest `value` (the lower index
 * on a tie), or −1 when `value` is not finite.
 */
export function nearestMode(modes: readonly ModeModel[], timeS: number, value: number): number {
  let best = -1;
  let bestDistance = Infinity;
  for (let m = 0; m < modes.length; m++) {
    const distance = Math.abs(value - (timeS * modes[m].coef + modes[m].intercept));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = m;
    }
  }
  return best;
}

/**
 * Value of a per-mode trend for a sample: the line of {@link nearestMode}
 * (`timeS * coef + intercept`); NaN when `value` is not finite.
 */
export function perModeValue(model: PerModeModel, timeS: number, value: number): number {
  const m = nearestMode(model.modes, timeS, value);
  return m < 0 ? NaN : timeS * model.modes[m].coef + model.modes[m].intercept;
}

/**
 * One trend per operating mode. Levels: 1-D k-means (k = `modes`) on the
 * usable values (idle zeros and non-finite values left out), started at the
 * values' quantiles (j + 0.5)/k, then Lloyd's iterations (each value to the
 * nearest level, lower level on a tie; each level to the mean of its values)
 * until no value changes level (at most 100 iterations); deterministic. A
 * level left without values is dropped. Each mode then gets its own line
 * ({@link fitLinear}) on the samples of its level; `level` is the k-means
 * mean. Prediction assigns a sample to the mode whose line at its time is
 * nearest its value ({@link perModeValue}).
 *
 * @param modes 2..8 (`model.modes`, default 3)
 * @throws InputError when the axis has no usable sample.
 */
export function fitPerMode(axis: string, timeS: Float64Array, values: Float64Array, modes: number): PerModeModel {
  const { timeS: t, values: y } = usableSamples(axis, timeS, values);
  const n = y.length;
  const sorted = Float64Array.from(y).sort();
  const levels = Array.from({ length: modes }, (_, j) => sorted[Math.min(n - 1, Math.floor(((j + 0.5) * n) / modes))]);
  const label = new Int32Array(n).fill(-1);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let m = 1; m < levels.length; m++) if (Math.abs(y[i] - levels[m]) < Math.abs(y[i] - levels[best])) best = m;
      if (best !== label[i]) {
        label[i] = best;
        changed = true;
      }
    }
    if (!changed) break;
    const sums = new Float64Array(levels.length);
    const counts = new Float64Array(levels.length);
    for (let i = 0; i < n; i++) {
      sums[label[i]] += y[i];
      counts[label[i]]++;
    }
    for (let m = 0; m < levels.length; m++) if (counts[m] > 0) levels[m] = sums[m] / counts[m];
  }
  const fitted: ModeModel[] = [];
  levels.forEach((level, m) => {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (label[i] === m) members.push(i);
    if (members.length === 0) return;
    const line = fitLinear(axis, Float64Array.from(members, (i) => t[i]), Float64Array.from(members, (i) => y[i]));
    fitted.push({ level, coef: line.coef, intercept: line.intercept, samples_used: line.samples_used });
  });
  return { axis, type: "per_mode", modes: fitted, samples_used: n };
}
