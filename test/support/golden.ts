/** The golden parity cases (produced by the Python reference pipeline) and loading them into a database. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import * as yaml from "js-yaml";
import { sql, type Kysely } from "kysely";

export const GOLDEN_DIR = join(__dirname, "..", "fixtures", "golden");

export interface GoldenExpected {
  readonly raw_shape: readonly [number, number];
  readonly train_shape: readonly [number, number];
  readonly time0: number;
  readonly metrics: ReadonlyArray<{ axis: string; r2: number; mae: number; rmse: number }>;
  readonly thresholds: Readonly<
    Record<string, { MinC: number; MaxC: number; T_long_steps: number; T_short_steps: number; dt_seconds: number; method: string }>
  >;
}

export interface GoldenCase {
  readonly name: string;
  readonly layout: "wide" | "long";
  readonly timeType: "float" | "timestamptz";
  /** The case's `data`, `prep` and `thresholds` blocks (no table name). */
  readonly config: { data: Record<string, unknown>; prep: Record<string, unknown>; thresholds: Record<string, unknown> };
  readonly expected: GoldenExpected;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR)
    .sort()
    .map((name) => {
      const folder = join(GOLDEN_DIR, name);
      const meta = yaml.load(readFileSync(join(folder, "case.yaml"), "utf8")) as Record<string, any>;
      const lines = readFileSync(join(folder, "data.csv"), "utf8").trim().split(/\r?\n/);
      return {
        name,
        layout: meta.layout,
        timeType: meta.time_type,
        config: meta.config,
        expected: JSON.parse(readFileSync(join(folder, "expected.json"), "utf8")),
        header: lines[0].split(","),
        rows: lines.slice(1).map((line) => line.split(",")),
      };
    });
}

const number = (text: string): number | null => (text === "" ? null : Number(text));

/** Creates `table` holding the case's rows, with the column types the reference used. */
export async function loadGoldenCase(db: Kysely<any>, golden: GoldenCase, table: string): Promise<void> {
  const timeType = golden.timeType === "timestamptz" ? sql`timestamptz` : sql`double precision`;
  const timeArray = golden.timeType === "timestamptz" ? sql`timestamptz[]` : sql`double precision[]`;
  const time = golden.rows.map((row) => (golden.timeType === "timestamptz" ? row[0] : number(row[0])));
  await sql`drop table if exists ${sql.table(table)}`.execute(db);
  if (golden.layout === "long") {
    await sql`create table ${sql.table(table)} (ts ${timeType} not null, axis_id integer not null, value double precision)`.execute(db);
    await sql`insert into ${sql.table(table)} (ts, axis_id, value)
      select * from unnest(${time}::${timeArray}, ${golden.rows.map((r) => Number(r[1]))}::integer[], ${golden.rows.map((r) => number(r[2]))}::double precision[])`.execute(db);
    return;
  }
  const axes = golden.header.slice(1);
  const columns = sql.join([sql`ts ${timeType} not null`, ...axes.map((axis) => sql`${sql.id(axis)} double precision`)]);
  await sql`create table ${sql.table(table)} (${columns})`.execute(db);
  const arrays = axes.map((_, i) => sql`${golden.rows.map((r) => number(r[i + 1]))}::double precision[]`);
  await sql`insert into ${sql.table(table)} (${sql.join([sql.id("ts"), ...axes.map((a) => sql.id(a))])})
    select * from unnest(${time}::${timeArray}, ${sql.join(arrays)})`.execute(db);
}

/** A config.yaml text running `golden` from `table`. */
export function goldenConfigYaml(golden: GoldenCase, table: string, extra: { urlEnv: string; embeddedDir: string; rootDir: string; plotsDir: string }): string {
  return yaml.dump({
    database: { url_env: extra.urlEnv, embedded_dir: extra.embeddedDir },
    data: { table, ...golden.config.data },
    prep: golden.config.prep,
    model: { type: "linear" },
    thresholds: golden.config.thresholds,
    registry: { root_dir: extra.rootDir, version_tag: "auto" },
    plots: { enabled: false, dir: extra.plotsDir },
  });
}

function assertClose(actual: number, expected: number, what: string): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  const relative = actual === expected ? 0 : Math.abs(actual - expected) / scale;
  assert.ok(relative <= 1e-9, `${what}: got ${actual}, expected ${expected} (relative error ${relative})`);
}

/**
 * Checks a registered version folder against the case's expected.json: floats
 * to a relative 1e-9, integers exactly; with the CLI's `stdout`, its raw shape line too.
 */
export function assertGoldenVersion(golden: GoldenCase, dir: string, stdout?: string): void {
  const expected = golden.expected;
  const thresholds = JSON.parse(readFileSync(join(dir, "thresholds.json"), "utf8"));
  assert.deepEqual(Object.keys(thresholds), Object.keys(expected.thresholds));
  for (const [axis, want] of Object.entries(expected.thresholds)) {
    const got = thresholds[axis];
    assertClose(got.MinC, want.MinC, `${golden.name} ${axis} MinC`);
    assertClose(got.MaxC, want.MaxC, `${golden.name} ${axis} MaxC`);
    assertClose(got.dt_seconds, want.dt_seconds, `${golden.name} ${axis} dt_seconds`);
    assert.equal(got.T_long_steps, want.T_long_steps, `${golden.name} ${axis} T_long_steps`);
    assert.equal(got.T_short_steps, want.T_short_steps, `${golden.name} ${axis} T_short_steps`);
    assert.equal(got.meta.method, want.method, `${golden.name} ${axis} method`);
  }

  const [header, ...rows] = readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n");
  assert.deepEqual(header.split(",").slice(0, 4), ["axis", "r2", "mae", "rmse"]);
  assert.equal(rows.length, expected.metrics.length);
  expected.metrics.forEach((want, i) => {
    const [axis, r2, mae, rmse] = rows[i].split(",");
    assert.equal(axis, want.axis);
    assertClose(Number(r2), want.r2, `${golden.name} ${axis} r2`);
    assertClose(Number(mae), want.mae, `${golden.name} ${axis} mae`);
    assertClose(Number(rmse), want.rmse, `${golden.name} ${axis} rmse`);
  });

  const prep = JSON.parse(readFileSync(join(dir, "prep_stats.json"), "utf8"));
  assertClose(prep.time0, expected.time0, `${golden.name} time0`);
  const meta = yaml.load(readFileSync(join(dir, "meta.yaml"), "utf8")) as { rows: { raw: number; train: number } };
  const columns = expected.raw_shape[1];
  assert.deepEqual([meta.rows.raw, columns], expected.raw_shape, `${golden.name} raw_shape`);
  assert.deepEqual([meta.rows.train, columns], expected.train_shape, `${golden.name} train_shape`);
  if (stdout !== undefined) assert.match(stdout, new RegExp(`Raw shape: \\(${expected.raw_shape.join(", ")}\\)`));
}
