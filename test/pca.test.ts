/** PCA (model.type pca): the Jacobi eigen solver, T²/SPE against a direct computation, attribution, bad input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { jacobiEigen } from "../lib/stats";

test("jacobiEigen: A·v = λ·v, orthonormal vectors, descending values, against a closed form", () => {
  const { values, vectors } = jacobiEigen([[2, 1], [1, 2]]);
  assert.ok(Math.abs(values[0] - 3) < 1e-12 && Math.abs(values[1] - 1) < 1e-12);
  assert.ok(Math.abs(vectors[0][0] - Math.SQRT1_2) < 1e-12 && Math.abs(vectors[0][1] - Math.SQRT1_2) < 1e-12);
  // A random symmetric 6×6: reconstruct A = Σ λ v vᵀ and check orthonormality.
  let seed = 7;
  const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const n = 6;
  const a = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i][j] = a[j][i] = rand();
  const eig = jacobiEigen(a);
  for (let k = 1; k < n; k++) assert.ok(eig.values[k - 1] >= eig.values[k]);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let dot = 0;
      for (let k = 0; k < n; k++) {
        sum += eig.values[k] * eig.vectors[k][i] * eig.vectors[k][j];
        dot += eig.vectors[i][k] * eig.vectors[j][k];
      }
      assert.ok(Math.abs(sum - a[i][j]) < 1e-12, `A[${i}][${j}]`);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, `vᵢ·vⱼ ${i} ${j}`);
    }
  }
  // Trace = sum of eigenvalues.
  const trace = a.reduce((s, row, i) => s + row[i], 0);
  assert.ok(Math.abs(eig.values.reduce((s, x) => s + x, 0) - trace) < 1e-12);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { seededRandom } from "../lib/stats/seededRandom";
import { trainPca, trainPcaSmoothings, pcaColumns } from "../lib/stages/pcaTrain";
import { registerModel } from "../lib/registry/store";
import { loadVersion } from "../lib/registry";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreState } from "../lib/scoring/score";

const work = mkdtempSync(join(tmpdir(), "mlbox-pca-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Four correlated axes (a, b, c follow one factor; d is independent), `rows` samples at 1 s. */
function correlated(rows: number, seed = 3): { time: Float64Array; values: Float64Array[] } {
  const random = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const values = [0, 1, 2, 3].map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    const f = normal();
    values[0][i] = 10 + f + 0.1 * normal();
    values[1][i] = 20 + 2 * f + 0.2 * normal();
    values[2][i] = 5 - f + 0.1 * normal();
    values[3][i] = 1 + normal();
  }
  return { time: Float64Array.from({ length: rows }, (_, i) => i), values };
}

const AXES = ["a", "b", "c", "d"];
const options: { explainedVariance: number; slowRatio: number; ewmaAlpha: number | null; maxGapSeconds: number | null } = { explainedVariance: 0.95, slowRatio: 0.3, ewmaAlpha: null, maxGapSeconds: null };

