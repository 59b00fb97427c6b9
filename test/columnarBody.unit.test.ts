/** The one-pass columnar body reader (server/columnarBody.ts): the doubles JSON.parse gives, and null for any other shape. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readColumnarBody } from "../server/columnarBody";
import { readColumns } from "../server/columnar";
import type { ScoringModel } from "../lib/scoring/score";

/** Numbers as clients print them: short decimals (the exact path), 17-digit doubles, exponents, edge values. */
function numberTexts(): string[] {
  const texts = ["0", "-0", "0.0", "-0.000", "1e22", "1e23", "1E-22", "1e-23", "123456789012345", "1234567890123456", "9007199254740993"];
  texts.push("4.9e-324", "1.7976931348623157e308", "2.2250738585072014e-308", "0.1", "0.30000000000000004", "1666008024.6729999", "12.5e+3");
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let k = 0; k < 20_000; k++) {
    const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    const forms = [String(x), x.toFixed(k % 10), x.toExponential(k % 17), String(Math.round(x * 1000) / 1000), String(Math.floor(random() * 2e9))];
    texts.push(forms[k % forms.length]);
  }
  return texts;
}

test("every number reads to the double JSON.parse gives for its text (-0 too), null as NaN, in key order", () => {
  const texts = numberTexts();
  const text = `{ "stream" : "robot-7", "columns" : { "ts" : [ ${texts.map((_, i) => i).join(" , ")} ] , "a" : [${texts.join(",")}], "b": [${texts.map((t, i) => (i % 3 === 0 ? "null" : t)).join(",")}] } }`;
  const parsed = JSON.parse(text) as { stream: string; columns: Record<string, (number | null)[]> };
  const read = readColumnarBody(Buffer.from(text));
  assert.ok(read !== null);
  assert.equal(read.stream, "robot-7");
  assert.deepEqual(Object.keys(read.columns), ["ts", "a", "b"]);
  for (const key of ["ts", "a", "b"]) {
    const want = parsed.columns[key];
    const got: Float64Array = read.columns[key];
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i] ?? NaN), `${key}[${i}] ${texts[i]}: ${got[i]} vs ${want[i]}`);
  }
});

test("a body of any other shape is left to JSON.parse (null), so its refusal keeps its message", () => {
  const others = [
    '{"stream":"s","columns":{"ts":[1,null]}}', // a null time
    '{"stream":"s","columns":{"ts":["2023-11-14T22:13:21Z"]}}', // an ISO time
    '{"stream":"s\\n","columns":{"ts":[1]}}', // an escape
    '{"stream":"s","columns":{"ts":[1],"ts":[2]}}', // a repeated key
    '{"stream":"s","columns":{"ts":[1],"a":[1e400]}}', // beyond the double range
    '{"stream":"s","columns":{"ts":[01]}}',
    '{"stream":"s","columns":{"ts":[1,]}}',
    '{"stream":"s","columns":{"ts":[1.]}}',
    '{"stream":"s","columns":{"ts":[-]}}',
    '{"stream":"s","columns":{"ts":[1]},"samples":[]}',
    '{"stream":"s","columns":{"ts":[1],"a":[true]}}',
    '{"stream":"s","columns":{"ts":[1],"a":[[1]]}}',
    '{"stream":1,"columns":{"ts":[1]}}',
    '{"stream":"s","columns":{"ts":[1]}}x',
    '{"stream":"s","columns":{"__proto__":[1]}}',
    '{"stream":"s","columns":{"ts":[1]}',
  ];
  for (const text of others) assert.equal(readColumnarBody(Buffer.from(text)), null, text);
});

test("read columns give the batch the parsed arrays give, and the same refusals", () => {
  const model = { version: "v1", axes: ["a", "b"], timeType: "timestamptz" } as unknown as ScoringModel;
  const horizon = { maxFutureSeconds: 86_400, now: () => 1_800_000_000 };
  const text = '{"stream":"s","columns":{"ts":[1700000000,1700000001.5],"b":[0.25,null]}}';
  const fast = readColumns(model, readColumnarBody(Buffer.from(text))!.columns, horizon);
  const slow = readColumns(model, (JSON.parse(text) as { columns: Record<string, unknown> }).columns, horizon);
  assert.deepEqual(Array.from(fast.time), Array.from(slow.time));
  assert.deepEqual(fast.values.map((v) => Array.from(v)), slow.values.map((v) => Array.from(v)));
  for (const bad of ['{"stream":"s","columns":{"ts":[1,-5]}}', '{"stream":"s","columns":{"ts":[1,2],"a":[1]}}', '{"stream":"s","columns":{"ts":[1],"c":[1]}}', '{"stream":"s","columns":{"ts":[1900000000]}}']) {
    const message = (columns: Record<string, unknown>): string => {
      try {
        readColumns(model, columns, horizon);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    const read = readColumnarBody(Buffer.from(bad));
    assert.ok(read !== null, bad);
    assert.notEqual(message(read.columns), "accepted");
    assert.equal(message(read.columns), message((JSON.parse(bad) as { columns: Record<string, unknown> }).columns));
  }
});

test("17-digit numbers after a multi-byte stream name read to JSON.parse's doubles (byte and text positions agree)", () => {
  // The slow path slices one text of the whole body at byte positions: a stream name of 2-, 3- and 4-byte characters
  // before the numbers shifts them if that text is not one character per byte.
  const times = [1666207009.7900002, 1666207011.6499999, 1666008024.6729999, 0.30000000000000004];
  const text = `{"stream":"роботé-工場-🤖","columns":{"ts":[${times.join(",")}],"a":[${times.map((t) => -t).join(",")}]}}`;
  const read = readColumnarBody(Buffer.from(text));
  assert.ok(read !== null);
  assert.equal(read.stream, "роботé-工場-🤖");
  assert.deepEqual(Array.from(read.columns.ts), times);
  assert.deepEqual(Array.from(read.columns.a), times.map((t) => -t));
});
