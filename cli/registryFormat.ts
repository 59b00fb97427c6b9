/** Terminal output of `registry list`, `registry show` and `registry diff`. */
import { redactDatabase } from "../lib/core/redact";
import type { AliasFile, LoadedVersion, VersionDiff, VersionSummary } from "../lib/registry";
import { describeTrend, isLinearModel } from "../lib/model/trendModel";

/** A number for people: at most 8 significant digits, `NaN`/`Infinity` as such. */
function short(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(8))) : String(value);
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * The output of `registry list`: one line per version (version, saved at,
 * model type, axis count and names, training and raw rows, aliases naming it),
 * `*` marking `latest`. An empty list gives a one-line note.
 */
export function formatVersionList(list: readonly VersionSummary[]): string {
  if (list.length === 0) return "No model versions registered.";
  const rows = list.map((v) => {
    const names = v.axes.join(",");
    return [
      v.isLatest ? "*" : "",
      v.version,
      v.saved_at,
      v.model_type,
      String(v.axes.length),
      names.length > 40 ? `${names.slice(0, 39)}…` : names,
      String(v.rows.train),
      String(v.rows.raw),
      v.aliases.join(","),
    ];
  });
  const lines = table(["", "VERSION", "SAVED_AT", "MODEL", "N", "AXES", "TRAIN_ROWS", "RAW_ROWS", "ALIASES"], rows, new Set([4, 6, 7]));
  if (list.some((v) => v.isLatest)) lines.push("(* = latest)");
  return lines.join("\n");
}

/**
 * Below `registry list`: one line per alias (the version it names, its last
 * move: when, by whom, from which version); a registry without aliases.json
 * gets one line saying `production` stands for `latest` until promoted.
 */
export function formatAliases(file: AliasFile | null): string[] {
  if (file === null) return ['Aliases: none (registry made before aliases): "production" stands for latest until `npm start -- registry promote <tag>`'];
  const names = Object.keys(file.aliases).sort();
  if (names.length === 0) return ["Aliases: none"];
  return [
    "Aliases:",
    ...names.map((name) => {
      const { version, history } = file.aliases[name];
      const last = history.at(-1);
      return `  ${name} → ${version}${last === undefined ? "" : ` (since ${last.at} by ${last.by}, from ${last.from ?? "none"})`}`;
    }),
  ];
}

/** The moves of one alias, oldest first, as `registry show <alias>` prints them. */
function aliasHistory(file: AliasFile | null, alias: string): string[] {
  const entry = file?.aliases[alias];
  if (entry === undefined) return [];
  return [
    "",
    `History of ${alias}:`,
    ...entry.history.map((move) => `  ${move.at}  ${move.from ?? "(none)"} → ${move.version}  by ${move.by}${move.note === undefined ? "" : `  (${move.note})`}`),
  ];
}

/**
 * The output of `registry show <tag>`: where and when the version was saved,
 * what data it was trained on, its lineage, and per axis the model, metrics
 * and thresholds (numbers to 8 significant digits; the files hold them exactly).
 */
