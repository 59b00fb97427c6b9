/**
 * Choosing the trend model and the scoring statistic by measured detection
 * (`auto` in `model.type` or `scoring.statistic`), and setting the alert level
 * by `thresholds.target_alarms_per_day`.
 *
 * The window is split in time ({@link splitWindow}); every candidate
 * combination is fitted and calibrated on the earlier part and measured on
 * the later part: false alarms (alert events on it as it is) and detections
 * (of seeded anomalies injected into a copy) while its alert level
 * (`minc_percentile`) is swept through the same policy code. The default
 * rule — `linear` + `residual` at the config's policy — sets the false-alarm
 * budget; a candidate's score is its best recall at no more false alarms than
 * that. The best score wins (ties: fewer false alarms, then the simpler
 * candidate). Only the `auto` key(s) vary; the other keys stay as configured.
 */
import { alertLevelForTarget, type AlarmTargetLevel } from "./alarmTarget";
import type { Selection, SelectionCandidate } from "../shapes/artifacts";
import { CATCH_SECONDS } from "./detection";
import { CANDIDATE_MODELS, CANDIDATE_STATISTICS, detectionCandidate, type CandidateStatistic, type DetectionCandidate } from "./candidates";
import { forgetPartPca } from "./pcaCache";
import { detectionCurveAtOnce, forgetResiduals } from "./levelSweep";
import { forgetPartTrend, lendPartScratch, partScratch } from "./trendCache";
import { matchedPoint, policyAtLevel, SWEEP_PERCENTILES, validationSeconds, type DetectionPoint, type ValidationSetup } from "./sweep";
import { formatNumber } from "../core/formatNumber";
import { injectedWhenRead, planAnomalies, workingLevel, type Injection, type InjectionSpec } from "./injection";
import { splitWindow, splitWindowAt, type WindowSplit } from "./validationSplit";
import { labelledOutcome, labelledPhrase, labelledValidation, type LabelledOutcome, type LabelledWindow } from "./labelledOutcomes";
import type { Config, PreparedColumns } from "../shapes/types";

/** The config sections selection reads. */
export type SelectionConfig = Pick<Config, "model" | "scoring" | "thresholds" | "selection">;

/** The value of `model.type` / `scoring.statistic` that asks for selection. */
export const AUTO = "auto";

/**
 * Rounds of injection per measurement: each is a copy of the validation part with anomalies at other
 * (seeded) places, so that a recall is not the luck of one placement (4 rounds × 8 per axis: 256
 * anomalies on 8 axes, 64 of them the reference offset).
 */
export const INJECTION_ROUNDS = 4;

/** The default rule the false-alarm budget comes from. */
export const DEFAULT_CANDIDATE = Object.freeze({ model: "linear", statistic: "residual" });

/** `scoring.statistic` as configured (`residual` when the scoring block has none). */
export function configuredStatistic(config: Pick<Config, "scoring">): string {
  return config.scoring?.statistic ?? DEFAULT_CANDIDATE.statistic;
}

/** Whether training must run selection: `auto` in `model.type` or `scoring.statistic`, or `thresholds.target_alarms_per_day` set. */
export function needsSelection(config: Pick<Config, "model" | "scoring" | "thresholds">): boolean {
  return config.model.type === AUTO || configuredStatistic(config) === AUTO || (config.thresholds.target_alarms_per_day ?? null) !== null;
}

/** The combinations selection evaluates: every candidate model for `model.type: auto` × every statistic for `scoring.statistic: auto`, else the configured one. */
export function candidatesFor(config: Pick<Config, "model" | "scoring">): DetectionCandidate[] {
  const models: readonly string[] = config.model.type === AUTO ? CANDIDATE_MODELS : [config.model.type];
  const statistic = configuredStatistic(config);
  const statistics: readonly string[] = statistic === AUTO ? CANDIDATE_STATISTICS : [statistic];
  // pca has no cusum (a one-line error when configured): that pair is not a candidate.
  const pcaStatistics = statistics.filter((s) => s !== "cusum") as CandidateStatistic[];
  return models.flatMap((model) => (model === "pca" ? pcaStatistics : statistics).map((s) => detectionCandidate(model, s, config, pcaStatistics)));
}

