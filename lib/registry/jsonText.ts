/**
 * JSON text whose numbers read back bit-exact: shortest round-trip text,
 * `-0` kept, NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`,
 * `"-Infinity"` (JSON has no such numbers), laid out like
 * `JSON.stringify(value, null, 2)`.
 */

/** A value {@link jsonText} can write (`undefined` only as an absent key). */
export type JsonValue = null | undefined | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** JSON text of a number; non-finite numbers become strings, `-0` stays `-0`. */
function jsonNumber(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? "-0" : String(value);
  return JSON.stringify(String(value));
}

/** Like `JSON.stringify(value, null, 2)` plus a final newline, but with {@link jsonNumber} numbers. */
export function jsonText(value: JsonValue): string {
  return `${jsonAt(value, "")}\n`;
}

function jsonAt(value: JsonValue, indent: string): string {
  if (value === null) return "null";
  if (typeof value === "number") return jsonNumber(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === undefined) throw new TypeError("jsonText: undefined has no JSON text");
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = (value as readonly JsonValue[]).map((item) => inner + jsonAt(item, inner));
    return items.length === 0 ? "[]" : `[\n${items.join(",\n")}\n${indent}]`;
  }
  const record = value as { readonly [key: string]: JsonValue };
  // Absent optional keys (undefined) are left out, as JSON.stringify does.
  const items = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .map((key) => `${inner}${JSON.stringify(key)}: ${jsonAt(record[key], inner)}`);
  return items.length === 0 ? "{}" : `{\n${items.join(",\n")}\n${indent}}`;
}
