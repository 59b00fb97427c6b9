/**
 * Seeded, labelled anomalies injected into a copy of a held-out window, so
 * detection can be measured: which injected anomaly an alert caught, and how
 * soon. Same seed, same window → the same injections, bit for bit.
 *
 * Sizes are relative to each axis's working level: the 90th percentile of
 * |value| over its non-idle, finite samples (see {@link workingLevel}).
 */
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";
import { medianOfSteps, percentileSorted, rankView, seededRandom } from "../stats";
import type { PreparedColumns } from "../shapes/types";

/** `offset`: +size·level on every sample of the span; `spike`: the same on a 1-sample span; `drift`: a ramp from size·level/samples up to size·level. */
export type InjectionKind = "offset" | "spike" | "drift";

/** One kind of anomaly to inject, `count` times per axis. */
export interface InjectionSpec {
  readonly kind: InjectionKind;
  /** Height in units of the axis's working level (the drift's final height). */
  readonly size: number;
  /** Length in samples. */
  readonly samples: number;
  /** How many per axis. */
  readonly count: number;
}

/**
 * The default injections per axis (8 per axis, 64 on 8 axes): the reference case, a sustained offset of
 * +0.6× the working level for 12 samples, twice (16 on 8 axes); offsets of 0.3× and 1.0× (12 samples)
 * and of 0.6× for 6 and 24 samples; a 1-sample spike of 3×; a slow drift ramping to 1.0× over 60 samples.
 */
export const DEFAULT_INJECTIONS: readonly InjectionSpec[] = Object.freeze([
  { kind: "offset", size: 0.6, samples: 12, count: 2 },
  { kind: "offset", size: 0.3, samples: 12, count: 1 },
  { kind: "offset", size: 1.0, samples: 12, count: 1 },
  { kind: "offset", size: 0.6, samples: 6, count: 1 },
  { kind: "offset", size: 0.6, samples: 24, count: 1 },
  { kind: "spike", size: 3, samples: 1, count: 1 },
  { kind: "drift", size: 1.0, samples: 60, count: 1 },
] as const);

/** The reference injection of the issue: an offset of +0.6× the working level for 12 samples. */
export function isReferenceOffset(injection: Pick<Injection, "kind" | "size" | "samples">): boolean {
  return injection.kind === "offset" && injection.size === 0.6 && injection.samples === 12;
}

/** One injected anomaly: where it is and what it was. */
export interface Injection {
  readonly axis: string;
  readonly kind: InjectionKind;
  readonly size: number;
  readonly samples: number;
  /** Rows of the first and last injected sample, in the window injected into. */
  readonly startIndex: number;
  readonly endIndex: number;
  /** Times (the window's time column) of the first and last injected sample. */
  readonly start: number;
  readonly end: number;
  /** What was added at its peak: size × the axis's working level. */
  readonly height: number;
  /** E.g. `offset 0.6× 12`: kind, size, samples. */
  readonly label: string;
}

/** What {@link injectAnomalies} returns. */
export interface InjectedWindow {
  /** Copies of the window's axis columns with the anomalies added (NaN stays NaN). */
  readonly values: readonly Float64Array[];
  /** Every anomaly injected, by axis then time. */
  readonly injections: readonly Injection[];
}

/** Options of {@link injectAnomalies}. */
export interface InjectionOptions {
  /** Seed of the placement (`selection.seed`); defaults to 1. */
  readonly seed?: number;
  /** What to inject per axis; defaults to {@link DEFAULT_INJECTIONS}. */
  readonly specs?: readonly InjectionSpec[];
  /** Quiet time after each anomaly before the next on the same axis may start; defaults to 60 s (the catch window). */
  readonly guardSeconds?: number;
}

/**
 * The working level of an axis: numpy's linear 90th percentile of |value| over its non-idle
 * (not exactly 0), finite samples; NaN when there are none. The samples' |value| are written into
 * `scratch` (as long as `values`; default a new column) and their ranks selected there.
 *
 * @example
 * workingLevel(Float64Array.of(0, -1, 2, 3)); // 2.8
 */
export function workingLevel(values: Float64Array, scratch: Float64Array = new Float64Array(values.length)): number {
  const working = scratch;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value) && !isIdleSample(value)) working[count++] = Math.abs(value);
  }
  // The two ranks the percentile reads, selected in place (rankView): the same value as sorting first.
  return count === 0 ? NaN : percentileSorted(rankView(working.subarray(0, count)), 90);
}


/**
 * Injects labelled anomalies into a copy of `window` (typically the validation part).
 *
 * Placement, per axis with a finite working level > 0 (`levels[a]`, e.g. {@link workingLevel} of the
 * fit part): the specs are expanded by `count` and shuffled with a generator seeded by `seed` and the
 * axis's position; the rows are cut into as many equal slots as anomalies fit (each slot holding the
 * longest anomaly plus a guard of `ceil(guardSeconds / median time step)` samples; when fewer fit than
 * asked, the first ones of the shuffled list are kept). Each anomaly goes where the machine works: it
 * starts at a seeded random row of its slot among those whose span holds the most working (non-idle,
 * finite) samples, leaving the guard before the slot's end. So anomalies on one axis never overlap,
 * nor fall within another's catch window; anomalies on different axes are independent (each axis is
 * scored on its own). The value is added to the span's working samples only: an idle sample (exactly
 * 0, the motor at rest) stays 0, and NaN stays NaN.
 *
 * @param levels Working level per axis, in `window.axes` order.
 * @throws InputError when not even one anomaly fits in the window (naming the rows needed).
 */
