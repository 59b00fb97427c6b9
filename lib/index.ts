/**
 * ML Box: raw multi-axis sensor streams in SQL → a versioned linear-trend anomaly model.
 *
 * This is `mlbox`, the notebooks' import. It has two parts:
 *
 * 1. **The public API**, first and short: configuration and data access,
 *    the stages, scoring, detection selection and the registry. One stage
 *    per file; public stages take and return danfo DataFrames, and each
 *    wraps a typed core (`...Columns`) that computes on Float64Arrays,
 *    which the CLI pipeline calls directly. Every function here has an
 *    `@example` you can paste into a notebook cell.
 * 2. **Notebook views and internals**, kept apart below: the display
 *    helpers and the views each stage notebook shows, chart builders, and
 *    the helpers that stages, scoring, selection and the registry share.
 *    Notebooks, tests and scripts use them; they may change with the
 *    notebooks.
 *
 * Everything else stays in its own file (lib/<layer>/<file>.ts); tests and
 * scripts that need it import it from there.
 */

// ─── Public API ──────────────────────────────────────────────────────────────

// Configuration and data access.
export type * from "./shapes/types";
export { DEFAULT_THRESHOLD_POLICY, loadConfig } from "./shapes/config";
// How axes are named to people (`data.axis_labels`, `data.units`): "Motor 1 (A)".
export { axisCaption, axisDisplayName, axisUnit, type AxisDisplay } from "./shapes/axisDisplay";
export { InputError, isInputError } from "./core/errors";
export { connect, describeDatabase } from "./db/connect";
export { extract, extractColumns, type ExtractOptions } from "./db/extract";

// Stages, in pipeline order, each with its typed core.
export { analyze, profileColumns, type AxisProfile, type Profile } from "./stages/analyze";
export { resample, resampleColumns } from "./stages/resample";
export { prepare, prepareColumns, type PrepareOptions, type Prepared } from "./stages/prepare";
export { MODEL_TYPES, selectModel, type ModelChoice } from "./stages/selectModel";
export { train, trainColumns, type TrainOptions } from "./stages/train";
export { predict, predictColumns } from "./stages/predict";
export { evaluate, evaluateColumns } from "./stages/evaluate";
export { calibrateColumns, calibrateThresholds } from "./stages/thresholds";
// The multivariate model (model.type pca, docs/pca.md) and two-sided lower levels.
export { trainPca, pcaColumns, type PcaTrained, type PcaTrainOptions } from "./stages/pcaTrain";
export { pcaContributions, pcaStatistics, type Contribution } from "./model/pca";
export { PCA_CHANNELS, type PcaArtifact } from "./shapes/pcaArtifacts";
export { jacobiEigen, type SymmetricEigen } from "./stats/jacobiEigen";
export { calibrateLower } from "./stages/lowerThresholds";
export { runPipeline, type PipelineOptions, type PipelineResult } from "./pipeline/inMemory";

// Scoring: the incremental scorer, its DataFrame stage, replay and follow.
export { initialScoreState, scoreBatch, scoringModel } from "./scoring/score";
export type { ScoreBatch, ScoreEvent, ScoreResult, ScoreState, ScoringModel } from "./scoring/score";
export { score, type ScoredFrame } from "./scoring/scoreFrame";
export { replayScore, type ReplayOptions, type ReplayResult } from "./scoring/replay";
export { followScore, type FollowOptions, type FollowStats } from "./scoring/follow";
export { readEvents } from "./scoring/eventStore";

// Detection selection: measure candidates on held-out data with injected anomalies, choose (`auto`).
export { chooseDetection, type DetectionChoice } from "./selection/chooseDetection";
export { runSelection, type SelectionOptions, type SelectionResult } from "./selection/runSelection";
export type { Selection, SelectionCandidate } from "./shapes/artifacts";

// Registry: register a model, read versions back, move aliases (production), compare versions.
export { LATEST_TAG, diffVersions, listVersions, loadVersion, promoteAlias, registerModel, resolveTag } from "./registry";
export type { AliasFile, AliasMove, LoadedVersion, Promotion, RegisterOptions, RegisteredVersion, VersionDiff, VersionSummary } from "./registry";

// ─── Notebook views and internals ────────────────────────────────────────────
// For the notebooks (notebooks/*.ipynb), tests and scripts: not part of the
// short API above, and free to change with the notebooks.

// Notebook setup and display: where the config is, tables and charts in one call each.
export { resolveConfigPath } from "./notebook/configPath";
export { reloadPlotly, showChart, showCharts, showHtml, showMarkdown, showProfile, showRecord, showTable, showText, useAxisNames, useDisplay } from "./views/display";
export { axisNames, relabelFigure, relabelHtml, relabelText, type AxisNames } from "./views/axisNames";
export { markdownHtml } from "./views/markdown";
export type { DataFrameLike, HtmlSink, TableOptions, TableSource } from "./views/display";

