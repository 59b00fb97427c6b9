/**
 * The binary COPY decoder (lib/db/copyDecoder.ts) on streams built here byte
 * by byte: float8 fields (whole numbers, fractions, NaN, ±Infinity), NULL,
 * timestamps with microseconds (near 2000 and far from it), a header
 * extension, and every way of cutting a stream into chunks. Needs no
 * database.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BinaryCopyReader } from "../lib/db/copyDecoder";

/** PostgreSQL's timestamp epoch, 2000-01-01T00:00:00Z, in Unix microseconds. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/** One field: a float8, an int8 timestamp (µs since 2000-01-01), NULL, or raw bytes of another width. */
type Field = { float: number } | { micros: bigint } | null | { bytes: number[] };

function header(extension: number[] = []): Buffer {
  const signature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
  const words = Buffer.alloc(8);
  words.writeInt32BE(0, 0); // flags
  words.writeInt32BE(extension.length, 4);
  return Buffer.concat([signature, words, Buffer.from(extension)]);
}

function tuple(fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(2);
  count.writeInt16BE(fields.length);
  parts.push(count);
  for (const field of fields) {
    const length = Buffer.alloc(4);
    if (field === null) {
      length.writeInt32BE(-1);
      parts.push(length);
      continue;
    }
    const value = "float" in field ? Buffer.alloc(8) : "micros" in field ? Buffer.alloc(8) : Buffer.from(field.bytes);
    if ("float" in field) value.writeDoubleBE(field.float);
    if ("micros" in field) value.writeBigInt64BE(field.micros);
    length.writeInt32BE(value.length);
    parts.push(length, value);
  }
  return Buffer.concat(parts);
}

const TRAILER = Buffer.from([0xff, 0xff]);

/** Decodes `chunks` in order; returns the rows (copied) and the reader's row count. */
function decode(width: number, timestampFirst: boolean, chunks: readonly Uint8Array[]): { rows: number[][]; count: number } {
  const rows: number[][] = [];
  const reader = new BinaryCopyReader(width, timestampFirst, (row) => rows.push(Array.from(row)));
  for (const chunk of chunks) reader.push(chunk);
  reader.finish();
  return { rows, count: reader.rows };
}

/** Cuts `stream` into pieces at `cuts` (ascending byte offsets). */
function cutAt(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const bounds = [0, ...cuts, stream.length];
  return bounds.slice(1).map((end, i) => stream.subarray(bounds[i], end));
}

/** Unix microseconds of PostgreSQL microseconds, exact, then rounded once to a double. */
function unix(pgMicros: bigint): number {
  return Number(pgMicros + PG_EPOCH_MICROS);
}

test("float8 fields: whole numbers, fractions, NaN, ±Infinity, -0 and NULL (→ NaN)", () => {
  const stream = Buffer.concat([
    header(),
    tuple([{ float: 0 }, { float: 1 }, { float: -42 }]),
    tuple([{ float: 0.1 }, { float: 9007199254740993 }, { float: -0 }]),
    tuple([{ float: Number.NaN }, { float: Infinity }, { float: -Infinity }]),
    tuple([null, { float: 2.5 }, null]),
    TRAILER,
  ]);
  const { rows, count } = decode(3, false, [stream]);
  assert.equal(count, 4);
  assert.deepEqual(rows, [
    [0, 1, -42],
    [0.1, 9007199254740992, -0],
    [Number.NaN, Infinity, -Infinity],
    [Number.NaN, 2.5, Number.NaN],
  ]);
  assert.ok(Object.is(rows[1][2], -0), "-0 stays -0");
});

test("a timestamp first field becomes exact Unix microseconds, near 2000 and far from it", () => {
  const micros = [
    0n, // 2000-01-01T00:00:00Z
    1n, // one microsecond later
    -1n, // one before
    809_222_401_881_123n, // 2025-08-23T00:00:01.881123Z
    -946_684_800_000_000n, // 1970-01-01T00:00:00Z
    15_778_476_000_000_000n, // about 2500: beyond 2^52 µs, the BigInt path
    -31_556_952_000_000_000n, // about 1000 AD
  ];
  const stream = Buffer.concat([header(), ...micros.map((m, i) => tuple([{ micros: m }, { float: i }])), TRAILER]);
  const { rows } = decode(2, true, [stream]);
  assert.deepEqual(
    rows.map((row) => row[0]),
    micros.map(unix),
  );
  assert.equal(rows[3][0], Date.UTC(2025, 7, 23, 0, 0, 1) * 1000 + 881_123);
  assert.equal(rows[4][0], 0);
  assert.deepEqual(
    rows.map((row) => row[1]),
    micros.map((_, i) => i),
  );
  // NULL in the timestamp field is NaN too.
  const withNull = Buffer.concat([header(), tuple([null, { float: 7 }]), TRAILER]);
  assert.deepEqual(decode(2, true, [withNull]).rows, [[Number.NaN, 7]]);
});

