/**
 * SKAB benchmark: `npm run bench:skab [-- <dir> [<overlay.yaml>]]` (default `../shared/skab`, relative to
 * the repo; the overlay defaults to `bench/skab.yaml`).
 *
 * The leaderboard's protocol through the real pipeline and scorer: for each of the 34 experiments
 * (valve1, valve2, other) the CSV goes into a table of an embedded database (PGlite, a temporary
 * folder), `runPipeline` trains on its first 400 rows (`data.train_end` = the 401st row's time) with
 * the overlay `bench/skab.yaml` (model, scoring, thresholds, selection, prep; the same for all 34),
 * and `replayScore` scores the rest. A row counts as flagged while any event is active on it, from
 * `fired_at` to `ended_at` (an event still open at the end: to the last row). Pooled point-wise
 * F1 / FAR / MAR and the NAB changepoint score (bench/skab/metrics.ts) are printed beside the
 * published leaderboard, with a per-experiment table; out/skab.html charts F1 and FAR per group.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as yaml from "js-yaml";
import { sql } from "kysely";
import { loadConfig } from "../lib/shapes/config";
import { connect } from "../lib/db/connect";
import { runPipeline } from "../lib/pipeline/inMemory";
import { replayScore } from "../lib/scoring/replay";
import { isoToEpochSeconds } from "../lib/core/time";
import { chartHtml, escapeHtml, plotlyScriptHtml, type PlotlyFigure } from "../lib/views/charts";
import { confusion, binaryScores, changepointsOf, nabScore, pooledBinaryScores, type ChangepointExperiment, type LabelledPrediction } from "./skab/metrics";

const ROOT = resolve(__dirname, "..");
const dataDir = resolve(ROOT, process.argv[2] ?? "../shared/skab");
const OVERLAY_SECTIONS = ["model", "scoring", "thresholds", "selection", "prep"];
const TRAIN_ROWS = 400;

/** The overlay: only the sections a user would tune for a new machine. */
function overlay(): Record<string, unknown> {
  const path = process.argv[3] !== undefined ? resolve(process.argv[3]) : join(ROOT, "bench", "skab.yaml");
  const loaded = (yaml.load(readFileSync(path, "utf8"), { schema: yaml.CORE_SCHEMA }) ?? {}) as Record<string, unknown>;
  const extra = Object.keys(loaded).filter((key) => !OVERLAY_SECTIONS.includes(key));
  if (extra.length > 0) throw new Error(`bench/skab.yaml: only ${OVERLAY_SECTIONS.join(", ")} sections, got ${extra.join(", ")}`);
  return loaded;
}

interface Experiment {
  readonly name: string;
  readonly group: string;
  readonly columns: string[];
  readonly times: string[];
  readonly values: number[][];
  readonly anomaly: number[];
  readonly changepoint: number[];
}

function readExperiment(group: string, file: string): Experiment {
  const lines = readFileSync(join(dataDir, group, file), "utf8").trim().split(/\r?\n/);
  const header = lines[0].split(";");
  const sensors = header.slice(1).filter((h) => h !== "anomaly" && h !== "changepoint");
  const rows = lines.slice(1).map((line) => line.split(";"));
  const at = (name: string): number => header.indexOf(name);
  return {
    name: `${group}/${file.replace(/\.csv$/, "")}`,
    group,
    columns: sensors,
    times: rows.map((r) => `${r[0].replace(" ", "T")}Z`),
    values: rows.map((r) => sensors.map((s) => Number(r[at(s)]))),
    anomaly: rows.map((r) => Number(r[at("anomaly")])),
    changepoint: rows.map((r) => Number(r[at("changepoint")])),
  };
}

