/**
 * ML Box: raw multi-axis sensor streams in SQL → a versioned linear-trend anomaly model.
 *
 * One stage per file. Public stages take and return danfo DataFrames; each
 * wraps a typed core (`...Columns`) that computes on Float64Arrays, which the
 * CLI pipeline calls directly.
 *
 * This is the public API, listed on purpose. Helpers that stages, charts and
 * the registry use internally are not exported here; tests and scripts that
 * need one import it from its own file.
 */
export type * from "./types";
export { InputError, isInputError } from "./errors";

// Configuration and data access.
export { DEFAULT_THRESHOLD_POLICY, loadConfig } from "./config";
export { connect, describeDatabase } from "./connect";
export { extract, extractColumns, type ExtractOptions } from "./extract";

// Stages over DataFrames, each with its typed core.
export { analyze, profileColumns, type AxisProfile, type Profile } from "./analyze";
export { prepare, prepareColumns, type PrepareOptions, type Prepared } from "./prepare";
export { MODEL_TYPES, selectModel, type ModelChoice } from "./selectModel";
export { train, trainColumns } from "./train";
export { predict, predictColumns } from "./predict";
export { evaluate, evaluateColumns } from "./evaluate";
export { calibrateColumns, calibrateThresholds } from "./thresholds";
export { frameColumns, type FrameColumns } from "./timeColumn";
export { runPipeline, type PipelineOptions, type PipelineResult } from "./pipeline";

// Registry: register a model, read versions back.
export {
  LATEST_TAG,
  listVersions,
  loadVersion,
  registerModel,
  type LatestMode,
  type Lineage,
  type LineageInput,
  type LoadedVersion,
  type RegisterOptions,
  type RegisteredVersion,
  type VersionDataMeta,
  type VersionMeta,
  type VersionMetaInput,
  type VersionRows,
  type VersionSummary,
} from "./registry";
export { versionMeta, type TrainedOn } from "./versionMeta";

// Notebook cells: display helpers, chart builders and the views per stage.
export {
  reloadPlotly,
  showChart,
  showCharts,
  showHtml,
  showProfile,
  showRecord,
  showTable,
  showText,
  useDisplay,
  type DataFrameLike,
  type HtmlSink,
  type TableOptions,
  type TableSource,
} from "./display";
export {
  barChart,
  fitChart,
  histogramChart,
  lineChart,
  predictionCharts,
  residualChart,
  residualHistogram,
  runLengthChart,
  type AxisCharts,
  type FitChartOptions,
  type HistogramMarker,
  type HistogramOptions,
  type NamedSeries,
  type PlotlyFigure,
  type PlotlyLayout,
  type PlotlyTrace,
  type ResidualChartOptions,
} from "./charts";
export {
  axisCharts,
  ensureRegistered,
  extractWindow,
  fitCharts,
  halfWindowFits,
  latestChanges,
  loadRecentVersions,
  metricsCharts,
  missingComparison,
  modelRows,
  predictionOf,
  registerRun,
  residualCharts,
  residualTrendChart,
  resolveConfigPath,
  runLengthSummary,
  samplesUsedChart,
  samplingGaps,
  samplingIntervalChart,
  seriesChart,
  thresholdCharts,
  thresholdRows,
  valueHistograms,
  versionComparisonCharts,
  versionRows,
  versionSummary,
  workingRowMetrics,
  zeroFractionChart,
  type ModelRow,
  type NotebookRun,
  type SamplingGap,
  type ThresholdRow,
  type VersionAxisRow,
} from "./notebook";