/** Options of {@link runSelection}. */
export interface SelectionOptions {
  /** Rows of the fit part; defaults to `floor(rows · (1 − selection.validation_fraction))`. */
  readonly fitRows?: number;
  /** Injections per axis; defaults to DEFAULT_INJECTIONS (lib/injection.ts). */
  readonly specs?: readonly InjectionSpec[];
  /** Rounds of injection, seeded `selection.seed`, `+ 1`, …; defaults to {@link INJECTION_ROUNDS}. */
  readonly rounds?: number;
  /** Alert levels swept; defaults to {@link SWEEP_PERCENTILES} (plus the config's `minc_percentile`). */
  readonly percentiles?: readonly number[];
  /** Candidates; defaults to {@link candidatesFor}(config). */
  readonly candidates?: readonly DetectionCandidate[];
  /** Labelled incidents and the fault rows left out (lib/selection/labelledOutcomes.ts): reported, not chosen by. */
  readonly labelled?: LabelledWindow;
  /** A column at least as long as the fit part that the caller does not read during selection: lent as its scratch column. */
  readonly idleColumn?: Float64Array;
}

/** What {@link runSelection} returns. */
export interface SelectionResult {
  /** The content of `selection.json`. */
  readonly selection: Selection;
  /** What to train on the whole window: the chosen model and statistic, the policy's percentiles. */
  readonly chosen: { readonly model: string; readonly statistic: string; readonly minc_percentile: number; readonly maxc_percentile: number };
  /** One or two lines for the CLI log: what was chosen and why. */
  readonly summary: readonly string[];
}

/**
 * How far below the best recall a candidate still ties with it: one binomial standard error of the
 * best, `sqrt(r·(1 − r) / injected)` (the one-standard-error rule), so that one or two anomalies out of
 * hundreds do not decide for a more complex candidate; 0 when the best recall is 0 or 1.
 */
export function recallTieMargin(bestRecall: number, injected: number): number {
  return injected > 0 ? Math.sqrt((bestRecall * (1 - bestRecall)) / injected) : 0;
}

const slim = (point: DetectionPoint) => ({
  minc_percentile: point.minc_percentile,
  false_alarms: point.false_alarms,
  false_alarms_per_hour: point.false_alarms_per_hour,
  caught: point.caught,
  injected: point.injected,
  recall: point.recall,
  median_delay_seconds: point.median_delay_seconds,
});

// Optional fields: tslab type-checks without strictNullChecks, where zod makes every artifact field optional.
const name = (c: { readonly model?: string; readonly statistic?: string }): string => `${c.model} + ${c.statistic}`;
const delayText = (seconds: number | null): string => (seconds === null ? "no delay (none caught)" : `median delay ${formatNumber(seconds, 3)} s`);

/**
 * Evaluates the candidates on a prepared window and chooses (see the module comment), and with
 * `thresholds.target_alarms_per_day` sets the chosen one's alert level by {@link alertLevelForTarget}
 * instead of the matched level. The error level's percentile follows it (see `policyAtLevel`: it keeps its
 * place in the headroom above the alert level, so it stays above it).
 *
 * A candidate no level of which stays within the default's false alarms is not eligible (its matched
 * fields are null); when none is, the one with the fewest false alarms at its highest level is taken
 * (the reason says so).
 *
 * @param columns The prepared window (`time_s` plus axes), in time order.
 * @param dtSeconds Its sampling interval (`analyze`'s `dt_seconds`).
 * @throws InputError when the window is too short to split or to hold an injected anomaly.
 *
 * @example
 * import { loadConfig, prepareColumns, resolveConfigPath, runSelection } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const time = Float64Array.from({ length: 6000 }, (_, i) => i); // one sample a second, two drifting axes
 * const values = [0, 1].map((a) => time.map((t) => 3 + a + t / 1000 + Math.sin(0.7 * t)));
 * const { columns } = prepareColumns(time, ["a", "b"], values);
 * const { chosen, summary } = runSelection(columns, 1, { ...config, model: { ...config.model, type: "auto" } });
 * [chosen, summary]; // the model and statistic with the best recall at the default's false alarms
 */
