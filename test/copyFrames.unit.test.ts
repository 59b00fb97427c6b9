/**
 * The COPY message framing that hands CopyData payloads to a sink in place
 * (lib/db/copyFrames.ts), on protocol bytes written here into a stand-in for
 * pg's socket: payloads in order whatever the chunk cuts, interspersed
 * messages skipped, and the bytes after CopyDone (or from an ErrorResponse
 * on) handed back to pg's own listener. Needs no database.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { copyToSink } from "../lib/db/copyFrames";

/** One protocol message: a code byte, its length (itself included), the payload. */
function message(code: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(code, 0, "latin1");
  head.writeUInt32BE(4 + payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Runs a COPY over `chunks` (written one at a time); returns the payloads the sink got and the bytes pg's listener got back. */
async function run(chunks: readonly Buffer[]): Promise<{ payloads: Buffer[]; handedBack: Buffer; ended: boolean }> {
  const socket = new PassThrough();
  const handed: Buffer[] = [];
  socket.on("data", (bytes: Buffer) => handed.push(bytes)); // pg's own listener, detached during the COPY
  const payloads: Buffer[] = [];
  const stream = copyToSink("copy (select 1) to stdout (format binary)", (buffer, start, end) => payloads.push(Buffer.from(buffer.subarray(start, end))));
  let ended = false;
  stream.on("end", () => (ended = true));
  stream.resume();
  (stream as unknown as { submit(connection: unknown): void }).submit({ stream: socket, query: () => undefined });
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { payloads, handedBack: Buffer.concat(handed), ended };
}

const rows = Array.from({ length: 12 }, (_, i) => Buffer.from(Array.from({ length: 3 + ((i * 7) % 20) }, (_, k) => (i * 31 + k) % 256)));
const afterCopy = Buffer.concat([message("C", Buffer.from("COPY 12\0", "latin1")), message("Z", Buffer.from("I"))]);
const stream = Buffer.concat([
  message("H", Buffer.from([1, 0, 3, 0, 1, 0, 1, 0, 1])),
  ...rows.slice(0, 5).map((row) => message("d", row)),
  message("N", Buffer.from("Snotice\0\0", "latin1")),
  ...rows.slice(5).map((row) => message("d", row)),
  message("c"),
  afterCopy,
]);

test("payloads arrive in order and the bytes after CopyDone go back to pg, however the chunks are cut", async () => {
  const whole = await run([stream]);
  assert.deepEqual(whole.payloads, rows);
  assert.deepEqual(whole.handedBack, afterCopy);
  assert.equal(whole.ended, true);
  for (let at = 1; at < stream.length; at++) {
    const cut = await run([stream.subarray(0, at), stream.subarray(at)]);
    assert.deepEqual(cut.payloads, rows, `cut at byte ${at}`);
    assert.deepEqual(cut.handedBack, afterCopy, `cut at byte ${at}`);
  }
  const bytes = await run(Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1)));
  assert.deepEqual(bytes.payloads, rows);
  assert.deepEqual(bytes.handedBack, afterCopy);
});

test("an ErrorResponse mid-COPY is handed back to pg from its first byte, whole or cut", async () => {
  const error = Buffer.concat([message("E", Buffer.from("SERROR\0Mdivision by zero\0\0", "latin1")), message("Z", Buffer.from("I"))]);
  const failing = Buffer.concat([message("H", Buffer.from([1, 0, 0])), message("d", rows[0]), message("d", rows[1]), error]);
  const errorAt = failing.length - error.length;
  for (const at of [1, errorAt - 3, errorAt, errorAt + 1, errorAt + 4, errorAt + 9]) {
    const cut = await run([failing.subarray(0, at), failing.subarray(at)]);
    assert.deepEqual(cut.payloads, rows.slice(0, 2), `cut at byte ${at}`);
    assert.deepEqual(cut.handedBack, error, `cut at byte ${at}`);
    assert.equal(cut.ended, false, "no end: pg reports the error through handleError");
  }
});
