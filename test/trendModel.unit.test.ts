/**
 * Trend model types (`model.type`): each fit recovers known parameters on synthetic data, one prediction
 * function serves every stage and the scorer (bit for bit), models.json round-trips through the registry,
 * and the CLI run per type is in trendModelCli.test.ts (it needs the embedded database).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { InputError } from "../lib/core/errors";
import { fitPiecewise, PIECEWISE_MIN_IMPROVEMENT } from "../lib/model/fitPiecewise";
import { fitPoly } from "../lib/model/fitPoly";
import { fitPerMode } from "../lib/model/fitPerMode";
import { leastSquares } from "../lib/model/leastSquares";
import { predictColumns } from "../lib/stages/predict";
import { loadVersion, registerModel } from "../lib/registry";
import { initialScoreState, scoreBatch, scoringModel } from "../lib/scoring/score";
import { calibrateAxis } from "../lib/stages/thresholds";
import { trainColumns } from "../lib/stages/train";
import { fitAxisModel, predictColumn, predictValue } from "../lib/model/trendModel";
import type { ModelSet, ModelType } from "../lib/shapes/types";

const work = mkdtempSync(join(tmpdir(), "mlbox-trend-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Deterministic standard normal noise (Park–Miller + Box–Muller). */
function noise(seed: number): () => number {
  let state = seed;
  const uniform = (): number => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const TYPES: readonly ModelType[] = ["linear", "poly", "piecewise", "per_mode"];
const n = 2000;
const dt = 2;
const time = Float64Array.from({ length: n }, (_, i) => i * dt);

describe("fits recover known parameters", () => {
  test("poly: the coefficients of a known parabola (noise-free: to 1e-9; with noise: close), idle zeros left out", () => {
    // y = 4 + 0.002 t − 1e-6 t²; in x = (t − c)/s: 3 + 0.002(c + s x) − 1e-6 (c + s x)².
    const exact = (t: number): number => 4 + 0.002 * t - 1e-6 * t * t; // never exactly 0 (idle) on the window
    const y = time.map((t, i) => (i % 9 === 0 ? 0 : exact(t)));
    const model = fitPoly("a", time, y, 2);
    const used = time.filter((_, i) => i % 9 !== 0);
    const center = (used[0] + used[used.length - 1]) / 2;
    const scale = (used[used.length - 1] - used[0]) / 2;
    assert.equal(model.center, center);
    assert.equal(model.scale, scale);
    assert.equal(model.samples_used, used.length);
    const wantFor = (c: number, s: number): number[] => [4 + 0.002 * c - 1e-6 * c * c, 0.002 * s - 2e-6 * c * s, -1e-6 * s * s];
    const want = wantFor(center, scale);
    model.coefficients.forEach((c, j) => assert.ok(Math.abs(c - want[j]) < 1e-9, `coefficient ${j}: ${c} vs ${want[j]}`));
    for (const t of [0, 1234, 3998, 5000]) assert.ok(Math.abs(predictValue(model, t, 1) - exact(t)) < 1e-8, `value at ${t}`);

    const random = noise(7);
    const noisy = fitPoly("a", time, time.map((t) => exact(t) + 0.01 * random()), 2);
    const wantNoisy = wantFor(noisy.center, noisy.scale);
    noisy.coefficients.forEach((c, j) => assert.ok(Math.abs(c - wantNoisy[j]) < 2e-3, `noisy coefficient ${j}: ${c} vs ${wantNoisy[j]}`));
    // The curvature in time_s units: coefficient 2 / scale².
    assert.ok(Math.abs(noisy.coefficients[2] / noisy.scale ** 2 - -1e-6) < 1e-9);
  });

  test("poly: degree 6 is solved stably and fewer distinct times than degree + 1 leave the highest powers 0", () => {
    const x = (t: number): number => (t - 1999) / 1999;
    const want = [1, -2, 0.5, 3, -1, 0.25, 2];
    const y = time.map((t) => want.reduceRight((sum, c) => sum * x(t) + c, 0));
    const model = fitPoly("a", time, y, 6);
    model.coefficients.forEach((c, j) => assert.ok(Math.abs(c - want[j]) < 1e-9, `coefficient ${j}: ${c}`));
    const two = fitPoly("b", Float64Array.of(10, 10, 20), Float64Array.of(1, 3, 4), 3);
    assert.deepEqual(two.coefficients.slice(2), [0, 0]);
    assert.ok(Math.abs(predictValue(two, 10, 0) - 2) < 1e-12 && Math.abs(predictValue(two, 20, 0) - 4) < 1e-12);
  });

  test("piecewise: a known breakpoint within one sample spacing, its slopes, and no breakpoint for a line", () => {
    const random = noise(11);
    const knee = 1500.5; // between two samples (every 2 s)
    const y = time.map((t, i) => (i % 13 === 0 ? 0 : (t <= knee ? 1 + 0.001 * t : 1 + 0.001 * knee - 0.002 * (t - knee)) + 0.01 * random()));
    const model = fitPiecewise("a", time, y, 3);
    assert.equal(model.breakpoints.length, 1, JSON.stringify(model));
    assert.ok(Math.abs(model.breakpoints[0] - knee) <= dt, `breakpoint ${model.breakpoints[0]} vs ${knee}`);
    const [intercept, slope, change] = model.coefficients;
    assert.ok(Math.abs(slope - 0.001) < 2e-5, `first slope ${slope}`);
    assert.ok(Math.abs(slope + change - -0.002) < 2e-5, `second slope ${slope + change}`);
    assert.ok(Math.abs(intercept - 1) < 5e-3, `intercept ${intercept}`);
    // Beyond the window the last segment continues.
    const end = time[n - 1];
    assert.ok(Math.abs(predictValue(model, end + 1000, 0) - (predictValue(model, end, 0) + (slope + change) * 1000)) < 1e-9);

    const line = fitPiecewise("b", time, time.map((t) => 2 + 0.01 * t + 0.01 * random()), 3);
    assert.deepEqual(line.breakpoints, [], `a line needs no breakpoint (each must lower the SSE by ${PIECEWISE_MIN_IMPROVEMENT * 100} %)`);
  });

  test("piecewise: two knees found, and model.breakpoints bounds their number", () => {
    const random = noise(5);
    const shape = (t: number): number => (t < 1000 ? 0.001 * t : t < 3000 ? 1 + 0.003 * (t - 1000) : 7 - 0.002 * (t - 3000));
    const y = time.map((t) => 5 + shape(t) + 0.01 * random());
    const two = fitPiecewise("a", time, y, 8);
    assert.equal(two.breakpoints.length, 2, JSON.stringify(two.breakpoints));
    assert.ok(Math.abs(two.breakpoints[0] - 1000) <= dt && Math.abs(two.breakpoints[1] - 3000) <= dt, JSON.stringify(two.breakpoints));
    assert.equal(fitPiecewise("a", time, y, 1).breakpoints.length, 1);
  });

  test("piecewise: axes trained together (one pool of work columns) fit exactly as each alone, longest axis first or last", () => {
    const random = noise(11);
    const shape = (t: number): number => (t < 1500 ? 0.002 * t : 3 - 0.001 * (t - 1500));
    // Different usable lengths (idle zeros): a later axis reuses columns left over, longer or shorter than it needs.
    const axes = [0.05, 0.6, 0.3].map((idle) => time.map((t) => (random() < idle ? 0 : 2 + shape(t) + 0.05 * random())));
    for (const order of [[0, 1, 2], [1, 2, 0]]) {
      const together = trainColumns(time, order.map(String), order.map((k) => axes[k]), { type: "piecewise", breakpoints: 3 });
      order.forEach((k, i) => assert.deepEqual(together.models[i], fitPiecewise(String(k), time, axes[k], 3), `axis ${k} in order ${order}`));
    }
  });

  test("per_mode: the levels of a three-level signal with idle zeros, one line per mode, nearest-line assignment", () => {
    const random = noise(3);
    const levels = [1, 5, 9];
    const y = time.map((t, i) => (i % 4 === 0 ? 0 : levels[i % 3] + 0.0002 * t + 0.1 * random()));
    const model = fitPerMode("a", time, y, 3);
    assert.equal(model.samples_used, n - n / 4);
    assert.equal(model.modes.length, 3);
    model.modes.forEach((mode, m) => {
      assert.ok(Math.abs(mode.intercept - levels[m]) < 0.03, `mode ${m} intercept ${mode.intercept}`);
      assert.ok(Math.abs(mode.coef - 0.0002) < 2e-5, `mode ${m} slope ${mode.coef}`);
      assert.ok(Math.abs(mode.level - (levels[m] + 0.0002 * 1999)) < 0.05, `mode ${m} level ${mode.level}`);
    });
    assert.equal(model.modes.reduce((sum, mode) => sum + mode.samples_used, 0), model.samples_used);
    // A sample near a mode's line is predicted by that line; a missing value by none.
    assert.equal(predictValue(model, 100, 5.3), 100 * model.modes[1].coef + model.modes[1].intercept);
    assert.ok(Number.isNaN(predictValue(model, 100, NaN)));

    const two = fitPerMode("b", time, time.map((_, i) => (i % 5 === 0 ? 0 : i % 2 === 0 ? 2 : 7)), 3);
    assert.deepEqual(two.modes.map((m) => [m.level, m.coef, m.intercept]), [[2, 0, 2], [7, 0, 7]], "a level without values is dropped");
  });

  test("leastSquares: a dependent column gets 0, the others the exact solution", () => {
    const a = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(1, 1, 1, 1);
    const coefficients = leastSquares([a, b, a.map((v) => 2 * v)], Float64Array.of(3, 5, 7, 9));
    assert.ok(Math.abs(coefficients[0] - 2) < 1e-12 && Math.abs(coefficients[1] - 1) < 1e-12, String(coefficients));
    assert.equal(coefficients[2], 0);
  });

  test("an axis without usable samples is a one-line InputError for every type", () => {
    for (const type of TYPES) {
      assert.throws(() => fitAxisModel(type, "dead", time.subarray(0, 3), Float64Array.of(0, NaN, 0)), (e: unknown) => e instanceof InputError && /axis "dead" has no usable samples/.test(e.message));
    }
  });
});

/** A signal with modes, a bend and idle zeros, so every type has something to fit. */
function mixedSignal(seed: number): Float64Array {
  const random = noise(seed);
  return time.map((t, i) => (i % 6 === 0 ? 0 : [2, 6][i % 2] + (t < 2000 ? 0.001 * t : 2 - 0.0005 * (t - 2000)) + 0.2 * random()));
}

describe("one prediction for every stage", () => {
  const values = [mixedSignal(1), mixedSignal(2)];
  for (const type of TYPES) {
    test(`${type}: predictValue equals predictColumn, and scoring the window (any batching) gives predictColumns' residuals bit for bit`, () => {
      const models = trainColumns(time, ["a", "b"], values, { type, degree: 3, breakpoints: 2, modes: 2 });
      assert.equal(models.type, type);
      models.models.forEach((model, k) => {
        assert.equal(model.type ?? "linear", type);
        const column = predictColumn(model, time, values[k]);
        column.forEach((v, i) => assert.ok(Object.is(v, predictValue(model, time[i], values[k][i])), `row ${i}`));
      });
      const prediction = predictColumns(time, models, values);
      const time0 = 1_700_000_000.25;
      const version = fakeVersion(models, prediction.residual.map((r) => calibrateAxis(r, dt, DEFAULT_THRESHOLD_POLICY)), time0);
      const model = scoringModel(version);
      const epoch = time.map((t) => t + time0);
      // time_s as training computes it, so the replay is on the same numbers.
      assert.ok(epoch.every((t, i) => t - time0 === time[i]));
      const whole = scoreBatch(model, initialScoreState(model, "s"), { time: epoch, values });
      whole.residuals.forEach((r, k) => r.forEach((v, i) => assert.ok(Object.is(v, prediction.residual[k][i]), `axis ${k} row ${i}`)));
      let state = initialScoreState(model, "s");
      const events = [];
      for (let from = 0; from < n; from += 337) {
        const result = scoreBatch(model, state, { time: epoch.subarray(from, from + 337), values: values.map((v) => v.subarray(from, from + 337)) });
        state = result.state;
        events.push(...result.events.filter((e) => e.ended_at !== null));
      }
      assert.deepEqual(events, whole.events.filter((e) => e.ended_at !== null));
    });
  }
});

/** A LoadedVersion-shaped object for scoringModel. */
function fakeVersion(models: ModelSet, thresholds: ReturnType<typeof calibrateAxis>[], time0: number): Parameters<typeof scoringModel>[0] {
  return {
    version: "v1",
    models,
    prepStats: { time0, time_col: "ts", time_type: "float", dt_seconds: dt, interpolate: false },
    thresholds: Object.fromEntries(models.models.map((m, k) => [m.axis, thresholds[k]])),
  } as unknown as Parameters<typeof scoringModel>[0];
}

describe("models.json", () => {
  for (const type of TYPES) {
    test(`${type}: written and loaded back unchanged through the registry`, async () => {
      const rootDir = join(work, `registry-${type}`);
      const models = trainColumns(time, ["a", "b"], [mixedSignal(4), mixedSignal(5)], { type, degree: 4, breakpoints: 3, modes: 3 });
      const thresholds = { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: dt, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "trimmed" } };
      await registerModel({
        rootDir,
        versionTag: "auto",
        models,
        prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: dt, interpolate: false },
        thresholds: { a: thresholds, b: thresholds },
        metrics: [{ axis: "a", r2: 0.5, mae: 1, rmse: 1 }, { axis: "b", r2: 0.5, mae: 1, rmse: 1 }],
        meta: {
          data: { table: "t", time_col: "ts", time_type: "float", layout: "wide", axes: ["a", "b"], train_start: 0, train_end: 4000 },
          prep: { interpolate: false },
          rows: { raw: n, train: n },
          lineage: { config_path: "/c.yaml", config_sha256: "a".repeat(64), data_fingerprint: "b".repeat(64), database: "embedded", package_version: "0", git_commit: null },
        },
      });
      const loaded = await loadVersion(rootDir, "latest");
      assert.deepEqual(loaded.models, models);
      assert.equal(loaded.meta.model.type, type);
      const file = JSON.parse(readFileSync(join(rootDir, "v1", "models.json"), "utf8"));
      assert.equal(file.model_type, type);
      // A line is written without `type` (as before model types existed); the others name theirs.
      assert.equal(file.axes.a.type, type === "linear" ? undefined : type);
    });
  }

  test("a malformed entry is a one-line error naming the key", async () => {
    const rootDir = join(work, "registry-poly");
    const path = join(rootDir, "v1", "models.json");
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.replace('"type": "poly"', '"type": "spline"'));
    await assert.rejects(loadVersion(rootDir, "v1"), (e: unknown) => e instanceof InputError && !e.message.includes("\n") && /models\.json: axes\.a\.type .*"spline"/.test(e.message));
    writeFileSync(path, text.replace(/"center": [^,]+,/, '"center": "middle",'));
    await assert.rejects(loadVersion(rootDir, "v1"), (e: unknown) => e instanceof InputError && /axes\.a\.center must be a number, got "middle"/.test(e.message));
    writeFileSync(path, text);
  });
});