export function injectAnomalies(window: PreparedColumns, levels: ArrayLike<number>, options: InjectionOptions = {}): InjectedWindow {
  const injections = planAnomalies(window, levels, options);
  const values = window.values.map((column, a) => {
    const copy = Float64Array.from(column);
    for (const injection of injections) if (injection.axis === window.axes[a]) addAnomaly(copy, injection);
    return copy;
  });
  return { values, injections };
}

/**
 * {@link injectAnomalies}' result for injections planned by {@link planAnomalies}, each axis's column
 * copied and injected only when first read (then kept): selection reads the injections and adds them
 * itself, so the copies are made only for a reader that wants them.
 *
 * @example
 * const round = injectedWhenRead(split.validation, planAnomalies(split.validation, levels, { seed }));
 */
export function injectedWhenRead(window: PreparedColumns, injections: readonly Injection[]): InjectedWindow {
  const values: Float64Array[] = [];
  const copies = new Map<number, Float64Array>();
  window.axes.forEach((axis, a) =>
    Object.defineProperty(values, a, {
      enumerable: true,
      get: () => {
        let copy = copies.get(a);
        if (copy === undefined) {
          copies.set(a, (copy = Float64Array.from(window.values[a])));
          for (const injection of injections) if (injection.axis === axis) addAnomaly(copy, injection);
        }
        return copy;
      },
    }),
  );
  return { values, injections };
}

/**
 * What {@link injectAnomalies} adds at row `i` of an injection's span: its height, or for a drift
 * `height · (i − start + 1) / samples`.
 *
 * @example
 * addedAt(injection, injection.startIndex); // injection.height, unless a drift
 */
export function addedAt(injection: Injection, i: number): number {
  return injection.kind === "drift" ? (injection.height * (i - injection.startIndex + 1)) / injection.samples : injection.height;
}

/**
 * Adds one injected anomaly to `column` (the axis's column of the window it was planned on): every
 * working sample of its span gets {@link addedAt}; an idle sample (exactly 0, the motor at rest) stays 0.
 *
 * @example
 * addAnomaly(copy, injection);
 */
export function addAnomaly(column: Float64Array, injection: Injection): void {
  for (let i = injection.startIndex; i <= injection.endIndex; i++) {
    if (isIdleSample(column[i])) continue; // an idle motor draws nothing, anomaly or not
    column[i] += addedAt(injection, i);
  }
}

/**
 * Where {@link injectAnomalies} puts its anomalies (the same injections), without copying the window:
 * see it for the placement.
 *
 * @example
 * const injections = planAnomalies(split.validation, levels, { seed: 1 });
 */
export function planAnomalies(window: PreparedColumns, levels: ArrayLike<number>, options: InjectionOptions = {}): Injection[] {
  const { seed = 1, specs: planned0 = DEFAULT_INJECTIONS, guardSeconds = 60 } = options;
  const n = window.timeS.length;
  const dt = medianOfSteps(window.timeS);
  let guard = dt > 0 ? Math.ceil(guardSeconds / dt) : 1;
  // A validation part too short for the whole plan (a short window): the anomalies that fit, with the guard
  // cut to at most half the part when even the shortest does not fit with the full guard.
  let specs = planned0;
  if (planned0.some((spec) => spec.samples + guard > n)) {
    if (!planned0.some((spec) => spec.samples + guard <= n)) guard = Math.max(1, Math.min(guard, Math.floor(n / 2)));
    const fitting = planned0.filter((spec) => spec.samples + guard <= n);
    if (fitting.length > 0) specs = fitting;
  }
  const longest = specs.reduce((most, spec) => Math.max(most, spec.samples), 1);
  const slot = longest + guard;
  const values = window.values; // read only: the spans are added in copies (injectAnomalies)
  const injections: Injection[] = [];
  window.axes.forEach((axis, a) => {
    const level = levels[a];
    if (!(Number.isFinite(level) && level > 0)) return;
    const random = seededRandom(seed * 1009 + a * 7919 + 1);
    const planned = specs.flatMap((spec) => Array.from({ length: spec.count }, () => spec));
    for (let i = planned.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [planned[i], planned[j]] = [planned[j], planned[i]];
    }
    const count = Math.min(planned.length, Math.floor(n / slot));
    const width = Math.floor(n / Math.max(count, 1));
    // working[i]: working (non-idle, finite) samples among the first i rows of the axis.
    const working = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) working[i + 1] = working[i] + (Number.isFinite(values[a][i]) && !isIdleSample(values[a][i]) ? 1 : 0);
    for (let k = 0; k < count; k++) {
      const spec = planned[k];
      const from = k * width;
      const last = from + width - spec.samples - guard; // ≥ from since width ≥ slot
      // The starts whose span holds the most working samples, in row order, without listing them: count them, draw one, find it.
      let most = -1;
      let ties = 0;
      for (let s = from; s <= last; s++) {
        const inSpan = working[s + spec.samples] - working[s];
        if (inSpan > most) {
          most = inSpan;
          ties = 0;
        }
        if (inSpan === most) ties++;
      }
      let pick = Math.floor(random() * ties);
      let startIndex = from;
      for (let s = from; s <= last; s++) {
        if (working[s + spec.samples] - working[s] === most && pick-- === 0) {
          startIndex = s;
          break;
        }
      }
      const endIndex = startIndex + spec.samples - 1;
      const height = spec.size * level;
      injections.push({
        axis,
        kind: spec.kind,
        size: spec.size,
        samples: spec.samples,
        startIndex,
        endIndex,
        start: window.timeS[startIndex],
        end: window.timeS[endIndex],
        height,
        label: `${spec.kind} ${spec.size}× ${spec.samples}`,
      });
    }
  });
  if (injections.length === 0) {
    throw new InputError(`selection: the validation part (${n} rows) holds no injected anomaly: it needs at least ${slot} rows on an axis with working (non-zero) samples; use a longer window or a larger selection.validation_fraction`);
  }
  return injections;
}
