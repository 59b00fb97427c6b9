/**
 * The statistic compared with MinC/MaxC (`scoring.statistic`): the residual
 * itself, or a smoothed form of it that lets a sustained shift stand out of
 * sample-to-sample noise.
 *
 * - `residual` (default): value = residual (the Python pipeline's rule).
 * - `ewma`: `z = α·r + (1 − α)·z_prev`; the first finite residual starts `z = r`
 *   (`α` = `scoring.ewma_alpha`, default 0.1).
 * - `cusum`: one-sided upper CUSUM `S = max(0, (S_prev + r) − reference)`, starting
 *   from `S_prev = 0`; `reference = median + k_sigma·1.4826·MAD` of the training
 *   residuals of the non-idle samples with a finite residual (`k_sigma` =
 *   `scoring.cusum_k`, default 0.5; MAD = median of |r − median|, so 1.4826·MAD
 *   estimates σ robustly). MinC/MaxC calibrated on S are its decision intervals.
 *
 * For `ewma` and `cusum`, a non-finite residual (missing value) gives the value
 * NaN (which ends a run, as in calibration) and leaves the state unchanged; a
 * gap in time larger than `scoring.max_gap_seconds` (when set) resets the state
 * to "none yet". The state is one number per axis, NaN for "none yet".
 */
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";
import { parseWithSchema, z } from "../core/schema";
import { medianSorted, rankView } from "../stats";

/** MAD × 1.4826 estimates σ of normally distributed values. */
const MAD_TO_SIGMA = 1.4826;

export { DEFAULT_CUSUM_K, DEFAULT_EWMA_ALPHA, STATISTIC_TYPES, statisticConfigShape, statisticSpecSchema, type StatisticSpec } from "../shapes/statisticSpec";
import { STATISTIC_TYPES, statisticConfigShape, type StatisticSpec } from "../shapes/statisticSpec";

/** The statistic's keys of the config's `scoring:` block (pass `config.scoring`); missing keys take their defaults. */
export interface StatisticOptions {
  /** `residual` (default), `ewma`, `cusum`; `auto` needs model selection. */
  readonly statistic?: (typeof STATISTIC_TYPES)[number];
  /** EWMA weight α of the newest residual, in (0, 1]; default 0.1. */
  readonly ewma_alpha?: number;
  /** CUSUM reference offset in robust σ units, ≥ 0; default 0.5. */
  readonly cusum_k?: number;
  /** A larger gap between consecutive samples resets the state; null/absent: gaps never do. */
  readonly max_gap_seconds?: number | null;
}

/**
 * One step: the statistic's value for `residual` and the next state. `state` NaN means
 * "none yet" (EWMA starts at the first finite residual, CUSUM from 0). For `residual` the
 * value is the residual and the state stays as it is; otherwise a non-finite residual gives
 * NaN and leaves the state unchanged. Operations in exactly this order:
 * EWMA `alpha * r + (1 - alpha) * z`, CUSUM `Math.max(0, s + r - reference)`.
 */
export function statisticStep(spec: StatisticSpec, state: number, residual: number): [value: number, nextState: number] {
  if (spec.type === "residual") return [residual, state];
  if (!Number.isFinite(residual)) return [NaN, state];
  const next = smoothedState(spec, state, residual);
  return [next, next];
}

/**
 * The next state (= the value) of an EWMA or CUSUM after a finite `residual` (see
 * {@link statisticStep}, which handles the residual and non-finite residuals; the scorer's
 * hot loop calls this directly).
 */
export function smoothedState(spec: StatisticSpec, state: number, residual: number): number {
  if (spec.type === "ewma") return Number.isNaN(state) ? residual : spec.alpha * residual + (1 - spec.alpha) * state;
  if (spec.type === "cusum") return Math.max(0, (Number.isNaN(state) ? 0 : state) + residual - spec.reference);
  return state;
}

/**
 * The statistic over a column of residuals in time order, continuing from `state`
 * (default NaN: none yet), and the state after the last one (see {@link statisticStep}).
 * With `options.timeS` and `options.maxGapSeconds`, a gap larger than `maxGapSeconds`
 * between consecutive samples of the column resets the state first. For `residual` the
 * values are `residuals` itself (not a copy); otherwise they are written into `options.into` when
 * given (as long as `residuals`), else into a new column.
 */
