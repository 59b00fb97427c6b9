import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../lib/core/errors";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds } from "../lib/core/time";

/** ISO text → float seconds as pandas computes them: `pd.Timestamp(text).value / 1e9` (pinned, pandas 3.0.6). */
const PANDAS: readonly (readonly [string, number])[] = [
  ["2025-08-18T19:35:02.020018Z", 1755545702.0200179], // us / 1e6 would give 1755545702.020018
  ["2012-04-19T08:21:34.464189Z", 1334823694.4641888],
  ["2010-07-21T18:52:28.408605Z", 1279738348.4086049],
  ["2026-02-19T13:44:36.052933Z", 1771508676.0529332],
  ["2025-09-01 00:00:00.123456+00", 1756684800.123456],
  ["2022-10-17T12:18:23.660000", 1666009103.66],
  ["2025-09-01T02:00:00.000001+02:00", 1756684800.000001],
  ["1969-12-31T23:59:59.999999Z", -0.000001],
];

describe("isoToEpochSeconds", () => {
  test("equals pandas' int64-ns / 1e9 float seconds bit for bit", () => {
    for (const [text, expected] of PANDAS) assert.equal(isoToEpochSeconds(text), expected, text);
  });

  test("the pandas value differs from the correctly rounded µs / 1e6 for some instants", () => {
    // Documents why microsToSeconds is not `micros / 1e6`.
    assert.notEqual(1755545702020018 / 1e6, isoToEpochSeconds("2025-08-18T19:35:02.020018Z"));
    assert.equal(microsToSeconds(1755545702020018), 1755545702.0200179);
  });

  test("accepts T or space, optional seconds and 1-9 fraction digits, Z and ±HH[:MM]; naive is UTC", () => {
    const base = 1756684800; // 2025-09-01T00:00:00Z
    assert.equal(isoToEpochSeconds("2025-09-01T00:00"), base);
    assert.equal(isoToEpochSeconds("2025-09-01 00:00"), base);
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00"), base);
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00Z"), base);
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:01.5"), base + 1.5);
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:01.881Z"), microsToSeconds((base + 1) * 1e6 + 881_000));
    assert.equal(isoToEpochSeconds("2025-09-01T02:30:00+02:30"), base);
    assert.equal(isoToEpochSeconds("2025-08-31T19:00:00-05"), base);
    assert.equal(isoToEpochSeconds("  2025-09-01T00:00Z  "), base);
  });

  test("rounds 7-9 fraction digits to the microsecond, half to even like PostgreSQL", () => {
    const base = 1756684800;
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00.0000004"), base);
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00.0000006"), microsToSeconds(base * 1e6 + 1));
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00.0000005"), base); // 0 is even
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00.0000015"), microsToSeconds(base * 1e6 + 2)); // 1 -> 2
    assert.equal(isoToEpochSeconds("2025-09-01T00:00:00.999999999"), base + 1);
  });

  test("handles leap days, the epoch and dates before 1970", () => {
    assert.equal(isoToEpochSeconds("1970-01-01T00:00Z"), 0);
    assert.equal(isoToEpochSeconds("2024-02-29T12:00Z"), 1709208000);
    assert.equal(isoToEpochSeconds("2000-02-29T00:00Z"), 951782400);
    assert.equal(isoToEpochSeconds("1900-01-01T00:00Z"), -2208988800);
  });

  test("a date alone is midnight, as in PostgreSQL", () => {
    assert.equal(isoToEpochSeconds("2025-09-01"), 1756684800);
    assert.equal(isoToEpochSeconds("2025-09-01+02:00"), 1756684800 - 7200);
  });

  test("InputError naming the text for anything else", () => {
    const bad = [
      "2025-09-01T00", // no minutes
      "yesterday",
      "2025-13-01T00:00",
      "2025-02-29T00:00", // 2025 is not a leap year
      "1900-02-29T00:00", // 1900 is not a leap year
      "2025-09-01T24:00",
      "2025-09-01T00:60",
      "2025-09-01T00:00:60",
      "2025-09-01T00:00:00.",
      "2025-09-01T00:00:00.1234567890",
      "2025-09-01T00:00+0200",
      "2025-09-01T00:00+02:00Z",
      "2025-09-01T00:00z",
      "2025-9-1T00:00",
      "",
    ];
    for (const text of bad) {
      assert.throws(
        () => isoToEpochSeconds(text),
        (error: unknown) => error instanceof InputError && error.message.includes(JSON.stringify(text)),
        text,
      );
    }
  });
});

describe("epochSecondsToIso", () => {
  test("6 fractional digits; Z only for timestamptz", () => {
    assert.equal(epochSecondsToIso(1756684801.881, "timestamptz"), "2025-09-01T00:00:01.881000Z");
    assert.equal(epochSecondsToIso(1756684801.881, "timestamp"), "2025-09-01T00:00:01.881000");
    assert.equal(epochSecondsToIso(0, "timestamptz"), "1970-01-01T00:00:00.000000Z");
    assert.equal(epochSecondsToIso(-0.000001, "timestamptz"), "1969-12-31T23:59:59.999999Z");
    assert.equal(epochSecondsToIso(1709208000, "timestamp"), "2024-02-29T12:00:00.000000");
  });

  test("rounds to the nearest microsecond", () => {
    assert.equal(epochSecondsToIso(1756684800.0000004, "timestamptz"), "2025-09-01T00:00:00.000000Z");
    assert.equal(epochSecondsToIso(1756684800.0000006, "timestamptz"), "2025-09-01T00:00:00.000001Z");
    assert.equal(epochSecondsToIso(1756684800.9999996, "timestamptz"), "2025-09-01T00:00:01.000000Z");
    assert.equal(epochSecondsToIso(1755545702.0200179, "timestamptz"), "2025-08-18T19:35:02.020018Z");
  });

  test("round-trips every pinned pandas value and random microsecond instants", () => {
    for (const [text, seconds] of PANDAS) {
      assert.equal(isoToEpochSeconds(epochSecondsToIso(seconds, "timestamptz")), seconds, text);
    }
    let state = 12345;
    for (let i = 0; i < 20_000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const micros = Math.floor((state / 2 ** 32) * 4.1e15) - 1e14; // 1966..2099
      const seconds = microsToSeconds(micros);
      const iso = epochSecondsToIso(seconds, "timestamptz");
      assert.equal(isoToEpochSeconds(iso), seconds, iso);
      assert.equal(iso.length, 27);
    }
  });

  test("rejects non-finite seconds", () => {
    assert.throws(() => epochSecondsToIso(Number.NaN, "timestamptz"), RangeError);
    assert.throws(() => epochSecondsToIso(Number.POSITIVE_INFINITY, "timestamp"), RangeError);
  });
});
