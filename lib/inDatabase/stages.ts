/**
 * The fitting stages as SQL over a {@link SqlWindow}: train (profile and
 * least-squares line per axis), evaluate (R², MAE, RMSE) and calibrate the
 * thresholds, each sending one or two queries and receiving only small
 * results (per-axis aggregates, a few order statistics). The window's
 * summary and time step are in ./windowSummary, the chart series in
 * ./chartSeries.
 *
 * Parity with the in-memory path: the same float8 expressions (`time_s = t −
 * time0`, `predicted = time_s·coef + intercept`, `residual = y − predicted`)
 * and the same row filters (exact zeros and non-finite values left out of the
 * fit; PostgreSQL sorts NaN above +Infinity, so NaN is excluded explicitly
 * wherever JavaScript's comparisons would be false). Order statistics
 * (median, numpy-linear percentiles and quantiles) are computed in JS by the
 * same functions as in memory, from only the sorted values they need, fetched
 * by rank (`percentile_disc` at exact ranks, ./orderStatistics), so they are bit-exact; sums are PostgreSQL's
 * (naive float8 / Youngs–Cramer instead of numpy's pairwise), which agree to
 * rounding.
 */
import { createHash } from "crypto";
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { AxisProfile } from "../stages/analyze";
import { InputError } from "../core/errors";
import { pythonFloatRepr } from "../core/pythonFloat";
import { quantileSorted } from "../stats";
import { secondsToSteps } from "../stages/thresholds";
import type { AxisMetrics, AxisThresholds, LinearModel, LinearModelSet, Prediction, ThresholdPolicy } from "../shapes/types";
import { quantileRanks, sparseSorted, valuesAtRanks, valuesAtRanksOfCounts } from "./orderStatistics";
import { rangeCountsSql, rankIntervals, sampleRanges, valuesAtRanksByInterval, wantedFractions, type RankInterval } from "./rankIntervals";
import { POSITIVE_FINITE, bucketScales, bucketSql, valuesAtRanksByBucket, type ResidualHistogram } from "./residualHistogram";
import { FINITE, NOT_NAN, indexOfKey, num, perAxis, predictedSql } from "./sqlParts";
import { chartBucketSql, wideChartAggregates, wideChartSeries } from "./chartSeries";
import { wideRunLengths } from "./runLengths";
import type { SqlWindow } from "./window";
import type { WindowSummary } from "./windowSummary";

/** What the per-axis aggregate pass returns. */
export interface DatabaseTraining {
  /** Profiles, with the count of NaN/±Infinity/missing values the fit leaves out. */
  readonly profiles: readonly (AxisProfile & { readonly nonFinite: number; readonly finiteMax: number })[];
  readonly models: LinearModelSet;
  /** Mean of each axis's finite values (for R²'s two-pass total sum of squares). */
  readonly finiteMeans: readonly number[];
  /** Content fingerprint of the window computed in SQL (see README): differs from the in-memory one. */
  readonly fingerprint: string;
}

/**
 * One aggregate per axis (GROUP BY the axis key, so a LONG table partitioned
 * by axis id aggregates on each partition, or shard): the profile of
 * lib/analyze.ts and the least-squares line of lib/train.ts on `time_s = t −
 * time0` over the finite, non-zero values (`coef = Sxy / Sxx`, 0 when
 * `Sxx = 0`; `intercept = ȳ − x̄·coef`), plus a content hash sum.
 *
 * @throws InputError when an axis has no usable samples.
 */
