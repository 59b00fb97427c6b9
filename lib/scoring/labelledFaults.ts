/**
 * The spans operators labelled `fault` (issue 17, "Labels feed training"):
 * the incidents of one stream in `scoring.incidents_table` whose label is
 * `fault`, as [opened_at, closed_at] in epoch seconds (closed_at null while
 * the incident is open). Training leaves the rows inside them out (see
 * lib/stages/excludeSpans.ts), so a persisting fault is not learned as normal.
 * No incidents table means no spans.
 */
import { sql, type Kysely } from "kysely";
import { InputError } from "../core/errors";

/** One incident labelled `fault`: its id and its span in epoch seconds (`end` null: still open). */
export interface FaultSpan {
  readonly id: string;
  readonly start: number;
  readonly end: number | null;
}

/**
 * The `fault`-labelled incidents of `stream`, ordered by opening; [] when `incidentsTable` does not exist.
 * @example
 * const spans = await labelledFaultSpans(db, "mlbox_incidents", "robot"); // [{ id: "inc-…", start: 1666080000, end: 1666080600 }]
 */
export async function labelledFaultSpans(db: Kysely<any>, incidentsTable: string, stream: string): Promise<FaultSpan[]> {
  const { rows: columns } = await sql<{ data_type: string }>`select data_type from information_schema.columns
    where table_schema = current_schema() and table_name = ${incidentsTable} and column_name in ('opened_at', 'label')`.execute(db);
  if (columns.length === 0) return [];
  const timestamp = columns.some((c) => c.data_type.startsWith("timestamp"));
  const seconds = (column: string) => (timestamp ? sql`extract(epoch from ${sql.ref(column)})::float8` : sql`${sql.ref(column)}::float8`);
  try {
    const { rows } = await sql<{ id: string; start: number; end: number | null }>`select id, ${seconds("opened_at")} as start, ${seconds("closed_at")} as "end"
      from ${sql.id(incidentsTable)} where stream = ${stream} and label = 'fault' order by opened_at, id`.execute(db);
    return rows.map((row) => ({ id: row.id, start: Number(row.start), end: row.end === null ? null : Number(row.end) }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "42703" || code === "42804") {
      throw new InputError(`table "${incidentsTable}" exists but is not an ML Box incidents table (${(error as Error).message}): set scoring.incidents_table to another name`);
    }
    throw error;
  }
}