// Views per stage notebook: 01–02 data, 03–05 fit and metrics, 06 thresholds, 07 versions, 08 scoring.
export { extractWindow, missingComparison, samplingGapRows, samplingIntervalChart, seriesChart, valueHistograms, zeroFractionChart, type SamplingGapRow } from "./notebook/dataViews";
export { axisCharts, fitCharts, halfWindowFits, metricsCharts, modelRows, predictionOf, residualCharts } from "./notebook/fitViews";
export { residualTrendChart, samplesUsedChart, workingRowMetrics, type ModelRow } from "./notebook/fitViews";
export { pcaThresholdNotes, thresholdCharts, thresholdRows, versionThresholdNotes, windowThresholdNotes, type ThresholdRow } from "./notebook/thresholdViews";
export { thresholdNoteRule, thresholdNotes, thresholdNotesMarkdown, type ThresholdNote, type ThresholdNoteInput, type ThresholdNoteOptions } from "./views/thresholdNotes";
export { latestChanges, loadRecentVersions, versionComparisonCharts, versionRows, versionSummary, type VersionAxisRow } from "./notebook/versionViews";
export { ensureRegistered, registerRun, type NotebookRun } from "./notebook/registerRun";
export { eventDetail, type EventDetail, type EventDetailOptions, type EventDetailRow } from "./notebook/eventDetail";
export { extractScoringWindow, scoreCharts, scoreSummaryRows, versionDetection, type ScoreSummaryRow } from "./views/scoreViews";
// The multivariate model's views (03 slow axes, 04 components, 06 T²/SPE limits, 08 contributions).
export { componentRows, contributionCharts, contributionRows, loadingRows, pcaScoreCharts, pcaSummary, pcaWindowCharts, pcaWindowFit, scoredChannels, slowAxisRows } from "./notebook/pcaViews";
export type { ComponentRow, ContributionRow, SlowAxisRow } from "./notebook/pcaViews";
export { contributionChart, explainedVarianceChart, pcaStatisticCharts, slowAxisChart, type StatisticSpan } from "./views/pcaCharts";
export { detectionCurvesChart, detectionDelayChart, selectionPageHtml, selectionRows, type SelectionRow } from "./views/selectionViews";
export { selectionAdvice, type ConfiguredDetection } from "./views/selectionAdvice";

// Chart builders (plotly.js figure specs).
export { fitChart, predictionCharts, residualChart, type AxisCharts, type FitChartOptions, type ResidualChartOptions } from "./views/axisCharts";
export { histogramChart, residualHistogram, runLengthChart, type HistogramMarker, type HistogramOptions } from "./views/histogramCharts";
export { barChart, lineChart, type NamedSeries } from "./views/seriesCharts";
export { clockValue, isoUtc, timeAxis, type ChartClock, type TimeAxis } from "./views/timeAxis";
export { EVENT_STYLE, MIN_EVENT_WIDTH_FRACTION, eventMarks } from "./views/eventMarks";
export { timelineChart, type TimelineOptions } from "./views/timelineChart";
export { incidentRows, type IncidentRow } from "./views/incidentRows";
export { correlationChart, correlationMatrix, pearson, type NamedColumns } from "./views/correlationChart";
export type { PlotlyFigure, PlotlyLayout, PlotlyTrace } from "./views/figure";

// Stage helpers: sampling, trend models, statistics over residuals, run lengths.
export { formatNumber } from "./core/formatNumber";
export { isIdleSample } from "./core/idleSample";
export { samplingGaps, timeSteps, type SamplingGap } from "./stages/analyze";
export { fitLinear } from "./stages/train";
export { DEFAULT_TREND_OPTIONS, describeTrend, fitAxisModel, isLinearModel, predictColumn, predictValue, type TrendOptions } from "./model/trendModel";
export { axisStatistic, runLengthSummary } from "./stages/thresholds";
export { statisticColumn, statisticLabel, statisticSpec, statisticStep, type StatisticOptions, type StatisticSpec } from "./model/statistic";
export { frameColumns, type FrameColumns } from "./shapes/timeColumn";
export { assertInDatabaseSupported, chooseComputeMode, runPipelineInDatabase, trainInDatabase } from "./pipeline/inDatabase";

// Scoring helpers.
export { SCORE_LEVELS, formatScoreTime, type RunState, type ScoreLevel } from "./scoring/score";

// Selection helpers: the held-out split, injected anomalies, matching detections.
export { resolveSelection, trainOptionsOf, type ResolvedSelection } from "./selection/chooseDetection";
export { candidatesFor, needsSelection } from "./selection/runSelection";
export { splitWindow, splitWindowAt, type WindowSplit } from "./selection/validationSplit";
export { DEFAULT_INJECTIONS, injectAnomalies, workingLevel, type Injection, type InjectionSpec } from "./selection/injection";
export { CATCH_SECONDS, detectionSummary, matchDetections, type DetectionEvent, type DetectionSummary } from "./selection/detection";

// Registry helpers: what `meta.yaml` holds and how the pipeline fills it in.
export type { LatestMode, Lineage, LineageInput, VersionDataMeta, VersionMeta, VersionMetaInput, VersionRows } from "./registry";
export { versionMeta, type TrainedOn } from "./pipeline/versionMeta";