export async function databaseTrain(db: Kysely<any>, window: SqlWindow, summary: WindowSummary): Promise<DatabaseTraining> {
  // The aggregates of one axis over its value `y` and `x = t − time0` (LONG, grouped by axis).
  const aggregates = (y: RawBuilder<unknown>): RawBuilder<unknown> => {
    const usable = sql`${FINITE(y)} and ${y} <> 0`;
    const present = NOT_NAN(y);
    return sql`count(*) filter (where ${present}) as count, count(*) filter (where ${FINITE(y)}) as finite,
      avg(${y}) filter (where ${FINITE(y)}) as fmean, max(${y}) filter (where ${FINITE(y)}) as fmax, count(*) filter (where ${y} = 0) as zeros,
      min(${y}) filter (where ${present}) as min, max(${y}) filter (where ${present}) as max, avg(${y}) filter (where ${present}) as mean,
      regr_count(${y}, x) filter (where ${usable}) as used, regr_sxy(${y}, x) filter (where ${usable}) as sxy,
      regr_sxx(${y}, x) filter (where ${usable}) as sxx, regr_avgx(${y}, x) filter (where ${usable}) as avgx,
      regr_avgy(${y}, x) filter (where ${usable}) as avgy, sum(hashfloat8extended(${y}, hashfloat8extended(t, 0))) as hash`;
  };
  const names = ["count", "finite", "fmean", "fmax", "zeros", "min", "max", "mean", "used", "sxy", "sxx", "avgx", "avgy", "hash"];
  let rows: Record<string, unknown>[];
  if (window.wide !== undefined && window.plain) {
    // A plain WIDE table: every axis's aggregates in one row over the table's rows (no unpivot, the same row order).
    // The row filters as NULLs computed once per row (aggregates skip NULLs): the same rows in the same order as FILTERs;
    // the time's hash once per row too, not once per axis.
    const c = (i: number): RawBuilder<unknown> => sql.id(`c${i}`);
    const id = (name: string, i: number): RawBuilder<unknown> => sql.id(`${name}${i}`);
    const kept = window.axes.map((_, i) => sql`case when ${FINITE(c(i))} then ${c(i)} end as ${id("f", i)},
      case when ${FINITE(c(i))} and ${c(i)} <> 0 then ${c(i)} end as ${id("u", i)}, case when ${NOT_NAN(c(i))} then ${c(i)} end as ${id("e", i)}`);
    const aggregates = window.axes.map((_, i) => {
      const [y, f, u, e] = [c(i), id("f", i), id("u", i), id("e", i)];
      const as = (name: string): RawBuilder<unknown> => sql.id(`${name}_${i}`);
      return sql`count(${e}) as ${as("count")}, count(${f}) as ${as("finite")}, avg(${f}) as ${as("fmean")}, max(${f}) as ${as("fmax")},
        count(*) filter (where ${y} = 0) as ${as("zeros")}, min(${e}) as ${as("min")}, max(${e}) as ${as("max")}, avg(${e}) as ${as("mean")},
        regr_count(${u}, x) as ${as("used")}, regr_sxy(${u}, x) as ${as("sxy")}, regr_sxx(${u}, x) as ${as("sxx")}, regr_avgx(${u}, x) as ${as("avgx")},
        regr_avgy(${u}, x) as ${as("avgy")}, sum(hashfloat8extended(${y}, ht)) as ${as("hash")}`;
    });
    const { rows: [wide] } = await sql<Record<string, unknown>>`
      select ${sql.join(aggregates)}
      from (select *, t - ${summary.firstTime}::float8 as x, hashfloat8extended(t, 0) as ht, ${sql.join(kept)} from (${window.wide}) as w ${window.fence}) as s`.execute(db);
    rows = window.keys.map((k, i) => Object.fromEntries([["k", k], ...names.map((name) => [name, wide[`${name}_${i}`]])]));
  } else {
    ({ rows } = await sql<Record<string, unknown>>`
      select k, ${aggregates(sql`y`)}
      from (select k, t, y, t - ${summary.firstTime}::float8 as x from (${window.rows}) as r ${window.fence}) as s
      group by k`.execute(db));
  }
  const byKey = new Map(rows.map((row) => [num(row.k), row]));
  const profiles: (AxisProfile & { nonFinite: number; finiteMax: number })[] = [];
  const models: LinearModel[] = [];
  window.axes.forEach((axis, i) => {
    const row = byKey.get(window.keys[i]) ?? {};
    const count = num(row.count ?? 0);
    profiles.push({
      axis,
      count,
      nan_count: summary.rows - count,
      zero_fraction: summary.rows === 0 ? 0 : num(row.zeros ?? 0) / summary.rows,
      min: count === 0 ? NaN : num(row.min),
      max: count === 0 ? NaN : num(row.max),
      mean: count === 0 ? NaN : num(row.mean),
      nonFinite: summary.rows - num(row.finite ?? 0),
      finiteMax: num(row.fmax),
    });
    const used = num(row.used ?? 0);
    if (!(used > 0)) throw new InputError(`axis "${axis}" has no usable samples (every value is 0, NaN or infinite) in the training window`);
    const sxx = num(row.sxx);
    const coef = sxx === 0 ? 0 : num(row.sxy) / sxx;
    models.push({ axis, coef, intercept: num(row.avgy) - num(row.avgx) * coef, samples_used: used });
  });
  const hashes = window.keys.map((key) => String(byKey.get(key)?.hash ?? "0"));
  const fingerprint = createHash("sha256").update(JSON.stringify({ rows: summary.rows, axes: window.axes, hashes })).digest("hex");
  const finiteMeans = window.keys.map((key) => num(byKey.get(key)?.fmean));
  return { profiles, models: { type: "linear", models }, finiteMeans, fingerprint };
}

