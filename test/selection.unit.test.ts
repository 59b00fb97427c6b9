/**
 * Selection: the choice by recall at matched false alarms (ties → fewer false alarms, then simpler),
 * `thresholds.target_alarms_per_day` landing near its target, selection.json through the registry,
 * and one-line errors for bad `selection.*` / `thresholds.target_alarms_per_day`. The CLI run with
 * `model.type: auto` on the embedded database: selectionCli.test.ts.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_THRESHOLD_POLICY, loadConfig } from "../lib/shapes/config";
import { detectionCandidate, type DetectionCandidate } from "../lib/selection/candidates";
import { InputError } from "../lib/core/errors";
import { evaluateColumns } from "../lib/stages/evaluate";
import { predictColumns } from "../lib/stages/predict";
import { loadVersion, registerModel } from "../lib/registry";
import { candidatesFor, needsSelection, runSelection, type SelectionConfig } from "../lib/selection/runSelection";
import { calibrateColumns } from "../lib/stages/thresholds";
import type { Config, PreparedColumns } from "../lib/shapes/types";
import { testConfig } from "./support/databases";

const work = mkdtempSync(join(tmpdir(), "mlbox-selection-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A seeded standard normal generator (Box–Muller over mulberry32). */
function gaussian(seed: number): () => number {
  let state = seed;
  const uniform = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `n` samples at 1 s on two axes: `trend(t)` plus AR(1) noise `z = memory·z + noise·N(0, 1)` (memory 0: white noise). */
function synthetic(n: number, trend: (t: number) => number, noise: number, seed = 5, memory = 0): PreparedColumns {
  const next = gaussian(seed);
  const timeS = Float64Array.from({ length: n }, (_, i) => i);
  let z = 0;
  return { timeS, axes: ["a", "b"], values: [0, 1].map(() => Float64Array.from(timeS, (t) => trend(t) + (z = memory * z + noise * next()))) };
}

function config(overrides: { model?: string; statistic?: string; target?: number | null } = {}): SelectionConfig {
  const base = testConfig();
  return {
    model: { ...base.model, type: (overrides.model ?? "linear") as Config["model"]["type"] },
    scoring: { ...base.scoring, ...(overrides.statistic === undefined ? {} : { statistic: overrides.statistic }) } as Config["scoring"],
    thresholds: { ...DEFAULT_THRESHOLD_POLICY, target_alarms_per_day: overrides.target ?? null },
    selection: { validation_fraction: 0.2, seed: 1 },
  };
}

/** A candidate that ignores the trend: a flat line at the mean of the working samples (a real model, fitted and scored like any). */
function flatCandidate(complexity: number): DetectionCandidate {
  const linear = detectionCandidate("linear", "residual", testConfig());
  return {
    model: "flat",
    statistic: "residual",
    complexity,
    fit(part) {
      const fitted = linear.fit(part);
      const models = { type: "linear" as const, models: fitted.models.models.map((m, a) => ({ ...m, coef: 0, intercept: part.values[a].reduce((s, v) => s + v, 0) / part.values[a].length })) };
      return { models, calibration: predictColumns(part.timeS, models, part.values).residual, thresholds: (_a, t) => t };
    },
  };
}

test("needsSelection and candidatesFor: auto in model.type or scoring.statistic, or a target; only the auto key varies", () => {
  assert.equal(needsSelection(config()), false);
  assert.equal(needsSelection(config({ model: "auto" })), true);
  assert.equal(needsSelection(config({ statistic: "auto" })), true);
  assert.equal(needsSelection(config({ target: 24 })), true);
  assert.deepEqual(candidatesFor(config({ model: "auto" })).map((c) => `${c.model}+${c.statistic}`), ["linear+residual", "poly+residual", "piecewise+residual", "per_mode+residual", "pca+residual"]);
  assert.deepEqual(candidatesFor(config({ model: "poly", statistic: "auto" })).map((c) => `${c.model}+${c.statistic}`), ["poly+residual", "poly+ewma", "poly+cusum"]);
  assert.deepEqual(candidatesFor(config()).map((c) => `${c.model}+${c.statistic}`), ["linear+residual"]);
});

/** `n` samples of `f(s, normal)` on two axes, `s` = time / window length in [0, 1), one every `dt` seconds. */
function shaped(n: number, dt: number, f: (s: number, normal: () => number) => number, seed: number): PreparedColumns {
  const next = gaussian(seed);
  const timeS = Float64Array.from({ length: n }, (_, i) => i * dt);
  return { timeS, axes: ["a", "b"], values: [0, 1].map(() => Float64Array.from(timeS, (t) => f(t / (n * dt), next))) };
}

test("auto picks the statistic the data favours: ewma for a jumping signal, cusum for steady white noise", () => {
  // Like the robot's currents: each sample jumps between about 0.3 and 8 (45% high), so sustained shifts hide in single samples.
  const jumping = runSelection(shaped(12_000, 2, (_s, normal) => (Math.abs(normal()) < 0.6 ? 8 : 0.3) + 0.3 * normal(), 1), 2, config({ statistic: "auto" }));
  assert.deepEqual(jumping.selection.candidates.map((c) => c.statistic), ["residual", "ewma", "cusum"]);
  assert.equal(jumping.chosen.statistic, "ewma");
  assert.equal(jumping.chosen.model, "linear"); // model.type was not auto
  const [residual, ewma] = jumping.selection.candidates;
  assert.ok((ewma.recall as number) > (residual.recall as number), `ewma ${ewma.caught} vs residual ${residual.caught}`);
  const steady = runSelection(shaped(12_000, 2, (_s, normal) => 10 + 3 * normal(), 1), 2, config({ statistic: "auto" }));
  assert.equal(steady.chosen.statistic, "cusum");
});

test("auto picks the model the data favours: poly for a curved trend", () => {
  // A hump 2 + 40·s·(1 − s): a line fitted on the first 80% overshoots the last 20% and misses what is injected there.
  const result = runSelection(shaped(12_000, 1, (s, normal) => 2 + 40 * s * (1 - s) + normal(), 1), 1, config({ model: "auto" }));
  assert.deepEqual(result.selection.candidates.map((c) => c.model), ["linear", "poly", "piecewise", "per_mode", "pca"]);
  assert.equal(result.chosen.model, "poly");
  assert.equal(result.chosen.statistic, "residual");
  const [linear, poly, ...others] = result.selection.candidates;
  assert.ok((poly.recall as number) > 2 * (linear.recall as number), `poly ${poly.caught} vs linear ${linear.caught}`);
  for (const other of others) assert.ok(other.recall === null || other.recall <= (poly.recall as number));
  // Both auto: 14 combinations (4 trends × 3 statistics, pca × residual, ewma).
  assert.equal(runSelection(shaped(6_000, 1, (s, normal) => 2 + 40 * s * (1 - s) + normal(), 1), 1, config({ model: "auto", statistic: "auto" })).selection.candidates.length, 14);
});

test("runSelection picks the best recall at no more false alarms than linear + residual; a tie goes to the simpler candidate", () => {
  // A steep trend: a flat line leaves it in the residuals, so at matched false alarms it catches less.
  const columns = synthetic(12_000, (t) => 5 + t / 600, 1);
  const linear = detectionCandidate("linear", "residual", testConfig());
  const result = runSelection(columns, 1, config({ model: "auto" }), { candidates: [flatCandidate(0), linear] });
  const [flat, line] = result.selection.candidates;
  assert.equal(result.chosen.model, "linear");
  assert.ok(flat.recall === null || (line.recall as number) > flat.recall, `linear ${line.recall} vs flat ${flat.recall}`);
  assert.equal(result.selection.default.false_alarms, line.curve.find((p) => p.minc_percentile === 75)?.false_alarms);
  assert.ok((line.false_alarms as number) <= result.selection.default.false_alarms);
  assert.equal(line.recall, Math.max(...line.curve.filter((p) => p.false_alarms <= result.selection.default.false_alarms).map((p) => p.recall)));
  assert.equal(result.chosen.minc_percentile, line.minc_percentile);
  // The error level keeps its place in the headroom above the alert level (75/95: 0.8 of the way).
  const p = line.minc_percentile as number;
  assert.equal(result.chosen.maxc_percentile, Math.min(100, p + (100 - p) * 0.8));
  assert.ok(result.chosen.maxc_percentile > p || p === 100);
  assert.equal(result.selection.validation.fit_rows, 9600);
  assert.equal(result.selection.validation.injected, 64); // 8 per axis × 2 axes × 4 rounds
  assert.equal(result.selection.validation.rounds, 4);
  assert.match(result.summary[0], /^chose linear \+ residual at minc_percentile [\d.]+ \(maxc_percentile [\d.]+\) of 2 candidates, measured on the last 0\.666 h of the window \(64 injected anomalies in 4 rounds\):$/);
  assert.match(result.summary[1], /^best recall \(within one standard error of the best, [\d.]+\) at no more false alarms than the default \(linear \+ residual at minc_percentile 75: \d+ false alarms, \d+\/64 caught\)/);

  // Identical candidates: the simpler one wins.
  const twin = { ...linear, model: "linear-twin", complexity: 5 };
  assert.equal(runSelection(columns, 1, config({ model: "auto" }), { candidates: [twin, linear] }).chosen.model, "linear");
  assert.equal(runSelection(columns, 1, config({ model: "auto" }), { candidates: [linear, { ...twin, complexity: -1 }] }).chosen.model, "linear-twin");
});

test("thresholds.target_alarms_per_day lands within 15% of the target on synthetic data, and the error level stays at or above the alert level", () => {
  // 6 h at 1 s, slowly wandering noise (sustained runs at every level): one event on the 1.2 h validation part is 20/day.
  const columns = synthetic(21_600, (t) => 10 + t / 3600, 1, 9, 0.9);
  for (const target of [200, 500, 1000]) {
    const result = runSelection(columns, 1, config({ target }));
    const reached = result.selection.target_alarms_per_day;
    assert.ok(reached !== null);
    assert.equal(reached.target_alarms_per_day, target);
    assert.ok(Math.abs(reached.achieved_alarms_per_day - target) / target <= 0.15, `target ${target}: achieved ${reached.achieved_alarms_per_day}`);
    const perDay = (reached.validation_alarms * 24) / result.selection.validation.validation_hours;
    assert.ok(Math.abs(reached.achieved_alarms_per_day - perDay) < 1e-9 * perDay);
    assert.equal(result.chosen.minc_percentile, reached.minc_percentile);
    assert.equal(result.chosen.maxc_percentile, Math.min(100, reached.minc_percentile + (100 - reached.minc_percentile) * 0.8));
    assert.match(result.summary[1], new RegExp(`alert level set by thresholds\\.target_alarms_per_day ${target}: minc_percentile [\\d.]+ raises [\\d.]+/day`));
  }
});

test("selection.json is written into the version and read back through the registry; versions without it load without it", async () => {
  const columns = synthetic(6_000, (t) => 3 + t / 1000, 0.5);
  const { selection } = runSelection(columns, 1, config({ model: "auto" }));
  const models = detectionCandidate("linear", "residual", testConfig()).fit(columns).models;
  const prediction = predictColumns(columns.timeS, models, columns.values);
  const register = (root: string, withSelection: boolean) =>
    registerModel({
      rootDir: root,
      versionTag: "auto",
      models,
      prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
      thresholds: calibrateColumns(prediction, 1, DEFAULT_THRESHOLD_POLICY),
      metrics: evaluateColumns(prediction),
      meta: {
        data: { table: "t", time_col: "ts", time_type: "float", layout: "wide", axes: ["a", "b"], train_start: 0, train_end: 6000 },
        prep: { interpolate: false },
        rows: { raw: 6000, train: 6000 },
        lineage: { config_path: "/c.yaml", config_sha256: "0".repeat(64), data_fingerprint: "f", database: "embedded" },
      },
      ...(withSelection ? { selection } : {}),
      latestMode: "copy",
    });
  const root = join(work, "registry");
  const first = await register(root, true);
  assert.ok(existsSync(join(first.dir, "selection.json")));
  assert.ok(existsSync(join(root, "latest", "selection.json")), "a copied latest carries selection.json");
  const loaded = await loadVersion(root, "latest");
  assert.deepEqual(loaded.selection, JSON.parse(JSON.stringify(selection)));
  assert.equal(loaded.selection?.chosen.model, selection.chosen.model);
  const second = await register(root, false);
  assert.equal(existsSync(join(second.dir, "selection.json")), false);
  assert.equal((await loadVersion(root, second.version)).selection, undefined);
  assert.equal(existsSync(join(root, "latest", "selection.json")), false);

  writeFileSync(join(first.dir, "selection.json"), JSON.stringify({ ...selection, chosen: { ...selection.chosen, minc_percentile: "high" } }));
  await assert.rejects(loadVersion(root, first.version), (error: unknown) =>
    error instanceof InputError && /^registry file .*selection\.json: chosen\.minc_percentile must be a number, got "high"$/.test(error.message));
});

test("bad selection.* and thresholds.target_alarms_per_day values are one-line errors naming the key", () => {
  const minimal = "data:\n  table: t\n  axes: [a]\n  train_start: 0\n  train_end: 10\n";
  const attempt = (extra: string): string => {
    const dir = mkdtempSync(join(work, "config-"));
    writeFileSync(join(dir, "config.yaml"), minimal + extra);
    try {
      loadConfig(join(dir, "config.yaml"));
    } catch (error) {
      assert.ok(error instanceof InputError);
      assert.equal(error.message.includes("\n"), false);
      return error.message;
    }
    return "accepted";
  };
  assert.equal(attempt("selection:\n  validation_fraction: 0\n"), "config.yaml: selection.validation_fraction must be within 0 (exclusive) to 0.5, got 0");
  assert.equal(attempt("selection:\n  validation_fraction: 0.7\n"), "config.yaml: selection.validation_fraction must be within 0 (exclusive) to 0.5, got 0.7");
  assert.equal(attempt("selection:\n  validation_fraction: most\n"), 'config.yaml: selection.validation_fraction must be a number, got "most"');
  assert.equal(attempt("selection:\n  seed: 1.5\n"), "config.yaml: selection.seed must be a whole number, got 1.5");
  assert.equal(attempt("selection:\n  seed: -1\n"), "config.yaml: selection.seed must be at least 0, got -1");
  assert.equal(attempt("selection:\n  sede: 3\n"), 'config.yaml: unknown key "selection.sede" (did you mean "seed"?)');
  assert.equal(attempt("thresholds:\n  target_alarms_per_day: 0\n"), "config.yaml: thresholds.target_alarms_per_day must be greater than 0, got 0");
  assert.equal(attempt("thresholds:\n  target_alarms_per_day: many\n"), 'config.yaml: thresholds.target_alarms_per_day must be a number, got "many"');
  assert.equal(attempt("thresholds:\n  target_alarms_per_day: .inf\n"), "config.yaml: thresholds.target_alarms_per_day must be a finite number, got Infinity");
  assert.equal(attempt("thresholds:\n  target_alarms_per_day:\nselection:\n"), "accepted");
  const folder = mkdtempSync(join(work, "config-"));
  writeFileSync(join(folder, "config.yaml"), minimal);
  const defaults = loadConfig(join(folder, "config.yaml"));
  assert.deepEqual(defaults.selection, { validation_fraction: 0.2, seed: 1 });
  assert.equal(defaults.thresholds.target_alarms_per_day ?? null, null);
});