export function runSelection(columns: PreparedColumns, dtSeconds: number, config: SelectionConfig, options: SelectionOptions = {}): SelectionResult {
  const plan = selectionPlan(columns, dtSeconds, config, options);
  const curves = new Map<string, DetectionPoint[]>();
  for (const unit of curveUnits(plan)) for (const [key, curve] of measureUnit(plan, unit)) curves.set(key, curve);
  return chooseFromCurves(plan, curves, options);
}

/** What selection measures on: the split window, its injected rounds, the levels swept and the candidates. */
export interface SelectionPlan {
  readonly config: SelectionConfig;
  readonly setup: ValidationSetup;
  readonly percentiles: readonly number[];
  readonly candidates: readonly DetectionCandidate[];
  /** The default rule's candidate (one of `candidates` when they include it). */
  readonly defaultCandidate: DetectionCandidate;
}

/**
 * Splits the window, lends the idle column, and places the rounds' injections (seeded `selection.seed`,
 * `+ 1`, …): everything {@link runSelection} measures on.
 *
 * @throws InputError when the window is too short to split or to hold an injected anomaly.
 */
export function selectionPlan(columns: PreparedColumns, dtSeconds: number, config: SelectionConfig, options: SelectionOptions & { readonly sharedWindow?: boolean } = {}): SelectionPlan {
  const { validation_fraction: fraction, seed } = config.selection;
  const split = options.fitRows === undefined ? splitWindow(columns, fraction) : splitWindowAt(columns, options.fitRows);
  if (options.idleColumn !== undefined) lendPartScratch(split.fit, options.idleColumn);
  // The levels are read in the fit part's scratch, free until the first candidate fits.
  const scratch = partScratch(split.fit);
  const levels = split.fit.values.map((values) => workingLevel(values, scratch));
  const rounds = Array.from({ length: options.rounds ?? INJECTION_ROUNDS }, (_, round) =>
    planAnomalies(split.validation, levels, { seed: seed + round, specs: options.specs, guardSeconds: CATCH_SECONDS }),
  );
  return planOf(split, rounds, dtSeconds, config, options);
}

/**
 * The plan of a split window with its rounds' injections already placed (what a second thread is
 * given: the placement is read from the fit part, so it is not done twice).
 */
export function planOf(
  split: WindowSplit,
  rounds: readonly (readonly Injection[])[],
  dtSeconds: number,
  config: SelectionConfig,
  options: Pick<SelectionOptions, "percentiles" | "candidates"> & { readonly sharedWindow?: boolean } = {},
): SelectionPlan {
  // The rounds' injected copies are made only if read: the sweep adds the injections to the residuals itself.
  const injected = rounds.map((injections) => injectedWhenRead(split.validation, injections));
  const setup: ValidationSetup = { split, injected, dtSeconds, policy: config.thresholds, maxGapSeconds: config.scoring.max_gap_seconds, ...(options.sharedWindow === true ? { sharedWindow: true } : {}) };
  const percentiles = [...(options.percentiles ?? SWEEP_PERCENTILES), config.thresholds.minc_percentile];
  const candidates = options.candidates ?? candidatesFor(config);
  const defaultCandidate = candidates.find((c) => name(c) === name(DEFAULT_CANDIDATE)) ?? detectionCandidate(DEFAULT_CANDIDATE.model, DEFAULT_CANDIDATE.statistic, config);
  return { config, setup, percentiles, candidates, defaultCandidate };
}

/**
 * The candidates to measure (the default rule's first, then the others), grouped by model in the order
 * they first appear: the candidates of one unit share a fitted trend (or the pca models), so a unit is
 * measured on one thread, its candidates one after another.
 */
