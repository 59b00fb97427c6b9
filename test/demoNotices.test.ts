/**
 * Two newcomer notices about the embedded demo database (used whenever the
 * database URL variable is unset): the first run says it is building it
 * before it does, and a configured table missing from it says, in the same
 * one line, that this was the demo database and how to point at your own.
 * On a real PostgreSQL server (the variable set) the table message stays as
 * it was.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { connect } from "../lib/db/connect";
import { DEMO_BUILD_NOTICE } from "../lib/db/demoNotices";
import { extractColumns } from "../lib/db/extract";
import { InputError } from "../lib/core/errors";
import { sqlWindow } from "../lib/inDatabase/window";
import { readScoreRows } from "../lib/scoring/replay";
import type { DataConfig } from "../lib/shapes/types";
import { sharedPostgres } from "./support/postgres";

/** The variable naming the database, unset for the embedded database. */
const ENV = "MLBOX_NOTICE_DB_URL";
const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-notices-"));
const dir = path.join(root, "pgdata");

const MISSING: DataConfig = { table: "robot_7", time_col: "ts", axes: ["axis1"], train_start: 0, train_end: 10 };

before(() => {
  delete process.env[ENV];
});
after(() => {
  delete process.env[ENV];
  fs.rmSync(root, { recursive: true, force: true });
});

/** Asserts one InputError line containing every part and none of `absent`. */
async function rejectsWith(promise: Promise<unknown>, parts: readonly string[], absent: readonly string[] = []): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" should contain "${part}"`);
    for (const part of absent) assert.ok(!error.message.includes(part), `"${error.message}" should not contain "${part}"`);
    return true;
  });
}

test("the first run says it is building the demo database before it does; later runs say nothing", async () => {
  const printed: { line: string; existed: boolean }[] = [];
  const write = process.stderr.write;
  // What a user sees: the default notice goes to stderr. Note whether the database existed when it was printed.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    printed.push({ line: String(chunk), existed: fs.existsSync(path.join(dir, "PG_VERSION")) });
    return (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  let db;
  try {
    db = await connect({ url_env: ENV, embedded_dir: dir });
  } finally {
    process.stderr.write = write;
  }
  await db.destroy();
  const notices = printed.filter((p) => p.line.includes("building the embedded demo database"));
  assert.equal(notices.length, 1, JSON.stringify(printed));
  assert.equal(notices[0].line, `${DEMO_BUILD_NOTICE}\n`);
  assert.match(notices[0].line, /first run \(takes 7-10 s/);
  assert.equal(notices[0].existed, false, "printed before the database was built");
  assert.ok(fs.existsSync(path.join(dir, "PG_VERSION")), "then built");

  const later: string[] = [];
  const again = await connect({ url_env: ENV, embedded_dir: dir }, { onDemoBuild: (notice) => later.push(notice) });
  await again.destroy();
  assert.deepEqual(later, [], "an existing demo database is not built again");
});

test("a table missing from the embedded demo database: one line naming it, the demo database and how to point at yours", async () => {
  const db = await connect({ url_env: ENV, embedded_dir: dir }, { onDemoBuild: () => assert.fail("already built") });
  try {
    const hint = [`${ENV} is unset, so this is the embedded demo database`, `set ${ENV} in .env`, `README "Using your own database"`];
    await rejectsWith(extractColumns(db, MISSING), ['table "robot_7" not found', ...hint]);
    // Training inside the database and scoring look the table up their own ways: the same clause.
    await rejectsWith(sqlWindow(db, MISSING), ['table "robot_7" not found', ...hint]);
    await rejectsWith(readScoreRows(db, MISSING, "float", {}), ['table "robot_7" not found', ...hint]);
    // A near miss still gets its did-you-mean, before the clause.
    await rejectsWith(extractColumns(db, { ...MISSING, table: "stream_sample" }), ['(did you mean "stream_samples"?); ' + hint[0]]);
  } finally {
    await db.destroy();
  }
});

test("a table missing from a PostgreSQL server named by the variable: no word of the demo database", async () => {
  const server = await sharedPostgres();
  process.env[ENV] = server.url;
  const db = await connect({ url_env: ENV, embedded_dir: dir });
  try {
    await rejectsWith(extractColumns(db, MISSING), ['table "robot_7" not found'], ["demo database", ".env"]);
    await rejectsWith(sqlWindow(db, MISSING), ['table "robot_7" not found'], ["demo database", ".env"]);
  } finally {
    await db.destroy();
    delete process.env[ENV];
  }
});
