/**
 * `data.axis_labels` / `data.units`: validated in config.yaml (an axis not in data.axes is one line naming the key
 * and the axis), named by one helper (lib/shapes/axisDisplay.ts), and used by the CLI's training and score summaries.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../lib/shapes/config";
import { axisCaption, axisDisplayName, axisUnit, unknownAxisKey } from "../lib/shapes/axisDisplay";
import { axisNames } from "../lib/views/axisNames";
import { formatSummary } from "../cli/summary";
import { eventLine, formatScoreSummary } from "../cli/score";
import type { PipelineResult } from "../lib/pipeline/inMemory";
import type { ReplayResult } from "../lib/scoring/replay";

function write(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mlbox-axis-display-")), "config.yaml");
  writeFileSync(path, text);
  return path;
}
const WIDE = "data:\n  table: t\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\n";
const LONG = "data:\n  table: t\n  axes: [3, 4]\n  axis_id_col: id\n  value_col: v\n  train_start: 0\n  train_end: 10\n";

test("data.axis_labels and data.units: optional maps, read as given", () => {
  const none = loadConfig(write(WIDE));
  assert.equal(none.data.axis_labels, undefined);
  assert.equal(none.data.units, undefined);
  const config = loadConfig(write(`${WIDE}  axis_labels: { axis1: "Motor 1" }\n  units: { axis1: A, axis2: "°C" }\n`));
  assert.deepEqual(config.data.axis_labels, { axis1: "Motor 1" });
  assert.deepEqual(config.data.units, { axis1: "A", axis2: "°C" });
  // LONG: an axis is keyed by its id or by its column name axis<id>.
  const long = loadConfig(write(`${LONG}  axis_labels: { "3": "Pump", axis4: "Fan" }\n`));
  assert.deepEqual([axisDisplayName("axis3", long.data), axisDisplayName("axis4", long.data)], ["Pump", "Fan"]);
});

test("an unknown axis, a wrong value or a non-mapping is one line naming the key and the axis", () => {
  const message = (extra: string, base = WIDE): string => {
    try {
      loadConfig(write(base + extra));
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };
  assert.equal(message("  axis_labels: { axis1: M1, axis9: M9 }\n"), "config.yaml: data.axis_labels.axis9 names no axis of data.axes (axis1, axis2)");
  assert.equal(message("  units: { axis7: A }\n"), "config.yaml: data.units.axis7 names no axis of data.axes (axis1, axis2)");
  assert.equal(message("  units: { axis5: A }\n", LONG), "config.yaml: data.units.axis5 names no axis of data.axes (3, 4)");
  assert.equal(message('  units: { "7": A }\n', LONG), "config.yaml: data.units.7 names no axis of data.axes (3, 4)");
  assert.equal(message("  units: { axis1: 5 }\n"), "config.yaml: data.units.axis1 must be a non-empty string of at most 200 characters, got 5");
  assert.equal(message('  axis_labels: { axis1: "" }\n'), 'config.yaml: data.axis_labels.axis1 must be a non-empty string of at most 200 characters, got ""');
  assert.equal(message("  axis_labels: [axis1]\n"), 'config.yaml: data.axis_labels must be a mapping of keys, got ["axis1"]');
  assert.equal(unknownAxisKey({ axis5: "x" }, [3, 4]), "axis5");
});

test("axisDisplayName: label, else the axis, then the unit; the same text the notebooks' charts show", () => {
  const display = { axis_labels: { axis1: "Motor 1" }, units: { axis1: "A", axis2: "°C" } };
  assert.equal(axisDisplayName("axis1", display), "Motor 1 (A)");
  assert.equal(axisDisplayName("axis2", display), "axis2 (°C)");
  assert.equal(axisDisplayName("axis3", display), "axis3");
  assert.equal(axisDisplayName("axis1:down", display), "Motor 1 (A) low side");
  assert.equal(axisDisplayName("T2", undefined), "T2");
  // Keys that are Object.prototype's own names are not axes' entries.
  assert.equal(axisDisplayName("constructor", {}), "constructor");
  assert.equal(axisUnit("axis1:down", display), "A");
  assert.equal(axisUnit("axis3", display), "");
  const names = axisNames(["axis1", "axis2"], display);
  for (const axis of ["axis1", "axis2"]) assert.equal(axisDisplayName(axis, display), names.get(axis));
  assert.equal(axisCaption("axis1", display), "Motor 1 (A) [axis1]");
  assert.equal(axisCaption("axis3", display), "axis3");
});

test("the CLI's training summary and score summary name axes by their display names", () => {
  const thresholds = { MinC: 1, MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1, policy: {}, meta: { method: "m" } };
  const result = {
    version: "v1", versionDir: "d", database: "db", rawShape: [2, 2], trainShape: [2, 2], chartFiles: [],
    metrics: [{ axis: "axis1", r2: 1, mae: 0, rmse: 0 }, { axis: "axis2", r2: 1, mae: 0, rmse: 0 }], thresholds: { axis1: thresholds, axis2: thresholds },
  } as unknown as PipelineResult;
  const display = { axis_labels: { axis1: "Motor 1" }, units: { axis1: "A" } };
  const summary = formatSummary(result, display);
  assert.match(summary, /^ {2}Motor 1 \(A\) \[axis1\] {2}R2=1/m);
  assert.match(summary, /^ {2}axis2 {16}R2=1/m);
  assert.match(summary, /^ {2}Motor 1 \(A\) \[axis1\] {2}MinC=1/m);
  // Without the keys the summary is as before.
  assert.match(formatSummary(result), /^ {2}axis1 {2}R2=1/m);
  const event = { axis: "axis1", level: "alert" as const, started_at: 5, fired_at: 7, ended_at: 9, samples: 5, peak_residual: 3, threshold: 1, model_version: "v1", stream: "t" };
  const replay = { model: { version: "v1", axes: ["axis1", "axis2"] }, events: [event], stream: "t", rows: 10, firstTime: 0, lastTime: 9, eventsTable: "mlbox_events" } as unknown as ReplayResult;
  assert.match(formatScoreSummary(replay, "v1", display), /^ {2}Motor 1 \(A\) \[axis1\] +1 +0 +5/m);
  assert.match(eventLine(event, display), /^alert Motor 1 \(A\) \[axis1\]: started 5/);
  assert.match(eventLine(event), /^alert axis1: started 5/);
});
