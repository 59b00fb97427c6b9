/**
 * Views of the registry notebook (07): a registered version as rows per
 * axis, where it came from, the last few versions loaded, and what changed
 * between them (tables and bar charts per axis and version).
 */
import { barChart, type NamedSeries } from "../views/seriesCharts";
import type { PlotlyFigure } from "../views/figure";
import { isLinearModel } from "../model/trendModel";
import { listVersions, loadVersion, type LoadedVersion } from "../registry";

/** One row of {@link versionRows}: everything registered for one axis. */
export interface VersionAxisRow {
  readonly version: string;
  readonly axis: string;
  /** The line's slope and intercept; NaN when the trend is not a line. */
  readonly coef: number;
  readonly intercept: number;
  readonly r2: number;
  readonly mae: number;
  readonly rmse: number;
  readonly MinC: number;
  readonly MaxC: number;
  readonly T_long_steps: number;
  readonly T_short_steps: number;
}

/** A registered version as one row per axis: model, metrics and thresholds side by side. */
export function versionRows(loaded: LoadedVersion): VersionAxisRow[] {
  return loaded.models.models.map((m) => {
    const metric = loaded.metrics.find((x) => x.axis === m.axis);
    const t = loaded.thresholds[m.axis];
    return {
      version: loaded.version,
      axis: m.axis,
      coef: isLinearModel(m) ? m.coef : NaN,
      intercept: isLinearModel(m) ? m.intercept : NaN,
      r2: metric?.r2 ?? NaN,
      mae: metric?.mae ?? NaN,
      rmse: metric?.rmse ?? NaN,
      MinC: t?.MinC ?? NaN,
      MaxC: t?.MaxC ?? NaN,
      T_long_steps: t?.T_long_steps ?? NaN,
      T_short_steps: t?.T_short_steps ?? NaN,
    };
  });
}

/**
 * {@link versionDiff} between the last two of `versions` (as from
 * {@link loadRecentVersions}); with a single version the differences are NaN.
 */
export function latestChanges(versions: readonly LoadedVersion[]): ReturnType<typeof versionDiff> {
  if (versions.length === 0) return [];
  return versionDiff(versions.length > 1 ? versions[versions.length - 2] : undefined, versions[versions.length - 1]);
}

/** Where a version came from, flattened for a key/value table (no password: the registry never stores one). */
export function versionSummary(loaded: LoadedVersion): Record<string, string | number | boolean> {
  const { meta } = loaded;
  return {
    version: loaded.version,
    latest: loaded.isLatest,
    folder: loaded.dir,
    saved_at: meta.saved_at,
    model: meta.model.type,
    table: meta.data.schema === undefined ? meta.data.table : `${meta.data.schema}.${meta.data.table}`,
    layout: meta.data.layout,
    time: `${meta.data.time_col} (${meta.data.time_type})`,
    window: `[${String(meta.data.train_start)}, ${String(meta.data.train_end)})`,
    rows_raw: meta.rows.raw,
    rows_train: meta.rows.train,
    interpolate: meta.prep.interpolate,
    dt_seconds: loaded.prepStats.dt_seconds,
    config: meta.lineage.config_path,
    config_sha256: meta.lineage.config_sha256,
    data_fingerprint: meta.lineage.data_fingerprint,
    database: meta.lineage.database,
    package_version: meta.lineage.package_version,
    git_commit: meta.lineage.git_commit ?? "unavailable",
  };
}

/**
 * The last `last` versions of a registry (oldest first), loaded, for
 * comparison. Empty when the registry is empty.
 *
 * @param rootDir registry root
 * @param options `last` (default 5)
 */
export async function loadRecentVersions(rootDir: string, options: { readonly last?: number } = {}): Promise<LoadedVersion[]> {
  const { last = 5 } = options;
  const list = await listVersions(rootDir);
  return Promise.all(list.slice(-last).map((v) => loadVersion(rootDir, v.version)));
}

/** Per-axis comparison charts across versions: MinC, MaxC, R² and trend slope, one bar per version. */
export function versionComparisonCharts(versions: readonly LoadedVersion[]): PlotlyFigure[] {
  const axes = Array.from(new Set(versions.flatMap((v) => v.models.models.map((m) => m.axis))));
  const rowsOf = versions.map((v) => new Map(versionRows(v).map((r) => [r.axis, r])));
  const series = (pick: (r: VersionAxisRow) => number): NamedSeries[] =>
    versions.map((v, i) => ({ name: v.version, values: axes.map((a) => { const r = rowsOf[i].get(a); return r ? pick(r) : NaN; }) }));
  return [
    barChart(axes, series((r) => r.MinC), { title: "MinC (alert threshold) per axis and version", yTitle: "MinC" }),
    barChart(axes, series((r) => r.MaxC), { title: "MaxC (error threshold) per axis and version", yTitle: "MaxC" }),
    barChart(axes, series((r) => r.r2), { title: "R² per axis and version", yTitle: "R²" }),
    barChart(axes, series((r) => r.coef * 3600), { title: "Trend slope per axis and version (per hour)", yTitle: "drift per hour" }),
  ];
}

/**
 * Change from version `before` to version `after`, per axis: the new value
 * and the difference of MinC, MaxC, R² and slope (NaN where `before` lacks
 * the axis or is not given).
 */
export function versionDiff(
  before: LoadedVersion | undefined,
  after: LoadedVersion,
): { axis: string; MinC: number; dMinC: number; MaxC: number; dMaxC: number; r2: number; dR2: number; coef: number; dCoef: number }[] {
  const old = new Map(before ? versionRows(before).map((r) => [r.axis, r]) : []);
  return versionRows(after).map((r) => {
    const o = old.get(r.axis);
    const d = (pick: (x: VersionAxisRow) => number): number => (o ? pick(r) - pick(o) : NaN);
    return {
      axis: r.axis,
      MinC: r.MinC,
      dMinC: d((x) => x.MinC),
      MaxC: r.MaxC,
      dMaxC: d((x) => x.MaxC),
      r2: r.r2,
      dR2: d((x) => x.r2),
      coef: r.coef,
      dCoef: d((x) => x.coef),
    };
  });
}
