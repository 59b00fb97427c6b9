/**
 * The one window-bound parser (lib/shapes/timeBound.ts) that extraction,
 * in-database training and `score --from/--to` share. Needs no database.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../lib/core/errors";
import { parseScoreBound } from "../lib/scoring/replay";
import { parseTimeBound } from "../lib/shapes/timeBound";

function rejects(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test("float seconds: finite numbers as given, their shortest text", () => {
  assert.deepEqual(parseTimeBound(12.5, "data.train_end", "float", "t"), { seconds: 12.5, text: "12.5" });
  assert.deepEqual(parseTimeBound(0.1 + 0.2, "data.train_end", "float", "t"), { seconds: 0.30000000000000004, text: "0.30000000000000004" });
  rejects(() => parseTimeBound(Number.NaN, "data.train_start", "float", "t"), /^data\.train_start must be a finite number of seconds because column "t" holds float seconds, got null$/);
  rejects(() => parseTimeBound("5", "data.train_start", "float", "t"), /got "5"$/);
});

test("timestamps: ISO text or a Date, normalised to UTC with microseconds (zone offsets applied)", () => {
  assert.deepEqual(parseTimeBound("2025-09-01T02:00:00+02:00", "data.train_start", "timestamp", "ts"), { seconds: 1756684800, text: "2025-09-01T00:00:00.000000" });
  assert.deepEqual(parseTimeBound("2025-09-01 00:00:01.881", "data.train_start", "timestamptz", "ts"), { seconds: 1756684801.881, text: "2025-09-01T00:00:01.881000Z" });
  assert.deepEqual(parseTimeBound(new Date(Date.UTC(2025, 8, 1)), "data.train_end", "timestamptz", "ts"), { seconds: 1756684800, text: "2025-09-01T00:00:00.000000Z" });
  rejects(() => parseTimeBound(5, "data.train_end", "timestamptz", "ts"), /^data\.train_end must be an ISO-8601 timestamp string because column "ts" is timestamptz, got 5$/);
  rejects(() => parseTimeBound("2025-13-01", "data.train_end", "timestamp", "ts"), /^data\.train_end: invalid timestamp "2025-13-01": month 13 is not 01-12$/);
});

test("score --from/--to: command-line text read as seconds for float columns, else the same parser", () => {
  assert.equal(parseScoreBound(" 120.5 ", "float", "--from", "t"), 120.5);
  assert.equal(parseScoreBound(7, "float", "--from", "t"), 7);
  rejects(() => parseScoreBound("", "float", "--from", "t"), /^--from must be a number of seconds, got ""$/);
  rejects(() => parseScoreBound("soon", "float", "--to", "t"), /^--to must be a number of seconds \(the time column holds seconds\), got "soon"$/);
  assert.equal(parseScoreBound("2025-09-01T00:00:00Z", "timestamptz", "--to", "ts"), "2025-09-01T00:00:00.000000Z");
  rejects(() => parseScoreBound("yesterday", "timestamp", "--from", "ts"), /^--from: invalid timestamp "yesterday"/);
});
