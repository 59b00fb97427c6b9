/**
 * Exact conversions between epoch seconds and ISO-8601 text.
 *
 * PostgreSQL stores timestamps as integer microseconds; pandas holds them as
 * int64 nanoseconds and turns them into float seconds as `float64(ns) / 1e9`.
 * Neither function goes through JS `Date` (milliseconds only): both work on
 * exact integer microseconds, and seconds are produced the way pandas does
 * (see {@link microsToSeconds}), so they equal pandas' float seconds bit for bit
 * and `epochSecondsToIso` recovers the exact microsecond from them.
 */
import { InputError } from "./errors";

const US_PER_SECOND = 1_000_000;
const US_PER_DAY = 86_400 * US_PER_SECOND;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of {@link daysFromCivil}. */
function civilFromDays(days: number): { readonly year: number; readonly month: number; readonly day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/**
 * Integer microseconds of epoch `seconds`, rounded to the nearest microsecond.
 * The integer and fractional parts are scaled separately, so the result is
 * exact for every double that is within half a microsecond of a whole one.
 */
export function secondsToMicros(seconds: number): number {
  const whole = Math.floor(seconds);
  return whole * US_PER_SECOND + Math.round((seconds - whole) * US_PER_SECOND);
}

/**
 * Float epoch seconds of integer epoch microseconds, computed exactly like
 * pandas/numpy: `float64(int64 nanoseconds) / 1e9`. (`micros * 1000` rounds
 * the exact nanosecond count to the nearest double just as numpy's int64 →
 * float64 cast does.) Note this differs from `micros / 1e6`, the correctly
 * rounded value, in the last bit for about a quarter of all instants.
 * @param micros integer microseconds since the epoch (|micros| < 2^53)
 * @returns seconds since the epoch as pandas computes them
 */
export function microsToSeconds(micros: number): number {
  return (micros * 1000) / 1e9;
}

/**
 * Formats epoch seconds as ISO-8601 with exactly 6 fractional digits, rounded
 * to the nearest microsecond: `2025-09-01T00:00:01.881000Z` for `timestamptz`,
 * `2025-09-01T00:00:01.881000` (UTC wall time, no zone) for `timestamp`.
 * @param seconds seconds since 1970-01-01T00:00:00Z (finite; years 0000–9999)
 * @param timeType which PostgreSQL type the text stands for
 * @returns the ISO text
 * @throws RangeError when `seconds` is not finite or outside years 0000–9999
 */
export function epochSecondsToIso(seconds: number, timeType: "timestamp" | "timestamptz"): string {
  if (!Number.isFinite(seconds)) throw new RangeError(`cannot format ${seconds} seconds as a timestamp`);
  const micros = secondsToMicros(seconds);
  const days = Math.floor(micros / US_PER_DAY);
  const inDay = micros - days * US_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  if (year < 0 || year > 9999) throw new RangeError(`${seconds} seconds is outside years 0000-9999`);
  const secondOfDay = Math.floor(inDay / US_PER_SECOND);
  const fraction = inDay - secondOfDay * US_PER_SECOND;
  const hh = Math.floor(secondOfDay / 3600);
  const mm = Math.floor((secondOfDay % 3600) / 60);
  const ss = secondOfDay % 60;
  const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(fraction, 6)}`;
  return timeType === "timestamptz" ? `${text}Z` : text;
}

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:(Z)|([+-])(\d{2})(?::(\d{2}))?)?$/;

/**
 * Integer microseconds of a fraction's digits (1–9 of them), rounded half to
 * even beyond 6 digits like PostgreSQL's timestamp input.
 */
function fractionToMicros(digits: string): number {
  const padded = digits.padEnd(9, "0");
  const micros = Number(padded.slice(0, 6));
  const rest = Number(padded.slice(6)); // 0..999 nanoseconds
  if (rest > 500 || (rest === 500 && micros % 2 === 1)) return micros + 1;
  return micros;
}

/**
 * Parses ISO-8601 text to epoch seconds: `YYYY-MM-DD[[T ]HH:MM[:SS[.f{1,9}]]][Z|±HH[:MM]]`
 * (a date alone is midnight).
 * Text without a zone is UTC. The instant is computed in exact integer
 * microseconds (more than 6 fractional digits round half to even, as
 * PostgreSQL's timestamp input does), then converted like pandas'
 * int64-ns / 1e9 (see {@link microsToSeconds}).
 * @param text the timestamp text (surrounding spaces are ignored)
 * @returns seconds since 1970-01-01T00:00:00Z
 * @throws InputError naming `text` when it is not such a timestamp or names an impossible date/time
 */
export function isoToEpochSeconds(text: string): number {
  const trimmed = typeof text === "string" ? text.trim() : "";
  const match = ISO_PATTERN.exec(trimmed);
  const invalid = (why: string): InputError =>
    new InputError(`invalid timestamp ${JSON.stringify(text)}: ${why}`);
  if (!match) throw invalid("expected YYYY-MM-DD[[T ]HH:MM[:SS[.ffffff]]][Z|±HH[:MM]]");
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12) throw invalid(`month ${mo} is not 01-12`);
  if (day < 1 || day > daysInMonth(year, month)) throw invalid(`day ${d} does not exist in ${y}-${mo}`);
  if (hour > 23) throw invalid(`hour ${h} is not 00-23`);
  if (minute > 59) throw invalid(`minute ${mi} is not 00-59`);
  if (second > 59) throw invalid(`second ${s} is not 00-59`);
  let offsetMinutes = 0;
  if (zulu === undefined && sign !== undefined) {
    const offH = Number(oh);
    const offM = om === undefined ? 0 : Number(om);
    if (offH > 15 || offM > 59) throw invalid(`zone offset ${sign}${oh}${om === undefined ? "" : `:${om}`} is out of range`);
    offsetMinutes = (sign === "-" ? -1 : 1) * (offH * 60 + offM);
  }
  const wallSeconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const micros = BigInt(wallSeconds) * 1_000_000n + BigInt(frac === undefined ? 0 : fractionToMicros(frac));
  // float64(int64 ns) / 1e9, exact for any year (micros may exceed 2^53 here).
  return Number(micros * 1000n) / 1e9;
}
