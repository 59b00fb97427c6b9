/**
 * Selection's report on labelled incidents (issue 17, item 5): on a synthetic window whose validation part
 * holds one incident labelled fault (a level shift, its rows left out of training as excludeSpans does) and
 * one labelled false_alarm (a spike, its rows in the data), the fault's rows are put back on the prepared
 * clock and the level shift is caught; the false alarm is alerted on. With no labelled incident inside the
 * validation part, selection.json is the same as without labels. Resampled windows put back their buckets.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { excludeSpans } from "../lib/stages/excludeSpans";
import { prepareColumns } from "../lib/stages/prepare";
import { resampleColumns } from "../lib/stages/resample";
import { seededRandom } from "../lib/stats/seededRandom";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { runSelection, type SelectionConfig } from "../lib/selection/runSelection";
import { labelledOutcome, labelledPhrase, labelledValidation, labelledWindow } from "../lib/selection/labelledOutcomes";
import { detectionCandidate } from "../lib/selection/candidates";
import { splitWindow } from "../lib/selection/validationSplit";
import type { LabelledSpans } from "../lib/scoring/labelledFaults";
import type { Extraction } from "../lib/shapes/types";
import { testConfig } from "./support/databases";

const T0 = 1_666_080_000; // epoch seconds of the first row
const N = 6000; // one row a second; the last 1200 validate
const FAULT = { id: "inc-fault", start: T0 + 5200, end: T0 + 5300 };
const FALSE_ALARM = { id: "inc-false", start: T0 + 5600, end: T0 + 5640 };

/** Two axes of noise around a slow drift; axis a shifts by +6 inside the fault, both jump by +6 inside the false alarm. */
function extraction(): Extraction {
  const uniform = seededRandom(7);
  const time = Float64Array.from({ length: N }, (_, i) => T0 + i);
  const values = [0, 1].map((a) =>
    Float64Array.from(time, (t) => {
      const shift = (a === 0 && t >= FAULT.start && t <= FAULT.end) || (t >= FALSE_ALARM.start && t <= FALSE_ALARM.end) ? 6 : 0;
      return 3 + a + (t - T0) / 2000 + (uniform() - 0.5) + shift;
    }),
  );
  return { time, values, axes: ["a", "b"], layout: "wide", timeType: "timestamp", timeCol: "ts" } as unknown as Extraction;
}

function config(): SelectionConfig {
  const base = testConfig();
  return { model: { ...base.model, type: "linear" }, scoring: base.scoring, thresholds: { ...DEFAULT_THRESHOLD_POLICY, target_alarms_per_day: null }, selection: { validation_fraction: 0.2, seed: 1 } };
}

/** What training does: leave the fault rows out, prepare, bring the labels to the prepared clock. */
function prepared(spans: LabelledSpans) {
  const window = extraction();
  const excluded = excludeSpans(window, spans.faults);
  const { columns, stats } = prepareColumns(excluded.extraction.time, window.axes, excluded.extraction.values, { inPlace: true });
  return { columns, excluded, labelled: labelledWindow(spans, excluded.dropped, { time0: stats.time0, resampleSeconds: null, interpolate: false, axes: window.axes }) };
}

test("a labelled fault whose rows were left out is put back and caught; a labelled false alarm is alerted on", () => {
  const { columns, excluded, labelled } = prepared({ faults: [FAULT], falseAlarms: [FALSE_ALARM] });
  assert.equal(excluded.rows, 101, "the fault's rows are left out of the window");
  assert.deepEqual(labelled.faults, [{ id: "inc-fault", start: 5200, end: 5300 }], "spans on the prepared clock (time0 = first row)");
  assert.equal(labelled.faultRows.timeS[0], 5200);

  const split = splitWindow(columns, 0.2);
  const inside = labelledValidation(split, labelled);
  assert.ok(inside !== null);
  assert.equal(inside.withFaults.timeS.length, split.validation.timeS.length + 101, "every left-out row is back");
  assert.ok(inside.withFaults.timeS.every((t, i) => i === 0 || t > inside.withFaults.timeS[i - 1]), "in time order");

  const { selection, summary } = runSelection(columns, 1, config());
  const labelledRun = runSelection(columns, 1, config(), { labelled });
  const expected = { faults: 1, faults_caught: 1, false_alarm_incidents: 1, false_alarm_incidents_alerted: 1 };
  assert.deepEqual(labelledRun.selection.default.labelled, expected);
  assert.deepEqual(labelledRun.selection.candidates[0].labelled, expected);
  assert.match(labelledRun.summary[1], /; labelled in the validation part: 1 fault, 1 false alarm; chosen caught 1\/1, alerted on 1\/1; default caught 1\/1, alerted on 1\/1$/);
  // It reports; it does not change the choice or anything measured.
  const { default: withDefault, candidates, ...rest } = labelledRun.selection;
  const { labelled: _d, ...defaultRest } = withDefault;
  assert.deepEqual({ ...rest, default: defaultRest, candidates: candidates.map(({ labelled: _c, ...c }) => c) }, selection);
  assert.equal(labelledRun.summary[0], summary[0]);

  // Without the put-back rows the shift is not in the data: nothing to catch it on.
  const fitted = detectionCandidate("linear", "residual", config()).fit(split.fit);
  const setup = { split, injected: [], dtSeconds: 1, policy: config().thresholds, maxGapSeconds: null };
  const level = labelledRun.selection.default.minc_percentile;
  assert.equal(labelledOutcome(fitted, setup, level, { ...inside, withFaults: split.validation }).faults_caught, 0);
  assert.equal(labelledOutcome(fitted, setup, level, inside).faults_caught, 1);
});

