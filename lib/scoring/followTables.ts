/**
 * Before `score --follow` creates its tables: a missing checkpoints table
 * while the events table holds this stream's events (the position and open
 * runs are lost: following again would re-emit every closed event), or a
 * missing events table while a checkpoint of this stream exists (its events
 * are lost: a new empty table would hide that), is an input error of one line
 * instead. A first run (neither table, or no rows of this stream) creates both.
 */
import { sql, type Kysely } from "kysely";
import { cutText } from "../core/boundedText";
import { InputError } from "../core/errors";
import { checkpointTable } from "./eventStore";

/** `"name"` as `to_regclass` reads a quoted identifier. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Refuses to follow `stream` of `modelVersion` when one of its two tables is gone and the other remembers it.
 * @throws InputError naming both tables and what to do.
 * @example
 * await checkFollowTables(db, "mlbox_events", "v3", "samples"); // passes on a first run
 */
export async function checkFollowTables(db: Kysely<any>, eventsTable: string, modelVersion: string, stream: string): Promise<void> {
  const checkpoints = checkpointTable(eventsTable);
  const { rows } = await sql<{ events: boolean; checkpoints: boolean }>`select to_regclass(${quoted(eventsTable)}) is not null as events,
    to_regclass(${quoted(checkpoints)}) is not null as checkpoints`.execute(db);
  const exists = rows[0];
  const what = `model ${cutText(modelVersion)}, stream "${cutText(stream)}"`;
  if (exists.events && !exists.checkpoints) {
    const { rows: found } = await sql<{ n: string | number }>`select count(*) as n from ${sql.id(eventsTable)} where model_version = ${modelVersion} and stream = ${stream}`.execute(db);
    const n = Number(found[0].n);
    if (n > 0) {
      throw new InputError(
        `table "${cutText(checkpoints)}" is missing but "${cutText(eventsTable)}" holds ${n} events of ${what}: the follower's position is lost and following would emit them again; restore "${cutText(checkpoints)}", or delete those events to start over`,
      );
    }
  }
  if (!exists.events && exists.checkpoints) {
    const { rows: found } = await sql<{ n: string | number }>`select count(*) as n from ${sql.id(checkpoints)} where model_version = ${modelVersion} and stream = ${stream}`.execute(db);
    if (Number(found[0].n) > 0) {
      throw new InputError(
        `table "${cutText(eventsTable)}" is missing but "${cutText(checkpoints)}" has a checkpoint of ${what}: its events are lost; restore "${cutText(eventsTable)}", or delete that checkpoint row to start over`,
      );
    }
  }
}
