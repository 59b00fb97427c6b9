/**
 * One way to check values against a zod schema: config files, registry
 * artifacts and request bodies all go through {@link parseWithSchema}, so
 * every rejection reads the same, in one line: the key path, what it must
 * be, the value given, and for an unknown key the nearest known one.
 */
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";
import { boundedJson, cutText } from "./boundedText";
import { InputError } from "./errors";

export { z };

/**
 * ` (did you mean "best"?)` when one of `candidates` is close to `name`
 * (edit distance at most max(2, a third of its length)), or else when one
 * starts the other (at least 3 characters: `time_column` → `time_col`,
 * `resample` → `resample_seconds`; the nearest such one), else "".
 *
 * @example
 * didYouMean("time_column", ["table", "time_col", "axes"]); // ' (did you mean "time_col"?)'
 */
export function didYouMean(name: string, candidates: readonly string[]): string {
  // Edit distance is quadratic: a huge name (a 50 MB table name) gets no suggestion.
  if (candidates.length === 0 || name.length > 200) return "";
  const best = closest(name, [...candidates]);
  if (distance(name, best) <= Math.max(2, Math.floor(best.length / 3))) return ` (did you mean "${best}"?)`;
  const prefixed = candidates.filter((c) => Math.min(c.length, name.length) >= 3 && (name.startsWith(c) || c.startsWith(name)));
  return prefixed.length === 0 ? "" : ` (did you mean "${closest(name, prefixed)}"?)`;
}

/** A value as a message shows it: strings quoted, objects as compact JSON, at most 80 characters (built without serialising more). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return cutText(String(value));
  return boundedJson(value);
}

/** `data.axes[0]` from `["data", "axes", 0]`. */
export function keyPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text === "" ? cutText(part) : `${text}.${cutText(part)}`), "");
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** The object schema reached by `path` through wrappers (default, optional, effects …), or undefined. */
function objectAt(schema: z.ZodTypeAny, path: readonly (string | number)[]): z.AnyZodObject | undefined {
  let current: z.ZodTypeAny | undefined = schema;
  const unwrap = (s: z.ZodTypeAny): z.ZodTypeAny => {
    for (;;) {
      if (s instanceof z.ZodDefault) s = s._def.innerType;
      else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
      else if (s instanceof z.ZodEffects) s = s.innerType();
      else if (s instanceof z.ZodPipeline) s = s._def.in;
      else if (s instanceof z.ZodLazy) s = s.schema;
      else return s;
    }
  };
  for (const part of path) {
    const here: z.ZodTypeAny = unwrap(current);
    if (here instanceof z.ZodObject && typeof part === "string") current = here.shape[part];
    else if (here instanceof z.ZodArray) current = here.element;
    else if (here instanceof z.ZodRecord) current = here.valueSchema;
    else return undefined;
    if (current === undefined) return undefined;
  }
  const last = unwrap(current);
  return last instanceof z.ZodObject ? last : undefined;
}

function issueText(issue: z.ZodIssue, schema: z.ZodTypeAny, input: unknown): string {
  const key = keyPath(issue.path);
  const subject = key === "" ? "the document" : key;
  // Built only when a message shows it: the value may be huge.
  const got = (): string => `, got ${describeValue(valueAt(input, issue.path))}`;
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = Object.keys(objectAt(schema, issue.path)?.shape ?? {});
      const name = issue.keys[0];
      return `unknown key "${keyPath([...issue.path, name])}"${didYouMean(cutText(name), known)}`;
    }
    case "invalid_type":
      if (issue.received === "undefined") return `${subject} is required`;
      if (issue.expected === "integer") return `${subject} must be a whole number${got()}`;
      if (issue.expected === "object") return `${subject} must be a mapping of keys${got()}`;
      return `${subject} must be ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}${got()}`;
    case "too_small":
      if (issue.type === "array") return `${subject} must have at least ${String(issue.minimum)} entr${issue.minimum === 1 ? "y" : "ies"}`;
      if (issue.type === "string") return `${subject} must be a non-empty string${got()}`;
      return `${subject} must be ${issue.inclusive ? "at least" : "greater than"} ${String(issue.minimum)}${got()}`;
    case "too_big":
      if (issue.type === "array" || issue.type === "string") return `${subject} is too long (at most ${String(issue.maximum)})`;
      return `${subject} must be ${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}${got()}`;
    case "invalid_enum_value":
    {
      const given = valueAt(input, issue.path);
      const hint = given !== null && typeof given === "object" ? "" : didYouMean(cutText(String(given)), issue.options.map(String));
      return `${subject} must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}${got()}${hint}`;
    }
    case "invalid_literal":
      return `${subject} must be ${JSON.stringify(issue.expected)}${got()}`;
    case "not_finite":
      return `${subject} must be a finite number${got()}`;
    case "invalid_union":
    case "custom":
    default:
      // Our schemas word custom messages as predicates: "must be …".
      return `${subject} ${issue.message}${issue.code === "custom" ? "" : got()}`;
  }
}

/**
 * The first problem zod found, as one line. Unknown keys come first (a typo
 * explains the "required" issue it causes), then problems in document order.
 */
export function schemaErrorText(error: z.ZodError, schema: z.ZodTypeAny, input: unknown): string {
  const issues = [...error.issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
  return issueText(issues[0], schema, input).replace(/\s*\n\s*/g, " ");
}

/**
 * Parses `value` with `schema`, or throws an {@link InputError} of one line:
 * `<where>: <key> must be …, got …` (`where` names the file or request; omit it for none).
 */
export function parseWithSchema<S extends z.ZodTypeAny>(schema: S, value: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S>;
  const text = schemaErrorText(result.error, schema, value);
  throw new InputError(where === undefined || where === "" ? text : `${where}: ${text}`);
}
