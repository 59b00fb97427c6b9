/**
 * A child process for test/embeddedLock.test.ts: `node --import tsx lockChild.ts <dir>`.
 * Prints `ready`, waits for a line on stdin (the start signal), opens the
 * embedded database in <dir> and prints `won` or `lost: <message>`. A winner
 * keeps the database open until stdin ends (or it is killed), then closes it.
 */
import { createInterface } from "node:readline";
import { sql } from "kysely";
import { openEmbeddedDatabase } from "../../lib/db/embedded";

async function main(): Promise<void> {
  const dir = process.argv[2];
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write("ready\n");
  await lines.next();
  let db;
  try {
    db = await openEmbeddedDatabase(dir, "DB_URL");
    await sql`select 1`.execute(db);
  } catch (error) {
    process.stdout.write(`lost: ${(error as Error).message}\n`);
    process.exit(0);
  }
  process.stdout.write("won\n");
  while (!(await lines.next()).done) {
    // hold the database until the parent closes stdin
  }
  await db.destroy();
  process.exit(0);
}

void main();