/** Metrics of every axis, the number of positive residuals and their histogram or intervals (for the thresholds). */
export interface DatabaseEvaluation {
  readonly metrics: readonly AxisMetrics[];
  readonly positives: readonly number[];
  /** Per axis: the positive residuals counted per value bucket (./residualHistogram), by `scales`. */
  readonly histograms: readonly ResidualHistogram[];
  readonly scales: readonly number[];
  /** A plain WIDE table: per axis, its positive finite residuals' intervals (./rankIntervals), instead of histograms. */
  readonly intervals?: readonly (readonly RankInterval[])[];
  /** A plain WIDE table, given the window's summary for the charts: the decimated chart series from the same pass. */
  readonly chartSeries?: Prediction;
}

/** What {@link databaseEvaluate} needs for a plain WIDE table's single pass: the thresholds' policy, the window's summary, and whether to draw the charts. */
export interface WideEvaluateOptions {
  readonly policy: ThresholdPolicy;
  readonly summary: WindowSummary;
  readonly charts: boolean;
}

/** R², MAE and RMSE as `regressionMetrics` from the sums {@link databaseEvaluate} describes. */
function metricsOf(axis: string, { n, sq: sse, syy: sst, explained, abs }: { n: number; sq: number; syy: number; explained: number; abs: number }): AxisMetrics {
  if (n === 0) return { axis, r2: NaN, mae: NaN, rmse: NaN };
  let r2 = NaN;
  // SST − SSE summed per row ((y−ȳ)² − (y−p)² = (p−ȳ)(2y−p−ȳ)): no cancellation when R² is near 0.
  if (n >= 2) r2 = sst === 0 ? (sse === 0 ? 1.0 : 0.0) : sse === 0 ? 1.0 : explained / sst;
  return { axis, r2, mae: abs / n, rmse: Math.sqrt(sse / n) };
}

/** What {@link wideMetrics} returns: the metrics of every axis and, given the window's summary, the chart series. */
export interface WideMetrics {
  readonly metrics: readonly AxisMetrics[];
  readonly chartSeries?: Prediction;
}

/** What {@link wideResidualIntervals} returns: per axis, the number of positive residuals and their intervals. */
export interface WideResidualIntervals {
  readonly positives: readonly number[];
  readonly intervals: readonly (readonly RankInterval[])[];
}

/**
 * The metrics of a plain WIDE table (see {@link databaseEvaluate}): every axis's sums in one row over the table's
 * rows (no unpivot); with the charts, grouped by their time slice (a few hundred groups), the chart extremes from
 * the same rows. It needs only the models, so it can run beside {@link wideResidualIntervals} and the thresholds.
 */
