/**
 * A one-pass reader of the common columnar `POST /v1/score` body —
 * `{"stream":"…","columns":{"ts":[numbers],"<axis>":[numbers or null],…}}` — from its bytes straight into
 * Float64Arrays (null as NaN), without building a JavaScript array of boxed numbers per column as
 * `JSON.parse` does. It reads only that exact shape: a body with anything else (other keys, escapes in a
 * string, a string or null time, a repeated key, a number beyond the double range, bad JSON) gives null, and
 * the caller parses it with `JSON.parse` as before, so every refusal keeps its message. Each number is the
 * double `JSON.parse` gives for its text: short decimals (at most 15 digits, exponent within ±22) are an exact
 * integer times or divided by an exact power of ten, one correctly rounded operation; the rest go through
 * `Number()`.
 */

/** A columnar body as {@link readColumnarBody} reads it: each column a Float64Array, missing values NaN. */
export interface ColumnarBody {
  readonly stream: string;
  readonly columns: Record<string, Float64Array>;
}

const POWERS = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Where a column's values are gathered before they are copied out at their length (one buffer for all bodies). */
let scratch = new Float64Array(1024);

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Whether `byte` is JSON whitespace. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The values {@link readColumn} read last (in {@link scratch}). */
let columnLength = 0;

/**
 * The body being read as one latin1 string (a character per byte, so string and byte indices agree), made at its
 * first number the fast path cannot take: `Number()` of a slice of it gives the same double as of that number's own
 * string, without a native `toString` call and a new string per number (17-digit times take that path).
 */
let bodyText: string | null = null;

/**
 * Reads the array of numbers (and nulls when `allowNull`) starting at `from` (its `[`) into {@link scratch} and
 * {@link columnLength}; returns the index after its `]`, or -1 when it is not such an array or a number is beyond
 * the double range. One function with local state: the loop runs over every byte of the body.
 */
function readColumn(bytes: Buffer, from: number, allowNull: boolean): number {
  const end = bytes.length;
  let i = from;
  if (bytes[i++] !== 0x5b) return -1;
  while (i < end && isSpace(bytes[i])) i++;
  let n = 0;
  if (bytes[i] === 0x5d) {
    columnLength = 0;
    return i + 1;
  }
  let values = scratch;
  for (;;) {
    const start = i;
    let byte = bytes[i];
    let value: number;
    if (byte === 0x6e) {
      if (!allowNull || bytes[i + 1] !== 0x75 || bytes[i + 2] !== 0x6c || bytes[i + 3] !== 0x6c) return -1;
      i += 4;
      value = NaN;
    } else {
      const negative = byte === 0x2d;
      if (negative) byte = bytes[++i];
      let mantissa = 0;
      let digits = 0;
      let exponent = 0;
      if (byte === 0x30) byte = bytes[++i];
      else if (byte >= 0x31 && byte <= 0x39) {
        do {
          mantissa = mantissa * 10 + (byte - 0x30);
          digits++;
          byte = bytes[++i];
        } while (byte >= 0x30 && byte <= 0x39);
      } else return -1;
      if (byte === 0x2e) {
        byte = bytes[++i];
        if (!(byte >= 0x30 && byte <= 0x39)) return -1;
        do {
          mantissa = mantissa * 10 + (byte - 0x30);
          digits++;
          exponent--;
          byte = bytes[++i];
        } while (byte >= 0x30 && byte <= 0x39);
      }
      let exact = true;
      if (byte === 0x65 || byte === 0x45) {
        byte = bytes[++i];
        let sign = 1;
        if (byte === 0x2b || byte === 0x2d) {
          sign = byte === 0x2d ? -1 : 1;
          byte = bytes[++i];
        }
        if (!(byte >= 0x30 && byte <= 0x39)) return -1;
        let power = 0;
        do {
          if (power < 1e6) power = power * 10 + (byte - 0x30);
          else exact = false;
          byte = bytes[++i];
        } while (byte >= 0x30 && byte <= 0x39);
        exponent += sign * power;
      }
      if (exact && digits <= 15 && exponent >= -22 && exponent <= 22) {
        value = exponent < 0 ? mantissa / POWERS[-exponent] : mantissa * POWERS[exponent];
        if (negative) value = -value;
      } else {
        if (bodyText === null) bodyText = bytes.toString("latin1");
        value = Number(bodyText.slice(start, i));
        if (!Number.isFinite(value)) return -1;
      }
    }
    if (n === values.length) {
      const larger = new Float64Array(2 * n);
      larger.set(values);
      values = scratch = larger;
    }
    values[n++] = value;
    while (i < end && isSpace(bytes[i])) i++;
    const byte2 = bytes[i++];
    if (byte2 === 0x5d) {
      columnLength = n;
      return i;
    }
    if (byte2 !== COMMA) return -1;
    while (i < end && isSpace(bytes[i])) i++;
  }
}