export function formatVersion(loaded: LoadedVersion, aliasFile: AliasFile | null = null): string {
  const { meta, prepStats } = loaded;
  const marks = [...(loaded.isLatest ? ["latest"] : []), ...loaded.aliases];
  const { data, lineage } = meta;
  const source = data.schema === undefined ? data.table : `${data.schema}.${data.table}`;
  const longCols =
    data.layout === "long" ? ` (axis id ${data.axis_id_col ?? "?"}, value ${data.value_col ?? "?"})` : "";
  const lines = [
    `Version ${loaded.version}${marks.length === 0 ? "" : ` (${marks.join(", ")})`}`,
    `  folder:       ${loaded.dir}`,
    `  saved at:     ${meta.saved_at}`,
    `  model:        ${meta.model.type}`,
    `  data:         ${source}, ${data.layout}${longCols}, time ${data.time_col} (${data.time_type})`,
    `  window:       [${String(data.train_start)}, ${String(data.train_end)})`,
    `  rows:         ${meta.rows.train} trained of ${meta.rows.raw} extracted`,
    `  prep:         interpolate ${String(prepStats.interpolate)}, time0 ${String(prepStats.time0)}, dt ${short(prepStats.dt_seconds)} s`,
    `  config:       ${lineage.config_path} (sha256 ${lineage.config_sha256})`,
    `  data sha256:  ${lineage.data_fingerprint}`,
    `  database:     ${redactDatabase(lineage.database)}`,
    `  code:         mlbox ${lineage.package_version}, git ${lineage.git_commit ?? "unavailable"}`,
    "",
  ];
  const metricsByAxis = new Map(loaded.metrics.map((m) => [m.axis, m] as const));
  const rows = loaded.models.models.map((m) => {
    const metric = metricsByAxis.get(m.axis);
    const t = loaded.thresholds[m.axis];
    return [
      m.axis,
      isLinearModel(m) ? short(m.coef) : "",
      isLinearModel(m) ? short(m.intercept) : "",
      String(m.samples_used),
      metric === undefined ? "" : short(metric.r2),
      metric === undefined ? "" : short(metric.mae),
      metric === undefined ? "" : short(metric.rmse),
      t === undefined ? "" : short(t.MinC),
      t === undefined ? "" : short(t.MaxC),
      t === undefined ? "" : String(t.T_long_steps),
      t === undefined ? "" : String(t.T_short_steps),
      t === undefined ? "" : t.meta.method,
    ];
  });
  const header = ["AXIS", "COEF", "INTERCEPT", "SAMPLES", "R2", "MAE", "RMSE", "MinC", "MaxC", "T_LONG", "T_SHORT", "METHOD"];
  lines.push(...table(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
  // A trend that is not a line has no COEF/INTERCEPT: one line each says what it is.
  const trends = loaded.models.models.filter((m) => !isLinearModel(m));
  if (trends.length > 0) lines.push("", ...trends.map((m) => `  ${m.axis}: ${describeTrend(m)}`));
  // A pca version: its components, the axes entering as first differences, and its statistics' limits.
  if (loaded.pca !== undefined) {
    const { pca } = loaded;
    const slow = pca.axes.filter((_, j) => pca.differenced[j]);
    lines.push(
      "",
      `  pca: ${pca.components} of ${pca.axes.length} components explain ${short(pca.explained)} (target ${short(pca.explained_variance)}), ${pca.rows_used} rows, smoothing ${pca.smoothing.type === "ewma" ? `EWMA α=${short(pca.smoothing.alpha)}` : "none"}; first differences: ${slow.length === 0 ? "none" : slow.join(", ")}`,
      ...["T2", "SPE"].map((channel) => {
        const t = loaded.thresholds[channel];
        return `  ${channel}: MinC ${short(t.MinC)}, MaxC ${short(t.MaxC)}, T_long ${t.T_long_steps}, T_short ${t.T_short_steps} (${t.meta.method})`;
      }),
    );
  }
  for (const alias of loaded.aliases) lines.push(...aliasHistory(aliasFile, alias));
  return lines.join("\n");
}

/**
 * The output of `registry diff <a> <b>`: one line per item that differs
 * (`what  a → b`), then how many are equal; "no differences" when none.
 */
export function formatDiff(diff: VersionDiff, tagA: string, tagB: string): string {
  const name = (tag: string, version: string): string => (tag === version ? version : `${tag} (${version})`);
  const head = `Diff ${name(tagA, diff.a)} → ${name(tagB, diff.b)}`;
  if (diff.changed.length === 0) return `${head}: no differences (${diff.same} items compared)`;
  const width = Math.max(...diff.changed.map((row) => row.what.length));
  return [head, ...diff.changed.map((row) => `  ${row.what.padEnd(width)}  ${row.a} → ${row.b}`), `  (${diff.same} other items equal)`].join("\n");
}
