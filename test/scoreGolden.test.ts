/**
 * Golden replay of the real robot export (test/fixtures/RMBR4-2_export_test.csv, 39,672 rows × 8 axes):
 * train on the first 80% by time (window ends 2022-10-18T06:18:17.080Z), score the rest with
 * `npm start -- score`, and check every event against an independent whole-array computation from
 * the registered files — through a real PostgreSQL server and the embedded database.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import * as yaml from "js-yaml";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { ensureEmbeddedDatabase } from "../lib/db/embeddedSeed";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";
import { referenceEvents, type ReferenceAxis } from "./support/scoreReference";

const work = mkdtempSync(join(tmpdir(), "mlbox-score-golden-"));
after(() => rmSync(work, { recursive: true, force: true }));

const TRAIN_END = "2022-10-18T06:18:17.080Z";
const AXES = ["axis_1", "axis_2", "axis_3", "axis_4", "axis_5", "axis_6", "axis_7", "axis_8"];
const records = parse(readFileSync(join(__dirname, "fixtures", "RMBR4-2_export_test.csv")), { columns: true }) as Record<string, string>[];
/** "2022-10-17 12:18:23.660000+00:00" → epoch seconds as pandas computes them: float(int64 ns) / 1e9. */
const seconds = (text: string): number => Number(BigInt(Date.parse(text.replace(" ", "T"))) * 1_000_000n) / 1e9;
/** Epoch seconds (millisecond data) → ISO-8601 with microseconds, as events report timestamptz. */
const iso = (s: number): string => new Date(Math.round(s * 1000)).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

async function loadRobot(db: Kysely<any>): Promise<void> {
  const columns = sql.join([sql`recorded_at timestamptz not null`, ...AXES.map((axis) => sql`${sql.id(axis)} double precision`)]);
  await sql`create table robot (${columns})`.execute(db);
  const arrays = AXES.map((axis) => sql`${records.map((r) => Number(r[axis]))}::double precision[]`);
  await sql`insert into robot (${sql.join([sql.id("recorded_at"), ...AXES.map((a) => sql.id(a))])})
    select * from unnest(${records.map((r) => r.recorded_at)}::timestamptz[], ${sql.join(arrays)})`.execute(db);
}

function writeConfig(name: string, urlEnv: string): string {
  const folder = join(work, name);
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, yaml.dump({
    database: { url_env: urlEnv, embedded_dir: join(folder, "pglite") },
    data: { table: "robot", time_col: "recorded_at", axes: AXES, train_start: "2022-10-17T00:00:00Z", train_end: TRAIN_END },
    registry: { root_dir: join(folder, "registry") },
    plots: { enabled: false },
  }));
  return path;
}

/** Events an independent computation expects from the registered version's files. */
function expectedEvents(registry: string): Record<string, unknown>[] {
  const dir = join(registry, "latest");
  const models = JSON.parse(readFileSync(join(dir, "models.json"), "utf8"));
  const thresholds = JSON.parse(readFileSync(join(dir, "thresholds.json"), "utf8"));
  const prep = JSON.parse(readFileSync(join(dir, "prep_stats.json"), "utf8"));
  const axes: ReferenceAxis[] = AXES.map((axis) => {
    const model = models.axes[axis];
    return { axis, coef: model.coef, intercept: model.intercept, ...thresholds[axis] };
  });
  const end = seconds(TRAIN_END);
  const rows = records.map((r) => ({ t: seconds(r.recorded_at), v: AXES.map((a) => Number(r[a])) })).filter((row) => row.t >= end);
  const time = Float64Array.from(rows, (row) => row.t);
  const values = AXES.map((_, a) => Float64Array.from(rows, (row) => row.v[a]));
  return referenceEvents(time, values, axes, prep.time0).map((e) => ({
    ...e,
    started_at: iso(e.started_at),
    fired_at: iso(e.fired_at),
    ended_at: e.ended_at === null ? null : iso(e.ended_at),
    model_version: "v1",
    stream: "robot",
  }));
}

const key = (e: Record<string, unknown>): string => `${AXES.indexOf(String(e.axis)).toString().padStart(2)}|${e.level}|${e.started_at}`;
const sorted = (events: Record<string, unknown>[]): Record<string, unknown>[] => [...events].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

for (const backend of ["postgres", "embedded"] as const) {
  test(`robot export on ${backend}: train on the first 80%, score the rest, events equal an independent computation`, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TZ: "America/New_York" };
    let db: Kysely<any>;
    const config = writeConfig(backend, "ROBOT_DB_URL");
    if (backend === "postgres") {
      const server = await sharedPostgres();
      env.ROBOT_DB_URL = server.url;
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: server.url, max: 1 }) }) });
      await sql`drop table if exists robot`.execute(db);
      await sql`drop table if exists mlbox_events`.execute(db);
      await loadRobot(db);
      await db.destroy();
    } else {
      delete env.ROBOT_DB_URL;
      await ensureEmbeddedDatabase(join(work, backend, "pglite"), loadRobot);
    }
    const trained = runCli(["--config", config, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /Raw shape: \(31736, 9\)/);

    const eventsFile = join(work, `${backend}.jsonl`);
    const scored = runCli(["score", "--config", config, "--events", eventsFile], { env });
    assert.equal(scored.status, 0, scored.stderr);
    assert.match(scored.stdout, /Scored: 7936 rows from 2022-10-18T06:18:17\.080000Z to 2022-10-18T10:44:58\.628000Z/);
    const expected = expectedEvents(join(work, backend, "registry"));
    assert.equal(expected.length, 31); // 20 alerts, 11 errors: pinned, so a change in the data or the rules shows
    const written = readFileSync(eventsFile, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(sorted(written), sorted(expected));
    assert.match(scored.stdout, new RegExp(`Events: ${expected.length} \\(`));
  });
}
