/** SKAB's metrics (bench/skab/metrics.ts) on hand-computed cases; reference: SKAB core/metrics.py chp_score. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  NAB_PROFILES,
  addConfusion,
  binaryScores,
  changepointsOf,
  confusion,
  matchChangepoints,
  nabDetectionWeight,
  nabScore,
  nabWindows,
  pooledBinaryScores,
} from "../bench/skab/metrics";

const close = (actual: number, expected: number, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

/** Two small experiments, 1 s apart, one anomalous episode each; changepoints where it starts and ends. */
function experiments(): { times: number[]; anomaly: number[]; changepoint: number[] }[] {
  const make = (n: number, start: number, end: number, t0: number) => {
    const times = Array.from({ length: n }, (_, i) => t0 + i);
    const anomaly = times.map((_, i) => (i >= start && i < end ? 1 : 0));
    const changepoint = times.map((_, i) => (i === start || i === end ? 1 : 0));
    return { times, anomaly, changepoint };
  };
  return [make(200, 50, 120, 1000), make(150, 30, 100, 5000)];
}

test("perfect detector: F1 1, FAR 0, MAR 0 and NAB 100 for every profile", () => {
  const data = experiments();
  const binary = pooledBinaryScores(data.map((e) => ({ truth: e.anomaly, prediction: e.anomaly })));
  assert.deepEqual(binary, { tp: 140, fp: 0, fn: 0, tn: 210, f1: 1, far: 0, mar: 0 });
  const nab = nabScore(data.map((e) => ({ times: e.times, trueChangepoints: e.changepoint, predictedChangepoints: e.changepoint })));
  assert.deepEqual(nab, { standard: 100, lowFP: 100, lowFN: 100, missed: 0, falsePositives: 0, changepoints: 4 });
});

test("null detector: F1 0, FAR 0, MAR 100 and NAB 0, every changepoint missed", () => {
  const data = experiments();
  const zeros = (n: number) => new Array<number>(n).fill(0);
  const binary = pooledBinaryScores(data.map((e) => ({ truth: e.anomaly, prediction: zeros(e.times.length) })));
  assert.deepEqual(binary, { tp: 0, fp: 0, fn: 140, tn: 210, f1: 0, far: 0, mar: 100 });
  const nab = nabScore(
    data.map((e) => ({ times: e.times, trueChangepoints: e.changepoint, predictedChangepoints: changepointsOf(zeros(e.times.length)) })),
  );
  assert.deepEqual(nab, { standard: 0, lowFP: 0, lowFN: 0, missed: 4, falsePositives: 0, changepoints: 4 });
});

test("binary scores by hand: TP 2, FP 1, FN 1, TN 2", () => {
  const c = confusion([0, 0, 1, 1, 1, 0], [0, 1, 1, 0, 1, 0]);
  assert.deepEqual(c, { tp: 2, fp: 1, fn: 1, tn: 2 });
  const s = binaryScores(c);
  close(s.f1, 2 / 3); // 2 / (2 + (1 + 1)/2)
  close(s.far, 100 / 3); // 1 / (1 + 2)
  close(s.mar, 100 / 3); // 1 / (1 + 2)
  // only exact 1s count; NaN is a negative prediction
  assert.deepEqual(confusion([1, 1, 0], [NaN, 0.5, 1]), { tp: 0, fp: 1, fn: 2, tn: 0 });
  assert.deepEqual(addConfusion([c, c]), { tp: 4, fp: 2, fn: 2, tn: 4 });
  // pooling sums counts before the ratios (not a mean of per-experiment F1s)
  const pooled = pooledBinaryScores([
    { truth: [1, 1, 1, 1], prediction: [1, 1, 1, 1] },
    { truth: [1, 0, 0, 0], prediction: [0, 1, 0, 0] },
  ]);
  assert.deepEqual({ ...pooled, far: 0 }, { tp: 4, fp: 1, fn: 1, tn: 2, f1: 0.8, far: 0, mar: 20 });
  close(pooled.far, 100 / 3);
});

test("predicted changepoints are the prediction's switches, the first row as predicted", () => {
  assert.deepEqual(changepointsOf([1, 1, 0, 0, 1]), [1, 0, 1, 0, 1]);
  assert.deepEqual(changepointsOf([0, 0, 1, 1, 0]), [0, 0, 1, 0, 1]);
  assert.deepEqual(changepointsOf([0, NaN, 1]), [0, 0, 1]);
  assert.deepEqual(changepointsOf([]), []);
});

test("windows reach 60 s right of each changepoint; an overlapping next window starts where the previous ends", () => {
  assert.deepEqual(nabWindows([0, 10, 20, 100, 130], [0, 1, 0, 1, 1]), [
    [10, 70],
    [100, 160],
    [160, 190],
  ]);
  assert.deepEqual(nabWindows([0, 1], [0, 0]), []);
  // a prediction on the shared edge of two cut windows detects both and is no false positive
  const windows = nabWindows([0, 10, 40], [1, 0, 1]); // [[0, 60], [60, 100]]
  const match = matchChangepoints(windows, [0, 60, 101], [0, 1, 1]);
  assert.deepEqual(match, {
    detections: [
      { window: 0, left: 0, detected: 60, right: 60 },
      { window: 1, left: 60, detected: 60, right: 100 },
    ],
    falsePositives: [101],
    missed: [],
  });
});

