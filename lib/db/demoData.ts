/**
 * Deterministic synthetic robot data for the embedded demo database and
 * benchmarks.
 *
 * Modelled on a real industrial robot export (eight axis currents, ~65% exact
 * zeros while the robot idles, one sample every ~1.891 s): the robot alternates
 * idle periods (all axes exactly 0, lengths heavy-tailed like the real data)
 * with work cycles of 14–19 samples that replay one program, so each axis
 * follows a fixed per-axis waveform with its own amplitude, plus noise, a slow
 * upward drift over the whole span and occasional sustained fault bursts
 * (positive excursions lasting several samples). Everything comes from one
 * seeded PRNG (mulberry32), so the same options give bit-identical arrays.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { seededRandom } from "../stats/seededRandom";
import { epochSecondsToIso, isoToEpochSeconds, microsToSeconds } from "../core/time";

/** Options of {@link generateDemoData}; every field is optional. */
export interface DemoDataOptions {
  /** Number of samples (rows of the WIDE table); default 40,000. */
  readonly samples?: number;
  /** PRNG seed (any 32-bit integer); default 20221017. */
  readonly seed?: number;
  /** Time of the first sample, ISO-8601; default `2022-10-17T12:00:00Z`. */
  readonly start?: string;
  /** Median sampling interval in milliseconds; default 1891. */
  readonly intervalMs?: number;
}

/** Generated demo data: one time column and one Float64Array per axis. */
export interface DemoData {
  /** WIDE column names, `axis1`..`axis8`. */
  readonly axes: readonly string[];
  /** LONG axis ids, 1..8 (`axisIds[k]` is the id of `axes[k]`). */
  readonly axisIds: readonly number[];
  /** Exact epoch microseconds of each sample (whole milliseconds), ascending. */
  readonly micros: Float64Array;
  /** Epoch seconds of each sample as pandas computes them (see `microsToSeconds`). */
  readonly time: Float64Array;
  /** One column per axis; values are rounded to 3 decimals, idle samples are exactly 0. */
  readonly values: readonly Float64Array[];
}

/** Number of axes of the demo robot. */
const AXES = 8;
/** Mean current of each axis while working (from the real export). */
const AXIS_MEAN = [2.1, 10.4, 7.8, 1.8, 2.7, 1.7, 2.5, 0.3] as const;
/** Relative drift of each axis over the whole span (slow upward trend). */
const AXIS_DRIFT = [0.06, 0.04, 0.08, 0.1, 0.05, 0.12, 0.07, 0.09] as const;
/** Longest work cycle, in samples. */
const MAX_CYCLE = 19;
/** Probability, per working sample and axis, that a fault burst starts. */
const FAULT_RATE = 1 / 1500;


/** Integer in [lo, hi]. */
function randInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Length of the next idle period: mostly ~10 samples, sometimes minutes, rarely a long pause. */
function idleLength(random: () => number): number {
  const u = random();
  if (u < 0.8) return randInt(random, 6, 14);
  if (u < 0.95) return randInt(random, 15, 60);
  return randInt(random, 100, 500);
}

/** Milliseconds to the next sample: ±60 ms jitter, occasional gaps like the real export. */
function stepMs(random: () => number, intervalMs: number): number {
  const u = random();
  if (u < 0.0002) return randInt(random, 60_000, 400_000);
  if (u < 0.005) return randInt(random, 4_000, 12_000);
  return intervalMs + randInt(random, -30, 30) + randInt(random, -30, 30);
}

/**
 * Generates the demo robot data.
 * @param options `samples` (default 40,000), `seed` (default 20221017),
 *   `start` (default `2022-10-17T12:00:00Z`), `intervalMs` (default 1891)
 * @returns time and eight value columns as typed arrays
 */
