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
export type * from "./shapes/types";
export { InputError, isInputError } from "./core/errors";
export { formatNumber } from "./core/formatNumber";
export { isIdleSample } from "./core/idleSample";

// Configuration and data access.
export { DEFAULT_THRESHOLD_POLICY, loadConfig } from "./shapes/config";
export { connect, describeDatabase } from "./db/connect";
export { extract, extractColumns, type ExtractOptions } from "./db/extract";

// Stages over DataFrames, each with its typed core.
export { analyze, profileColumns, samplingGaps, timeSteps, type AxisProfile, type Profile, type SamplingGap } from "./stages/analyze";
export { resample, resampleColumns } from "./stages/resample";
export { prepare, prepareColumns, type PrepareOptions, type Prepared } from "./stages/prepare";
export { MODEL_TYPES, selectModel, type ModelChoice } from "./stages/selectModel";
export { fitLinear, train, trainColumns, type TrainOptions } from "./stages/train";
export { DEFAULT_TREND_OPTIONS, describeTrend, fitAxisModel, isLinearModel, predictColumn, predictValue, type TrendOptions } from "./model/trendModel";
export { predict, predictColumns } from "./stages/predict";
export { evaluate, evaluateColumns } from "./stages/evaluate";
export { axisStatistic, calibrateColumns, calibrateThresholds, runLengthSummary } from "./stages/thresholds";
// The multivariate model (model.type pca, docs/pca.md) and two-sided lower levels.
export { trainPca, pcaColumns, type PcaTrained, type PcaTrainOptions } from "./stages/pcaTrain";
export { pcaContributions, pcaStatistics, type Contribution } from "./model/pca";
export { PCA_CHANNELS, type PcaArtifact } from "./shapes/pcaArtifacts";
export { jacobiEigen, type SymmetricEigen } from "./stats/jacobiEigen";
export { calibrateLower } from "./stages/lowerThresholds";
export { statisticColumn, statisticLabel, statisticSpec, statisticStep, type StatisticOptions, type StatisticSpec } from "./model/statistic";
export { frameColumns, type FrameColumns } from "./shapes/timeColumn";
export { runPipeline, type PipelineOptions, type PipelineResult } from "./pipeline/inMemory";
export { assertInDatabaseSupported, chooseComputeMode, runPipelineInDatabase, trainInDatabase } from "./pipeline/inDatabase";

// Scoring: the incremental scorer, its DataFrame stage, replay and follow.
export { SCORE_LEVELS, formatScoreTime, initialScoreState, score, scoreBatch, scoringModel } from "./scoring/score";
export type { RunState, ScoreBatch, ScoreEvent, ScoreLevel, ScoreResult, ScoreState, ScoredFrame, ScoringModel } from "./scoring/score";
export { followScore, replayScore, type FollowOptions, type ReplayOptions, type ReplayResult } from "./scoring/replay";
export { readEvents } from "./scoring/eventStore";
export { extractScoringWindow, scoreCharts, scoreSummaryRows, versionDetection, type ScoreSummaryRow } from "./views/scoreViews";

// Detection and selection: measure candidates on held-out data with injected anomalies, choose (`auto`).
export { chooseDetection, resolveSelection, trainOptionsOf, type DetectionChoice, type ResolvedSelection } from "./selection/chooseDetection";
export { needsSelection, candidatesFor, runSelection, type SelectionOptions, type SelectionResult } from "./selection/runSelection";
export { splitWindow, splitWindowAt, type WindowSplit } from "./selection/validationSplit";
export { DEFAULT_INJECTIONS, injectAnomalies, workingLevel, type Injection, type InjectionSpec } from "./selection/injection";
export { CATCH_SECONDS, detectionSummary, matchDetections, type DetectionEvent, type DetectionSummary } from "./selection/detection";
export { detectionCurvesChart, detectionDelayChart, selectionPageHtml, selectionRows, type SelectionRow } from "./views/selectionViews";
export type { Selection, SelectionCandidate } from "./shapes/artifacts";

// Registry: register a model, read versions back.
export { LATEST_TAG, listVersions, loadVersion, registerModel } from "./registry";
export type { LatestMode, Lineage, LineageInput, LoadedVersion, RegisterOptions, RegisteredVersion } from "./registry";
export type { VersionDataMeta, VersionMeta, VersionMetaInput, VersionRows, VersionSummary } from "./registry";
export { versionMeta, type TrainedOn } from "./pipeline/versionMeta";

// Notebook cells: display helpers, chart builders and the views per stage.
export { reloadPlotly, showChart, showCharts, showHtml, showProfile, showRecord, showTable, showText, useDisplay } from "./views/display";
export type { DataFrameLike, HtmlSink, TableOptions, TableSource } from "./views/display";
export { barChart, fitChart, histogramChart, lineChart, predictionCharts, residualChart, residualHistogram, runLengthChart } from "./views/charts";
export type { AxisCharts, FitChartOptions, HistogramMarker, HistogramOptions, NamedSeries } from "./views/charts";
export type { PlotlyFigure, PlotlyLayout, PlotlyTrace, ResidualChartOptions } from "./views/charts";
export { axisCharts, extractWindow, resolveConfigPath, seriesChart, valueHistograms, zeroFractionChart } from "./notebook/views";
export { missingComparison, samplingIntervalChart } from "./notebook/views";
export { fitCharts, halfWindowFits, metricsCharts, modelRows, residualCharts, residualTrendChart } from "./notebook/views";
export { samplesUsedChart, workingRowMetrics } from "./notebook/views";
export { predictionOf, thresholdCharts, thresholdRows } from "./notebook/views";
export { ensureRegistered, latestChanges, loadRecentVersions, registerRun, versionComparisonCharts } from "./notebook/views";
export { versionRows, versionSummary } from "./notebook/views";
export type { ModelRow, NotebookRun, ThresholdRow, VersionAxisRow } from "./notebook/views";
