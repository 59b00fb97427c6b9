/**
 * Streaming a query out as binary COPY: `COPY (select) TO STDOUT` through
 * pg-copy-streams (its payloads read in place, see copyFrames) on a PostgreSQL server, `COPY … TO '/dev/blob'` on the
 * embedded PGlite, fed chunk by chunk to a {@link BinaryCopyReader}.
 */
import { CompiledQuery } from "kysely";
import type { Kysely } from "kysely";
import { copyToSink } from "./copyFrames";
import type { BinaryCopyReader } from "./copyDecoder";
import type { PGliteLike, PGliteResults, PGliteStatement } from "./pglite";

/**
 * Runs `COPY (select) TO STDOUT (FORMAT binary)` on one connection of `db`
 * (its transaction, if it is one) and feeds the bytes to `reader` as they
 * arrive. On PGlite the same COPY goes to `/dev/blob`, read back in chunks.
 * After bad data (the reader throws) the rest of the stream is drained before
 * the error is rethrown, so the connection stays usable.
 * @param db a Kysely over PostgreSQL or PGlite, or a transaction or connection of one
 * @param select the query text (COPY takes no parameters: only escaped literals in it)
 * @param reader receives the bytes
 * @example
 * const reader = new BinaryCopyReader(2, false, (row) => sink(row));
 * await copyOut(db, "select ts::float8, axis1 from robot_wide order by ts", reader);
 */
export async function copyOut(db: Kysely<any>, select: string, reader: BinaryCopyReader): Promise<void> {
  let failure: { error: unknown } | undefined;
  // On PostgreSQL the payloads come straight from the socket's chunks (copyFrames); the stream itself carries no data.
  const stream = copyToSink(`copy (${select}) to stdout (format binary)`, (buffer, start, end) => {
    // After bad data (a duplicate) the rest is drained, not dropped: a pg connection left mid-COPY hangs its next query.
    if (failure !== undefined) return;
    try {
      reader.pushRange(buffer, start, end);
    } catch (error) {
      failure = { error };
    }
  });
  stream.on("error", () => undefined); // reported by the iteration below; never an unhandled 'error' event
  let blob: Blob | undefined;
  let embedded = false;
  const statement: PGliteStatement = {
    runOnPGlite: async (pglite: PGliteLike): Promise<PGliteResults> => {
      embedded = true;
      const result = await pglite.query(`copy (${select}) to '/dev/blob' (format binary)`);
      blob = result.blob;
      return { ...result, blob: undefined };
    },
  };
  // pg runs a query object with `submit` as is (pg-copy-streams); the PGlite adapter runs `runOnPGlite`.
  const query = Object.assign(stream, statement);
  const run = async (connection: Kysely<any>): Promise<void> => {
    await connection.executeQuery(CompiledQuery.raw(query as unknown as string));
    const chunks: AsyncIterable<Uint8Array> = embedded ? blobChunks(blob) : stream;
    for await (const chunk of chunks) {
      if (failure !== undefined) continue;
      try {
        reader.push(chunk);
      } catch (error) {
        failure = { error };
      }
    }
    if (failure !== undefined) throw failure.error;
    reader.finish();
  };
  await (db.isTransaction ? run(db) : db.connection().execute(run));
}

async function* blobChunks(blob: Blob | undefined): AsyncIterable<Uint8Array> {
  if (blob === undefined) throw new Error("PGlite's COPY wrote no blob");
  const step = 1 << 20;
  for (let at = 0; at < blob.size; at += step) yield new Uint8Array(await blob.slice(at, at + step).arrayBuffer());
}
