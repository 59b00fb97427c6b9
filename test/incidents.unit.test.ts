/**
 * The incident merge core (lib/scoring/incidents.ts): overlapping events merge, a gap just inside
 * merge_seconds merges and just outside opens a new incident, severity escalates, an incident stays
 * open at the end until the position passes its end by merge_seconds, and batching does not change ids.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeIncidents, type IncidentEvent } from "../lib/scoring/incidents";
import type { ScoreEvent } from "../lib/scoring/score";

function ev(axis: string, level: "alert" | "error", start: number, end: number | null, peak = 2, extra: Partial<ScoreEvent> = {}): IncidentEvent {
  const event: ScoreEvent = { model_version: "v1", stream: "s", axis, level, started_at: start, fired_at: start + 1, ended_at: end, samples: 3, peak_residual: peak, threshold: level === "alert" ? 1 : 1.5, ...extra };
  return { event, silenced: false };
}

test("overlapping events of two axes form one incident with the highest severity and per-axis peaks", () => {
  const { changed, open } = mergeIncidents([], [ev("a", "alert", 0, 10, 1.2), ev("b", "error", 5, 8, 3), ev("a", "alert", 12, 14, 1.8)], 1000, 60);
  assert.equal(changed.length, 1);
  const [incident] = changed;
  assert.equal(incident.severity, "error");
  assert.deepEqual(incident.axes, ["a", "b"]);
  assert.equal(incident.peaks.a.peak, 1.8);
  assert.equal(incident.peaks.b.peak, 3);
  assert.equal(incident.peaks.b.expected, 1.5);
  assert.equal(incident.opened_at, 0);
  assert.equal(incident.closed_at, 14);
  assert.equal(incident.events, 3);
  assert.equal(open.length, 0);
});

test("a gap just inside merge_seconds merges, just outside opens a new incident", () => {
  const inside = mergeIncidents([], [ev("a", "alert", 0, 10), ev("a", "alert", 70, 75)], 1000, 60);
  assert.equal(inside.changed.length, 1);
  const outside = mergeIncidents([], [ev("a", "alert", 0, 10), ev("a", "alert", 70.001, 75)], 1000, 60);
  assert.equal(outside.changed.length, 2);
  assert.notEqual(outside.changed[0].id, outside.changed[1].id);
  assert.equal(outside.changed[0].closed_at, 10);
});

test("severity escalates across batches; an incident is open at the end until position passes end + merge_seconds", () => {
  const first = mergeIncidents([], [ev("a", "alert", 0, null)], 5, 60);
  assert.equal(first.open.length, 1);
  assert.equal(first.changed[0].severity, "alert");
  assert.equal(first.changed[0].closed_at, null);
  const second = mergeIncidents(first.open, [ev("a", "alert", 0, 20), ev("a", "error", 15, 18)], 30, 60);
  assert.equal(second.changed.length, 1);
  assert.equal(second.changed[0].id, first.changed[0].id);
  assert.equal(second.changed[0].severity, "error");
  assert.equal(second.changed[0].events, 2, "the closing report of the open event is not a new event");
  assert.equal(second.changed[0].closed_at, null, "position 30 < 20 + 60: something may still join");
  const third = mergeIncidents(second.open, [], 80, 60);
  assert.equal(third.changed[0].closed_at, 20);
  assert.equal(third.open.length, 0);
});

test("ids do not depend on batching, and a silenced incident needs every event silenced", () => {
  const all = [ev("a", "alert", 0, 10), ev("b", "error", 2, 6), ev("a", "alert", 40, 50)];
  const once = mergeIncidents([], all, 1000, 60).changed;
  // A poll up to t = 7 sees every event that fired by then: a still open, b closed.
  const a = mergeIncidents([], [ev("a", "alert", 0, null), all[1]], 7, 60);
  const b = mergeIncidents(a.open, [all[0], all[2]], 1000, 60).changed;
  assert.equal(once.length, 1);
  assert.equal(b[0].id, once[0].id);
  assert.deepEqual(b[0].peaks, once[0].peaks);
  const silenced = mergeIncidents([], all.map((item) => ({ ...item, silenced: true })), 1000, 60).changed[0];
  assert.equal(silenced.silenced, true);
  assert.equal(once[0].silenced, false);
});

test("pca events keep the top contributions of the strongest event", () => {
  const contributions = [0.1, 0.5, 0.05, 0.2, 0.1, 0.05].map((share, i) => ({ axis: `x${i}`, share, value: i, expected: 0 }));
  const { changed } = mergeIncidents([], [ev("T2", "alert", 0, 5, 3, { contributions }), ev("SPE", "alert", 1, 4, 1.1, { contributions: [{ axis: "x9", share: 1, value: 1, expected: 0 }] })], 100, 60);
  assert.equal(changed[0].contributions.length, 5);
  assert.equal(changed[0].contributions[0].axis, "x1");
});

test("a long incident keeps bounded state; events reported again (a replay run again) are not counted twice", () => {
  // 2,000 events 10 s apart on two axes, batch after batch, all within merge_seconds of each other: one incident.
  let open: ReturnType<typeof mergeIncidents>["open"] = [];
  const all: IncidentEvent[] = [];
  for (let batch = 0; batch < 100; batch++) {
    const events: IncidentEvent[] = [];
    for (let k = 0; k < 10; k++) {
      const start = (batch * 10 + k) * 10;
      events.push(ev("a", "alert", start, start + 4), ev("b", "alert", start, start + 4)); // two axes fire at the same sample
    }
    all.push(...events);
    ({ open } = mergeIncidents(open, events, (batch + 1) * 100, 60));
  }
  assert.equal(open.length, 1);
  assert.equal(open[0].events, 2000);
  assert.ok(JSON.stringify(open[0].state).length < 400, `state grows with the incident: ${JSON.stringify(open[0].state).length} characters`);
  // The same events again, in other batches: nothing is counted twice, and the incident is the same.
  let again = open;
  for (let from = 0; from < all.length; from += 333) ({ open: again } = mergeIncidents(again, all.slice(from, from + 333), 10_000, 60));
  assert.equal(again.length, 1);
  assert.equal(again[0].events, 2000);
  assert.equal(again[0].id, open[0].id);
  // A new event after them is counted.
  const { open: later } = mergeIncidents(again, [ev("a", "error", 10_010, 10_012)], 10_012, 60);
  assert.equal(later[0].events, 2001);
  assert.equal(later[0].severity, "error");
});

test("a replay run again while the last incident is open: the earlier incidents' events do not join it", () => {
  const events = [ev("a", "alert", 0, 10), ev("a", "error", 500, 510), ev("b", "alert", 505, 520)];
  const first = mergeIncidents([], events, 530, 60); // the second incident is still open (530 < 520 + 60)
  assert.equal(first.open.length, 1);
  assert.equal(first.open[0].events, 2);
  const again = mergeIncidents(first.open, events, 530, 60);
  assert.equal(again.open.length, 1);
  assert.equal(again.open[0].events, 2, "the earlier incident's event is not counted in the open one");
  assert.deepEqual(again.changed.map((incident) => [incident.opened_at, incident.events]), [[0, 1], [500, 2]]); // the first as before (its row, closed, is not rewritten)
});