export function generateDemoData(options: DemoDataOptions = {}): DemoData {
  const { samples = 40_000, seed = 20_221_017, start = "2022-10-17T12:00:00Z", intervalMs = 1891 } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const random = seededRandom(seed);
  const micros = new Float64Array(samples);
  const time = new Float64Array(samples);
  const values = Array.from({ length: AXES }, () => new Float64Array(samples));

  // The program: one waveform per axis over a cycle, with a few positions where an axis rests (exact 0).
  const waveform = Array.from({ length: AXES }, (_, k) => {
    const shape = new Float64Array(MAX_CYCLE);
    for (let p = 0; p < MAX_CYCLE; p++) {
      shape[p] = random() < 0.04 ? 0 : AXIS_MEAN[k] * (0.15 + 1.7 * random());
    }
    return shape;
  });

  let ms = Math.round(isoToEpochSeconds(start) * 1000);
  const firstMs = ms;
  // Time axis first: the drift needs the total span.
  for (let i = 0; i < samples; i++) {
    micros[i] = ms * 1000;
    time[i] = microsToSeconds(micros[i]);
    ms += stepMs(random, intervalMs);
  }
  const spanMs = Math.max(1, micros[samples - 1] / 1000 - firstMs);

  const faultLeft = new Int32Array(AXES);
  const faultSize = new Float64Array(AXES);
  let i = 0;
  let working = random() < 0.5;
  while (i < samples) {
    if (!working) {
      i += idleLength(random); // values stay exactly 0
      working = true;
      continue;
    }
    const cycle = randInt(random, 14, MAX_CYCLE);
    for (let p = 0; p < cycle && i < samples; p++, i++) {
      const progress = (micros[i] / 1000 - firstMs) / spanMs;
      for (let k = 0; k < AXES; k++) {
        const base = waveform[k][p];
        if (base === 0) continue;
        if (faultLeft[k] === 0 && random() < FAULT_RATE) {
          faultLeft[k] = randInt(random, 4, 12);
          faultSize[k] = AXIS_MEAN[k] * (0.8 + 1.6 * random());
        }
        let value = base * (1 + AXIS_DRIFT[k] * progress) * (0.85 + 0.3 * random());
        if (faultLeft[k] > 0) {
          value += faultSize[k];
          faultLeft[k]--;
        }
        values[k][i] = Math.max(0.001, Math.round(value * 1000) / 1000);
      }
    }
    faultLeft.fill(0); // a stopping robot ends any fault burst
    working = false;
  }
  return {
    axes: Array.from({ length: AXES }, (_, k) => `axis${k + 1}`),
    axisIds: Array.from({ length: AXES }, (_, k) => k + 1),
    micros,
    time,
    values,
  };
}

/** Options of {@link seedDemoTables}; every field is optional. */
export interface SeedOptions {
  /** WIDE table name; default `stream_samples_wide`. */
  readonly wideTable?: string;
  /** LONG table name; default `stream_samples`. */
  readonly longTable?: string;
  /** Which tables to create and fill; default `both`. */
  readonly tables?: "both" | "wide" | "long";
  /** Drop the tables first if they exist; default false (creating an existing table fails). */
  readonly replace?: boolean;
  /** Samples per insert statement; default 50,000. */
  readonly batchSamples?: number;
}

/** PostgreSQL array literal of numbers (shortest round-trip text, so values arrive bit-exact). */
function numberArrayLiteral(column: Float64Array, from: number, to: number): string {
  const parts = new Array<string>(to - from);
  for (let i = from; i < to; i++) parts[i - from] = String(column[i]); // "NaN", "Infinity", "-Infinity" are valid too
  return `{${parts.join(",")}}`;
}

/** PostgreSQL array literal of exact UTC timestamps. */
function timestampArrayLiteral(micros: Float64Array, from: number, to: number): string {
  const parts = new Array<string>(to - from);
  for (let i = from; i < to; i++) parts[i - from] = epochSecondsToIso(micros[i] / 1e6, "timestamptz");
  return `{${parts.join(",")}}`;
}