export function curveUnits(plan: SelectionPlan): DetectionCandidate[][] {
  const units = new Map<string, DetectionCandidate[]>();
  const seen = new Set<string>();
  for (const candidate of [plan.defaultCandidate, ...plan.candidates]) {
    if (seen.has(name(candidate))) continue;
    seen.add(name(candidate));
    const unit = units.get(candidate.model);
    if (unit === undefined) units.set(candidate.model, [candidate]);
    else unit.push(candidate);
  }
  return [...units.values()];
}

/**
 * Each candidate of `unit` fitted once and measured at every level at once (lib/selection/levelSweep.ts):
 * its curve, by `model + statistic`.
 */
export function measureUnit(plan: SelectionPlan, unit: readonly DetectionCandidate[]): [string, DetectionPoint[]][] {
  const fit = plan.setup.split.fit;
  return unit.map((candidate) => [name(candidate), detectionCurveAtOnce(candidate.fit(fit), plan.setup, plan.percentiles)]);
}

/**
 * Lets what the sweep, the trend fits and the pca models kept for the plan's window go (the caches
 * otherwise go with the window, at the next full collection).
 */
export function forgetPlan(plan: SelectionPlan): void {
  forgetResiduals(plan.setup);
  forgetPartTrend(plan.setup.split.fit);
  forgetPartPca(plan.setup.split.fit);
}

/**
 * The choice from every candidate's curve (`curves`, by `model + statistic`, the default rule's
 * included): see {@link runSelection}.
 */
