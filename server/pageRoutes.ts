/**
 * The page and the JSON it polls: `GET /` (server/pageHtml.ts), `GET /v1/overview[?chart=<s>…]`
 * (everything the page shows, shaped by server/pageData.ts), `GET /v1/streams` (every stream with its state
 * and version) and `GET /v1/streams/<s>/recent` (its recent statistic against its limits, from
 * server/pageRecent.ts). `GET /` is open like `/healthz` (it holds no data); the JSON routes need the
 * token like every other (server/auth.ts). Reads are bounded: at most 1,000 streams and 200 incidents.
 */
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { InputError } from "../lib/core/errors";
import { cutText } from "../lib/core/boundedText";
import { parseWithSchema, z } from "../lib/core/schema";
import { listIncidents, type IncidentRow } from "../lib/scoring/incidentAdmin";
import { listSilences, type Silence } from "../lib/scoring/silences";
import type { AxisDisplay } from "../lib/shapes/axisDisplay";
import type { TimeType } from "../lib/shapes/types";
import type { IncidentAccess } from "./incidentRoutes";
import { chartOf, overview, type StreamRow } from "./pageData";
import { pageHtml } from "./pageHtml";
import type { RecentStore } from "./pageRecent";
import { streamTable } from "./streamStore";

/** Most streams and incidents one overview reads. */
const MAX_STREAMS = 1000;
const MAX_INCIDENTS = 200;

/** What the page routes read. */
export interface PageSources {
  readonly alias: string;
  /** The version new streams start on, and its time type. */
  readonly served: () => { readonly version: string; readonly timeType: TimeType };
  readonly recent: RecentStore;
  /** null: a service without a database (streams from memory, no incidents or silences). */
  readonly access: IncidentAccess | null;
  readonly display?: AxisDisplay;
}

/** An unknown stream of `/v1/streams/<s>/recent`: 404. */
class UnknownStreamError extends InputError {
  readonly statusCode = 404;
}

const overviewSchema = z.object({ chart: z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(20)]).optional() }).strict();
const streamSchema = z.object({ stream: z.string().min(1).max(256) }).strict();

/**
 * Registers `GET /`, `GET /v1/overview`, `GET /v1/streams` and `GET /v1/streams/<s>/recent` on `app`.
 * @example
 * registerPageRoutes(app, { alias: "production", served: () => ({ version: "v1", timeType: "float" }), recent, access: null });
 */
export function registerPageRoutes(app: FastifyInstance, sources: PageSources): void {
  const { access, recent, display } = sources;

  /** The streams table's rows (bounded), else the streams in memory; and how many more there are. */
  const streamRows = async (): Promise<{ rows: StreamRow[]; more: number }> => {
    const fromMemory = (names: readonly string[]): StreamRow[] =>
      names.flatMap((stream) => {
        const series = recent.get(stream);
        return series === null ? [] : [{ stream, model_version: series.model_version, position: series.last, updated_at: null }];
      });
    if (access === null) return { rows: fromMemory(recent.streams().reverse().slice(0, MAX_STREAMS)), more: Math.max(0, recent.streams().length - MAX_STREAMS) };
    const table = streamTable(access.eventsTable);
    const { rows: found } = await sql<{ found: boolean }>`select to_regclass(${`"${table.replace(/"/g, '""')}"`}) is not null as found`.execute(access.db);
    if (!found[0].found) return { rows: [], more: 0 };
    const { rows } = await sql<{ stream: string; model_version: string; position: number | null; updated_at: string; total: string }>`
      select stream, model_version, position, updated_at::text as updated_at, count(*) over () as total
      from ${sql.id(table)} order by updated_at desc, stream limit ${MAX_STREAMS}`.execute(access.db);
    const total = rows.length === 0 ? 0 : Number(rows[0].total);
    return {
      rows: rows.map((row) => ({ stream: row.stream, model_version: row.model_version, position: row.position === null ? null : Number(row.position), updated_at: row.updated_at })),
      more: total - rows.length,
    };
  };
  const incidentsAndSilences = async (): Promise<{ incidents: IncidentRow[]; silences: Silence[] }> => {
    if (access === null) return { incidents: [], silences: [] };
    const [incidents, silences] = await Promise.all([listIncidents(access.db, access.incidentsTable, { limit: MAX_INCIDENTS }), listSilences(access.db, access.incidentsTable)]);
    return { incidents, silences };
  };
  const snapshot = async (chart: readonly string[] = []) => {
    const [{ rows, more }, { incidents, silences }] = await Promise.all([streamRows(), incidentsAndSilences()]);
    const { version, timeType } = sources.served();
    return overview({ alias: sources.alias, version, timeType, streams: rows, moreStreams: more, incidents, silences, recent: (s) => recent.get(s), display, chart, now: new Date() });
  };

  app.get("/", async (_request, reply) => {
    void reply.header("cache-control", "no-store").type("text/html; charset=utf-8");
    return pageHtml();
  });
  app.get("/v1/overview", async (request, reply) => {
    const query = parseWithSchema(overviewSchema, request.query ?? {}, "query string");
    void reply.header("cache-control", "no-store");
    return snapshot(query.chart === undefined ? [] : typeof query.chart === "string" ? [query.chart] : query.chart);
  });
  app.get("/v1/streams", async () => {
    const { streams, more_streams } = await snapshot();
    return { streams, more_streams };
  });
  app.get("/v1/streams/:stream/recent", async (request) => {
    const { stream } = parseWithSchema(streamSchema, request.params, "stream");
    const series = recent.get(stream);
    if (series === null) throw new UnknownStreamError(`no recent samples of stream "${cutText(stream)}" in this service (it keeps the last hours of streams scored since it started)`);
    const { incidents } = await snapshot();
    return chartOf(series, incidents, display);
  });
}