/**
 * The body `bytes` holds, or null when it is not exactly the columnar shape (parse it with `JSON.parse` then).
 *
 * @example
 * readColumnarBody(Buffer.from('{"stream":"s","columns":{"ts":[1,2],"a":[0.5,null]}}'));
 * // { stream: "s", columns: { ts: Float64Array [1, 2], a: Float64Array [0.5, NaN] } }
 */
export function readColumnarBody(bytes: Buffer): ColumnarBody | null {
  bodyText = null;
  try {
    return readBody(bytes);
  } finally {
    bodyText = null; // not kept alive with the body's bytes until the next body
  }
}

/** {@link readColumnarBody}'s reading. */
function readBody(bytes: Buffer): ColumnarBody | null {
  const end = bytes.length;
  let i = 0;
  const skip = (): void => {
    while (i < end && isSpace(bytes[i])) i++;
  };
  /** A string without escapes or control characters at `i` (the opening quote), or null. */
  const string = (): string | null => {
    if (bytes[i] !== QUOTE) return null;
    const from = ++i;
    while (i < end) {
      const byte = bytes[i];
      if (byte === QUOTE) return bytes.toString("utf8", from, i++);
      if (byte === 0x5c || byte < 0x20) return null;
      i++;
    }
    return null;
  };
  /** An array of numbers (nulls too when `allowNull`) at `i`, or null. */
  const column = (allowNull: boolean): Float64Array | null => {
    const after = readColumn(bytes, i, allowNull);
    if (after < 0) return null;
    i = after;
    return scratch.slice(0, columnLength);
  };
  /** The `columns` object at `i`, or null. */
  const columnsObject = (): Record<string, Float64Array> | null => {
    if (bytes[i] !== 0x7b) return null;
    i++;
    const columns: Record<string, Float64Array> = {};
    let first = true;
    for (;;) {
      skip();
      if (first && bytes[i] === 0x7d) break;
      const key = string();
      if (key === null || key === "__proto__" || Object.prototype.hasOwnProperty.call(columns, key)) return null;
      skip();
      if (bytes[i++] !== COLON) return null;
      skip();
      const values = column(key !== "ts");
      if (values === null) return null;
      columns[key] = values;
      first = false;
      skip();
      const byte = bytes[i];
      if (byte === COMMA) i++;
      else if (byte === 0x7d) break;
      else return null;
    }
    i++;
    return columns;
  };

  skip();
  if (bytes[i++] !== 0x7b) return null;
  let stream: string | null = null;
  let columns: Record<string, Float64Array> | null = null;
  for (let member = 0; member < 2; member++) {
    skip();
    const key = string();
    skip();
    if (bytes[i++] !== COLON) return null;
    skip();
    if (key === "stream" && stream === null) stream = string();
    else if (key === "columns" && columns === null) columns = columnsObject();
    else return null;
    if ((key === "stream" ? stream : columns) === null) return null;
    skip();
    if (bytes[i++] !== (member === 0 ? COMMA : 0x7d)) return null;
  }
  skip();
  if (i !== end || stream === null || columns === null) return null;
  return { stream, columns };
}
