/**
 * The service's incident routes: `GET /v1/incidents` (open first),
 * `GET /v1/incidents/<id>`, `POST /v1/incidents/<id>/ack` (JSON `{by?}`) and
 * `POST /v1/incidents/<id>/label` (JSON `{label, note?, by?}`), over the
 * operator functions of lib/scoring/incidentAdmin.ts; and the
 * `mlbox_incidents_open{stream,severity}` gauge, kept from the incident
 * changes each scored batch writes. Auth is the service's (server/auth.ts):
 * every route here needs the token when one is set. Errors keep the `{error}` shape.
 */
import type { FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Gauge } from "prom-client";
import { parseWithSchema, z } from "../lib/core/schema";
import { ackIncident, getIncident, incidentEvents, labelIncident, listIncidents, openIncidentCounts } from "../lib/scoring/incidentAdmin";
import type { IncidentChange } from "../lib/scoring/incidentStore";

/** Where the service reads and writes incidents. */
export interface IncidentAccess {
  readonly db: Kysely<any>;
  readonly eventsTable: string;
  readonly incidentsTable: string;
  /** `alerting.alertmanager_url` and `alerting.timeout_seconds`, when set: silences are told to it too. */
  readonly alertmanager?: { readonly url: string; readonly timeoutSeconds: number } | null;
}

/** No database: the service keeps no incidents. */
export class NoIncidentsError extends Error {
  readonly statusCode = 409;
  readonly reason = "no_incidents";
}

/** The open incidents the gauge counts, updated from each batch's changes. */
export interface OpenIncidentGauge {
  apply(changes: readonly IncidentChange[]): void;
}

/**
 * Starts the gauge from the table's open incidents.
 * @example
 * const gauge = await openIncidentGauge(metrics.incidentsOpen, { db, eventsTable, incidentsTable });
 */
export async function openIncidentGauge(gauge: Gauge<"stream" | "severity">, access: IncidentAccess | null): Promise<OpenIncidentGauge> {
  const open = new Map<string, { stream: string; severity: string }>();
  if (access !== null) (await openIncidentCounts(access.db, access.incidentsTable)).forEach((row) => open.set(row.id, row));
  const set = (streams: Iterable<string>): void => {
    for (const stream of streams) {
      for (const severity of ["alert", "error"]) {
        let n = 0;
        open.forEach((row) => (n += row.stream === stream && row.severity === severity ? 1 : 0));
        gauge.set({ stream, severity }, n);
      }
    }
  };
  set(new Set([...open.values()].map((row) => row.stream)));
  return {
    apply(changes) {
      if (changes.length === 0) return;
      for (const { incident } of changes) {
        if (incident.closed_at === null) open.set(incident.id, { stream: incident.stream, severity: incident.severity });
        else open.delete(incident.id);
      }
      set(new Set(changes.map((change) => change.incident.stream)));
    },
  };
}

const idSchema = z.object({ id: z.string().min(1).max(64) }).strict();
const listSchema = z.object({ stream: z.string().min(1).max(256).optional() }).strict();
const ackSchema = z.object({ by: z.string().min(1).max(200).optional() }).strict();
const labelSchema = z.object({ label: z.string().max(100), note: z.string().max(2000).nullish(), by: z.string().min(1).max(200).optional() }).strict();

/**
 * Registers the incident routes on `app`.
 * @example
 * registerIncidentRoutes(app, { db, eventsTable: "mlbox_events", incidentsTable: "mlbox_incidents" });
 */
export function registerIncidentRoutes(app: FastifyInstance, access: IncidentAccess | null): void {
  const need = (): IncidentAccess => {
    if (access === null) throw new NoIncidentsError("this service keeps no incidents: start it with a database (npm run serve)");
    return access;
  };
  app.get("/v1/incidents", async (request) => {
    const { db, incidentsTable } = need();
    const query = parseWithSchema(listSchema, request.query ?? {}, "query string");
    return { incidents: await listIncidents(db, incidentsTable, { stream: query.stream }) };
  });
  app.get("/v1/incidents/:id", async (request) => {
    const { db, eventsTable, incidentsTable } = need();
    const { id } = parseWithSchema(idSchema, request.params, "incident id");
    const incident = await getIncident(db, incidentsTable, id);
    return { ...incident, event_list: await incidentEvents(db, eventsTable, incidentsTable, id) };
  });
  app.post("/v1/incidents/:id/ack", async (request) => {
    const { db, incidentsTable } = need();
    const { id } = parseWithSchema(idSchema, request.params, "incident id");
    const body = parseWithSchema(ackSchema, request.body ?? {}, "request body");
    return ackIncident(db, incidentsTable, id, body.by ?? "api");
  });
  app.post("/v1/incidents/:id/label", async (request) => {
    const { db, incidentsTable } = need();
    const { id } = parseWithSchema(idSchema, request.params, "incident id");
    const body = parseWithSchema(labelSchema, request.body ?? {}, "request body");
    return labelIncident(db, incidentsTable, id, body.label, body.note ?? null, body.by ?? "api");
  });
}