export async function wideMetrics(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  finiteMeans: readonly number[],
  chart: WindowSummary | undefined,
): Promise<WideMetrics> {
  // Per row and axis, computed once (fenced): `p` predicted; `r` the residual and `d` the deviation from the mean where
  // the value is finite, else NULL (aggregates skip NULLs: the same rows in the same order as FILTERs).
  const id = (name: string, i: number): RawBuilder<unknown> => sql.id(`${name}${i}`);
  const columns = window.axes.map((_, i) => {
    const { coef, intercept } = models.models[i];
    const y = sql.id(`c${i}`);
    return sql`((t - ${time0}::float8) * ${coef}::float8) + ${intercept}::float8 as ${id("p", i)},
      case when ${FINITE(sql`${y}`)} then ${y} end as ${id("f", i)}, ${y} as ${id("y", i)}`;
  });
  const derived = window.axes.map((_, i) => {
    const [y, p, f] = [id("y", i), id("p", i), id("f", i)];
    return sql`${p}, ${f}, ${y}, ${f} - ${p} as ${id("r", i)}, ${f} - ${finiteMeans[i]}::float8 as ${id("d", i)}`;
  });
  const aggregates = window.axes.map((_, i) => {
    const [p, r, d] = [id("p", i), id("r", i), id("d", i)];
    const m = sql`${finiteMeans[i]}::float8`;
    const as = (name: string): RawBuilder<unknown> => id(name, i);
    return sql`count(${r}) as ${as("n")}, sum(abs(${r})) as ${as("abs")}, sum(${r} * ${r}) as ${as("sq")}, sum(${d} * ${d}) as ${as("syy")},
      sum((${p} - ${m}) * (${r} + ${d})) as ${as("explained")}`;
  });
  const { rows } = await sql<Record<string, unknown>>`
    select ${sql.join([...aggregates, ...(chart === undefined ? [] : wideChartAggregates(window.axes.length, id))])}
    from (select t, ${sql.join(derived)} from (select t, ${sql.join(columns)} from (${window.wide}) as w ${window.fence}) as s ${window.fence}) as s
    ${chart === undefined ? sql`` : sql`group by ${chartBucketSql(chart)}`}`.execute(db);
  /** A sum over every group (a sum of none is 0). */
  const total = (name: string): number => rows.reduce((sum, row) => (row[name] === null || row[name] === undefined ? sum : sum + num(row[name])), 0);
  const metrics = window.axes.map((axis, i) => {
    const sum = (name: string): number => total(`${name}${i}`);
    return metricsOf(axis, { n: sum("n"), abs: sum("abs"), sq: sum("sq"), syy: sum("syy"), explained: sum("explained") });
  });
  return { metrics, chartSeries: chart === undefined ? undefined : wideChartSeries(window, chart, models, rows) };
}

/**
 * Per axis of a plain WIDE table, the positive residuals (`y − predicted > 0`, not NaN) counted, and counted below
 * and up to the value ranges a random sample suggests (./rankIntervals), in one row over the table's rows: the
 * intervals the thresholds read their order statistics from.
 */
