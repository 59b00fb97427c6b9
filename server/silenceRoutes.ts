/**
 * The service's silence routes, over lib/scoring/silences.ts (the same rules
 * and one-line errors as `npm start -- silence …`): `GET /v1/silences[?stream=<s>]`,
 * `POST /v1/silences` (JSON `{stream, axis?, from, to, reason, by?}`: times as
 * `silence add --from/--to` reads them) and `DELETE /v1/silences/<id>`. They
 * need the token like every route (server/auth.ts); without a database they
 * answer 409 like the incident routes.
 */
import type { FastifyInstance } from "fastify";
import { InputError } from "../lib/core/errors";
import { parseWithSchema, z } from "../lib/core/schema";
import { addSilence, listSilences, removeSilence } from "../lib/scoring/silences";
import { mirrorSilence, unmirrorSilence } from "../lib/scoring/alerting/alertmanagerSilence";
import { NoIncidentsError, type IncidentAccess } from "./incidentRoutes";

const listSchema = z.object({ stream: z.string().min(1).max(256).optional() }).strict();
/** Times are text or a number of seconds, as the CLI's flags; checked by addSilence. */
const bound = z.union([z.string().max(100), z.number().finite()]).optional();
const addSchema = z
  .object({
    stream: z.string().min(1).max(256),
    axis: z.string().min(1).max(256).nullish(),
    from: bound,
    to: bound,
    reason: z.string().max(2000).optional(),
    by: z.string().min(1).max(200).optional(),
  })
  .strict();
/** An unknown silence id: the CLI's line, as a 404. */
class UnknownSilenceError extends InputError {
  readonly statusCode = 404;
}

const idSchema = z.object({ id: z.string().min(1).max(64) }).strict();

/**
 * Registers the silence routes on `app`.
 * @example
 * registerSilenceRoutes(app, { db, eventsTable: "mlbox_events", incidentsTable: "mlbox_incidents" });
 */
export function registerSilenceRoutes(app: FastifyInstance, access: IncidentAccess | null): void {
  const need = (): IncidentAccess => {
    if (access === null) throw new NoIncidentsError("this service keeps no silences: start it with a database (npm run serve)");
    return access;
  };
  app.get("/v1/silences", async (request) => {
    const { db, incidentsTable } = need();
    const query = parseWithSchema(listSchema, request.query ?? {}, "query string");
    return { silences: await listSilences(db, incidentsTable, query.stream) };
  });
  app.post("/v1/silences", async (request, reply) => {
    const { db, incidentsTable, alertmanager = null } = need();
    const body = parseWithSchema(addSchema, request.body ?? {}, "request body");
    const text = (value: string | number | undefined): string | undefined => (value === undefined ? undefined : String(value));
    const silence = await addSilence(db, incidentsTable, { stream: body.stream, axis: body.axis ?? null, from: text(body.from), to: text(body.to), reason: body.reason, createdBy: body.by ?? "api" });
    void reply.status(201);
    if (alertmanager === null) return silence;
    return { ...silence, alertmanager: await mirrorSilence(db, incidentsTable, alertmanager.url, silence, alertmanager.timeoutSeconds) };
  });
  app.delete("/v1/silences/:id", async (request) => {
    const { db, incidentsTable, alertmanager = null } = need();
    const { id } = parseWithSchema(idSchema, request.params, "silence id");
    const alertmanagerId = await removeSilence(db, incidentsTable, id).catch((error: unknown) => {
      throw error instanceof InputError && /^no silence /.test(error.message) ? new UnknownSilenceError(error.message) : error;
    });
    if (alertmanager === null) return { removed: Number(id) };
    return { removed: Number(id), alertmanager: await unmirrorSilence(alertmanager.url, alertmanagerId, alertmanager.timeoutSeconds) };
  });
}
