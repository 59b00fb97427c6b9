/**
 * The page's data shaping, without a service: the recent store stays within its bounds (points per stream, hours,
 * streams) and keeps every sample's extremes; the overview puts streams with open incidents first, names axes by
 * their display names, gives values against their limits and ages in data time, and charts incidents clipped to
 * the window; the page's HTML loads nothing from elsewhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRecentStore, channelLimits } from "../server/pageRecent";
import { overview, timeText } from "../server/pageData";
import { pageHtml } from "../server/pageHtml";
import type { ScoringModel } from "../lib/scoring/score";
import type { IncidentRow } from "../lib/scoring/incidentAdmin";

const model = {
  version: "v1",
  axes: ["axis1", "axis2"],
  timeType: "timestamptz",
  minC: Float64Array.of(1, 1.5),
  maxC: Float64Array.of(2, 3),
} as unknown as ScoringModel;

const T0 = 1_748_772_000; // 2025-06-01T10:00:00Z

test("the recent store keeps at most `points` points per stream, every sample's extremes, and `streams` streams", () => {
  const recent = createRecentStore({ hours: 1, points: 50, streams: 2 });
  const n = 1000;
  const time = Float64Array.from({ length: n }, (_, i) => T0 + i);
  const a = Float64Array.from({ length: n }, (_, i) => (i === 777 ? 9 : Math.sin(i / 10)));
  const b = Float64Array.from({ length: n }, (_, i) => (i % 100 === 0 ? NaN : -Math.cos(i / 10)));
  // Batches of uneven sizes: the result does not depend on how samples were batched.
  for (let start = 0; start < n; start += 37) recent.add("s1", model, time.subarray(start, start + 37), [a.subarray(start, start + 37), b.subarray(start, start + 37)]);
  const series = recent.get("s1")!;
  assert.ok(series.t.length <= 50 && series.t.length >= 25, `${series.t.length} points`);
  assert.equal(series.last, T0 + n - 1);
  assert.equal(Math.max(...(series.max[0] as number[])), 9);
  assert.ok(Math.min(...(series.min[1] as number[])) <= -0.99);
  assert.ok(series.point_seconds > 0);
  // Times increase; each point starts at one of the samples.
  series.t.forEach((t, k) => assert.ok(k === 0 || t > series.t[k - 1]));
  // An hour later only the last hour is kept.
  recent.add("s1", model, Float64Array.of(T0 + n + 7200), [Float64Array.of(0.5), Float64Array.of(0.5)]);
  assert.deepEqual(recent.get("s1")!.t, [T0 + n + 7200]);
  // A third stream evicts the least recently scored.
  recent.add("s2", model, Float64Array.of(T0), [Float64Array.of(1), Float64Array.of(NaN)]);
  recent.add("s3", model, Float64Array.of(T0), [Float64Array.of(1), Float64Array.of(1)]);
  assert.deepEqual(recent.streams(), ["s2", "s3"]);
  assert.equal(recent.get("s1"), null);
  assert.deepEqual(recent.get("s2")!.min[1], [null]);
  assert.deepEqual(channelLimits(model).map((c) => [c.axis, c.alert, c.error, c.lower_alert]), [["axis1", 1, 2, null], ["axis2", 1.5, 3, null]]);
});

function incident(id: string, stream: string, severity: "alert" | "error", opened: string, closed: string | null): IncidentRow {
  return {
    id, stream, model_version: "v1", opened_at: opened, closed_at: closed, severity, axes: ["axis1", "axis2:down"],
    peaks: { axis1: { level: severity, peak: 2.5, expected: 2 }, "axis2:down": { level: "alert", peak: -2, expected: -1.5 } },
    contributions: [{ axis: "axis2", share: 0.7, value: 4, expected: 1 }], events: 3, silenced: false,
    acked_at: null, acked_by: null, label: null, note: null, labelled_at: null, labelled_by: null,
  };
}

test("the overview: open incidents' streams first, display names, value vs expected, data-time ages, clipped shading", () => {
  const recent = createRecentStore();
  const time = Float64Array.from({ length: 600 }, (_, i) => T0 + i);
  recent.add("robot-b", model, time, [time.map(() => 0.5), time.map(() => 0.2)]);
  const snapshot = overview({
    alias: "production", version: "v2", timeType: "timestamptz", moreStreams: 3,
    streams: [
      { stream: "robot-a", model_version: "v2", position: T0 + 100, updated_at: "2026-12-03 20:00:00+00" },
      { stream: "robot-b", model_version: "v1", position: T0 + 599, updated_at: null },
    ],
    incidents: [incident("inc-1", "robot-b", "error", "2025-06-01T10:05:00.000000Z", null), incident("inc-2", "robot-b", "alert", "2025-06-01T09:00:00.000000Z", "2025-06-01T10:01:00.000000Z")],
    silences: [{ id: 1, stream: "robot-a", axis: null, from_seconds: T0, to_seconds: T0 + 3600, from_text: "a", to_text: "b", reason: "r", created_by: "x", created_at: "c" }],
    recent: (s) => recent.get(s),
    display: { axis_labels: { axis1: "Motor 1" }, units: { axis1: "A", axis2: "°C" } },
    now: new Date("2026-12-03T20:00:00Z"),
  });
  assert.deepEqual(snapshot.streams.map((s) => [s.stream, s.state, s.on_served, s.silenced, s.open_incidents]), [["robot-b", "error", false, false, 1], ["robot-a", "ok", true, true, 0]]);
  assert.equal(snapshot.streams[0].position_text, "2025-06-01T10:09:59Z");
  assert.equal(snapshot.more_streams, 3);
  const [open, closed] = snapshot.incidents;
  assert.equal(open.age_seconds, 599 - 300); // to the stream's last sample
  assert.equal(closed.age_seconds, 3660); // its whole span
  assert.deepEqual(open.axes.map((a) => a.name), ["Motor 1 (A)", "axis2 (°C) low side"]);
  assert.deepEqual(open.peaks.map((p) => [p.name, p.value, p.expected, p.unit]), [["Motor 1 (A)", 2.5, 2, "A"], ["axis2 (°C) low side", -2, -1.5, "°C"]]);
  assert.deepEqual(open.contributions.map((c) => [c.name, c.share]), [["axis2 (°C)", 0.7]]);
  assert.equal(snapshot.charts.length, 1);
  const chart = snapshot.charts[0];
  assert.deepEqual(chart.channels.map((c) => [c.name, c.alert, c.error]), [["Motor 1 (A)", 1, 2], ["axis2 (°C)", 1.5, 3]]);
  assert.deepEqual(chart.incidents.map((i) => [i.id, i.from - T0, i.to - T0]), [["inc-1", 300, 599], ["inc-2", 0, 60]]);
  assert.equal(chart.from_text, "2025-06-01T10:00:00Z");
  assert.equal(snapshot.uncharted, 1);
  assert.equal(timeText(12.5, "float"), "12.5 s");
});

test("the page's HTML is one document that loads nothing: no src, no href, no URL but its own routes", () => {
  const html = pageHtml();
  assert.doesNotMatch(html, /\ssrc=|\shref=|https?:\/\/|@import|url\(/i);
  assert.match(html, /connect-src 'self'/);
  assert.equal(html.match(/<script>/g)?.length, 1);
  assert.match(html, /sessionStorage/);
  assert.ok(Buffer.byteLength(html) < 60_000, `${Buffer.byteLength(html)} bytes`);
});
