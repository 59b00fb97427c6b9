/**
 * The chart files the pipeline writes: one HTML page per axis and chart
 * (`<axis>_fit.html`, `<axis>_residual.html`) beside one shared copy of
 * plotly.js, so a plots folder works offline and moves as a whole.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { predictionCharts, type AxisCharts } from "./axisCharts";
import { chartPageHtml, plotlyLibraryPath } from "./html";
import { InputError } from "../core/errors";
import type { ChartClock } from "./timeAxis";
import type { AxisThresholds, Prediction } from "../shapes/types";

/** File-name-safe form of an axis name: characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function safeFileStem(name: string): string {
  const stem = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return stem === "" ? "_" : stem;
}

/**
 * Copies `from` to `to` unless `to` already has its size and is not older
 * (plotly.js is 3.5 MB, and the pipeline writes charts one axis at a time).
 */
async function copyUnlessSame(from: string, to: string): Promise<void> {
  const [source, target] = await Promise.all([fs.stat(from), fs.stat(to).catch(() => undefined)]);
  if (target !== undefined && target.isFile() && target.size === source.size && target.mtimeMs >= source.mtimeMs) return;
  await fs.copyFile(from, to);
}

/**
 * Writes `<dir>/<axis>_fit.html` and `<dir>/<axis>_residual.html` for every
 * axis of `prediction` (MinC/MaxC lines where `thresholds` has the axis) and
 * one shared `<dir>/plotly.min.js` that every page loads by relative URL, so
 * the pages work offline and the folder can be moved as a whole. Creates
 * `dir` when needed; overwrites earlier files.
 *
 * @param options `maxGapSeconds` (default null), `clock` (x in UTC clock time): see {@link predictionCharts}
 * @returns the paths of the HTML files written, fit then residual per axis
 * @throws InputError when two axis names map to the same file name
 */
export async function writeChartFiles(
  prediction: Prediction,
  thresholds: Readonly<Record<string, AxisThresholds>> | undefined,
  dir: string,
  options: { readonly maxGapSeconds?: number | null; readonly clock?: ChartClock } = {},
): Promise<string[]> {
  const stems = new Map<string, string>();
  for (const axis of prediction.axes) {
    const stem = safeFileStem(axis);
    const other = stems.get(stem);
    if (other !== undefined) throw new InputError(`plots: axes "${other}" and "${axis}" both map to chart file name "${stem}"; rename one of them`);
    stems.set(stem, axis);
  }
  return writeAxisChartFiles(predictionCharts(prediction, thresholds, options), dir);
}

/**
 * Creates `dir` when needed and puts the plotly.js file the chart pages load
 * into it (unless an up-to-date copy is there).
 */
export async function preparePlotsDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await copyUnlessSame(plotlyLibraryPath(), path.join(dir, "plotly.min.js"));
}

/**
 * Writes already drawn charts as {@link writeChartFiles} does (no check of file
 * names), e.g. a fit chart drawn before its fitted column was overwritten.
 *
 * @param options `copyLibrary` (default true): run {@link preparePlotsDir} first; false when it ran already
 *   (threads writing pages into one folder at once would copy plotly.js over each other)
 * @returns the paths of the HTML files written, fit then residual per axis
 */
export async function writeAxisChartFiles(axisCharts: readonly AxisCharts[], dir: string, { copyLibrary = true } = {}): Promise<string[]> {
  if (copyLibrary) await preparePlotsDir(dir);
  const written: string[] = [];
  for (const charts of axisCharts) {
    const stem = safeFileStem(charts.axis);
    for (const [kind, figure] of [
      ["fit", charts.fit],
      ["residual", charts.residual],
    ] as const) {
      const file = path.join(dir, `${stem}_${kind}.html`);
      await fs.writeFile(file, chartPageHtml(figure.layout.title.text, [figure], "plotly.min.js"));
      written.push(file);
    }
  }
  return written;
}