function experiments(): Experiment[] {
  const out: Experiment[] = [];
  for (const group of ["valve1", "valve2", "other"]) {
    const files = readdirSync(join(dataDir, group)).filter((f) => f.endsWith(".csv"));
    files.sort((a, b) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")));
    for (const file of files) out.push(readExperiment(group, file));
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const settings = overlay();
  const list = experiments();
  const work = mkdtempSync(join(tmpdir(), "mlbox-skab-"));
  const results: { e: Experiment; prediction: number[]; trained: boolean; note: string }[] = [];
  try {
    for (const [k, e] of list.entries()) {
      const table = `skab_${k}`;
      const configPath = join(work, `${table}.yaml`);
      const document = {
        ...settings,
        database: { url_env: "MLBOX_SKAB_NO_DB_URL", embedded_dir: join(work, "pglite") },
        data: { table, time_col: "datetime", axes: e.columns, train_start: e.times[0], train_end: e.times[TRAIN_ROWS] },
        registry: { root_dir: join(work, "registry"), version_tag: table },
        plots: { enabled: false },
        compute: { mode: "memory" },
      };
      writeFileSync(configPath, yaml.dump(document));
      const config = loadConfig(configPath);
      const db = await connect(config.database, { brief: true });
      try {
        const columns = e.columns.map((c) => sql`${sql.id(c)} double precision`);
        await sql`create table ${sql.id(table)} (datetime timestamp not null, ${sql.join(columns)})`.execute(db);
        const rows = e.times.map((t, i) => sql`(${t}::timestamp, ${sql.join(e.values[i])})`);
        for (let from = 0; from < rows.length; from += 500) {
          await sql`insert into ${sql.id(table)} values ${sql.join(rows.slice(from, from + 500))}`.execute(db);
        }
      } finally {
        await db.destroy();
      }
      let prediction = new Array(e.times.length - TRAIN_ROWS).fill(0);
      let trained = true;
      let note = "";
      try {
        const result = await runPipeline(config, { log: (line) => (line.includes("warning") ? (note = line.trim()) : undefined) });
        const replay = await replayScore(config, { version: result.version });
        const testTimes = e.times.slice(TRAIN_ROWS).map(isoToEpochSeconds);
        prediction = testTimes.map((t) =>
          replay.events.some((ev) => isoToEpochSeconds(String(ev.fired_at)) <= t && (ev.ended_at === null || t <= isoToEpochSeconds(String(ev.ended_at)))) ? 1 : 0,
        );
      } catch (error) {
        trained = false;
        note = String((error as Error).message).split("\n")[0];
      }
      results.push({ e, prediction, trained, note });
      process.stderr.write(`${e.name}: ${trained ? "trained" : `NOT trained (${note})`}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const labelled: LabelledPrediction[] = results.map(({ e, prediction }) => ({ truth: e.anomaly.slice(TRAIN_ROWS), prediction }));
  const pooled = pooledBinaryScores(labelled);
  const nabInput: ChangepointExperiment[] = results.map(({ e, prediction }) => ({
    times: e.times.slice(TRAIN_ROWS).map(isoToEpochSeconds),
    trueChangepoints: e.changepoint.slice(TRAIN_ROWS),
    predictedChangepoints: changepointsOf(prediction),
  }));
  const nab = nabScore(nabInput);
  const f = (x: number, d = 2): string => x.toFixed(d);
  const leaderboard: [string, string, string, string, string][] = [
    ["Perfect detector", "1", "0", "0", "100 / 100 / 100"],
    ["Conv-AE", "0.78", "13.55", "28.02", "23.61 / 21.54 / 27.55"],
    ["MSET", "0.78", "39.73", "14.13", "13.84 / 10.22 / 17.37"],
    ["T-squared+Q (PCA-based)", "0.76", "26.62", "24.92", "25.35 / 14.51 / 31.33"],
    ["LSTM-AE", "0.74", "29.96", "25.92", "23.51 / 20.11 / 25.91"],
    ["T-squared", "0.66", "19.21", "42.6", "19.54 / 10.2 / 24.31"],
    ["MSCRED", "0.36", "49.94", "69.88", "32.42 / 16.53 / 40.28"],
    ["Null detector", "0", "0", "100", "0 / 0 / 0"],
  ];
  const trainedCount = results.filter((r) => r.trained).length;
  const ours: [string, string, string, string, string] = [
    `**ML Box, ${process.argv[3] ?? "bench/skab.yaml"}**`,
    f(pooled.f1, 3),
    f(pooled.far),
    f(pooled.mar),
    `${f(nab.standard)} / ${f(nab.lowFP)} / ${f(nab.lowFN)} (missed ${nab.missed}, FP ${nab.falsePositives})`,
  ];
  const lines = [
    `SKAB (${dataDir}): ${trainedCount} of ${results.length} experiments trained, ${labelled.reduce((s, l) => s + l.prediction.length, 0)} test rows, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    "",
    "| detector | F1 | FAR % | MAR % | NAB standard / LowFP / LowFN |",
    "|---|---|---|---|---|",
    `| ${ours.join(" | ")} |`,
    ...leaderboard.map((row) => `| ${row.join(" | ")} |`),
    "",
    "| experiment | rows | anomalous | flagged | F1 | FAR % | MAR % | note |",
    "|---|---|---|---|---|---|---|---|",
    ...results.map(({ e, prediction, note }) => {
      const truth = e.anomaly.slice(TRAIN_ROWS);
      const s = binaryScores(confusion(truth, prediction));
      return `| ${e.name} | ${truth.length} | ${truth.filter((x) => x === 1).length} | ${prediction.filter((x) => x === 1).length} | ${f(s.f1)} | ${f(s.far)} | ${f(s.mar)} | ${note} |`;
    }),
  ];
  console.log(lines.join("\n"));

  // The chart: F1 and FAR pooled per experiment group.
  const groups = ["valve1", "valve2", "other"];
  const perGroup = groups.map((g) => pooledBinaryScores(labelled.filter((_, i) => results[i].e.group === g)));
  const figure: PlotlyFigure = {
    data: [
      { type: "bar", name: "F1", x: groups, y: perGroup.map((s) => s.f1), yaxis: "y", offsetgroup: "f1" },
      { type: "bar", name: "FAR %", x: groups, y: perGroup.map((s) => s.far), yaxis: "y2", offsetgroup: "far" },
    ],
    layout: {
      title: { text: `SKAB per experiment group (pooled F1 ${f(pooled.f1)}, FAR ${f(pooled.far)} %)` },
      barmode: "group",
      yaxis: { title: { text: "F1" }, range: [0, 1] },
      yaxis2: { title: { text: "FAR %" }, overlaying: "y", side: "right", range: [0, 100] },
    },
  } as unknown as PlotlyFigure;
  const outDir = join(ROOT, "out");
  mkdirSync(outDir, { recursive: true });
  const page = [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"><title>SKAB</title>',
    "<style>body{font-family:sans-serif;margin:16px}</style>",
    plotlyScriptHtml(),
    "</head><body>",
    `<h1>SKAB through ML Box (bench/skab.yaml)</h1><pre>${escapeHtml(lines.slice(0, 14).join("\n"))}</pre>`,
    chartHtml(figure),
    "</body></html>",
    "",
  ].join("\n");
  writeFileSync(join(outDir, "skab.html"), page);
  console.log(`\nchart → ${join(outDir, "skab.html")}`);
}

main().catch((error) => {
  console.error(String((error as Error).stack ?? error));
  process.exit(1);
});
