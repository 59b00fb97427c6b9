/**
 * Labels feed training (issue 17, item 5) on a real PostgreSQL server: train on the demo window, replay the
 * held-out part to create incidents, label the longest one `fault`, then retrain on a window that covers it.
 * The retrain leaves exactly the table's rows inside that incident out (log, summary, meta.yaml say how many),
 * its thresholds differ from the same retrain before the label, a retrain with no labelled incident matches
 * the plain one, and compute.mode database refuses in one line with nothing registered. A `model.type: auto`
 * retraining whose validation part holds a labelled fault and a labelled false alarm records them in
 * selection.json (`labelled`, per candidate and for the default) and in its summary line; without labels, no key.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { load } from "js-yaml";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { labelledFaultSpans } from "../lib/scoring/labelledFaults";
import { ROOT, runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-labels-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A demo config of its own registry; `trainEnd` replaces data.train_end, `extra` is appended. */
function demoConfig(name: string, trainEnd: string | null, extra = ""): string {
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  let text = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8")
    .replace("url_env: DB_URL", "url_env: LABELS_DB_URL")
    .replace("enabled: true", "enabled: false")
    .replace(/root_dir: .*/, `root_dir: ${join(folder, "registry")}`);
  if (trainEnd !== null) text = text.replace(/train_end: "[^"]*"/, `train_end: "${trainEnd}"`);
  const path = join(folder, "config.yaml");
  writeFileSync(path, `${text}\nscoring:\n  events_table: lab_events\n  incidents_table: lab_incidents\n${extra}`);
  return path;
}

function versionDir(configPath: string, stdout: string): string {
  const version = /^Version: (\S+)$/m.exec(stdout)?.[1];
  assert.ok(version !== undefined, stdout);
  return join(configPath, "..", "registry", version);
}

function json(path: string): any {
  return JSON.parse(readFileSync(path, "utf8"));
}

test("rows inside an incident labelled fault are left out of a retraining: other thresholds, counted in log and meta.yaml", async () => {
  const url = (await sharedPostgres()).url;
  const env: NodeJS.ProcessEnv = { ...process.env, LABELS_DB_URL: url, TZ: "America/New_York" };
  process.env.LABELS_DB_URL = url;
  const first = demoConfig("first", null);
  const wide = demoConfig("wide", "2022-10-18T10:30:00Z");
  const db = await connect(loadConfig(first).database);
  try {
    for (const table of ["lab_events", "lab_events_checkpoints", "lab_incidents", "lab_incidents_silences"]) await sql`drop table if exists ${sql.id(table)}`.execute(db);
    await seedDemoTables(db, generateDemoData(), { tables: "wide", replace: true });
    assert.deepEqual(await labelledFaultSpans(db, "lab_incidents", "stream_samples_wide"), [], "no incidents table: no spans");

    const trained = runCli(["--config", first, "--quiet"], { env });
    assert.equal(trained.status, 0, trained.stderr);
    // Before any incident exists, the wide window trains as always: no line, no meta key.
    const plain = runCli(["--config", wide], { env });
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout + plain.stderr, /labelled fault/);
    const plainDir = versionDir(wide, plain.stdout);
    assert.equal((load(readFileSync(join(plainDir, "meta.yaml"), "utf8")) as any).rows.labelled_fault_excluded, undefined);

    const replay = runCli(["score", "--config", first], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const incidents = (await sql<{ id: string; seconds: number }>`select id, extract(epoch from closed_at - opened_at)::float8 as seconds
      from lab_incidents where closed_at is not null order by closed_at - opened_at desc, id`.execute(db)).rows;
    assert.ok(incidents.length > 0, "the replay opened incidents");
    // Incidents, none labelled fault: still nothing changes.
    const unlabelled = runCli(["--config", wide], { env });
    assert.equal(unlabelled.status, 0, unlabelled.stderr);
    assert.doesNotMatch(unlabelled.stdout + unlabelled.stderr, /labelled fault/);
    const unlabelledDir = versionDir(wide, unlabelled.stdout);
    assert.deepEqual(json(join(unlabelledDir, "thresholds.json")), json(join(plainDir, "thresholds.json")));

    const id = incidents[0].id;
    const labelled = runCli(["incidents", "label", id, "fault", "--note", "bearing", "--config", first], { env });
    assert.equal(labelled.status, 0, labelled.stderr);
    const [{ count }] = (await sql<{ count: string }>`select count(*) as count from stream_samples_wide s, lab_incidents i
      where i.id = ${id} and s.ts >= i.opened_at and s.ts <= i.closed_at`.execute(db)).rows;
    const inside = Number(count);
    assert.ok(inside > 0, "the labelled incident covers rows of the table");

    const retrained = runCli(["--config", wide], { env });
    assert.equal(retrained.status, 0, retrained.stderr);
    assert.match(retrained.stdout + retrained.stderr, new RegExp(`left out ${inside} rows inside 1 incident\\(s\\) labelled fault \\(of \\d+ extracted\\)`));
    assert.match(retrained.stdout, new RegExp(`^Labelled faults: ${inside} rows left out of fitting and thresholds \\(1 incident labelled fault\\)$`, "m"));
    const dir = versionDir(wide, retrained.stdout);
    const meta = load(readFileSync(join(dir, "meta.yaml"), "utf8")) as any;
    const plainMeta = load(readFileSync(join(plainDir, "meta.yaml"), "utf8")) as any;
    assert.equal(meta.rows.labelled_fault_excluded, inside);
    assert.equal(meta.rows.labelled_fault_incidents, 1);
    assert.equal(meta.rows.raw, plainMeta.rows.raw, "raw counts the extracted rows");
    assert.equal(meta.rows.train, plainMeta.rows.train - inside);
    const withLabel = json(join(dir, "thresholds.json"));
    const without = json(join(plainDir, "thresholds.json"));
    assert.notDeepEqual(withLabel, without, "the thresholds differ once the fault's rows are left out");
    console.log(`left out ${inside} rows; axis1 MaxC ${without.axis1?.MaxC} → ${withLabel.axis1?.MaxC}`);

    // compute.mode database does not leave them out: it refuses, one line, nothing registered.
    const inDatabase = demoConfig("indb", "2022-10-18T10:30:00Z", "compute:\n  mode: database\n");
    const refused = runCli(["--config", inDatabase], { env });
    assert.equal(refused.status, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`^error: compute.mode database \\(.*\\) cannot leave out the rows of 1 incident\\(s\\) labelled fault in lab_incidents \\(first ${id}\\)`));
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    const registry = join(inDatabase, "..", "registry");
    assert.ok(!existsSync(registry) || readdirSync(registry).filter((name) => /^v\d+$/.test(name)).length === 0);
    // The demo window ends before the incident: database mode trains as before.
    const before = demoConfig("indb-before", null, "compute:\n  mode: database\n");
    const allowed = runCli(["--config", before, "--quiet"], { env });
    assert.equal(allowed.status, 0, allowed.stderr);
  } finally {
    await db.destroy();
  }
});