export async function wideResidualIntervals(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  windowRows: number,
  policy: ThresholdPolicy,
): Promise<WideResidualIntervals> {
  const ranges = await sampleRanges(db, window, time0, models, windowRows, wantedFractions(policy));
  const id = (name: string, i: number): RawBuilder<unknown> => sql.id(`${name}${i}`);
  // Per row and axis, computed once (fenced): `e` the residual; then `q`, the residual where it is positive and not NaN.
  const residuals = window.axes.map((_, i) => {
    const { coef, intercept } = models.models[i];
    return sql`${sql.id(`c${i}`)} - (((t - ${time0}::float8) * ${coef}::float8) + ${intercept}::float8) as ${id("e", i)}`;
  });
  const positive = window.axes.map((_, i) => {
    const e = id("e", i);
    return sql`case when ${e} > 0 and ${NOT_NAN(sql`${e}`)} then ${e} end as ${id("q", i)}`;
  });
  const aggregates = window.axes.map((_, i) => {
    const q = id("q", i);
    return sql.join([
      sql`count(${q}) as ${id("positives", i)}, count(*) filter (where ${q} = 'Infinity'::float8) as ${id("infinite", i)}`,
      ...rangeCountsSql(sql`${q}`, ranges[i], `r${i}_`),
    ]);
  });
  const { rows: [row] } = await sql<Record<string, unknown>>`
    select ${sql.join(aggregates)}
    from (select ${sql.join(positive)} from (select ${sql.join(residuals)} from (${window.wide}) as w ${window.fence}) as s ${window.fence}) as s`.execute(db);
  const counts = row ?? {};
  const positives = window.axes.map((_, i) => num(counts[`positives${i}`] ?? 0));
  const intervals = window.axes.map((_, i) => rankIntervals(ranges[i], counts, `r${i}_`, positives[i] - num(counts[`infinite${i}`] ?? 0)));
  return { positives, intervals };
}

/**
 * {@link databaseEvaluate} of a plain WIDE table: {@link wideMetrics}, then {@link wideResidualIntervals}.
 */
async function wideEvaluate(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  finiteMeans: readonly number[],
  windowRows: number,
  policy: ThresholdPolicy,
  chart: WindowSummary | undefined,
): Promise<DatabaseEvaluation> {
  const { metrics, chartSeries } = await wideMetrics(db, window, time0, models, finiteMeans, chart);
  const { positives, intervals } = await wideResidualIntervals(db, window, time0, models, windowRows, policy);
  return { metrics, positives, histograms: [], scales: [], intervals, chartSeries };
}

/**
 * R², MAE and RMSE over all rows where the value is finite, as
 * `regressionMetrics` (lib/evaluate.ts): R² = 1 − SSE/SST with scikit-learn's
 * constant-target and fewer-than-2-rows rules. Sums of squares are taken
 * around `finiteMeans` (from {@link databaseTrain}), and `1 − SSE/SST` as
 * `Σ(SST − SSE per row)/SST`: PostgreSQL sums naively (numpy pairwise), and
 * an R² near 0 would magnify that rounding difference. Also counts the
 * positive residuals of each axis.
 */
