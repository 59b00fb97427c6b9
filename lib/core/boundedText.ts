/**
 * Values echoed into messages, bounded: a message never carries more than a
 * few dozen characters of what the user gave, however large (a 1 MiB string,
 * a 50 MB table name, an alias-expanded YAML value), and building the text
 * never walks more of the value than it prints.
 */

/** Longest echo of a user's value in a message, in characters. */
export const ECHO_LIMIT = 80;

/**
 * `text` cut to at most `max` characters, ending in `...` when cut.
 * @example
 * cutText("x".repeat(1000), 10); // "xxxxxxx..."
 */
export function cutText(text: string, max: number = ECHO_LIMIT): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 3))}...` : text;
}

/**
 * `text` cut to at most about `max` characters by dropping its middle (the start and the end stay).
 * @example
 * cutMiddle("a".repeat(5000) + " check data.table", 100); // "aaa… [4917 characters cut] …aaa check data.table"
 */
export function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 4);
  const head = Math.max(0, max - tail - 40);
  return `${text.slice(0, head)}… [${text.length - head - tail} characters cut] …${text.slice(text.length - tail)}`;
}

/**
 * Compact JSON of `value`, at most `max` characters (cut with `...`), built
 * without serialising more than that: safe on huge, deep or shared values.
 * Cycles print as `"[cycle]"`; what JSON cannot show (undefined, functions) as `String(value)`.
 * @example
 * boundedJson({ a: [1, 2, 3] }); // '{"a":[1,2,3]}'
 */
export function boundedJson(value: unknown, max: number = ECHO_LIMIT): string {
  let out = "";
  const full = (): boolean => out.length > max;
  const onPath = new Set<unknown>();
  const write = (v: unknown): void => {
    if (full()) return;
    if (v === null || typeof v === "boolean") out += String(v);
    else if (typeof v === "number") out += Number.isFinite(v) ? String(v) : "null";
    else if (typeof v === "string") out += JSON.stringify(v.length > max ? v.slice(0, max + 1) : v);
    else if (typeof v === "bigint") out += String(v);
    else if (typeof v === "object") {
      if (onPath.has(v)) {
        out += '"[cycle]"';
        return;
      }
      onPath.add(v);
      if (Array.isArray(v)) {
        out += "[";
        for (let i = 0; i < v.length && !full(); i++) {
          if (i > 0) out += ",";
          write(v[i] === undefined ? null : v[i]);
        }
        out += "]";
      } else {
        const json = (v as { toJSON?: () => unknown }).toJSON;
        if (typeof json === "function") write(json.call(v));
        else {
          out += "{";
          let first = true;
          for (const key in v as Record<string, unknown>) {
            if (full()) break;
            if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
            const item = (v as Record<string, unknown>)[key];
            if (item === undefined || typeof item === "function") continue;
            if (!first) out += ",";
            first = false;
            out += `${JSON.stringify(key.length > max ? key.slice(0, max + 1) : key)}:`;
            write(item);
          }
          out += "}";
        }
      }
      onPath.delete(v);
    } else out += String(v);
  };
  if (value === undefined || typeof value === "function" || typeof value === "symbol") out = String(value);
  else write(value);
  return cutText(out, max);
}