test("every two-chunk cut and a byte-at-a-time stream decode like the whole stream (header extension, NULLs, timestamps)", () => {
  const stream = Buffer.concat([
    header([1, 2, 3, 4, 5]),
    tuple([{ micros: 1n }, null, { float: 1.5 }]),
    tuple([{ micros: 809_222_401_881_123n }, { float: Number.NaN }, null]),
    tuple([{ micros: -5n }, { float: -0.25 }, { float: 3 }]),
    TRAILER,
  ]);
  const whole = decode(3, true, [stream]);
  assert.equal(whole.count, 3);
  assert.deepEqual(whole.rows[1], [unix(809_222_401_881_123n), Number.NaN, Number.NaN]);
  for (let at = 1; at < stream.length; at++) {
    assert.deepEqual(decode(3, true, cutAt(stream, [at])), whole, `cut at byte ${at}`);
  }
  for (let a = 1; a < stream.length; a += 3) {
    for (let b = a + 1; b < stream.length; b += 5) {
      assert.deepEqual(decode(3, true, cutAt(stream, [a, b])), whole, `cut at bytes ${a} and ${b}`);
    }
  }
  const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepEqual(decode(3, true, bytes), whole, "one byte at a time");
  // A chunk that is a view into a larger buffer (as stream chunks are) is read from its own offset.
  const padded = Buffer.concat([Buffer.from([9, 9, 9]), stream, Buffer.from([9])]);
  assert.deepEqual(decode(3, true, [new Uint8Array(padded.buffer, padded.byteOffset + 3, stream.length)]), whole);
});

test("a tuple split across chunks that are each smaller than one tuple", () => {
  const rows = Array.from({ length: 50 }, (_, i) => tuple([{ float: i * 0.5 }, i % 7 === 0 ? null : { float: -i }]));
  const stream = Buffer.concat([header(), ...rows, TRAILER]);
  const sizes = [1, 2, 3, 5, 7, 11, 13];
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < stream.length; k++) {
    const size = sizes[k % sizes.length];
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  const { rows: decoded, count } = decode(2, false, chunks);
  assert.equal(count, 50);
  assert.deepEqual(
    decoded,
    Array.from({ length: 50 }, (_, i) => [i * 0.5, i % 7 === 0 ? Number.NaN : -i]),
  );
});

test("pushRange: ranges of larger chunks (as CopyData payloads in socket chunks) decode like push, cut anywhere", () => {
  const stream = Buffer.concat([
    header([7]),
    ...Array.from({ length: 40 }, (_, i) => tuple([{ micros: BigInt(i) * 1_000_003n }, i % 5 === 0 ? null : { float: i / 3 }, { float: -i }])),
    TRAILER,
  ]);
  const whole = decode(3, true, [stream]);
  assert.equal(whole.count, 40);
  const viaRanges = (cuts: readonly number[]): { rows: number[][]; count: number } => {
    const rows: number[][] = [];
    const reader = new BinaryCopyReader(3, true, (row) => rows.push(Array.from(row)));
    // Each piece sits between filler bytes inside a bigger buffer; two pieces share one buffer, so its DataView is reused.
    const pieces = cutAt(stream, cuts);
    for (let p = 0; p < pieces.length; p += 2) {
      const second = pieces[p + 1] ?? Buffer.alloc(0);
      const chunk = Buffer.concat([Buffer.from([0x64, 1, 2]), pieces[p], Buffer.from([0x64, 3]), second, Buffer.from([9])]);
      reader.pushRange(chunk, 3, 3 + pieces[p].length);
      reader.pushRange(chunk, 5 + pieces[p].length, 5 + pieces[p].length + second.length);
    }
    reader.finish();
    return { rows, count: reader.rows };
  };
  for (let at = 1; at < stream.length; at += 7) {
    for (let width = 1; width < 120; width += 29) {
      const cuts = [at, at + width, at + 2 * width + 3].filter((cut) => cut < stream.length);
      assert.deepEqual(viaRanges(cuts), whole, `cut at bytes ${cuts.join(", ")}`);
    }
  }
  const cutShort = new BinaryCopyReader(3, true, () => undefined);
  cutShort.pushRange(stream, 0, 100);
  cutShort.pushRange(stream, 100, stream.length - 2); // no trailer
  assert.equal(cutShort.rows, 40);
  assert.throws(() => cutShort.finish(), /ended early/);
});

test("bad streams: signature, field count, field width, a stream cut short", () => {
  const good = Buffer.concat([header(), tuple([{ float: 1 }]), TRAILER]);
  const bad = Buffer.from(good);
  bad[0] = 0x51;
  assert.throws(() => decode(1, false, [bad]), /binary COPY: bad signature/);
  assert.throws(() => decode(2, false, [good]), /binary COPY: 1 fields in a tuple, expected 2/);
  const int4 = Buffer.concat([header(), tuple([{ bytes: [0, 0, 0, 7] }]), TRAILER]);
  assert.throws(() => decode(1, false, [int4]), /binary COPY: a field of 4 bytes, expected 8/);
  assert.throws(() => decode(1, false, [good.subarray(0, good.length - 2)]), /binary COPY: the stream ended early/);
  assert.throws(() => decode(1, false, [good.subarray(0, good.length - 5)]), /binary COPY: the stream ended early/);
  assert.throws(() => decode(1, false, [header().subarray(0, 10)]), /binary COPY: the stream ended early/);
});
