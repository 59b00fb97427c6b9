/**
 * Detection measurement on hand-built data: the time split, seeded injection (deterministic,
 * non-overlapping, labelled, on working samples only), counting caught anomalies and delays, false
 * alarms per hour, recall at matched false alarms, and the sweep through the real scorer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { detectionSummary, eventsPerHour, matchDetections, type DetectionEvent } from "../lib/selection/detection";
import { detectionCandidate } from "../lib/selection/candidates";
import { detectionAt, matchedPoint, policyAtLevel } from "../lib/selection/sweep";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { injectAnomalies, workingLevel, type Injection } from "../lib/selection/injection";
import { splitWindow, splitWindowAt } from "../lib/selection/validationSplit";
import { InputError } from "../lib/core/errors";
import { recallTieMargin } from "../lib/selection/runSelection";
import type { PreparedColumns } from "../lib/shapes/types";
import { testConfig } from "./support/databases";

/** A seeded uniform generator for test data. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** `n` samples at 1 s on two axes: noisy working levels around 4 and 10, idle (0) every 20th block of 5. */
function window(n: number, seed = 7): PreparedColumns {
  const next = random(seed);
  const timeS = Float64Array.from({ length: n }, (_, i) => i);
  const idle = (i: number): boolean => Math.floor(i / 5) % 4 === 3;
  const values = [4, 10].map((level) => Float64Array.from({ length: n }, (_, i) => (idle(i) ? 0 : level + (next() - 0.5) * level)));
  return { timeS, axes: ["a", "b"], values };
}

const injection = (overrides: Partial<Injection> = {}): Injection => ({
  axis: "a", kind: "offset", size: 0.6, samples: 12, startIndex: 100, endIndex: 111, start: 100, end: 111, height: 1, label: "offset 0.6× 12", ...overrides,
});
const event = (started_at: number, fired_at: number, ended_at: number | null, axis = "a"): DetectionEvent => ({ axis, started_at, fired_at, ended_at });

test("splitWindow: the first floor(n·(1 − f)) rows fit, the rest validate; bad fractions name the key", () => {
  const columns = window(1000);
  const split = splitWindow(columns, 0.2);
  assert.equal(split.fitRows, 800);
  assert.equal(split.fit.timeS.length, 800);
  assert.equal(split.validation.timeS[0], 800);
  assert.equal(split.validation.values[1][0], columns.values[1][800]);
  assert.equal(splitWindow(columns).fitRows, 800); // default 0.2
  assert.throws(() => splitWindow(columns, 0.6), /^InputError: selection\.validation_fraction must be within 0 \(exclusive\) to 0\.5, got 0\.6$/);
  assert.throws(() => splitWindowAt(window(3), 2), (error: unknown) => error instanceof InputError && /at least 2 rows/.test(error.message));
});

test("workingLevel: numpy's 90th percentile of |value| over non-idle finite samples", () => {
  // |values| without 0 and NaN: 1..10 → numpy.percentile(…, 90) = 9.1
  assert.equal(workingLevel(Float64Array.from([0, -1, 2, 3, NaN, 4, 5, 0, 6, 7, 8, 9, -10])), 9.1);
  assert.ok(Number.isNaN(workingLevel(Float64Array.from([0, 0, NaN]))));
});

