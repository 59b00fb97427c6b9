/**
 * Detection benchmark: `npm run bench:detection [-- seeds]` (seeds of the injections, comma-separated,
 * default 1; the tables are for the first, the out-of-sample goal line is repeated for each).
 *
 * On the real robot export (test/fixtures/RMBR4-2_export_test.csv, 39,672 rows × 8 axes, read
 * in-process), fit on the first 80% by rows (to 2022-10-18T06:18:17.080Z, the scoring golden test's
 * training window) and hold out the last 20% (4.44 h):
 * 1. every statistic × model candidate: alert events per hour on the clean held-out part, recall and
 *    median detection delay on seeded injected anomalies (offsets of several sizes and durations,
 *    spikes, a slow drift; lib/injection.ts) while the alert level `minc_percentile` is swept; per
 *    combination, the recall at the default rule's false alarms (linear + residual, minc_percentile 75);
 * 2. out of sample: `auto` chosen on the first 80% alone (its own 80/20 split), trained on all of it,
 *    then measured on the held-out 20% like the default;
 * 3. `thresholds.target_alarms_per_day`: the level chosen on the first 80% and the alarms per day it
 *    raises on the held-out 20%;
 * and writes the curves to out/detection.html (self-contained, plotly inlined).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { CANDIDATE_STATISTICS, detectionCandidate } from "../lib/selection/candidates";
import { cleanAlarms, detectionAt, validationSeconds, type DetectionPoint } from "../lib/selection/sweep";
import { escapeHtml } from "../lib/views/html";
import { tableHtml } from "../lib/views/display";
import { formatNumber } from "../lib/core/formatNumber";
import { injectAnomalies, workingLevel } from "../lib/selection/injection";
import { INJECTION_ROUNDS, runSelection, type SelectionConfig } from "../lib/selection/runSelection";
import { selectionPageHtml } from "../lib/views/selectionViews";
import { splitWindowAt } from "../lib/selection/validationSplit";
import { testConfig } from "../test/support/databases";
import { robotWindow } from "../test/support/robotExport";

const seeds = (process.argv[2] ?? "1").split(",").map(Number);
const seed = seeds[0];
const REFERENCE = "offset 0.6× 12";
const started = performance.now();
const robot = robotWindow();
const base = testConfig();

function config(model: string, statistic: string, target: number | null = null): SelectionConfig {
  return {
    model: { ...base.model, type: model as SelectionConfig["model"]["type"] },
    scoring: { ...base.scoring, statistic } as SelectionConfig["scoring"],
    thresholds: { ...DEFAULT_THRESHOLD_POLICY, target_alarms_per_day: target },
    selection: { validation_fraction: 0.2, seed },
  };
}

/** Caught/injected summed over the labels that `pick` accepts. */
function caught(byLabel: Readonly<Record<string, { caught: number; injected: number }>> | null, pick: (label: string) => boolean): string {
  if (byLabel === null) return "";
  let hit = 0;
  let all = 0;
  for (const [label, count] of Object.entries(byLabel)) {
    if (!pick(label)) continue;
    hit += count.caught;
    all += count.injected;
  }
  return `${hit}/${all}`;
}
const delay = (seconds: number | null): string => (seconds === null ? "–" : `${formatNumber(seconds, 3)} s`);

// 1. Every combination on the held-out 20%.
const all = runSelection(robot.columns, robot.dtSeconds, config("auto", "auto"), { fitRows: robot.trainRows });
const { selection } = all;
const hours = selection.validation.validation_hours;
const rows = [
  { candidate: `default: linear + residual`, ...selection.default, matched: selection.default.minc_percentile },
  ...selection.candidates.map((c) => ({ candidate: `${c.model} + ${c.statistic}`, ...c, matched: c.minc_percentile })),
].map((row) => ({
  "statistic × model": row.candidate,
  minc_percentile: row.matched === null ? "no level ≤ budget" : formatNumber(row.matched),
  "false alarms (/h)": row.false_alarms === null ? "" : `${row.false_alarms} (${formatNumber(row.false_alarms_per_hour as number, 3)})`,
  "0.6× 12 offsets": caught(row.by_label, (label) => label === REFERENCE),
  "all offsets": caught(row.by_label, (label) => label.startsWith("offset")),
  spikes: caught(row.by_label, (label) => label.startsWith("spike")),
  drifts: caught(row.by_label, (label) => label.startsWith("drift")),
  "all caught": row.caught === null ? "" : `${row.caught}/${row.injected}`,
  "median delay": delay(row.median_delay_seconds),
}));
console.log(`Robot export: fit ${selection.validation.fit_rows} rows, held out ${selection.validation.validation_rows} rows (${formatNumber(hours, 3)} h), seed ${seed}, ${selection.validation.injected} injected anomalies (${Object.entries(selection.validation.injected_by_label).map(([l, n]) => `${n} × ${l}`).join(", ")})`);
console.log(`Recall at the default rule's false alarms (≤ ${selection.default.false_alarms} alert events on the clean held-out part):`);
console.table(rows);
console.log(`auto on this split (model.type and scoring.statistic auto): ${all.summary.join(" ")}`);

