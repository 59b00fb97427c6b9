/**
 * Notebook views of the multivariate model (`model.type: pca`, docs/pca.md):
 * the pca fit of a prepared window exactly as training makes it, and the
 * tables and charts notebooks 03 (slow axes), 04 (components, loadings),
 * 06 (T²/SPE limits) and 08 (events explained by contributions) show.
 */
import type * as dfd from "danfojs-node";
import { trainPca, type PcaTrained } from "../stages/pcaTrain";
import { numericColumn } from "../shapes/frame";
import { PCA_CHANNELS, type PcaArtifact } from "../shapes/pcaArtifacts";
import { isoToEpochSeconds } from "../core/time";
import type { LoadedVersion } from "../registry";
import type { ScoreEvent } from "../scoring/score";
import type { Config } from "../shapes/types";
import { contributionChart, pcaStatisticCharts, type StatisticSpan } from "../views/pcaCharts";
import type { PlotlyFigure } from "../views/figure";
import type { ChartClock } from "../views/timeAxis";

/**
 * The pca model of a prepared window, trained as `npm start` trains a `model.type: pca` config
 * (lib/pipeline/pcaPipeline.ts: `model.explained_variance`, `model.slow_ratio`, the MEWMA when
 * `scoring.statistic` is `ewma`, `scoring.max_gap_seconds`, the threshold policy's sustain times).
 * With another model type it is the pca view of the same window, for comparison.
 *
 * @param prepared `prepare(...).frame` (`time_s` plus axes)
 * @param config the resolved config (`chooseDetection(...).config`)
 * @param dtSeconds `analyze(...).dt_seconds`
 * @example
 * const pca = pcaWindowFit(prepared.frame, choice.config, profile.dt_seconds);
 * [pca.pca.components, pca.thresholds.T2.MinC]; // what pca.json and thresholds.json would hold
 * @throws InputError when the window has too few usable rows for the axes.
 */
export function pcaWindowFit(prepared: dfd.DataFrame, config: Config, dtSeconds: number): PcaTrained {
  const axes = prepared.columns.slice(1);
  const ewma = config.scoring.statistic === "ewma";
  return trainPca(
    axes,
    numericColumn(prepared, "time_s", "pcaWindowFit"),
    axes.map((axis) => numericColumn(prepared, axis, "pcaWindowFit")),
    dtSeconds,
    config.thresholds,
    {
      explainedVariance: config.model.explained_variance,
      slowRatio: config.model.slow_ratio,
      ewmaAlpha: ewma ? config.scoring.ewma_alpha : null,
      maxGapSeconds: config.scoring.max_gap_seconds,
    },
  );
}

/** One line of {@link slowAxisRows}. */
export interface SlowAxisRow {
  readonly axis: string;
  /** var(31-sample moving average) / var(values) over the training window's usable rows. */
  readonly slow_ratio: number;
  /** `model.slow_ratio`. */
  readonly threshold: number;
  /** `level` or `first difference`. */
  readonly enters_as: string;
  readonly why: string;
}

/**
 * Per axis, the slow-axis test that keeps normal drift from alarming: its value, the threshold, how the
 * axis enters the model and why, decided from the training window alone.
 *
 * @example
 * showTable(slowAxisRows(pca.pca)); // axis1 · 0.024 · 0.4 · level · "its moving average keeps 2.4 % …"
 */
export function slowAxisRows(pca: Pick<PcaArtifact, "axes" | "slow_ratio" | "slow_threshold" | "differenced">): SlowAxisRow[] {
  return pca.axes.map((axis, j) => {
    const ratio = pca.slow_ratio[j];
    const percent = `${(100 * ratio).toFixed(1)} %`;
    const slow = pca.differenced[j];
    return {
      axis,
      slow_ratio: ratio,
      threshold: pca.slow_threshold,
      enters_as: slow ? "first difference" : "level",
      why: slow
        ? `its moving average keeps ${percent} of its variance (> ${pca.slow_threshold}): it moves slowly against the window, so its level would drift out of the training range; its rate of change, whose range the window shows, enters instead`
        : `its moving average keeps ${percent} of its variance (≤ ${pca.slow_threshold}): it varies around a level the window covers`,
    };
  });
}

/** One line of {@link componentRows}. */
export interface ComponentRow {
  readonly component: string;
  readonly eigenvalue: number;
  /** Share of the standardised variance. */
  readonly share: number;
  readonly cumulative: number;
  /** `yes` for the components T² is computed in; `no` for those left to SPE. */
  readonly kept: string;
}

/**
 * Every principal component: its eigenvalue, share and cumulative share of the standardised variance,
 * and whether it is kept.
 *
 * @example
 * showTable(componentRows(version.pca)); // PC1 · 3.1 · 0.39 · 0.39 · yes …
 */
export function componentRows(pca: Pick<PcaArtifact, "eigenvalues" | "components">): ComponentRow[] {
  const total = pca.eigenvalues.reduce((sum, v) => sum + v, 0);
  let cumulative = 0;
  return pca.eigenvalues.map((eigenvalue, k) => {
    const share = total > 0 ? eigenvalue / total : 0;
    cumulative += share;
    return { component: `PC${k + 1}`, eigenvalue, share, cumulative, kept: k < pca.components ? "yes" : "no" };
  });
}

/**
 * The loadings of the kept components as one row per axis (`PC1`…`PCk`: the axis's weight in each unit
 * vector), with the axis's standardisation (`mean`, `scale`, of the first difference for a slow axis).
 *
 * @example
 * showTable(loadingRows(version.pca)); // { axis: "axis1", enters_as: "level", mean: 10.2, scale: 3.1, PC1: 0.41, … }
 */