test("the detection weight falls along the tanh from A_tp at the changepoint to A_fp at the window's end", () => {
  for (const p of Object.values(NAB_PROFILES)) {
    assert.equal(nabDetectionWeight(0, 0, 60, p.aTp, p.aFp), p.aTp);
    close(nabDetectionWeight(0, 60, 60, p.aTp, p.aFp), p.aFp, 1e-15);
  }
  // halfway: event = trunc(30/60 · 1000) = 500, x = −π/2 + 500·π/999 = π/1998
  const half = (1 + 0.11) / 2;
  close(nabDetectionWeight(0, 30, 60, 1, -0.11), -half * (Math.tanh(Math.PI / 1998) / Math.tanh(Math.PI / 2)) + half - 0.11);
  close(nabDetectionWeight(0, 30, 60, 1, -0.11), 0.44404850713138366); // numpy, SKAB's my_scale
  close(nabDetectionWeight(0, 15, 60, 1, -0.22), 0.8258719729485444); // event 250
});

test("a late detection inside the window scores between a detection at the changepoint and a miss", () => {
  // one true changepoint at t = 10 (window [10, 70]); the prediction switches on at t = 40, 30 s late
  const times = Array.from({ length: 100 }, (_, i) => i);
  const trueChangepoints = times.map((t) => (t === 10 ? 1 : 0));
  const prediction = times.map((t) => (t >= 40 && t < 90 ? 1 : 0)); // on at 40, off at 90: 90 is outside → FP
  const predicted = changepointsOf(prediction);
  const nab = nabScore([{ times, trueChangepoints, predictedChangepoints: predicted }]);
  assert.equal(nab.missed, 0);
  assert.equal(nab.falsePositives, 1);
  assert.equal(nab.changepoints, 1);
  // standard: S = w(500; 1, −0.11) − 0.11, null −1, perfect 1
  const wStd = 0.44404850713138366;
  const wLowFP = 0.3889542150453045;
  close(nab.standard, (100 * (wStd - 0.11 + 1)) / 2);
  close(nab.lowFP, (100 * (wLowFP - 0.22 + 1)) / 2);
  close(nab.lowFN, (100 * (wStd - 0.11 + 2)) / 3);
  // the same late detection without the false positive (the prediction stays on to the end)
  const stays = nabScore([{ times, trueChangepoints, predictedChangepoints: changepointsOf(times.map((t) => (t >= 40 ? 1 : 0))) }]);
  close(stays.standard, 72.20242535656918); // numpy: 100 · (w + 1) / 2
  close(stays.lowFP, 69.44771075226522);
  close(stays.lowFN, 81.46828357104611);
});

test("a false positive outside the window costs A_fp; one before any window too", () => {
  // true changepoint at t = 50, detected exactly; a spurious switch at t = 5 (before the window)
  const times = Array.from({ length: 120 }, (_, i) => i);
  const trueChangepoints = times.map((t) => (t === 50 ? 1 : 0));
  const predictedChangepoints = times.map((t) => (t === 5 || t === 50 ? 1 : 0));
  const nab = nabScore([{ times, trueChangepoints, predictedChangepoints }]);
  assert.equal(nab.falsePositives, 1);
  assert.equal(nab.missed, 0);
  close(nab.standard, 94.5); // S = 1 − 0.11 = 0.89 → 100 · (0.89 + 1) / 2
  close(nab.lowFP, 89); // S = 1 − 0.22 → 100 · 1.78 / 2
  close(nab.lowFN, (100 * 2.89) / 3); // S = 0.89, null −2, perfect 1
  // the first test row counts as predicted when the prediction starts on
  const startsOn = changepointsOf(times.map((t) => (t < 3 ? 1 : 0)));
  const m = matchChangepoints(nabWindows(times, trueChangepoints), times, startsOn);
  assert.deepEqual(m, { detections: [], falsePositives: [0, 3], missed: [0] });
  // a missed changepoint plus two false positives: standard 100·(−1 − 0.22 + 1)/2 = −11
  close(nabScore([{ times, trueChangepoints, predictedChangepoints: startsOn }]).standard, -11);
});

test("experiments pool by summing scores; gaps in time are measured in seconds, not rows", () => {
  // rows 2 s apart: the window [0, 60] holds rows 0..30; a detection at row 15 (t = 30) is event 500
  const times = Array.from({ length: 40 }, (_, i) => 2 * i);
  const trueChangepoints = times.map((_, i) => (i === 0 ? 1 : 0));
  const late = times.map((_, i) => (i === 15 ? 1 : 0));
  const missed = times.map(() => 0);
  const nab = nabScore([
    { times, trueChangepoints, predictedChangepoints: late },
    { times, trueChangepoints, predictedChangepoints: missed },
  ]);
  // S = w − 1, null −2, perfect 2
  close(nab.standard, (100 * (0.44404850713138366 - 1 + 2)) / 4);
  assert.equal(nab.missed, 1);
  assert.ok(Number.isNaN(nabScore([{ times: [0, 1], trueChangepoints: [0, 0], predictedChangepoints: [0, 1] }]).standard));
  assert.throws(() => nabScore([{ times: [1, 0], trueChangepoints: [0, 0], predictedChangepoints: [0, 0] }]), /not sorted/);
});