test("injectAnomalies: deterministic per seed, different across seeds, non-overlapping with a guard, labelled, working samples only", () => {
  const columns = window(4000);
  const levels = [4, 10];
  const first = injectAnomalies(columns, levels, { seed: 3 });
  const again = injectAnomalies(columns, levels, { seed: 3 });
  const other = injectAnomalies(columns, levels, { seed: 4 });
  assert.deepEqual(again.injections, first.injections);
  assert.deepEqual(again.values, first.values);
  assert.notDeepEqual(other.injections.map((i) => i.startIndex), first.injections.map((i) => i.startIndex));
  assert.equal(first.injections.length, 16); // 8 per axis by default
  assert.deepEqual(
    first.injections.filter((i) => i.axis === "a").map((i) => i.label).sort(),
    ["drift 1× 60", "offset 0.3× 12", "offset 0.6× 12", "offset 0.6× 12", "offset 0.6× 24", "offset 0.6× 6", "offset 1× 12", "spike 3× 1"],
  );
  for (const axis of ["a", "b"]) {
    const mine = first.injections.filter((i) => i.axis === axis).sort((x, y) => x.startIndex - y.startIndex);
    for (let k = 1; k < mine.length; k++) assert.ok(mine[k].start - mine[k - 1].end > 60, `${axis}: ${mine[k - 1].label} and ${mine[k].label} closer than the 60 s guard`);
  }
  columns.values.forEach((column, a) => {
    const injected = new Set<number>();
    for (const i of first.injections.filter((x) => x.axis === columns.axes[a])) {
      assert.equal(i.end - i.start, i.samples - 1);
      assert.equal(i.height, i.size * levels[a]);
      for (let r = i.startIndex; r <= i.endIndex; r++) {
        injected.add(r);
        const added = first.values[a][r] - column[r];
        if (column[r] === 0) assert.equal(first.values[a][r], 0, "an idle sample stays 0");
        else if (i.kind === "drift") assert.ok(Math.abs(added - (i.height * (r - i.startIndex + 1)) / i.samples) < 1e-9);
        else assert.ok(Math.abs(added - i.height) < 1e-9);
      }
      // Placed where the machine works: a 12-sample span fits in a 15-sample working stretch.
      if (i.samples <= 15) for (let r = i.startIndex; r <= i.endIndex; r++) assert.notEqual(column[r], 0, `${i.label} starts in idle samples`);
    }
    for (let r = 0; r < column.length; r++) if (!injected.has(r)) assert.equal(first.values[a][r], column[r]);
  });
  // An axis without a working level gets none.
  assert.equal(injectAnomalies(columns, [NaN, 10]).injections.every((i) => i.axis === "b"), true);
  // A part too short for the whole plan keeps the anomalies that fit, the guard cut to half the part.
  const short = injectAnomalies(window(50), levels).injections;
  assert.ok(short.length > 0 && short.every((i) => i.samples + 25 <= 50), "the short part holds only anomalies that fit with a 25-row guard");
  // No axis with a working level → nothing fits → one-line error.
  assert.throws(() => injectAnomalies(window(50), [NaN, 0]), /^InputError: selection: the validation part \(50 rows\) holds no injected anomaly/);
});

test("matchDetections: overlap, an event starting ≤ 60 s after the end, later ones and other axes missed; delay = max(0, fired − start)", () => {
  const target = injection({ start: 100, end: 111 });
  const caught = (events: DetectionEvent[]) => matchDetections(events, [target])[0];
  assert.deepEqual(caught([event(95, 104, 120)]), { injection: target, caught: true, delay_seconds: 4 }); // overlaps, fires inside
  assert.deepEqual(caught([event(90, 97, 100)]), { injection: target, caught: true, delay_seconds: 0 }); // ends on the start, fired before: delay 0
  assert.deepEqual(caught([event(171, 173, 175)]), { injection: target, caught: true, delay_seconds: 73 }); // starts exactly 60 s after the end
  assert.deepEqual(caught([event(172, 174, 175)]), { injection: target, caught: false, delay_seconds: null }); // 61 s after: too late
  assert.deepEqual(caught([event(80, 85, 99)]), { injection: target, caught: false, delay_seconds: null }); // over before it began
  assert.deepEqual(caught([event(100, 103, 111, "b")]), { injection: target, caught: false, delay_seconds: null }); // another axis
  assert.deepEqual(caught([event(50, 60, null)]), { injection: target, caught: true, delay_seconds: 0 }); // still open at the end
  assert.equal(caught([event(130, 140, 150), event(105, 108, 112)]).delay_seconds, 8); // the earliest firing counts

  const outcomes = matchDetections([event(101, 104, 115), event(305, 310, 320)], [
    target,
    injection({ start: 300, end: 311, label: "offset 0.6× 12" }),
    injection({ kind: "spike", start: 500, end: 500, samples: 1, label: "spike 3× 1" }),
  ]);
  const summary = detectionSummary(outcomes);
  assert.deepEqual(
    { caught: summary.caught, injected: summary.injected, recall: summary.recall, delay: summary.median_delay_seconds },
    { caught: 2, injected: 3, recall: 2 / 3, delay: 7 }, // delays 4 and 10
  );
  assert.deepEqual(summary.by_label, { "offset 0.6× 12": { caught: 2, injected: 2 }, "spike 3× 1": { caught: 0, injected: 1 } });
  assert.equal(detectionSummary(matchDetections([], [target])).median_delay_seconds, null);
  assert.equal(eventsPerHour(3, 1800), 6);
});

