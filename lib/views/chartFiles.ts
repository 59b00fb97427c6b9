/**
 * The chart files the pipeline writes: one HTML page per axis and chart
 * (`<axis>_fit.html`, `<axis>_residual.html`), each with plotly.js inlined
 * like the reports, so one file works offline on its own (it can be mailed).
 */
import { promises as fs } from "fs";
import * as path from "path";
import { predictionCharts, type AxisCharts } from "./axisCharts";
import { chartPageParts } from "./html";
import { InputError, toInputError } from "../core/errors";
import type { ChartClock } from "./timeAxis";
import type { AxisThresholds, Prediction } from "../shapes/types";

/** File-name-safe form of an axis name: characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function safeFileStem(name: string): string {
  const stem = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return stem === "" ? "_" : stem;
}

/**
 * Writes `<dir>/<axis>_fit.html` and `<dir>/<axis>_residual.html` for every
 * axis of `prediction` (MinC/MaxC lines where `thresholds` has the axis),
 * each page self-contained (plotly.js inlined: it works offline and alone).
 * Creates `dir` when needed; overwrites earlier files.
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
 * Creates `dir` when needed and checks that files can be written into it
 * (a probe file, removed again), so a read-only or full plots folder stops
 * the run before anything is trained or written, naming the folder. The
 * chart pages carry plotly.js themselves; a `plotly.min.js` left there by
 * older versions is no longer read.
 *
 * @throws InputError naming the path and `plots.dir` when the folder cannot be made or written
 */
export async function preparePlotsDir(dir: string): Promise<void> {
  const probe = path.join(dir, `.mlbox-write-probe-${process.pid}`);
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(probe, "");
    await fs.rm(probe, { force: true });
  } catch (error) {
    throw toInputError(error, { key: "plots.dir" });
  }
}

/**
 * Writes already drawn charts as {@link writeChartFiles} does (no check of file
 * names), e.g. a fit chart drawn before its fitted column was overwritten.
 *
 * @param options `copyLibrary` (default true): run {@link preparePlotsDir} (create `dir`) first; false when it ran already
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
      await fs.writeFile(file, chartPageParts(figure.layout.title.text, [figure]));
      written.push(file);
    }
  }
  return written;
}
