/**
 * What a newcomer meets first, each a clear line (issue 14's papercuts): `--help` names the other scripts,
 * `score` before any training says to train first, the training summary explains its metrics (all rows beside
 * working rows, the same numbers notebook 05 shows), and the event summary names its columns as alert levels.
 * Needs no database: the CLI stops before connecting, the formatters get their results directly.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSummary, METRICS_NOTE } from "../cli/summary";
import { formatScoreSummary } from "../cli/score";
import { evaluateColumns, regressionMetrics } from "../lib/stages/evaluate";
import type { PipelineResult } from "../lib/pipeline/result";
import type { ReplayResult } from "../lib/scoring/replay";
import type { ScoreEvent } from "../lib/scoring/score";
import { runCli } from "./support/cli";

const work = mkdtempSync(join(tmpdir(), "mlbox-newcomer-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("--help lists npm run serve and npm run report beside the npm start commands", () => {
  const run = runCli(["--help"]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^ {2}npm run serve \[-- --config <file>\] \[--port 8080\] \[--host 127\.0\.0\.1\]$/m);
  assert.match(run.stdout, /^ {2}npm run report .*out\/report\/$/m);
});

test("score on an empty registry: exit 2, one line saying to train first with npm start; no database opened, nothing written", () => {
  const folder = join(work, "empty");
  mkdirSync(folder);
  const config = [
    "database:",
    "  url_env: MLBOX_NEWCOMER_UNSET_URL",
    "  embedded_dir: pglite",
    "data:",
    "  table: stream_samples_wide",
    "  axes: [axis1]",
    "  train_start: 0",
    "  train_end: 10",
    "registry:",
    "  root_dir: registry",
    "",
  ].join("\n");
  writeFileSync(join(folder, "config.yaml"), config);
  const env = { ...process.env };
  delete env.MLBOX_NEWCOMER_UNSET_URL;
  for (const args of [["score"], ["score", "--follow"], ["score", "--version", "v3"]]) {
    const run = runCli([...args, "--config", join(folder, "config.yaml")], { env });
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /^error: score: no model version in the registry .*registry yet: train one first with `npm start` \(same --config\), then score\n$/);
  }
  assert.equal(existsSync(join(folder, "pglite")), false, "the embedded database was not created");
  assert.equal(existsSync(join(folder, "registry")), false, "the registry was not created");
});

test("working-rows metrics equal notebook 05's (evaluateColumns with workingRowsOnly), without copying the column", () => {
  const n = 1000;
  const actual = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i === 500 ? NaN : 4 + Math.sin(i) + i / 1000));
  const predicted = Float64Array.from({ length: n }, (_, i) => 4 + i / 900);
  const prediction = { timeS: new Float64Array(n), axes: ["a"], actual: [actual], predicted: [predicted], residual: [] };
  assert.deepEqual(regressionMetrics("a", actual, predicted, { workingRowsOnly: true }), evaluateColumns(prediction, { workingRowsOnly: true })[0]);
  // The default still counts every finite row, idle zeros included.
  assert.deepEqual(regressionMetrics("a", actual, predicted), evaluateColumns(prediction)[0]);
  assert.notDeepEqual(regressionMetrics("a", actual, predicted), regressionMetrics("a", actual, predicted, { workingRowsOnly: true }));
});

/** A pipeline result with only what the summary reads. */
function result(r2: number[], workingR2?: number[]): PipelineResult {
  const metrics = r2.map((value, i) => ({ axis: `axis${i + 1}`, r2: value, mae: 1.5, rmse: 2 }));
  const thresholds = Object.fromEntries(
    metrics.map((m) => [m.axis, { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1.891, policy: {}, meta: { method: "trim_top=0.02" } }]),
  );
  return {
    version: "v1", versionDir: "reg/v1", database: "embedded PGlite at x", rawShape: [10, 3], trainShape: [10, 3], chartFiles: [], metrics, thresholds,
    ...(workingR2 === undefined ? {} : { workingMetrics: workingR2.map((value, i) => ({ axis: `axis${i + 1}`, r2: value, mae: 0.5, rmse: 0.7 })) }),
  } as unknown as PipelineResult;
}

test("the training summary shows the working-rows R² beside the all-rows one, and one line on what a negative all-rows R² means", () => {
  const summary = formatSummary(result([-1.43572, -1.06225], [0.000595141, 0.00419971]));
  assert.match(summary, /^Metrics \(all rows, idle zeros included; working rows only, idle zeros left out\):$/m);
  assert.match(summary, /^ {2}axis1 {2}R2=-1\.43572 {2}MAE=1\.5 {2}RMSE=2 {2}working: R2=0\.000595141 {2}MAE=0\.5 {2}RMSE=0\.7$/m);
  assert.match(summary, /^ {2}axis2 {2}R2=-1\.06225 .* working: R2=0\.00419971 /m);
  const notes = summary.split("\n").filter((line) => line.includes("R2 < 0"));
  assert.deepEqual(notes, [`  ${METRICS_NOTE}`]);
  assert.match(METRICS_NOTE, /idle zeros/);
  assert.match(METRICS_NOTE, /working-rows R2/);
  // No negative R²: no note. No working figures (the in-database path): the all-rows line alone.
  assert.ok(!formatSummary(result([0.9, 0.8], [0.5, 0.4])).includes("R2 < 0"));
  const database = formatSummary(result([-1.2]));
  assert.match(database, /^Metrics \(all rows, idle zeros included\):$/m);
  assert.match(database, /^ {2}axis1 {2}R2=-1\.2 {2}MAE=1\.5 {2}RMSE=2$/m);
});

test("the event summary names its columns as alert levels: alert-level and error-level, with a legend", () => {
  const event = (axis: string, level: "alert" | "error", start: number, ended: number | null): ScoreEvent =>
    ({ axis, level, started_at: start, fired_at: start + 2, ended_at: ended, samples: 4, peak_residual: 3, threshold: 1, model_version: "v1", stream: "s" }) as ScoreEvent;
  const replay = {
    model: { version: "v1", axes: ["axis1", "axis2"] },
    stream: "s",
    rows: 100,
    firstTime: 0,
    lastTime: 99,
    events: [event("axis1", "alert", 10, 14), event("axis1", "error", 12, 13), event("axis1", "alert", 50, null)],
    time: new Float64Array(0),
    residuals: [],
    eventsTable: "mlbox_events",
  } as unknown as ReplayResult;
  const text = formatScoreSummary(replay);
  assert.match(text, /^ {2}axis +alert-level +error-level +longest +first +last$/m);
  assert.match(text, /^ {2}axis1 +2 +1 +4 +10 +50$/m);
  assert.match(text, /^ {2}axis2 +0 +0 +- +- +-$/m);
  assert.match(text, /^ {2}Two alert levels: alert-level = residual ≥ MinC for T_long samples; error-level \(the higher\) = ≥ MaxC for T_short samples$/m);
  assert.match(text, /^Events: 3 \(2 alert-level, 1 error-level, 1 still open\) → table mlbox_events$/m);
  assert.doesNotMatch(text, /\berrors\b/);
});