test("a quiet false alarm is counted but not alerted on; labels outside the validation part leave selection.json as it was", () => {
  const quiet = { id: "inc-quiet", start: T0 + 5800, end: T0 + 5830 };
  const { columns, labelled } = prepared({ faults: [], falseAlarms: [quiet] });
  const run = runSelection(columns, 1, config(), { labelled });
  assert.deepEqual(run.selection.default.labelled, { faults: 0, faults_caught: 0, false_alarm_incidents: 1, false_alarm_incidents_alerted: 0 });

  // A fault and a false alarm in the fit part only: no `labelled` key anywhere, the same selection and summary.
  const early = prepared({ faults: [{ id: "f", start: T0 + 1000, end: T0 + 1050 }], falseAlarms: [{ id: "a", start: T0 + 2000, end: T0 + 2010 }] });
  const plain = runSelection(early.columns, 1, config());
  const withLabels = runSelection(early.columns, 1, config(), { labelled: early.labelled });
  assert.equal(JSON.stringify(withLabels.selection), JSON.stringify(plain.selection));
  assert.deepEqual(withLabels.summary, plain.summary);
  assert.ok(!("labelled" in withLabels.selection.default));
});

test("with prep.resample_seconds the left-out rows become the window's buckets, replacing its gap rows", () => {
  const window = extraction();
  const excluded = excludeSpans(window, [FAULT]);
  const resampled = resampleColumns(excluded.extraction.time, excluded.extraction.values, 10);
  const whole = resampleColumns(window.time, window.values, 10);
  const { columns, stats } = prepareColumns(resampled.time, window.axes, resampled.values, { resampleSeconds: 10 });
  const labelled = labelledWindow({ faults: [FAULT], falseAlarms: [] }, excluded.dropped, { time0: stats.time0, resampleSeconds: 10, interpolate: true, axes: window.axes });
  // Buckets 5200..5300 s: the bucket at 5300 holds the fault's last row only (5301.. were kept).
  assert.deepEqual(Array.from(labelled.faultRows.timeS), Array.from({ length: 11 }, (_, k) => 5200 + 10 * k));
  const k = (5250 + T0 - whole.time[0]) / 10;
  assert.equal(labelled.faultRows.values[0][5], whole.values[0][k], "a bucket inside the fault: the mean the whole window has");
  const split = splitWindow(columns, 0.2);
  const inside = labelledValidation(split, labelled);
  assert.ok(inside !== null);
  assert.equal(inside.withFaults.timeS.length, split.validation.timeS.length, "put-back buckets replace the gap rows at the same times");
  const at = Array.from(inside.withFaults.timeS).indexOf(5250);
  assert.equal(inside.withFaults.values[0][at], whole.values[0][k]);
  assert.ok(Number.isNaN(columns.values[0][Array.from(columns.timeS).indexOf(5250)]), "the window itself had a gap there");
});

test("labelledPhrase names the chosen candidate and the default", () => {
  const o = { faults: 2, faults_caught: 1, false_alarm_incidents: 1, false_alarm_incidents_alerted: 0 };
  assert.equal(labelledPhrase(null, o), "labelled in the validation part: 2 faults, 1 false alarm; chosen not at a matched level; default caught 1/2, alerted on 0/1");
});
