/**
 * writeScoredStreamsOpen (lib/scoring/incidentStore.ts) on a real PostgreSQL: a group that fits one statement (its
 * events, incidents and the caller's own rows written by one statement) and one too large for it (a statement per
 * table) both write every event, silenced where a silence covers it, the incidents they open, and the caller's rows,
 * and report each incident written once; writing the same batches again changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql, type Kysely } from "kysely";
import { connect } from "../lib/db/connect";
import { ensureScoreTables } from "../lib/scoring/eventStore";
import { ensureIncidentTables, writeScoredStreamsOpen, type ScoredBatch } from "../lib/scoring/incidentStore";
import { addSilence } from "../lib/scoring/silences";
import type { ScoreEvent } from "../lib/scoring/score";
import { sharedPostgres } from "./support/postgres";

let db: Kysely<any>;

before(async () => {
  process.env.MLBOX_SCORED_WRITES_DB_URL = (await sharedPostgres()).url;
  db = await connect({ url_env: "MLBOX_SCORED_WRITES_DB_URL" } as Parameters<typeof connect>[0]);
});
after(async () => {
  await db.destroy();
});

/** `count` closed alert events of `stream` on axis `a`, 10 s apart (each 6 samples, over 1.5 above 1). */
function events(stream: string, count: number): ScoreEvent[] {
  return Array.from({ length: count }, (_, j) => ({
    axis: "a",
    level: "alert" as const,
    started_at: 10 * j,
    fired_at: 10 * j + 2,
    ended_at: 10 * j + 5,
    samples: 6,
    peak_residual: 1.5,
    threshold: 1,
    model_version: "v1",
    stream,
  }));
}

for (const [name, perStream] of [["one statement", 3], ["a statement per table", 600]] as const) {
  test(`a group written in ${name}: events, silenced flags, incidents and the caller's rows`, async () => {
    const prefix = `sw${perStream}`;
    const tables = { eventsTable: `${prefix}_events`, incidentsTable: `${prefix}_incidents`, mergeSeconds: 300 };
    for (const table of [tables.eventsTable, `${tables.eventsTable}_checkpoints`, tables.incidentsTable, `${tables.incidentsTable}_silences`, `${prefix}_own`]) {
      await sql`drop table if exists ${sql.id(table)}`.execute(db);
    }
    await ensureScoreTables(db, tables.eventsTable, "float");
    await ensureIncidentTables(db, tables.incidentsTable, "float");
    await sql`create table ${sql.id(`${prefix}_own`)} (stream text primary key, events integer not null)`.execute(db);
    // Covers the events of s1 starting before 1,000 s (the first 100), none of s2.
    await addSilence(db, tables.incidentsTable, { stream: "s1", from: "0", to: "1000", reason: "test", createdBy: "test" });
    const batches: ScoredBatch[] = ["s1", "s2"].map((stream) => ({ stream, events: events(stream, perStream), position: 10 * perStream + 1000 }));
    const own = sql`insert into ${sql.id(`${prefix}_own`)} (stream, events) values ('s1', ${perStream}), ('s2', ${perStream}) on conflict (stream) do nothing`;

    const first = await db.transaction().execute((trx) => writeScoredStreamsOpen(trx, tables, batches, own));
    const counts = await sql<{ events: string; silenced: string }>`select count(*) as events, count(*) filter (where silenced) as silenced from ${sql.id(tables.eventsTable)}`.execute(db);
    assert.equal(Number(counts.rows[0].events), 2 * perStream);
    assert.equal(Number(counts.rows[0].silenced), Math.min(perStream, 100));
    const incidents = await sql<{ id: string; stream: string; silenced: boolean }>`select id, stream, silenced from ${sql.id(tables.incidentsTable)} order by stream`.execute(db);
    assert.deepEqual(incidents.rows.map((row) => [row.stream, row.silenced]), [["s1", perStream <= 100], ["s2", false]]);
    assert.deepEqual(first.changes.map((changes) => changes.map((change) => [change.kind, change.incident.id])), incidents.rows.map((row) => [["closed", row.id]]));
    assert.deepEqual(first.open, [false, false]);
    const rows = await sql<{ stream: string; events: number }>`select stream, events from ${sql.id(`${prefix}_own`)} order by stream`.execute(db);
    assert.deepEqual(rows.rows, [{ stream: "s1", events: perStream }, { stream: "s2", events: perStream }]);

    const again = await db.transaction().execute((trx) => writeScoredStreamsOpen(trx, tables, batches, own));
    assert.deepEqual(again.changes, [[], []], "the same batches again change no incident");
    const recount = await sql<{ events: string }>`select count(*) as events from ${sql.id(tables.eventsTable)}`.execute(db);
    assert.equal(Number(recount.rows[0].events), 2 * perStream);
  });
}
