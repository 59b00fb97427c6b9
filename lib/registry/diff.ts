/**
 * What changed between two registry versions, as `registry diff <a> <b>`
 * prints it: the model and each axis's trend, statistic, thresholds (both
 * sides when two-sided) and metrics, the training window, and — when either
 * version has `selection.json` — what selection chose and measured (false
 * alarms and recall on the held-out part).
 */
import type { AxisThresholds, Selection } from "../shapes/artifacts";
import type { StatisticSpec } from "../shapes/statisticSpec";
import { describeTrend } from "../model/trendModel";
import type { LoadedVersion } from "./read";

/** One difference: what, and its text in each version ("-" when that version has none). */
export interface DiffRow {
  readonly what: string;
  readonly a: string;
  readonly b: string;
}

/** What {@link diffVersions} found. */
export interface VersionDiff {
  readonly a: string;
  readonly b: string;
  /** The items that differ, in the order above. */
  readonly changed: readonly DiffRow[];
  /** How many compared items are equal. */
  readonly same: number;
}

/** A number for people: at most 8 significant digits. */
function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  return Number.isFinite(value) ? String(Number(value.toPrecision(8))) : String(value);
}

function statisticText(spec: StatisticSpec | undefined): string {
  if (spec === undefined || spec.type === "residual") return "residual";
  const { type, ...rest } = spec as { type: string } & Record<string, unknown>;
  const parts = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === "number" ? num(value) : JSON.stringify(value)}`);
  return parts.length === 0 ? type : `${type} ${parts.join(" ")}`;
}

/** The items compared per threshold channel (an axis, or T2/SPE of a pca version). */
function thresholdItems(t: AxisThresholds | undefined): [string, string][] {
  if (t === undefined) return [["thresholds", "-"]];
  const items: [string, string][] = [
    ["statistic", statisticText(t.statistic)],
    ["MinC", num(t.MinC)],
    ["MaxC", num(t.MaxC)],
    ["T_long_steps", String(t.T_long_steps)],
    ["T_short_steps", String(t.T_short_steps)],
  ];
  if (t.lower !== undefined) {
    items.push(["lower MinC", num(t.lower.MinC)], ["lower MaxC", num(t.lower.MaxC)], ["lower T_long_steps", String(t.lower.T_long_steps)], ["lower T_short_steps", String(t.lower.T_short_steps)]);
  }
  return items;
}

/** What selection chose and measured for its choice (the chosen candidate's matched point). */
function selectionItems(selection: Selection | undefined): [string, string][] {
  if (selection === undefined) return [["selection", "-"]];
  const { chosen } = selection;
  const candidate = selection.candidates.find((c) => c.model === chosen.model && c.statistic === chosen.statistic);
  const items: [string, string][] = [
    ["selection chosen", `${chosen.model}/${chosen.statistic} MinC p${num(chosen.minc_percentile)} MaxC p${num(chosen.maxc_percentile)}`],
    ["selection false alarms", candidate?.false_alarms === undefined ? "-" : `${num(candidate.false_alarms)} (${num(candidate.false_alarms_per_hour)}/h)`],
    ["selection recall", candidate?.recall === undefined ? "-" : `${num(candidate.recall)} (${num(candidate.caught)} of ${num(candidate.injected)})`],
    ["selection default false alarms", `${num(selection.default.false_alarms)} (${num(selection.default.false_alarms_per_hour)}/h)`],
    ["selection default recall", num(selection.default.recall)],
  ];
  if (selection.target_alarms_per_day !== null) items.push(["selection alarms/day", `${num(selection.target_alarms_per_day.achieved_alarms_per_day)} (target ${num(selection.target_alarms_per_day.target_alarms_per_day)})`]);
  return items;
}

/** Every compared item of one version, keyed by what it is, in display order. */
function items(version: LoadedVersion): Map<string, string> {
  const out = new Map<string, string>();
  const { meta } = version;
  out.set("model", meta.model.type);
  out.set("axes", version.models.models.map((m) => m.axis).join(", "));
  out.set("window", `[${String(meta.data.train_start)}, ${String(meta.data.train_end)})`);
  out.set("rows trained", String(meta.rows.train));
  for (const m of version.models.models) out.set(`${m.axis} trend`, describeTrend(m));
  if (version.pca !== undefined) out.set("pca components", `${version.pca.components} of ${version.pca.axes.length}, explaining ${num(version.pca.explained)}`);
  for (const [channel, t] of Object.entries(version.thresholds)) for (const [key, text] of thresholdItems(t)) out.set(`${channel} ${key}`, text);
  for (const m of version.metrics) {
    out.set(`${m.axis} r2`, num(m.r2));
    out.set(`${m.axis} mae`, num(m.mae));
    out.set(`${m.axis} rmse`, num(m.rmse));
  }
  for (const [key, text] of selectionItems(version.selection)) out.set(key, text);
  return out;
}

/**
 * Compares two loaded versions item by item (see the file header); items
 * only one version has show "-" on the other side.
 * @example
 * import { diffVersions, loadConfig, loadVersion, resolveConfigPath } from "mlbox";
 * const root = loadConfig(resolveConfigPath()).registry.root_dir;
 * const diff = diffVersions(await loadVersion(root, "production"), await loadVersion(root, "latest"));
 * diff.changed.map((row) => `${row.what}: ${row.a} → ${row.b}`);
 */
export function diffVersions(a: LoadedVersion, b: LoadedVersion): VersionDiff {
  const left = items(a);
  const right = items(b);
  const keys = [...left.keys(), ...[...right.keys()].filter((key) => !left.has(key))];
  const changed: DiffRow[] = [];
  let same = 0;
  for (const what of keys) {
    const x = left.get(what) ?? "-";
    const y = right.get(what) ?? "-";
    if (x === y) same++;
    else changed.push({ what, a: x, b: y });
  }
  return { a: a.version, b: b.version, changed, same };
}
