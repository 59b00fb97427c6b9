/**
 * PostgreSQL's binary COPY format, decoded chunk by chunk into one
 * Float64Array per tuple: no pg connection here, only bytes. Every field is
 * 8 bytes (float8, or a timestamp's integer microseconds since 2000-01-01,
 * returned as exact Unix microseconds) or NULL (NaN).
 */

/** PostgreSQL's timestamp epoch (2000-01-01) in Unix microseconds. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;

/** Binary COPY signature: `PGCOPY\n\377\r\n\0`. */
const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);

/**
 * Decodes PostgreSQL's binary COPY format (signature, flags, header
 * extension, tuples, trailer) chunk by chunk, whatever the chunk boundaries.
 * Every field must be 8 bytes (float8 or timestamp) or NULL (→ NaN); the
 * first field is integer microseconds when `timestampFirst`, then converted to
 * Unix microseconds. The row passed to `onRow` is reused: copy what you keep.
 * @example
 * const rows: number[][] = [];
 * const reader = new BinaryCopyReader(2, false, (row) => rows.push(Array.from(row)));
 * for await (const chunk of copyStream) reader.push(chunk);
 * reader.finish(); // throws when the trailer never came
 */
export class BinaryCopyReader {
  readonly #width: number;
  readonly #timestampFirst: boolean;
  readonly #onRow: (row: Float64Array) => void;
  readonly #row: Float64Array;
  #rest: Buffer | undefined;
  #headerRead = false;
  #ended = false;
  /** The chunk {@link pushRange} last read, and its DataView. */
  #viewOf: Buffer | undefined;
  #view: DataView | undefined;
  /** Tuples decoded so far. */
  rows = 0;

  /**
   * @param width fields per tuple
   * @param timestampFirst the first field is a binary timestamp (returned as Unix microseconds), not a float8
   * @param onRow receives each decoded tuple (the same array every time)
   */
  constructor(width: number, timestampFirst: boolean, onRow: (row: Float64Array) => void) {
    this.#width = width;
    this.#timestampFirst = timestampFirst;
    this.#onRow = onRow;
    this.#row = new Float64Array(width);
  }

