/**
 * Every chart builder as one import, for code written before the builders
 * got files of their own. New code imports from the file that does the job:
 *
 * - ./figure: the plotly.js figure types, shared colors and limits;
 * - ./axisCharts: fit and residual charts per axis;
 * - ./histogramCharts: histograms, residual distributions, run lengths;
 * - ./seriesCharts: bar and line charts of named series;
 * - ./html: escaping, the chart fragment, inlined plotly.js, the page skeleton;
 * - ./chartFiles: the chart pages the pipeline writes.
 */
export { decimateMinMax, decimateSeries, type DecimatedSeries } from "./decimate";
export { CHART_COLORS, CHART_SIGNIFICANT_DIGITS, DEFAULT_MAX_POINTS } from "./figure";
export type { PlotlyFigure, PlotlyLayout, PlotlyShape, PlotlyTrace } from "./figure";
export { fitChart, predictionCharts, residualChart, type AxisCharts, type FitChartOptions, type ResidualChartOptions } from "./axisCharts";
export { histogram, histogramChart, residualHistogram, runLengthChart, type Histogram, type HistogramMarker, type HistogramOptions } from "./histogramCharts";
export { barChart, lineChart, type NamedSeries } from "./seriesCharts";
export { chartHtml, chartPageHtml, escapeHtml, inlineScriptSafe, jsonForScript, plotlyLibraryPath, plotlyScriptHtml, type ChartHtmlOptions } from "./html";
export { preparePlotsDir, safeFileStem, writeAxisChartFiles, writeChartFiles } from "./chartFiles";