// 2. Out of sample: auto chosen on the first 80% alone, measured on the held-out 20%.
const split = splitWindowAt(robot.columns, robot.trainRows);
const trainWindow = split.fit;
const reference = (p: DetectionPoint) => p.by_label[REFERENCE] ?? { caught: 0, injected: 0 };
function outOfSample(injectionSeed: number) {
  const levels = split.fit.values.map((values) => workingLevel(values));
  const injected = Array.from({ length: INJECTION_ROUNDS }, (_, round) => injectAnomalies(split.validation, levels, { seed: injectionSeed + round }));
  const setup = { split, injected, dtSeconds: robot.dtSeconds, policy: DEFAULT_THRESHOLD_POLICY, maxGapSeconds: null };
  const auto = runSelection(trainWindow, robot.dtSeconds, { ...config("auto", "auto"), selection: { validation_fraction: 0.2, seed: injectionSeed } });
  const chosenFit = detectionCandidate(auto.chosen.model, auto.chosen.statistic, config(auto.chosen.model, auto.chosen.statistic)).fit(trainWindow);
  const autoPoint = detectionAt(chosenFit, setup, auto.chosen.minc_percentile);
  const defaultPoint = detectionAt(detectionCandidate("linear", "residual", config("linear", "residual")).fit(trainWindow), setup, 75);
  const ratio = reference(autoPoint).caught / Math.max(1, reference(defaultPoint).caught);
  const met = ratio >= 2 && autoPoint.false_alarms <= defaultPoint.false_alarms;
  const goal =
    `seed ${injectionSeed}: auto ${auto.chosen.model} + ${auto.chosen.statistic} at ${formatNumber(auto.chosen.minc_percentile)} caught ${reference(autoPoint).caught}/${reference(autoPoint).injected} ` +
    `0.6× 12 offsets vs the default's ${reference(defaultPoint).caught} (${formatNumber(ratio, 3)}×) with ${autoPoint.false_alarms} vs ${defaultPoint.false_alarms} false alarms, ` +
    `median delay ${delay(autoPoint.median_delay_seconds)} vs ${delay(defaultPoint.median_delay_seconds)}: ${met ? "met" : "NOT met"}`;
  return { setup, auto, autoPoint, defaultPoint, goal };
}
const first = outOfSample(seed);
const setup = first.setup;
const outOfSampleRows = [
  { rule: "default: linear + residual at 75", point: first.defaultPoint },
  { rule: `auto: ${first.auto.chosen.model} + ${first.auto.chosen.statistic} at ${formatNumber(first.auto.chosen.minc_percentile)}`, point: first.autoPoint },
].map(({ rule, point }) => ({
  rule,
  "false alarms (/h)": `${point.false_alarms} (${formatNumber(point.false_alarms_per_hour, 3)})`,
  "0.6× 12 offsets": `${reference(point).caught}/${reference(point).injected}`,
  "all caught": `${point.caught}/${point.injected}`,
  "median delay": delay(point.median_delay_seconds),
}));
console.log(`\nOut of sample: auto chosen on the first 80% alone (${first.auto.summary.join(" ")})`);
console.table(outOfSampleRows);
console.log("Goal (≥ 2× the default's caught 0.6× 12 offsets at no more false alarms on the held-out 20%):");
console.log(`  ${first.goal}`);
for (const other of seeds.slice(1)) console.log(`  ${outOfSample(other).goal}`);

// 3. thresholds.target_alarms_per_day: level set on the first 80%, alarms per day on the held-out 20%.
const perDay = 86_400 / validationSeconds(setup);
const targetStatistics = CANDIDATE_STATISTICS.filter((statistic) => statistic === "residual" || statistic === "ewma");
const targets = targetStatistics.flatMap((statistic) => [12, 24, 48, 96].map((target) => {
  const chosen = runSelection(trainWindow, robot.dtSeconds, config("linear", statistic, target));
  const reached = chosen.selection.target_alarms_per_day as NonNullable<typeof chosen.selection.target_alarms_per_day>;
  const fitted = detectionCandidate("linear", statistic, config("linear", statistic)).fit(trainWindow);
  const heldOut = cleanAlarms(fitted, setup, reached.minc_percentile) * perDay;
  return {
    candidate: `linear + ${statistic}`,
    "target /day": target,
    minc_percentile: formatNumber(reached.minc_percentile),
    "on its validation part /day": formatNumber(reached.achieved_alarms_per_day, 3),
    "on the held-out 20% /day": formatNumber(heldOut, 3),
    "held-out / target": formatNumber(heldOut / target, 3),
  };
}));
console.log("\nthresholds.target_alarms_per_day: level chosen on the first 80% (its own 80/20 split), then scored on the held-out 20%:");
console.table(targets);

const out = resolve(__dirname, "..", "out");
mkdirSync(out, { recursive: true });
const file = join(out, "detection.html");
const intro = [
  `<p>${escapeHtml(`Robot export, fit on the first ${selection.validation.fit_rows} rows, measured on the last ${selection.validation.validation_rows} rows (${formatNumber(hours, 3)} h); seed ${seed}; ${selection.validation.injected} injected anomalies.`)}</p>`,
  tableHtml(rows, { maxRows: 100, caption: "Recall at the default rule's false alarms" }),
  tableHtml(outOfSampleRows, { maxRows: 10, caption: "Out of sample: auto chosen on the first 80% alone" }),
  tableHtml(targets, { maxRows: 20, caption: "thresholds.target_alarms_per_day" }),
].join("\n");
writeFileSync(file, selectionPageHtml("ML Box detection benchmark", selection, intro));
console.log(`\nCurves: ${file} (open it in a browser; works offline). ${formatNumber((performance.now() - started) / 1000, 3)} s`);