  /** Decodes the whole tuples of `chunk` (with what was left of the previous one); keeps a partial tuple for the next. */
  push(chunk: Uint8Array): void {
    let buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const rest = this.#rest;
    this.#rest = undefined;
    if (rest !== undefined && this.#headerRead) {
      // Finish the partial tuple from the chunk's first bytes (a tuple is at most 2 + 12·width), not by copying the whole chunk.
      const head = Buffer.concat([rest, buffer.subarray(0, 2 + 12 * this.#width)]);
      const used = this.#parse(head, 0);
      if (used < rest.length) {
        this.#rest = Buffer.concat([rest, buffer]); // still incomplete: the chunk was tiny
        return;
      }
      buffer = buffer.subarray(used - rest.length);
    } else if (rest !== undefined) buffer = Buffer.concat([rest, buffer]);
    let at = 0;
    if (!this.#headerRead) {
      if (buffer.length < 19 || buffer.length < 19 + buffer.readInt32BE(15)) {
        this.#rest = Buffer.from(buffer);
        return;
      }
      if (!buffer.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error("binary COPY: bad signature");
      at = 19 + buffer.readInt32BE(15);
      this.#headerRead = true;
    }
    at = this.#parse(buffer, at);
    if (at < buffer.length) this.#rest = Buffer.from(buffer.subarray(at)); // a partial tuple: copy it, not the chunk it sits in
  }

  /**
   * {@link push} of `buffer[start, end)` (a CopyData payload in a socket chunk, see copyFrames): the same rows, but
   * whole tuples are read in place, through one DataView per chunk, with no Buffer made per call; only a tuple cut
   * at `end` is copied. Only the last chunk's DataView is kept (for the next range in it).
   */
  pushRange(buffer: Buffer, start: number, end: number): void {
    if (this.#rest !== undefined || !this.#headerRead) {
      this.push(buffer.subarray(start, end));
      return;
    }
    if (this.#viewOf !== buffer) {
      this.#viewOf = buffer;
      this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    const at = this.#parseView(this.#view as DataView, start, end);
    if (at < end) this.#rest = Buffer.from(buffer.subarray(at, end));
  }

  /** Decodes the whole tuples (and the trailer) of `buffer` from `at`; returns where the first incomplete one starts. */
  #parse(buffer: Buffer, at: number): number {
    return this.#parseView(new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength), at, buffer.length); // DataView: faster than Buffer's readers
  }

  /** {@link #parse} of `view[at, end)`. */
  #parseView(view: DataView, at: number, end: number): number {
    const width = this.#width;
    const row = this.#row;
    const onRow = this.#onRow;
    const timestampFirst = this.#timestampFirst;
    // A tuple with no NULL: 2 bytes of field count, then 4 of length and 8 of value per field. NULLs only shorten it.
    const longest = 2 + 12 * width;
    while (!this.#ended && at + 2 <= end) {
      const fields = view.getInt16(at);
      if (fields === -1) {
        this.#ended = true;
        at += 2;
        break;
      }
      if (fields !== width) throw new Error(`binary COPY: ${fields} fields in a tuple, expected ${width}`);
      // Most tuples lie whole inside the chunk: those are read without a bounds check per field.
      const next = at + longest <= end ? readTuple(view, at + 2, row, timestampFirst) : readPartialTuple(view, at + 2, end, row, timestampFirst);
      if (next < 0) break;
      this.rows++;
      onRow(row);
      at = next;
    }
    return at;
  }

  /** Checks the stream ended with its trailer. */
  finish(): void {
    if (!this.#ended || this.#rest !== undefined) throw new Error("binary COPY: the stream ended early");
  }
}

/**
 * Reads the fields of a tuple that lies whole in `view` from `p` (just after its field count) into `row`;
 * returns where the next tuple starts. The first field is a timestamp when `timestampFirst`.
 */
function readTuple(view: DataView, p: number, row: Float64Array, timestampFirst: boolean): number {
  for (let f = 0; f < row.length; f++) {
    const length = view.getInt32(p);
    if (length === 8) {
      row[f] = f === 0 && timestampFirst ? unixMicros(view, p + 4) : view.getFloat64(p + 4);
      p += 12;
    } else if (length === -1) {
      row[f] = Number.NaN;
      p += 4;
    } else throw new Error(`binary COPY: a field of ${length} bytes, expected 8`);
  }
  return p;
}

/** {@link readTuple} for a tuple that may run past `end`: returns −1 when it does (it is read again with the next chunk). */
function readPartialTuple(view: DataView, p: number, end: number, row: Float64Array, timestampFirst: boolean): number {
  for (let f = 0; f < row.length; f++) {
    if (p + 4 > end) return -1;
    const length = view.getInt32(p);
    p += 4;
    if (length === -1) {
      row[f] = Number.NaN;
      continue;
    }
    if (length !== 8) throw new Error(`binary COPY: a field of ${length} bytes, expected 8`);
    if (p + 8 > end) return -1;
    row[f] = f === 0 && timestampFirst ? unixMicros(view, p) : view.getFloat64(p);
    p += 8;
  }
  return p;
}

/** Unix microseconds of a binary timestamp at `at` (µs since 2000-01-01), exact, rounded once like int8 → float8. */
function unixMicros(view: DataView, at: number): number {
  const high = view.getInt32(at);
  if (high >= -(2 ** 20) && high < 2 ** 20) return high * 2 ** 32 + view.getUint32(at + 4) + POSTGRES_EPOCH_MICROS; // < 2^53: exact
  return Number(view.getBigInt64(at) + BigInt(POSTGRES_EPOCH_MICROS));
}