/**
 * Creates the demo tables and loads `data` in a few big statements
 * (`insert … select … from unnest($1::timestamptz[], $2::float8[], …)`):
 * WIDE `(ts timestamptz, axis1..axisN float8)` with an index on `ts`, and LONG
 * `(ts timestamptz, axis_id int, value float8)` with indexes on `ts` and
 * `(axis_id, ts)`; then ANALYZE. Runs in one transaction.
 * @param db a Kysely over PostgreSQL or PGlite
 * @param data from {@link generateDemoData}
 * @param options table names (defaults `stream_samples_wide`, `stream_samples`),
 *   `tables` (default `both`), `replace` (default false), `batchSamples` (default 50,000)
 */
export async function seedDemoTables(db: Kysely<any>, data: DemoData, options: SeedOptions = {}): Promise<void> {
  const { wideTable = "stream_samples_wide", longTable = "stream_samples", tables = "both", replace = false, batchSamples = 50_000 } = options;
  const wantWide = tables !== "long";
  const wantLong = tables !== "wide";
  const axisCols = data.axes.map((name) => sql.id(name));
  const n = data.micros.length;
  await db.transaction().execute(async (trx) => {
    if (replace) {
      if (wantWide) await sql`drop table if exists ${sql.id(wideTable)}`.execute(trx);
      if (wantLong) await sql`drop table if exists ${sql.id(longTable)}`.execute(trx);
    }
    if (wantWide) {
      const defs = sql.join(
        data.axes.map((name) => sql`${sql.id(name)} double precision`),
        sql`, `,
      );
      await sql`create table ${sql.id(wideTable)} (ts timestamptz not null, ${defs})`.execute(trx);
    }
    if (wantLong) {
      await sql`create table ${sql.id(longTable)} (ts timestamptz not null, axis_id integer not null, value double precision)`.execute(trx);
    }
    for (let from = 0; from < n; from += batchSamples) {
      const to = Math.min(n, from + batchSamples);
      const ts = timestampArrayLiteral(data.micros, from, to);
      const cols = data.values.map((column) => numberArrayLiteral(column, from, to));
      const unnestArgs = sql.join([sql`${ts}::timestamptz[]`, ...cols.map((c) => sql`${c}::float8[]`)], sql`, `);
      const aliases = sql.join([sql.id("ts"), ...data.axes.map((_, k) => sql.id(`v${k}`))], sql`, `);
      if (wantWide) {
        await sql`insert into ${sql.id(wideTable)} (ts, ${sql.join(axisCols, sql`, `)})
          select * from unnest(${unnestArgs}) as u(${aliases})`.execute(trx);
      }
      if (wantLong) {
        const ids = `{${data.axisIds.join(",")}}`;
        const vals = sql.join(data.axes.map((_, k) => sql.id("u", `v${k}`)), sql`, `);
        await sql`insert into ${sql.id(longTable)} (ts, axis_id, value)
          select u.ts, a.axis_id, (array[${vals}])[a.k]
          from unnest(${unnestArgs}) as u(${aliases})
          cross join unnest(${ids}::integer[]) with ordinality as a(axis_id, k)
          order by u.ts, a.k`.execute(trx);
      }
    }
    if (wantWide) {
      await sql`create index ${sql.id(`${wideTable}_ts_idx`)} on ${sql.id(wideTable)} (ts)`.execute(trx);
    }
    if (wantLong) {
      await sql`create index ${sql.id(`${longTable}_ts_idx`)} on ${sql.id(longTable)} (ts)`.execute(trx);
      await sql`create index ${sql.id(`${longTable}_axis_ts_idx`)} on ${sql.id(longTable)} (axis_id, ts)`.execute(trx);
    }
  });
  if (wantWide) await sql`analyze ${sql.id(wideTable)}`.execute(db);
  if (wantLong) await sql`analyze ${sql.id(longTable)}`.execute(db);
}