/** Solves `m·x = y` by Gaussian elimination with partial pivoting (the direct computation's inverse). */
function solve(m: number[][], y: number[]): number[] {
  const n = y.length;
  const a = m.map((row, i) => [...row, y[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

test("pca: T² with every component is the Mahalanobis distance, SPE 0; with fewer, SPE = |z|² − |Pᵀz|²", () => {
  const { time, values } = correlated(500);
  const full = trainPca(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, { ...options, explainedVariance: 1 });
  assert.equal(full.pca.components, 4);
  // Direct: standardise (population σ), covariance of z (n − 1), T² = zᵀ C⁻¹ z.
  const n = time.length;
  const mean = values.map((v) => v.reduce((s, x) => s + x, 0) / n);
  const sd = values.map((v, j) => Math.sqrt(v.reduce((s, x) => s + (x - mean[j]) ** 2, 0) / n));
  const z = Array.from({ length: n }, (_, i) => values.map((v, j) => (v[i] - mean[j]) / sd[j]));
  const cov = AXES.map((_, p) => AXES.map((_, q) => z.reduce((s, row) => s + row[p] * row[q], 0) / (n - 1)));
  for (const i of [0, 17, 250, 499]) {
    const x = solve(cov, z[i]);
    const direct = z[i].reduce((s, v, j) => s + v * x[j], 0);
    assert.ok(Math.abs(full.t2[i] - direct) < 1e-9 * Math.max(1, direct), `T² row ${i}: ${full.t2[i]} vs ${direct}`);
    assert.ok(Math.abs(full.spe[i]) < 1e-18 + 1e-12 * direct, `SPE row ${i}`);
  }
  const kept = trainPca(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, options);
  assert.equal(kept.pca.components, 2, "one factor plus the independent axis explain ≥ 95 %");
  assert.ok(kept.pca.explained >= 0.95);
  for (const i of [3, 99]) {
    const scores = kept.pca.loadings.map((p) => p.reduce((s, w, j) => s + w * z[i][j], 0));
    const spe = z[i].reduce((s, v) => s + v * v, 0) - scores.reduce((s, t) => s + t * t, 0);
    const t2 = scores.reduce((s, t, k) => s + (t * t) / kept.pca.eigenvalues[k], 0);
    assert.ok(Math.abs(kept.spe[i] - spe) < 1e-9, `SPE row ${i}`);
    assert.ok(Math.abs(kept.t2[i] - t2) < 1e-9, `T² row ${i}`);
  }
  // The limits: no training sample exceeds the held-out maximum by much; MaxC is twice MinC.
  assert.ok(kept.thresholds.SPE.MinC > 0 && kept.thresholds.SPE.MaxC === 2 * kept.thresholds.SPE.MinC);
});

test("pca: columns: false leaves t2/spe out, and pcaColumns of the artifact gives them bit for bit (what selection reads lazily)", () => {
  const { time, values } = correlated(600, 5);
  for (const extra of [{}, { ewmaAlpha: 0.2 }, { maxGapSeconds: 0.5 }]) {
    const full = trainPca(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, { ...options, ...extra });
    const lean = trainPca(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, { ...options, ...extra, columns: false });
    assert.equal(lean.t2.length, 0);
    assert.deepEqual(lean.pca, full.pca);
    assert.deepEqual(lean.thresholds, full.thresholds);
    const later = pcaColumns(lean.pca, time, values, extra.maxGapSeconds ?? null);
    assert.deepEqual(later.t2, full.t2);
    assert.deepEqual(later.spe, full.spe);
  }
});

test("pca: trainPcaSmoothings trains each smoothing as trainPca alone does, bit for bit (selection's two pca candidates share its passes)", () => {
  const { time, values } = correlated(700, 11);
  // A slow (drifting) axis, so that differencing is exercised, and a gap, so that state resets are.
  values[0] = values[0].map((v, i) => v + i / 50);
  time.set(time.subarray(400).map((t) => t + 5), 400);
  for (const extra of [{}, { maxGapSeconds: 2 }]) {
    const alphas = [null, 0.2, 0.05];
    const together = trainPcaSmoothings(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, { ...options, ...extra }, alphas);
    assert.equal(together.length, alphas.length);
    assert.equal(together[0].pca.differenced[0], true, "the drifting axis enters differenced");
    alphas.forEach((ewmaAlpha, v) => {
      const alone = trainPca(AXES, time, values, 1, DEFAULT_THRESHOLD_POLICY, { ...options, ...extra, ewmaAlpha });
      assert.deepEqual(together[v], alone, `smoothing ${ewmaAlpha} with ${JSON.stringify(extra)}`);
    });
    assert.notDeepEqual(together[0].thresholds, together[1].thresholds, "the smoothings give different limits");
  }
});

/** Trains on `train`, registers it, loads it back: the scoring model of a real registry version. */
async function registered(tag: string, train: { time: Float64Array; values: Float64Array[] }, extra: Partial<typeof options> = {}) {
  const trained = trainPca(AXES, train.time, train.values, 1, { ...DEFAULT_THRESHOLD_POLICY, alert_seconds_default: 3, error_seconds_default: 3 }, { ...options, ...extra });
  const root = join(work, "registry");
  await registerModel({
    rootDir: root,
    versionTag: tag,
    models: { type: "pca", models: trained.models },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false, resample_seconds: null },
    thresholds: trained.thresholds,
    metrics: trained.metrics,
    pca: trained.pca,
    meta: {
      model: { type: "pca" },
      data: { table: "t", time_col: "ts", axes: AXES, train_start: 0, train_end: 400, time_type: "float", layout: "wide" },
      prep: { interpolate: false, resample_seconds: null },
      rows: { raw: train.time.length, train: train.time.length },
      lineage: { config_path: "/x.yaml", config_sha256: "0", data_fingerprint: "0", database: "test" },
    },
  });
  return { trained, version: await loadVersion(root, tag) };
}

test("pca: a shift on one of several correlated axes is caught (SPE) and attributed to that axis; T²/SPE replay equals training", async () => {
  const all = correlated(900, 5);
  const train = { time: all.time.subarray(0, 500), values: all.values.map((v) => v.slice(0, 500)) };
  const { trained, version } = await registered("shift", train);
  assert.equal(version.models.type, "pca");
  assert.deepEqual(version.pca?.loadings, trained.pca.loadings);
  const model = scoringModel(version);
  // Replay of the training window: the scorer's T²/SPE are calibration's, bit for bit.
  const replay = scoreBatch(model, initialScoreState(model, "s"), { time: train.time, values: train.values });
  assert.deepEqual(Array.from(replay.residuals[0]), Array.from(trained.t2));
  assert.deepEqual(Array.from(replay.residuals[1]), Array.from(trained.spe));
  // Test part: axis b (index 1) shifted by +1.5 (7σ of its own noise, inside its normal range) from row 700 to 760.
  const values = all.values.map((v) => v.slice(500));
  for (let i = 200; i < 260; i++) values[1][i] += 1.5;
  const result = scoreBatch(model, initialScoreState(model, "s"), { time: all.time.subarray(500), values });
  const inShift = result.events.filter((e) => Number(e.started_at) >= 700 && Number(e.started_at) < 760);
  assert.ok(inShift.some((e) => e.axis === "SPE"), `SPE event in the shift: ${JSON.stringify(result.events.map((e) => [e.axis, e.started_at]))}`);
  for (const event of inShift) {
    const c = event.contributions ?? [];
    assert.equal(c.length, 4);
    assert.ok(Math.abs(c.reduce((s, x) => s + x.share, 0) - 1) < 1e-12);
    if (event.axis === "SPE") {
      assert.equal(c[0].axis, "b", JSON.stringify(c));
      assert.ok(c[0].share > 0.5);
      assert.ok(c[0].value - c[0].expected > 0.7, `b's value is above what the others imply: ${JSON.stringify(c[0])}`);
    }
  }
  const outside = result.events.filter((e) => Number(e.started_at) < 690 || Number(e.started_at) > 780);
  assert.ok(outside.length <= 2, `few events outside the shift: ${outside.length}`);
});

/** The last report per event, in a stable order. */
function finalEvents(events: readonly ScoreEvent[]): ScoreEvent[] {
  const byKey = new Map<string, ScoreEvent>();
  for (const e of events) byKey.set(`${e.axis}|${e.level}|${e.started_at}`, e);
  return [...byKey.values()].sort((x, y) => x.axis.localeCompare(y.axis) || x.level.localeCompare(y.level) || Number(x.started_at) - Number(y.started_at));
}

test("pca: any split into batches, through JSON state, gives the same events and contributions (EWMA, slow axis)", async () => {
  const all = correlated(800, 9);
  // Axis d drifts slowly: it enters as its first difference.
  for (let i = 0; i < 800; i++) all.values[3][i] += i * 0.05;
  const train = { time: all.time.subarray(0, 400), values: all.values.map((v) => v.slice(0, 400)) };
  const { trained, version } = await registered("batches", train, { ewmaAlpha: 0.2 });
  assert.deepEqual(trained.pca.differenced, [false, false, false, true]);
  const model = scoringModel(version, { maxGapSeconds: 5 });
  const time = all.time.slice(400);
  time.forEach((t, i) => (time[i] = t + (i >= 150 ? 20 : 0))); // a gap at 150
  const values = all.values.map((v) => v.slice(400));
  for (let i = 50; i < 90; i++) values[0][i] += 1;
  values[2][120] = NaN;
  const one = scoreBatch(model, initialScoreState(model, "s"), { time, values });
  assert.ok(one.events.length > 0);
  for (const cuts of [[1], [55, 56, 57, 200], [10, 60, 61, 149, 150, 151, 399]]) {
    let state: ScoreState = initialScoreState(model, "s");
    const events: ScoreEvent[] = [];
    const bounds = [0, ...cuts, time.length];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const result = scoreBatch(model, state, { time: time.subarray(bounds[k], bounds[k + 1]), values: values.map((v) => v.subarray(bounds[k], bounds[k + 1])) });
      state = JSON.parse(JSON.stringify(result.state)) as ScoreState;
      events.push(...result.events);
    }
    assert.deepEqual(finalEvents(events), finalEvents(one.events), `cuts ${cuts}`);
    assert.deepEqual(state, JSON.parse(JSON.stringify(one.state)));
  }
  // pcaColumns (calibration's computation) over the same rows, with the gap: the scorer's statistics.
  const columns = pcaColumns(version.pca!, time, values, 5);
  assert.deepEqual(Array.from(one.residuals[1]), Array.from(columns.spe));
});

import * as dfd from "danfojs-node";
import { score } from "../lib/scoring/scoreFrame";
import { createScoringService } from "../server/app";
import { promoteAlias } from "../lib/registry/aliases";

test("pca: score(frame, version) and the HTTP service (GET /v1/model describes it; POST /v1/score explains its events)", async () => {
  const all = correlated(900, 5);
  const train = { time: all.time.subarray(0, 500), values: all.values.map((v) => v.slice(0, 500)) };
  const { version } = await registered("serve", train);
  const values = all.values.map((v) => v.slice(500));
  for (let i = 200; i < 260; i++) values[1][i] += 1.5;
  const time = Array.from(all.time.subarray(500));
  const frame = new dfd.DataFrame({ ts: time, ...Object.fromEntries(AXES.map((axis, j) => [axis, Array.from(values[j])])) });
  const scored = score(frame, version);
  assert.deepEqual(scored.residuals.columns, ["ts", "T2_res", "SPE_res"]);
  assert.ok(scored.events.some((e) => e.axis === "SPE" && e.contributions?.[0].axis === "b"));

  await promoteAlias(join(work, "registry"), "serve"); // the service scores with production, the first version until promoted
  const service = await createScoringService({ rootDir: join(work, "registry"), watchMs: 0 });
  try {
    const described = await service.app.inject({ method: "GET", url: "/v1/model" });
    const body = described.json();
    assert.equal(body.version, "serve");
    assert.deepEqual(Object.keys(body.thresholds), ["T2", "SPE"]);
    assert.equal(body.pca.components, version.pca?.components);
    assert.deepEqual(body.pca.loadings, version.pca?.loadings);
    const samples = time.map((ts, i) => ({ ts, ...Object.fromEntries(AXES.map((axis, j) => [axis, values[j][i]])) }));
    const response = await service.app.inject({ method: "POST", url: "/v1/score", payload: { stream: "pump", samples } });
    assert.equal(response.statusCode, 200, response.body);
    const result = response.json();
    assert.deepEqual(Object.keys(result.residuals), ["T2", "SPE"]);
    assert.deepEqual(result.events, JSON.parse(JSON.stringify(scored.events.map((e) => ({ ...e, stream: "pump" })))));
  } finally {
    await service.app.close();
  }
});