export async function databaseEvaluate(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  training: Pick<DatabaseTraining, "finiteMeans" | "profiles">,
  span: number,
  wide?: WideEvaluateOptions,
): Promise<DatabaseEvaluation> {
  const { finiteMeans } = training;
  if (window.wide !== undefined && window.plain && wide !== undefined) {
    return wideEvaluate(db, window, time0, models, finiteMeans, wide.summary.rows, wide.policy, wide.charts ? wide.summary : undefined);
  }
  const scales = bucketScales(training.profiles, models.models, span);
  const finite = FINITE(sql`y`);
  const residuals = sql`select k, t, y, ${predictedSql(window, time0, models)} as p, ${perAxis(window, (i) => sql`${finiteMeans[i]}::float8`)} as m from (${window.rows}) as r ${window.fence}`;
  const bucket = bucketSql(window, scales, sql`(y - p)`);
  // A plain table: grouped by axis and bucket of the positive residual (NULL for the rest), the metrics adding up the
  // groups' sums, so the histogram costs no pass of its own. Partitioned and foreign tables: grouped by axis only (so
  // the aggregate is pushed to the partitions, which it is not with thousands of groups), the histogram apart.
  const { rows } = await sql<Record<string, unknown>>`
    select k, ${window.plain ? sql`b` : sql`null::int as b`}, count(*) filter (where ${finite}) as n,
      sum(abs(p - y)) filter (where ${finite}) as abs, sum((y - p) * (y - p)) filter (where ${finite}) as sq,
      sum((y - m) * (y - m)) filter (where ${finite}) as syy,
      sum((p - m) * ((y - p) + (y - m))) filter (where ${finite}) as explained,
      count(*) filter (where y - p > 0 and ${NOT_NAN(sql`y - p`)}) as positives,
      count(*) filter (where y - p = 'Infinity'::float8) as infinite
    from ${window.plain ? sql`(select s.*, case when ${POSITIVE_FINITE(sql`y - p`)} then ${bucket} end as b from (${residuals}) as s) as s` : sql`(${residuals}) as s`}
    group by ${window.plain ? sql`k, b` : sql`k`}`.execute(db);
  if (!window.plain) {
    const { rows: counted } = await sql<Record<string, unknown>>`
      select k, ${bucket} as b, count(*) as positives from (${residuals}) as s where ${POSITIVE_FINITE(sql`y - p`)} group by 1, 2`.execute(db);
    rows.push(...counted.map((row) => ({ ...row, histogramOnly: true })));
  }
  const index = indexOfKey(window);
  const totals = window.axes.map(() => ({ n: 0, abs: 0, sq: 0, syy: 0, explained: 0, positives: 0, infinite: 0 }));
  const buckets = window.axes.map(() => new Map<number, number>());
  for (const row of rows) {
    const i = index.get(num(row.k)) as number;
    if (row.b !== null && row.b !== undefined) buckets[i].set(num(row.b), num(row.positives));
    if (row.histogramOnly) continue;
    const total = totals[i];
    const n = num(row.n);
    total.n += n;
    if (n > 0) {
      total.abs += num(row.abs);
      total.sq += num(row.sq);
      total.syy += num(row.syy);
      total.explained += num(row.explained);
    }
    total.positives += num(row.positives);
    total.infinite += num(row.infinite);
  }
  const metrics = window.axes.map((axis, i) => metricsOf(axis, totals[i]));
  return {
    metrics,
    positives: totals.map(({ positives }) => positives),
    histograms: totals.map(({ infinite }, i) => ({ buckets: buckets[i], infinite })),
    scales,
  };
}

/**
 * MinC/MaxC and sustain steps of every axis exactly as `calibrateAxis`
 * (lib/thresholds.ts): the positive residuals' numpy-linear percentiles after
 * trimming the largest `trim_top_ratio` (or median + 2·/3·MAD when there are
 * few), and `max(steps(default seconds), ceil(quantile(run lengths)))` with
 * the run lengths of residual ≥ MinC / ≥ MaxC found by gaps and islands
 * (`row position − row_number()` is constant along a run).
 */
