/**
 * What an extraction asks for, checked before the database is touched: the
 * `data:` keys it reads (table, time column, axes, LONG id/value columns),
 * the layout they imply (WIDE for column names, LONG for axis ids), and the
 * window bounds `[data.train_start, data.train_end)` as SQL literals once
 * the time column's type is known.
 */
import { escapeLiteral } from "pg";
import { InputError } from "../core/errors";
import { parseWithSchema, z } from "../core/schema";
import { parseTimeBound } from "../shapes/timeBound";
import type { DataConfig, Layout, TimeType } from "../shapes/types";

const nameSchema = z.string().trim().min(1);

/**
 * The `data:` keys extraction reads. Config loading checks them too; this
 * schema guards direct library calls. Table and column existence need the
 * database and are checked in `describeTable` (describeTable.ts).
 */
const requestSchema = z.object({
  data: z
    .object({
      table: nameSchema,
      schema: nameSchema.optional(),
      time_col: nameSchema,
      axes: z
        .array(z.union([nameSchema, z.number().int().safe()], { errorMap: () => ({ message: "must be a column name or a whole-number axis id" }) }))
        .min(1),
      axis_id_col: nameSchema.optional(),
      value_col: nameSchema.optional(),
    })
    .superRefine((data, context) => {
      const issue = (path: (string | number)[], message: string): void => context.addIssue({ code: "custom", path, message });
      const long = typeof data.axes[0] === "number";
      if (data.axes.some((axis) => typeof axis !== typeof data.axes[0])) {
        return issue(["axes"], "mixes column names and axis ids: use only names (WIDE table) or only ids (LONG table)");
      }
      const names = data.axes.map((axis) => (long ? `axis${axis}` : String(axis)));
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) issue(["axes", i], `repeats axis ${JSON.stringify(data.axes[i])}`);
        if (name === data.time_col) issue(["axes", i], `(${name}) is the time column data.time_col`);
      });
      if (!long) return;
      if (data.axis_id_col === undefined) issue(["axis_id_col"], "is required when data.axes are axis ids (LONG table): name the column holding the axis id");
      if (data.value_col === undefined) issue(["value_col"], "is required when data.axes are axis ids (LONG table): name the column holding the value");
    }),
});

/** What the config asks for, validated without touching the database. */
export interface Request {
  readonly table: string;
  readonly timeCol: string;
  readonly layout: Layout;
  /** WIDE: the value columns. LONG: empty. */
  readonly wideColumns: readonly string[];
  /** LONG: the axis ids. WIDE: empty. */
  readonly ids: readonly number[];
  readonly idCol: string;
  readonly valueCol: string;
  /** Output column names, in config order. */
  readonly axes: readonly string[];
}

/**
 * Checks the config's shape and decides the layout (WIDE for names, LONG for ids).
 * @param config the `data:` block of the config
 * @returns the request, with output axis names in config order
 * @throws InputError naming the key: an empty name, mixed or repeated axes, an axis named like the time column,
 *   LONG without `data.axis_id_col` / `data.value_col`
 * @example
 * parseRequest({ table: "robot_long", time_col: "ts", axes: [1, 2], axis_id_col: "axis_id", value_col: "value", train_start: 0, train_end: 10 });
 * // { layout: "long", ids: [1, 2], axes: ["axis1", "axis2"], … }
 */
export function parseRequest(config: DataConfig): Request {
  const data = parseWithSchema(requestSchema, { data: config }).data;
  const { table, time_col: timeCol } = data;
  if (typeof data.axes[0] === "string") {
    const wideColumns = data.axes as string[];
    return { table, timeCol, layout: "wide", wideColumns, ids: [], idCol: "", valueCol: "", axes: wideColumns };
  }
  const ids = data.axes as number[];
  return {
    table,
    timeCol,
    layout: "long",
    wideColumns: [],
    ids,
    idCol: data.axis_id_col ?? "",
    valueCol: data.value_col ?? "",
    axes: ids.map((id) => `axis${id}`),
  };
}

/** One window bound: the parsed value as SQL literal text and in seconds. */
export interface Bound {
  readonly literal: string;
  readonly seconds: number;
  readonly text: string;
}

/** A bound as a SQL literal of the time column's type (float8 from its shortest round-trip text). */
function windowBound(value: unknown, key: string, timeType: TimeType, timeCol: string): Bound {
  const { seconds, text } = parseTimeBound(value, key, timeType, timeCol);
  return { literal: `${escapeLiteral(text)}::${timeType === "float" ? "float8" : timeType}`, seconds, text };
}

/**
 * The window `[data.train_start, data.train_end)` for a time column of `timeType`.
 * @param data the `data:` block of the config
 * @param timeType the time column's type (see `timeTypeOf`)
 * @param timeCol the time column as the request names it, for messages
 * @returns both bounds as SQL literals, seconds and normalised text
 * @throws InputError naming the key when a bound does not fit the column or the start is not before the end
 * @example
 * const { start, end } = windowBounds({ ...data, train_start: 0, train_end: 3600 }, "float", "t");
 * // start.literal === "'0'::float8", end.seconds === 3600
 */
export function windowBounds(data: DataConfig, timeType: TimeType, timeCol: string): { readonly start: Bound; readonly end: Bound } {
  const start = windowBound(data.train_start, "data.train_start", timeType, timeCol);
  const end = windowBound(data.train_end, "data.train_end", timeType, timeCol);
  if (!(start.seconds < end.seconds)) {
    throw new InputError(`data.train_start (${start.text}) must be before data.train_end (${end.text})`);
  }
  return { start, end };
}