export function loadingRows(pca: Pick<PcaArtifact, "axes" | "loadings" | "means" | "scales" | "differenced">): Record<string, string | number>[] {
  return pca.axes.map((axis, j) => {
    const row: Record<string, string | number> = { axis, enters_as: pca.differenced[j] ? "first difference" : "level", mean: pca.means[j], scale: pca.scales[j] };
    pca.loadings.forEach((loading, k) => (row[`PC${k + 1}`] = loading[j]));
    return row;
  });
}

/**
 * T² and SPE of a pca fit over the window it was trained on, against its limits (the largest held-out
 * value and twice that); in UTC clock time with `clock` (`prepared.stats` or a version's `prepStats`).
 *
 * @example
 * showCharts(pcaWindowCharts(prepared.frame, pcaWindowFit(prepared.frame, choice.config, dt), prepared.stats));
 */
export function pcaWindowCharts(prepared: dfd.DataFrame, trained: PcaTrained, clock?: ChartClock): PlotlyFigure[] {
  return pcaStatisticCharts(numericColumn(prepared, "time_s", "pcaWindowCharts"), { T2: trained.t2, SPE: trained.spe }, trained.thresholds, { title: "training window", clock });
}

/** What a version's events are raised on: `T2` and `SPE` for a pca version, else its model axes. */
export function scoredChannels(version: Pick<LoadedVersion, "models">): string[] {
  return version.models.type === "pca" ? [...PCA_CHANNELS] : version.models.models.map((m) => m.axis);
}

const seconds = (value: number | string): number => (typeof value === "number" ? value : isoToEpochSeconds(value));

/**
 * A pca version's scored T² and SPE over UTC clock time (the version's `prepStats`; the time column's
 * own seconds for float time) with its limits and the events shaded, from `score(frame, version)`.
 *
 * @param statistics `score(...).statistics` (`T2_stat`, `SPE_stat`)
 * @example
 * showCharts(pcaScoreCharts(scored.statistics, scored.events, latest));
 * @throws Error for a version without pca.json (use scoreCharts).
 */
export function pcaScoreCharts(statistics: dfd.DataFrame, events: readonly ScoreEvent[], version: LoadedVersion): PlotlyFigure[] {
  if (version.pca === undefined) throw new Error(`pcaScoreCharts: ${version.version} is not a pca version (no pca.json); use scoreCharts`);
  const time0 = version.prepStats.time0;
  const raw = statistics.column(statistics.columns[0]).values as (number | string)[];
  const timeS = Float64Array.from(raw, (t) => seconds(t) - time0);
  const column = (name: string): Float64Array => Float64Array.from(statistics.column(name).values as number[], (v) => (v === null ? NaN : v));
  const spans: StatisticSpan[] = events.map((e) => ({ axis: e.axis, level: e.level, startS: seconds(e.started_at) - time0, endS: e.ended_at === null ? null : seconds(e.ended_at) - time0 }));
  return pcaStatisticCharts(timeS, { T2: column("T2_stat"), SPE: column("SPE_stat") }, version.thresholds, { title: `scored by ${version.version}`, events: spans, clock: version.prepStats });
}

/**
 * One contributions chart per multivariate event (those with `contributions`), the first `max` of them
 * (default 12); empty when there are none.
 *
 * @example
 * showCharts(contributionCharts(scored.events)); // "#1 T2 alert at …: axis3 71 % (…, expected …)"
 */
export function contributionCharts(events: readonly ScoreEvent[], options: { readonly max?: number } = {}): PlotlyFigure[] {
  const { max = 12 } = options;
  return events
    .filter((e) => e.contributions !== undefined && e.contributions.length > 0)
    .slice(0, max)
    .map((e, i) => contributionChart(e, i + 1));
}

/** One line of {@link contributionRows}. */
export interface ContributionRow {
  /** The event's number among the multivariate events (as in the chart titles). */
  readonly event: number;
  readonly statistic: string;
  readonly level: string;
  readonly fired_at: number | string;
  readonly rank: number;
  readonly axis: string;
  readonly share: number;
  readonly value: number;
  readonly expected: number;
}

/**
 * The top `top` (default 3) contributions of every multivariate event as rows: which axes it is
 * attributed to, their shares, values and expected values (in each axis's units).
 *
 * @example
 * showTable(contributionRows(scored.events), { caption: "Contributions" });
 */
export function contributionRows(events: readonly ScoreEvent[], options: { readonly top?: number } = {}): ContributionRow[] {
  const { top = 3 } = options;
  return events
    .filter((e) => e.contributions !== undefined && e.contributions.length > 0)
    .flatMap((e, i) =>
      (e.contributions ?? []).slice(0, top).map((c, rank) => ({
        event: i + 1,
        statistic: e.axis,
        level: e.level,
        fired_at: e.fired_at,
        rank: rank + 1,
        axis: c.axis,
        share: c.share,
        value: c.value,
        expected: c.expected,
      })),
    );
}

/**
 * A pca model in one record: its role (`trainedAs`: the trained model, or a side view), components,
 * explained share, rows used, smoothing, the axes entering as first differences and how the limits were found.
 *
 * @example
 * showRecord(pcaSummary(pca.pca, "the trained model (pca.json)"), { caption: "pca model" });
 */
export function pcaSummary(pca: PcaArtifact, trainedAs: string): Record<string, string | number> {
  const slow = pca.axes.filter((_, j) => pca.differenced[j]);
  return {
    role: trainedAs,
    components: `${pca.components} of ${pca.axes.length}`,
    explained: pca.explained,
    explained_variance_target: pca.explained_variance,
    rows_used: pca.rows_used,
    smoothing: pca.smoothing.type === "ewma" ? `MEWMA α=${pca.smoothing.alpha}` : "none",
    first_differences: slow.length === 0 ? "none" : slow.join(", "),
    limits: pca.limits_method,
  };
}