test("model.type auto over a labelled fault and a labelled false alarm: selection.json and the summary line count them", async () => {
  const url = (await sharedPostgres()).url;
  const env: NodeJS.ProcessEnv = { ...process.env, LABELS_DB_URL: url, TZ: "America/New_York" };
  process.env.LABELS_DB_URL = url;
  const first = demoConfig("auto-first", null);
  // The whole demo data (to 10:18): its validation part (the last 20%, from about 03:25) holds the held-out replay's incidents.
  const auto = demoConfig("auto", "2022-10-18T10:30:00Z");
  writeFileSync(auto, readFileSync(auto, "utf8").replace(/^model:\n  type: linear/m, "model:\n  type: auto"));
  assert.match(readFileSync(auto, "utf8"), /^  type: auto/m);
  const db = await connect(loadConfig(first).database);
  try {
    for (const table of ["lab_events", "lab_events_checkpoints", "lab_incidents", "lab_incidents_silences"]) await sql`drop table if exists ${sql.id(table)}`.execute(db);
    await seedDemoTables(db, generateDemoData(), { tables: "wide", replace: true });
    assert.equal(runCli(["--config", first, "--quiet"], { env }).status, 0);
    const replay = runCli(["score", "--config", first], { env });
    assert.equal(replay.status, 0, replay.stderr);
    const plain = runCli(["--config", auto], { env });
    assert.equal(plain.status, 0, plain.stderr);
    const plainSelection = json(join(versionDir(auto, plain.stdout), "selection.json"));
    assert.equal(plainSelection.default.labelled, undefined, "no label: no key");
    assert.doesNotMatch(plain.stdout, /labelled in the validation part/);

    const incidents = (await sql<{ id: string }>`select id from lab_incidents where closed_at is not null order by closed_at - opened_at desc, id`.execute(db)).rows;
    assert.ok(incidents.length >= 2, `the replay opened ${incidents.length} incidents`);
    const [fault, falseAlarm] = [incidents[0].id, incidents[1].id];
    assert.equal(runCli(["incidents", "label", fault, "fault", "--config", first], { env }).status, 0);
    assert.equal(runCli(["incidents", "label", falseAlarm, "false_alarm", "--config", first], { env }).status, 0);

    const retrained = runCli(["--config", auto], { env });
    assert.equal(retrained.status, 0, retrained.stderr);
    const selection = json(join(versionDir(auto, retrained.stdout), "selection.json"));
    const labelled = selection.default.labelled;
    assert.equal(labelled.faults, 1);
    assert.equal(labelled.false_alarm_incidents, 1);
    // Both incidents were opened by the default rule's alerts: it alerts on them again here.
    assert.equal(labelled.faults_caught, 1, JSON.stringify(labelled));
    assert.equal(labelled.false_alarm_incidents_alerted, 1, JSON.stringify(labelled));
    assert.equal(selection.candidates.length, plainSelection.candidates.length);
    for (const candidate of selection.candidates) {
      if (candidate.minc_percentile === null) assert.equal(candidate.labelled, null);
      else {
        assert.equal(candidate.labelled.faults, 1, candidate.model);
        assert.equal(candidate.labelled.false_alarm_incidents, 1, candidate.model);
        assert.ok(candidate.labelled.faults_caught <= 1 && candidate.labelled.false_alarm_incidents_alerted <= 1);
      }
    }
    const chosen = selection.candidates.find((c: any) => c.model === selection.chosen.model && c.statistic === selection.chosen.statistic);
    const phrase = `labelled in the validation part: 1 fault, 1 false alarm; chosen caught ${chosen.labelled.faults_caught}/1, alerted on ${chosen.labelled.false_alarm_incidents_alerted}/1; default caught 1/1, alerted on 1/1`;
    assert.ok((retrained.stdout + retrained.stderr).includes(phrase), retrained.stdout);
    console.log(`chose ${selection.chosen.model} + ${selection.chosen.statistic}; ${phrase}; ` +
      selection.candidates.map((c: any) => `${c.model}+${c.statistic}: ${c.labelled === null ? "unmatched" : `${c.labelled.faults_caught}/1, ${c.labelled.false_alarm_incidents_alerted}/1`}`).join(", "));
  } finally {
    await db.destroy();
  }
});
