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
export { formatNumber } from "./formatNumber";
export { isIdleSample } from "./idleSample";

// Configuration and data access.
export { DEFAULT_THRESHOLD_POLICY, loadConfig } from "./config";
export { connect, describeDatabase } from "./connect";
export { extract, extractColumns, type ExtractOptions } from "./extract";

// Stages over DataFrames, each with its typed core.
export { analyze, profileColumns, samplingGaps, timeSteps, type AxisProfile, type Profile, type SamplingGap } from "./analyze";
export { resample, resampleColumns } from "./resample";
export { prepare, prepareColumns, type PrepareOptions, type Prepared } from "./prepare";
export { MODEL_TYPES, selectModel, type ModelChoice } from "./selectModel";
export { fitLinear, train, trainColumns, type TrainOptions } from "./train";
export { DEFAULT_TREND_OPTIONS, describeTrend, fitAxisModel, isLinearModel, predictColumn, predictValue, type TrendOptions } from "./trendModel";
export { predict, predictColumns } from "./predict";
export { evaluate, evaluateColumns } from "./evaluate";
export { axisStatistic, calibrateColumns, calibrateThresholds, runLengthSummary } from "./thresholds";
export { statisticColumn, statisticLabel, statisticSpec, statisticStep, type StatisticOptions, type StatisticSpec } from "./statistic";
export { frameColumns, type FrameColumns } from "./timeColumn";
export { runPipeline, type PipelineOptions, type PipelineResult } from "./pipeline";
export { assertInDatabaseSupported, chooseComputeMode, runPipelineInDatabase, trainInDatabase } from "./inDatabase/pipeline";

// Scoring: the incremental scorer, its DataFrame stage, replay and follow.
export { SCORE_LEVELS, formatScoreTime, initialScoreState, score, scoreBatch, scoringModel } from "./score";
export type { RunState, ScoreBatch, ScoreEvent, ScoreLevel, ScoreResult, ScoreState, ScoredFrame, ScoringModel } from "./score";
export { followScore, replayScore, type FollowOptions, type ReplayOptions, type ReplayResult } from "./replay";
export { readEvents } from "./scoreStore";
export { extractScoringWindow, scoreCharts, scoreSummaryRows, versionDetection, type ScoreSummaryRow } from "./scoreViews";

// Detection and selection: measure candidates on held-out data with injected anomalies, choose (`auto`).
export { chooseDetection, resolveSelection, trainOptionsOf, type DetectionChoice, type ResolvedSelection } from "./chooseDetection";
export { needsSelection, candidatesFor, runSelection, type SelectionOptions, type SelectionResult } from "./selection";
export { splitWindow, splitWindowAt, type WindowSplit } from "./validationSplit";
export { DEFAULT_INJECTIONS, injectAnomalies, workingLevel, type Injection, type InjectionSpec } from "./injection";
export { CATCH_SECONDS, detectionSummary, matchDetections, type DetectionEvent, type DetectionSummary } from "./detection";
export { detectionCurvesChart, detectionDelayChart, selectionPageHtml, selectionRows, type SelectionRow } from "./selectionViews";
export type { Selection, SelectionCandidate } from "./artifacts";

// Registry: register a model, read versions back.
export { LATEST_TAG, listVersions, loadVersion, registerModel } from "./registry";
export type { LatestMode, Lineage, LineageInput, LoadedVersion, RegisterOptions, RegisteredVersion } from "./registry";
export type { VersionDataMeta, VersionMeta, VersionMetaInput, VersionRows, VersionSummary } from "./registry";
export { versionMeta, type TrainedOn } from "./versionMeta";

// Notebook cells: display helpers, chart builders and the views per stage.
export { reloadPlotly, showChart, showCharts, showHtml, showProfile, showRecord, showTable, showText, useDisplay } from "./display";
export type { DataFrameLike, HtmlSink, TableOptions, TableSource } from "./display";
export { barChart, fitChart, histogramChart, lineChart, predictionCharts, residualChart, residualHistogram, runLengthChart } from "./charts";
export type { AxisCharts, FitChartOptions, HistogramMarker, HistogramOptions, NamedSeries } from "./charts";
export type { PlotlyFigure, PlotlyLayout, PlotlyTrace, ResidualChartOptions } from "./charts";
export { axisCharts, extractWindow, resolveConfigPath, seriesChart, valueHistograms, zeroFractionChart } from "./notebook";
export { missingComparison, samplingIntervalChart } from "./notebook";
export { fitCharts, halfWindowFits, metricsCharts, modelRows, residualCharts, residualTrendChart } from "./notebook";
export { samplesUsedChart, workingRowMetrics } from "./notebook";
export { predictionOf, thresholdCharts, thresholdRows } from "./notebook";
export { ensureRegistered, latestChanges, loadRecentVersions, registerRun, versionComparisonCharts } from "./notebook";
export { versionRows, versionSummary } from "./notebook";
export type { ModelRow, NotebookRun, ThresholdRow, VersionAxisRow } from "./notebook";