export function statisticColumn(
  spec: StatisticSpec,
  residuals: Float64Array,
  state = NaN,
  options: { readonly timeS?: Float64Array; readonly maxGapSeconds?: number | null; readonly into?: Float64Array } = {},
): { values: Float64Array; state: number } {
  if (spec.type === "residual") return { values: residuals, state };
  const { timeS, maxGapSeconds = null } = options;
  const values = options.into ?? new Float64Array(residuals.length);
  let current = state;
  const gaps = maxGapSeconds !== null && timeS !== undefined;
  // smoothedState inlined, one loop per statistic (the spec's numbers read once), operation for operation.
  if (spec.type === "ewma") {
    const alpha = spec.alpha;
    for (let i = 0; i < residuals.length; i++) {
      if (gaps && i > 0 && timeS[i] - timeS[i - 1] > maxGapSeconds) current = NaN;
      // statisticStep without its pair: NaN for a missing residual (the state kept), else the next state.
      const residual = residuals[i];
      if (Number.isFinite(residual)) values[i] = current = Number.isNaN(current) ? residual : alpha * residual + (1 - alpha) * current;
      else values[i] = NaN;
    }
    return { values, state: current };
  }
  const reference = spec.reference;
  for (let i = 0; i < residuals.length; i++) {
    if (gaps && i > 0 && timeS[i] - timeS[i - 1] > maxGapSeconds) current = NaN;
    const residual = residuals[i];
    if (Number.isFinite(residual)) values[i] = current = Math.max(0, (Number.isNaN(current) ? 0 : current) + residual - reference);
    else values[i] = NaN;
  }
  return { values, state: current };
}

/**
 * The statistic of one axis from the config's `scoring:` keys and the axis's training
 * residuals (`actual − predicted`, every row) and actual values. CUSUM's `reference` is
 * `median + cusum_k·1.4826·MAD` of the residuals of the rows whose actual value is not idle
 * (exactly 0) and whose residual is finite (numpy's median; 0 when there are none).
 *
 * @param options `config.scoring` or part of it: `statistic` (default residual), `ewma_alpha` (0.1), `cusum_k` (0.5).
 * @throws InputError naming the key for a bad value, and for `auto` (it needs model selection).
 */
export function statisticSpec(options: StatisticOptions, residuals: Float64Array, actual: Float64Array, scratch?: Float64Array): StatisticSpec {
  const scoring = parseWithSchema(z.object({ scoring: z.object(statisticConfigShape) }), { scoring: { ...options } }).scoring;
  switch (scoring.statistic) {
    case "residual":
      return { type: "residual" };
    case "ewma":
      return { type: "ewma", alpha: scoring.ewma_alpha };
    case "cusum":
      return { type: "cusum", k_sigma: scoring.cusum_k, reference: cusumReference(residuals, actual, scoring.cusum_k, scratch) };
    default:
      throw new InputError(`scoring.statistic auto needs model selection, which only training runs (npm start: runSelection, see selection.json): set scoring.statistic to residual, ewma or cusum here`);
  }
}

/**
 * `median + kSigma·1.4826·MAD` of the finite residuals of non-idle rows (0 when there are none). The kept
 * residuals are copied into `scratch` (as long as `residuals`, not `residuals` itself; default a new column
 * of the kept rows), whose ranks are then selected: the same value either way.
 *
 * @example
 * cusumReference(Float64Array.of(1, 2, 3, 9), Float64Array.of(5, 5, 5, 0), 0.5); // 2 + 0.5 · 1.4826 · 1
 */
export function cusumReference(residuals: Float64Array, actual: Float64Array, kSigma: number, scratch?: Float64Array): number {
  const isKept = (i: number): boolean => Number.isFinite(residuals[i]) && !isIdleSample(actual[i]);
  // Counted first: a column of the kept rows only (idle rows are often most of a window), not one as long as the window.
  let count = 0;
  for (let i = 0; i < residuals.length; i++) if (isKept(i)) count++;
  if (count === 0) return 0;
  const values = scratch === undefined ? new Float64Array(count) : scratch.subarray(0, count);
  for (let i = 0, k = 0; k < count; i++) if (isKept(i)) values[k++] = residuals[i];
  // The medians read one or two ranks: select them (rankView) instead of sorting, the same values.
  const center = medianSorted(rankView(values));
  for (let i = 0; i < count; i++) values[i] = Math.abs(values[i] - center);
  const mad = medianSorted(rankView(values));
  return center + kSigma * MAD_TO_SIGMA * mad;
}

/** The statistic of thresholds.json (`statistic` absent: residual). */
export function recordedStatistic(thresholds: { readonly statistic?: StatisticSpec }): StatisticSpec {
  return thresholds.statistic ?? { type: "residual" };
}

/** A short label: `residual`, `EWMA(α=0.1) of residual`, `CUSUM(k=0.5σ, reference=1.23) of residual`. */
export function statisticLabel(spec: StatisticSpec): string {
  const short = (value: number): string => String(Number(value.toPrecision(4)));
  if (spec.type === "ewma") return `EWMA(α=${short(spec.alpha)}) of residual`;
  if (spec.type === "cusum") return `CUSUM(k=${short(spec.k_sigma)}σ, reference=${short(spec.reference)}) of residual`;
  return "residual";
}