export function chooseFromCurves(plan: SelectionPlan, curves: ReadonlyMap<string, DetectionPoint[]>, options: Pick<SelectionOptions, "fitRows" | "labelled"> = {}): SelectionResult {
  const { config, setup, candidates, defaultCandidate } = plan;
  const { split, injected } = setup;
  const { validation_fraction: fraction, seed } = config.selection;
  const injections = injected.flatMap((round) => round.injections);
  const curveOf = (candidate: DetectionCandidate): DetectionPoint[] => curves.get(name(candidate)) as DetectionPoint[];
  const budget = curveOf(defaultCandidate).find((point) => point.minc_percentile === config.thresholds.minc_percentile) as DetectionPoint;

  const measured = candidates.map((candidate) => {
    const curve = curveOf(candidate);
    return { candidate, curve, matched: matchedPoint(curve, budget.false_alarms, (top) => recallTieMargin(top, injections.length)) };
  });
  const eligible = measured.filter((m) => m.matched !== null);
  let best: (typeof measured)[number];
  let point: DetectionPoint;
  let reason: string;
  if (eligible.length > 0) {
    const top = Math.max(...eligible.map((m) => (m.matched as DetectionPoint).recall));
    const tied = eligible.filter((m) => (m.matched as DetectionPoint).recall >= top - recallTieMargin(top, injections.length));
    // Among the tied: fewer false alarms, then the simpler candidate (lower complexity, then earlier in the list).
    best = tied.reduce((a, b) => {
      const [pa, pb] = [a.matched as DetectionPoint, b.matched as DetectionPoint];
      if (pa.false_alarms !== pb.false_alarms) return pb.false_alarms < pa.false_alarms ? b : a;
      return b.candidate.complexity < a.candidate.complexity ? b : a;
    });
    point = best.matched as DetectionPoint;
    reason =
      `best recall (within one standard error of the best, ${formatNumber(top, 3)}) at no more false alarms than the default (${name(DEFAULT_CANDIDATE)} at minc_percentile ${formatNumber(budget.minc_percentile)}: ` +
      `${budget.false_alarms} false alarms, ${budget.caught}/${budget.injected} caught): ${point.caught}/${point.injected} caught, ` +
      `${point.false_alarms} false alarms (${formatNumber(point.false_alarms_per_hour, 3)}/h) at minc_percentile ${formatNumber(point.minc_percentile)}, ${delayText(point.median_delay_seconds)}`;
  } else {
    const fewest = (m: (typeof measured)[number]): DetectionPoint => m.curve[m.curve.length - 1];
    best = measured.reduce((a, b) => (fewest(b).false_alarms < fewest(a).false_alarms ? b : a));
    point = fewest(best);
    reason = `no candidate stays within the default's ${budget.false_alarms} false alarms: fewest false alarms (${point.false_alarms} at minc_percentile ${formatNumber(point.minc_percentile)})`;
  }

  const targetPerDay = config.thresholds.target_alarms_per_day ?? null;
  const target: AlarmTargetLevel | null = targetPerDay === null ? null : alertLevelForTarget(best.candidate.fit(split.fit), setup, targetPerDay);
  // Labelled incidents inside the validation part: counted at each candidate's matched level (before the caches go).
  const inside = options.labelled === undefined ? null : labelledValidation(split, options.labelled);
  const labelledAt = (c: DetectionCandidate, at: DetectionPoint | null) => (inside === null ? {} : { labelled: at === null ? null : labelledOutcome(c.fit(split.fit), setup, at.minc_percentile, inside) });
  const labelledOf = measured.map((m) => labelledAt(m.candidate, m.matched));
  const labelledDefault = labelledAt(defaultCandidate, budget) as { labelled?: LabelledOutcome };
  // What the sweep kept for this window goes now, not at the next full collection.
  forgetPlan(plan);
  const level = target === null ? point.minc_percentile : target.minc_percentile;
  const chosen = {
    model: best.candidate.model,
    statistic: best.candidate.statistic,
    minc_percentile: level,
    maxc_percentile: policyAtLevel(config.thresholds, level).maxc_percentile,
  };
  if (target !== null) {
    reason += `; alert level set by thresholds.target_alarms_per_day ${formatNumber(targetPerDay as number)}: minc_percentile ${formatNumber(level)} raises ${formatNumber(target.achieved_alarms_per_day, 4)}/day on the validation part`;
  }
  const injectedByLabel: Record<string, number> = {};
  for (const injection of injections) injectedByLabel[injection.label] = (injectedByLabel[injection.label] ?? 0) + 1;
  const hours = validationSeconds(setup) / 3600;
  const selection: Selection = {
    validation: {
      fraction: options.fitRows === undefined ? fraction : 1 - split.fitRows / (split.fitRows + split.validation.timeS.length),
      seed,
      fit_rows: split.fitRows,
      validation_rows: split.validation.timeS.length,
      validation_hours: hours,
      catch_seconds: CATCH_SECONDS,
      rounds: injected.length,
      injected: injections.length,
      injected_by_label: injectedByLabel,
    },
    default: { ...DEFAULT_CANDIDATE, ...slim(budget), by_label: budget.by_label, ...labelledDefault },
    candidates: measured.map(({ candidate, curve, matched }, i): SelectionCandidate => ({
      model: candidate.model,
      statistic: candidate.statistic,
      minc_percentile: matched?.minc_percentile ?? null,
      false_alarms: matched?.false_alarms ?? null,
      false_alarms_per_hour: matched?.false_alarms_per_hour ?? null,
      recall: matched?.recall ?? null,
      caught: matched?.caught ?? null,
      injected: injections.length,
      median_delay_seconds: matched?.median_delay_seconds ?? null,
      by_label: matched?.by_label ?? null,
      curve: curve.map(slim),
      ...labelledOf[i],
    })),
    chosen: { ...chosen, reason },
    target_alarms_per_day: target,
  };
  const summary = [
    `chose ${name(chosen)} at minc_percentile ${formatNumber(level)} (maxc_percentile ${formatNumber(chosen.maxc_percentile)}) of ${candidates.length} candidate${candidates.length === 1 ? "" : "s"}, ` +
      `measured on the last ${formatNumber(hours, 3)} h of the window (${injections.length} injected anomalies in ${injected.length} round${injected.length === 1 ? "" : "s"}):`,
    labelledDefault.labelled === undefined ? reason : `${reason}; ${labelledPhrase(labelledOf[measured.indexOf(best)].labelled ?? null, labelledDefault.labelled)}`,
  ];
  return { selection, chosen, summary };
}
