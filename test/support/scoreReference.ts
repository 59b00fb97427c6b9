/**
 * An independent, straightforward computation of scoring events for tests:
 * whole arrays at once, no incremental state. Times are seconds; the caller formats them.
 */

/** One reference event, times in seconds. */
export interface ReferenceEvent {
  readonly axis: string;
  readonly level: "alert" | "error";
  readonly started_at: number;
  readonly fired_at: number;
  readonly ended_at: number | null;
  readonly samples: number;
  readonly peak_residual: number;
  readonly threshold: number;
}

/** Per axis: line, thresholds and sustain steps. */
export interface ReferenceAxis {
  readonly axis: string;
  readonly coef: number;
  readonly intercept: number;
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
}

/**
 * Events of one stream scored in one go: residuals of every sample, then for each axis and level the
 * maximal index ranges with residual ≥ threshold (NaN breaks; a gap > maxGap breaks), kept when at least
 * the sustain steps long. A range reaching the last sample is still open (ended_at null, samples and peak
 * as of the firing sample). Sorted by axis, level, start.
 */
export function referenceEvents(time: Float64Array, values: readonly Float64Array[], axes: readonly ReferenceAxis[], time0: number, maxGap: number | null = null): ReferenceEvent[] {
  const out: ReferenceEvent[] = [];
  axes.forEach((spec, a) => {
    const residual = Array.from(time, (t, i) => values[a][i] - ((t - time0) * spec.coef + spec.intercept));
    for (const level of ["alert", "error"] as const) {
      const threshold = level === "alert" ? spec.MinC : spec.MaxC;
      const steps = level === "alert" ? spec.T_long_steps : spec.T_short_steps;
      let i = 0;
      while (i < time.length) {
        if (!(residual[i] >= threshold)) {
          i++;
          continue;
        }
        let j = i;
        while (j + 1 < time.length && residual[j + 1] >= threshold && (maxGap === null || time[j + 1] - time[j] <= maxGap)) j++;
        const length = j - i + 1;
        if (length >= steps) {
          const open = j === time.length - 1;
          const counted = open ? residual.slice(i, i + steps) : residual.slice(i, j + 1);
          out.push({
            axis: spec.axis,
            level,
            started_at: time[i],
            fired_at: time[i + steps - 1],
            ended_at: open ? null : time[j],
            samples: open ? steps : length,
            peak_residual: counted.reduce((m, v) => (v > m ? v : m), -Infinity),
            threshold,
          });
        }
        i = j + 1;
      }
    }
  });
  return out;
}

/** EWMA written out directly (for tests of lib/statistic.ts): NaN-skipping, first finite value starts it. */
export function directEwma(residuals: ArrayLike<number>, alpha: number): Float64Array {
  const out = new Float64Array(residuals.length);
  let z: number | null = null;
  for (let i = 0; i < residuals.length; i++) {
    const r = residuals[i];
    if (Number.isNaN(r)) {
      out[i] = NaN;
      continue;
    }
    z = z === null ? r : alpha * r + (1 - alpha) * z;
    out[i] = z;
  }
  return out;
}

/** Upper CUSUM written out directly: S starts at 0, NaN leaves it. */
export function directCusum(residuals: ArrayLike<number>, reference: number): Float64Array {
  const out = new Float64Array(residuals.length);
  let sum = 0;
  for (let i = 0; i < residuals.length; i++) {
    const r = residuals[i];
    if (Number.isNaN(r)) {
      out[i] = NaN;
      continue;
    }
    sum = Math.max(0, sum + r - reference);
    out[i] = sum;
  }
  return out;
}