export async function databaseThresholds(
  db: Kysely<any>,
  window: SqlWindow,
  time0: number,
  models: LinearModelSet,
  evaluation: Pick<DatabaseEvaluation, "positives" | "histograms" | "scales" | "intervals">,
  dtSeconds: number,
  policy: ThresholdPolicy,
  rows: number,
): Promise<Record<string, AxisThresholds>> {
  const { positives } = evaluation;
  const predicted = predictedSql(window, time0, models);
  const positiveRelation = sql`select k, v from (select k, y - ${predicted} as v from (${window.rows}) as r ${window.fence}) as s where v > 0 and ${NOT_NAN(sql`v`)}`;
  const qs = [policy.minc_percentile / 100, policy.maxc_percentile / 100];
  const all = new Map<number, number[]>();
  const wanted = new Map<number, number[]>();
  const kept = positives.map((n, i) => {
    if (n > 0 && n < policy.min_pos_for_trim && policy.use_mad_fallback) {
      all.set(i, Array.from({ length: n }, (_, rank) => rank)); // few: fetch them all
      return n;
    }
    const keep = n >= policy.min_pos_for_trim && policy.trim_top_ratio > 0 ? Math.max(1, Math.floor(n * (1 - policy.trim_top_ratio))) : n;
    wanted.set(i, quantileRanks(keep, qs));
    return keep;
  });
  let ranked: Map<number, Map<number, number>>;
  if (evaluation.intervals !== undefined) {
    ranked = await valuesAtRanksByInterval(db, window, time0, models, evaluation.intervals, new Map([...wanted, ...all]));
  } else {
    const [few, many] = await Promise.all([
      all.size > 0 ? valuesAtRanks(db, window, positiveRelation, all, positives) : new Map<number, Map<number, number>>(),
      valuesAtRanksByBucket(db, window, positiveRelation, evaluation.scales, evaluation.histograms, wanted),
    ]);
    ranked = new Map([...many, ...few]);
  }
  const levels = positives.map((n, i) => {
    if (n > 0 && n < policy.min_pos_for_trim && policy.use_mad_fallback) {
      const values = Array.from({ length: n }, (_, rank) => ranked.get(i)?.get(rank) as number);
      const ss = require("simple-statistics") as typeof import("simple-statistics"); // loaded only here (about 6 MiB)
      const center = ss.median(values);
      const mad = ss.medianAbsoluteDeviation(values);
      return { MinC: center + 2 * mad, MaxC: center + 3 * mad, method: "median+MAD" };
    }
    const sorted = sparseSorted(kept[i], ranked.get(i));
    const level = (q: number): number => (kept[i] === 0 ? 0 : quantileSorted(sorted, q));
    return { MinC: level(qs[0]), MaxC: level(qs[1]), method: `trim_top=${pythonFloatRepr(policy.trim_top_ratio)}` };
  });

  const quantiles = [policy.alert_quantile, policy.error_quantile];
  const minC = perAxis(window, (i) => sql`${levels[i].MinC}::float8`);
  const maxC = perAxis(window, (i) => sql`${levels[i].MaxC}::float8`);
  // Runs counted per (axis, level, length): the ranks the quantile reads are found in the running counts.
  const lengths: { k: unknown; lvl: unknown; len: unknown; c: unknown }[] = window.wide !== undefined
    ? await wideRunLengths(db, window, time0, models, levels, rows)
    : (await sql<{ k: unknown; lvl: unknown; len: unknown; c: unknown }>`
    select k, lvl, len, count(*) as c from (
      select k, lvl, count(*) as len from (
        select k, unnest(array[0, 1]) as lvl, unnest(array[a, e]) as meets, unnest(array[idx - sum(a) over w, idx - sum(e) over w]) as island
        from (
          select k, idx, (res >= ${minC})::int as a, (res >= ${maxC})::int as e
          from (select k, idx, y - ${predicted} as res from (${window.indexedRows}) as x ${window.fence}) as r
          where (res >= ${minC} or res >= ${maxC}) and ${NOT_NAN(sql`res`)}
        ) as flagged
        window w as (partition by k order by idx rows between unbounded preceding and current row)
      ) as marked where meets = 1 group by k, lvl, island
    ) as runs
    group by k, lvl, len`.execute(db)).rows;
  const index = indexOfKey(window);
  const runLengths = window.axes.map(() => [[], []] as [number, number][][]);
  for (const row of lengths) runLengths[index.get(num(row.k)) as number][num(row.lvl)].push([num(row.len), num(row.c)]);
  const defaults = [secondsToSteps(policy.alert_seconds_default, dtSeconds), secondsToSteps(policy.error_seconds_default, dtSeconds)];
  const sustain = (i: number, lvl: number): number => {
    const counts = runLengths[i][lvl].sort((a, b) => a[0] - b[0]);
    const m = counts.reduce((sum, [, c]) => sum + c, 0);
    if (m === 0) return defaults[lvl];
    return Math.max(defaults[lvl], Math.ceil(quantileSorted(sparseSorted(m, valuesAtRanksOfCounts(counts, quantileRanks(m, [quantiles[lvl]]))), quantiles[lvl])));
  };
  const out: Record<string, AxisThresholds> = {};
  window.axes.forEach((axis, i) => {
    out[axis] = {
      MinC: levels[i].MinC,
      MaxC: levels[i].MaxC,
      T_long_steps: sustain(i, 0),
      T_short_steps: sustain(i, 1),
      dt_seconds: dtSeconds,
      policy,
      meta: { method: levels[i].method },
    };
  });
  return out;
}