test("matchedPoint: best recall within the false-alarm budget; ties (exact, or within a margin) → fewer false alarms, then the higher percentile", () => {
  const curve = [
    { minc_percentile: 75, false_alarms: 30, recall: 0.9 },
    { minc_percentile: 90, false_alarms: 20, recall: 0.6 },
    { minc_percentile: 95, false_alarms: 12, recall: 0.6 },
    { minc_percentile: 98, false_alarms: 12, recall: 0.6 },
    { minc_percentile: 99, false_alarms: 4, recall: 0.2 },
  ];
  assert.equal(matchedPoint(curve, 20)?.minc_percentile, 98);
  assert.equal(matchedPoint(curve, 30)?.minc_percentile, 75);
  assert.equal(matchedPoint(curve, 5)?.minc_percentile, 99);
  assert.equal(matchedPoint(curve, 3), null);
  // With a margin, recalls that close to the best tie with it: fewer false alarms win.
  assert.equal(matchedPoint(curve, 20, () => 0.05)?.minc_percentile, 98);
  assert.equal(matchedPoint(curve, 20, () => 0.45)?.minc_percentile, 99);
  assert.equal(matchedPoint(curve, 30, (top) => top - 0.6)?.minc_percentile, 98); // 0.9 − 0.3: 0.6 ties
});

test("recallTieMargin is one binomial standard error of the best recall", () => {
  assert.equal(recallTieMargin(0.5, 100), 0.05);
  assert.equal(recallTieMargin(1, 64), 0);
  assert.equal(recallTieMargin(0.5, 0), 0);
});

test("policyAtLevel keeps the error level above the alert level, at its place in the headroom (75/95: 0.8 of the way)", () => {
  const maxc = (p: number): number => policyAtLevel(DEFAULT_THRESHOLD_POLICY, p).maxc_percentile;
  assert.deepEqual([maxc(75), maxc(80), maxc(98), maxc(100)], [95, 96, 99.6, 100]);
  // A policy whose error percentile is not above its alert one never puts the error level below the alert level.
  assert.equal(policyAtLevel({ ...DEFAULT_THRESHOLD_POLICY, minc_percentile: 90, maxc_percentile: 80 }, 97).maxc_percentile, 97);
});

test("detectionAt: the scorer's alert events on the clean part are the false alarms; a large injected offset is caught, a higher level raises fewer alarms", () => {
  const columns = window(20_000, 11);
  const split = splitWindowAt(columns, 16_000);
  const specs = [{ kind: "offset" as const, size: 1.5, samples: 12, count: 10 }];
  const injected = injectAnomalies(split.validation, split.fit.values.map((values) => workingLevel(values)), { seed: 1, specs });
  const setup = { split, injected: [injected], dtSeconds: 1, policy: DEFAULT_THRESHOLD_POLICY, maxGapSeconds: null };
  const fitted = detectionCandidate("linear", "residual", testConfig()).fit(split.fit);
  const low = detectionAt(fitted, setup, 50);
  const high = detectionAt(fitted, setup, 99);
  assert.equal(low.injected, 20);
  assert.ok(low.false_alarms > high.false_alarms, `${low.false_alarms} > ${high.false_alarms}`);
  assert.equal(low.false_alarms_per_hour, eventsPerHour(low.false_alarms, 3999));
  assert.ok(high.caught >= 18, `a 1.5× offset of 12 samples is caught at percentile 99: ${high.caught}/20`);
  assert.ok(high.median_delay_seconds !== null && high.median_delay_seconds >= 2 && high.median_delay_seconds < 12);
});
