/**
 * The sensor table as information_schema describes it: which schema holds it
 * (`data.schema`, else the search_path), its columns and their types, and
 * how each type is read (numbers as float8, the time column as float
 * seconds, `timestamp` or `timestamptz`). Every miss is a one-line
 * InputError naming the table, column and config key, with a did-you-mean.
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { InputError } from "../core/errors";
import { didYouMean } from "../core/schema";
import type { TimeType } from "../shapes/types";
import { missingTableHint } from "./demoNotices";

/** information_schema `data_type`s read as float seconds / numeric values. */
export const NUMERIC_TYPES: ReadonlySet<string> = new Set(["smallint", "integer", "bigint", "real", "double precision", "numeric"]);

/** A resolved table: its schema and its columns with information_schema types. */
export interface TableInfo {
  readonly schema: string;
  readonly columns: ReadonlyMap<string, string>;
  readonly names: readonly string[];
}

/** Schemas to look in: `data.schema`, else the connection's search_path. */
async function searchSchemas(db: Kysely<any>, schema: string | undefined): Promise<readonly string[]> {
  if (schema !== undefined && schema !== "") return [schema];
  const { rows } = await sql<{ s: string }>`
    select s::text as s from unnest(current_schemas(false)) with ordinality as u(s, n) order by n`.execute(db);
  return rows.length > 0 ? rows.map((r) => r.s) : ["public"];
}

/**
 * Finds the table and its columns through information_schema.
 * @param db a Kysely over PostgreSQL or PGlite
 * @param table `data.table`
 * @param schemaSetting `data.schema` (undefined: the connection's search_path)
 * @returns the schema holding the table and its columns' `data_type`s, in table order
 * @throws InputError when the table is missing, naming the schema(s) looked in and where it exists instead
 *   (on the embedded demo database, saying so and how to point at your own)
 * @example
 * const info = await describeTable(db, "robot_wide", undefined);
 * info.columns.get("ts"); // "timestamp with time zone"
 */
export async function describeTable(db: Kysely<any>, table: string, schemaSetting: string | undefined): Promise<TableInfo> {
  const schemas = await searchSchemas(db, schemaSetting);
  const { rows: found } = await sql<{ table_schema: string }>`
    select table_schema from information_schema.tables
    where table_name = ${table} and table_schema in (${sql.join(schemas)})`.execute(db);
  const present = new Set(found.map((r) => r.table_schema));
  const schema = schemas.find((s) => present.has(s));
  if (schema === undefined) {
    const listed = schemas.map((s) => `"${s}"`).join(", ");
    const where = schemaSetting ? `schema "${schemaSetting}" (data.schema)` : `${schemas.length === 1 ? "schema" : "schemas"} ${listed} (search_path)`;
    const { rows: elsewhere } = await sql<{ table_schema: string }>`
      select table_schema from information_schema.tables where table_name = ${table} order by table_schema`.execute(db);
    if (elsewhere.length > 0) {
      throw new InputError(`table "${table}" not found in ${where}; it exists in schema "${elsewhere[0].table_schema}": set data.schema`);
    }
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema in (${sql.join(schemas)})`.execute(db);
    throw new InputError(`table "${table}" not found in ${where}${didYouMean(table, tables.map((r) => r.table_name))}${missingTableHint(db)}`);
  }
  const { rows } = await sql<{ column_name: string; data_type: string }>`
    select column_name, data_type from information_schema.columns
    where table_schema = ${schema} and table_name = ${table} order by ordinal_position`.execute(db);
  return { schema, columns: new Map(rows.map((r) => [r.column_name, r.data_type])), names: rows.map((r) => r.column_name) };
}

function listColumns(info: TableInfo): string {
  const shown = info.names.slice(0, 30).join(", ");
  return info.names.length > 30 ? `${shown}, … (${info.names.length} columns)` : shown;
}

/**
 * The information_schema type of `column`.
 * @throws InputError naming the config key `key` and listing the table's columns when it is missing
 * @example
 * columnType(info, "robot_wide", "ts", "data.time_col"); // "timestamp with time zone"
 */
export function columnType(info: TableInfo, table: string, column: string, key: string): string {
  const type = info.columns.get(column);
  if (type === undefined) {
    throw new InputError(`column "${column}" not found in table "${table}" (columns: ${listColumns(info)}): check ${key}${didYouMean(column, info.names)}`);
  }
  return type;
}

/**
 * The information_schema type of a column that must hold numbers.
 * @throws InputError naming `key` when the column is missing or not numeric
 * @example
 * requireNumeric(info, "robot_wide", "axis1", "data.axes[0]"); // "double precision"
 */
export function requireNumeric(info: TableInfo, table: string, column: string, key: string): string {
  const type = columnType(info, table, column, key);
  if (!NUMERIC_TYPES.has(type)) {
    throw new InputError(`column "${column}" of table "${table}" has type ${type}, not a number: check ${key}`);
  }
  return type;
}

/**
 * How a time column of information_schema type `type` is read.
 * @throws InputError naming the column when it is neither a number nor a timestamp
 * @example
 * timeTypeOf("timestamp with time zone", "robot_wide", "ts"); // "timestamptz"
 */
export function timeTypeOf(type: string, table: string, column: string): TimeType {
  if (NUMERIC_TYPES.has(type)) return "float";
  if (type === "timestamp without time zone") return "timestamp";
  if (type === "timestamp with time zone") return "timestamptz";
  throw new InputError(
    `column "${column}" of table "${table}" has type ${type}: data.time_col must be float seconds, timestamp or timestamptz`,
  );
}

/**
 * A numeric column as float8 SQL. `real` goes through its shortest text form,
 * as psycopg2 reads it (1.1::real → 1.1, not 1.100000023841858).
 * @param column the column, already an escaped identifier
 * @param dataType its information_schema type
 * @example
 * floatExpression('"motor_b"', "real"); // '"motor_b"::text::float8'
 */
export function floatExpression(column: string, dataType: string): string {
  if (dataType === "double precision") return column;
  return dataType === "real" ? `${column}::text::float8` : `${column}::float8`;
}
