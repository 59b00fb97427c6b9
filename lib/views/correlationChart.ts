/**
 * Which sensors move together: the Pearson correlation between every pair of
 * axes of a window, as a heatmap (a view for 01 or 03, and a hint for which
 * axes a multivariate model will tie together).
 */
import type * as dfd from "danfojs-node";
import type { PlotlyFigure } from "./figure";
import { frameColumns } from "../shapes/timeColumn";
import { formatNumber } from "../core/formatNumber";
import { InputError } from "../core/errors";
import { isIdleSample } from "../core/idleSample";

/** Named columns of equal length. */
export interface NamedColumns {
  readonly axes: readonly string[];
  readonly values: readonly ArrayLike<number>[];
}

/**
 * Pearson correlation of two columns over the rows where both are finite (and, with `skipIdle`,
 * neither is an exact zero: an idle sample); NaN when fewer than two such rows or either is constant there.
 *
 * @example
 * import { pearson } from "mlbox";
 * pearson([1, 2, 3], [2, 4, 6]); // 1
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>, skipIdle = false): number {
  const left = (i: number): boolean => !Number.isFinite(a[i]) || !Number.isFinite(b[i]) || (skipIdle && (isIdleSample(a[i]) || isIdleSample(b[i])));
  let n = 0, ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    if (left(i)) continue;
    n++;
    ma += (a[i] - ma) / n;
    mb += (b[i] - mb) / n;
  }
  if (n < 2) return NaN;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (left(i)) continue;
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * The matrix of {@link pearson} between every pair of `columns` (1 on the diagonal unless a column is constant).
 *
 * @example
 * import { correlationMatrix } from "mlbox";
 * correlationMatrix({ axes: ["a", "b"], values: [[1, 2, 3], [1, 2, 4]] });
 */
export function correlationMatrix(columns: NamedColumns, skipIdle = false): number[][] {
  const { values } = columns;
  const m = values.map(() => new Array<number>(values.length).fill(NaN));
  for (let i = 0; i < values.length; i++) {
    for (let j = i; j < values.length; j++) m[i][j] = m[j][i] = pearson(values[i], values[j], skipIdle);
  }
  return m;
}

const isFrame = (source: dfd.DataFrame | NamedColumns): source is dfd.DataFrame => "columns" in source && !("axes" in source);

/**
 * A heatmap of the Pearson correlation between every pair of axes: red where axes rise together,
 * blue where one falls as the other rises, each cell labelled with its value (−1…1, pairwise over
 * rows where both are finite and, by default, neither is an exact zero — idle samples, which the fit
 * leaves out too and which would tie every axis together). Pass a DataFrame (its time column,
 * default the first, is left out) or `{ axes, values }` columns.
 *
 * @param source a window (`extractWindow(config)`, a prepared frame) or named columns
 * @param options `timeCol` (default: the frame's first column), `title`, `height` (default 120 + 40 per axis, at least 360),
 *   `skipIdle` (default true: pairs with an exact zero left out)
 * @throws InputError when fewer than two axes are given
 * @example
 * import { correlationChart } from "mlbox";
 * correlationChart({ axes: ["a", "b"], values: [[1, 2, 3], [3, 2, 1]] }).data[0].z; // [[1, -1], [-1, 1]]
 */
export function correlationChart(
  source: dfd.DataFrame | NamedColumns,
  options: { readonly timeCol?: string; readonly title?: string; readonly height?: number; readonly skipIdle?: boolean } = {},
): PlotlyFigure {
  const columns: NamedColumns = isFrame(source) ? frameColumns(source, options.timeCol ?? source.columns[0], "correlationChart") : source;
  if (columns.axes.length < 2) throw new InputError(`correlationChart: needs at least two axes, got ${columns.axes.length} (${columns.axes.join(", ")})`);
  const { skipIdle = true } = options;
  const z = correlationMatrix(columns, skipIdle);
  const axes = [...columns.axes];
  return {
    data: [
      {
        type: "heatmap",
        name: "Pearson r",
        x: axes,
        y: axes,
        z,
        zmin: -1,
        zmax: 1,
        colorscale: [[0, "#2166ac"], [0.5, "#f7f7f7"], [1, "#b2182b"]],
        colorbar: { title: { text: "r" } },
        text: z.flatMap((row) => row.map((r) => formatNumber(r, 2))),
        texttemplate: "%{z:.2f}",
        hovertemplate: "%{y} vs %{x}: r = %{z:.3f}<extra></extra>",
      },
    ],
    layout: {
      title: { text: options.title ?? `Which axes move together: Pearson correlation over the window${skipIdle ? " (working samples: exact zeros left out)" : ""}`, x: 0.01, xanchor: "left", y: 0.97, yanchor: "top" },
      xaxis: { title: { text: "axis" }, type: "category" },
      yaxis: { title: { text: "axis" }, type: "category", autorange: "reversed" },
      height: options.height ?? Math.max(360, 120 + 40 * axes.length),
      margin: { l: 90, r: 40, t: 80, b: 70 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom" },
      hovermode: "closest",
    },
  };
}
