/** The golden parity cases (produced by the Python reference pipeline) and loading them into a database. */
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
