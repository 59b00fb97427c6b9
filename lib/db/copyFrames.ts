/**
 * A pg-copy-streams `COPY … TO STDOUT` query that hands each CopyData
 * message's payload to a sink as a range of the socket chunk it arrived in,
 * instead of pushing copies through the Readable: pg-copy-streams slices
 * every message (one per row) and concatenates a chunk's payloads into a new
 * Buffer, which cost more than decoding the rows. Attaching to the
 * connection, handing an ErrorResponse back to pg and detaching at CopyDone
 * stay pg-copy-streams' own; only its message parser is replaced.
 */
import { to as copyTo } from "pg-copy-streams";

/** Receives a CopyData payload: `buffer[start, end)`, valid only during the call. */
export type CopyPayloadSink = (buffer: Buffer, start: number, end: number) => void;

/** Protocol codes (PostgreSQL's message formats) the parser tells apart. */
const COPY_DATA = 0x64; // d
const ERROR_RESPONSE = 0x45; // E
/** Messages that may come between CopyData messages; any other ends copy-out mode. */
const INTERSPERSED = new Set([0x48 /* CopyOutResponse */, 0x53 /* ParameterStatus */, 0x4e /* NoticeResponse */, 0x41 /* NotificationResponse */]);

/** The pg-copy-streams internals the replacement parser uses (copy-to.js, 7.x). */
interface CopyToInternals {
  _parse(chunk: Buffer): boolean | undefined;
  _detach(): void;
  _cleanup(): void;
  _buffer: { push(data: Buffer): void };
  push(chunk: null): boolean;
}

/**
 * `COPY` query `text` for pg (`client.query(stream)`), whose CopyData payloads
 * go to `sink` in order, never through the stream: the stream pushes no data
 * and ends at CopyDone, errors as pg-copy-streams' does. `sink` must not throw.
 * @example
 * const stream = copyToSink("copy (select 1::float8) to stdout (format binary)", (buffer, start, end) => reader.pushRange(buffer, start, end));
 * client.query(stream);
 * for await (const _ of stream); // ends after the last payload
 */
export function copyToSink(text: string, sink: CopyPayloadSink): ReturnType<typeof copyTo> {
  const stream = copyTo(text);
  const internals = stream as unknown as CopyToInternals;
  // An incomplete message at the end of a chunk (header or payload cut), completed from the next.
  let pending: Buffer | undefined;

  /** Handles the message at `at` (whole in `buffer`); true when copy-out mode ended with it. */
  const message = (buffer: Buffer, at: number, end: number): boolean => {
    const code = buffer[at];
    if (code === COPY_DATA) {
      sink(buffer, at + 5, end);
      return false;
    }
    return !INTERSPERSED.has(code);
  };

  /** Hands the bytes from `rest` on back to pg and ends the stream. */
  const finish = (rest: Buffer): void => {
    internals._buffer.push(rest);
    internals._detach();
    internals.push(null);
    internals._cleanup();
  };

  internals._parse = (chunk: Buffer): boolean | undefined => {
    const buffer = chunk;
    let at = 0;
    if (pending !== undefined) {
      // Complete the cut message from the chunk's first bytes only (at most its header, then its payload's rest).
      const head = pending.length >= 5 ? pending : Buffer.concat([pending, chunk.subarray(0, 5 - pending.length)]);
      if (head.length < 5) {
        pending = head;
        return true;
      }
      if (head[0] === ERROR_RESPONSE) {
        const rest = Buffer.concat([pending, chunk]);
        pending = undefined;
        internals._buffer.push(rest);
        internals._detach(); // pg parses the error and reports it through handleError
        return undefined;
      }
      const total = 1 + head.readUInt32BE(1);
      const taken = Math.min(chunk.length, total - pending.length);
      const whole = Buffer.concat([pending, chunk.subarray(0, taken)]);
      if (whole.length < total) {
        pending = whole;
        return true;
      }
      pending = undefined;
      if (message(whole, 0, total)) {
        finish(chunk.subarray(taken));
        return false;
      }
      at = taken;
    }
    const end = buffer.length;
    while (at < end) {
      if (end - at < 5) {
        pending = Buffer.from(buffer.subarray(at)); // a copy: the chunk is not kept
        break;
      }
      if (buffer[at] === ERROR_RESPONSE) {
        internals._buffer.push(buffer.subarray(at));
        internals._detach(); // pg parses the error and reports it through handleError
        return undefined;
      }
      const next = at + 1 + buffer.readUInt32BE(at + 1);
      if (next > end) {
        pending = Buffer.from(buffer.subarray(at));
        break;
      }
      if (message(buffer, at, next)) {
        finish(buffer.subarray(next));
        return false;
      }
      at = next;
    }
    return true;
  };
  return stream;
}
