/**
 * The scoring service: Fastify routes over the one incremental scorer
 * (lib/score.ts), with per-stream state kept between calls (in memory, and in
 * the database when given a stream store: server/streamStore.ts) and the model
 * following the registry alias `serving.alias` (default `production`), which
 * only `registry promote` moves — never simply the newest version. Its limits (body, work in flight, times,
 * values, streams in memory) and token live in the files it registers:
 * server/body.ts, admission.ts, samples.ts, streams.ts, auth.ts.
 *
 * Kept outside lib/ on purpose: tslab type-checks everything lib/ imports,
 * and Fastify needs a newer TypeScript than tslab's.
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { InputError, isInputError } from "../lib/core/errors";
import { loadVersion } from "../lib/registry";
import { parseWithSchema, z } from "../lib/core/schema";
import type { StatisticSpec } from "../lib/model/statistic";
import type { PcaArtifact } from "../lib/shapes/pcaArtifacts";
import { DOWN_SUFFIX, twoSidedModel } from "../lib/scoring/twoSided";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreState, type ScoringModel } from "../lib/scoring/score";
import { isLinearModel } from "../lib/model/trendModel";
import { BusyError, registerAdmission } from "./admission";
import { AuthError, registerAuth } from "./auth";
import { BodyError, registerJsonBody } from "./body";
import { createMetrics, type ServiceMetrics } from "./metrics";
import { columnarRows, readColumns } from "./columnar";
import { readSamples } from "./samples";
import { createStreamCache, type Stream } from "./streams";
import { savedStateFor, StoreError, type StreamStore } from "./streamStore";
import { NoIncidentsError, openIncidentGauge, registerIncidentRoutes, type IncidentAccess } from "./incidentRoutes";
import { registerSilenceRoutes } from "./silenceRoutes";
import { registerPageRoutes } from "./pageRoutes";
import { createRecentStore, type RecentOptions } from "./pageRecent";
import type { AxisDisplay } from "../lib/shapes/axisDisplay";

/** Options of {@link createScoringService}. */
export interface ServiceOptions {
  /** Registry root; the service scores with the version the alias `alias` names. */
  readonly rootDir: string;
  /** The registry alias to serve (`serving.alias`); defaults to `production`. */
  readonly alias?: string;
  /** A larger gap between samples ends runs (`scoring.max_gap_seconds`); defaults to null (never). */
  readonly maxGapSeconds?: number | null;
  /** Largest request body in bytes; defaults to 16 MiB. */
  readonly bodyLimitBytes?: number;
  /** Most samples in one request; defaults to 100,000. */
  readonly maxSamples?: number;
  /** Most streams kept in memory; defaults to 10,000. */
  readonly maxStreams?: number;
  /** How often to look whether the alias moved (a promotion), in ms; defaults to 2,000 (0: never). */
  readonly watchMs?: number;
  /** Receives one line per notable happening (model switch, watch errors); defaults to ignoring them. */
  readonly log?: (line: string) => void;
  /** Where streams and events are kept across restarts (server/streamStore.ts); null (default): in memory only. */
  readonly store?: StreamStore | null;
  /** Where incidents are listed, acknowledged and labelled (server/incidentRoutes.ts); null (default): those routes answer 409. */
  readonly incidents?: IncidentAccess | null;
  /** The token every route but `/healthz` and `/metrics` requires (server/auth.ts); null (default): none. */
  readonly token?: string | null;
  /** Most samples in flight over all requests (503 + Retry-After beyond); defaults to 200,000. */
  readonly maxSamplesInFlight?: number;
  /** Most body bytes in flight over all requests (503 + Retry-After beyond); defaults to twice the body limit. */
  readonly maxBytesInFlight?: number;
  /** Milliseconds to receive a request body (408 beyond); defaults to 10,000. */
  readonly bodyTimeoutMs?: number;
  /** Milliseconds for a whole request (Fastify `requestTimeout`); defaults to 60,000. */
  readonly requestTimeoutMs?: number;
  /** Milliseconds a connection may be silent (Fastify `connectionTimeout`); defaults to 30,000. */
  readonly connectionTimeoutMs?: number;
  /** Deepest nesting of a JSON body (400 beyond); defaults to 32. */
  readonly maxDepth?: number;
  /** Latest sample time accepted, in seconds after now (400 beyond); defaults to 86,400 (one day). */
  readonly maxFutureSeconds?: number;
  /** Seconds after which an unused stream leaves memory (with a store; its saved state stays); defaults to 600. */
  readonly idleStreamSeconds?: number;
  /** How the page names axes (`data.axis_labels`, `data.units`); default: by their names. */
  readonly display?: AxisDisplay;
  /** What the page's charts keep per stream in memory (server/pageRecent.ts); defaults: 6 h, 600 points, 200 streams. */
  readonly recent?: RecentOptions;
}

/** The running service: the Fastify app plus what tests and the entry point need. */
export interface ScoringService {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics;
  /** The version new streams start on. */
  currentVersion(): string;
  /** Looks at the alias now (the watcher does this every `watchMs`); resolves to the version served afterwards. */
  checkAlias(): Promise<string>;
  /** The former name of {@link checkAlias}. */
  checkLatest(): Promise<string>;
  /** Body bytes and samples in flight now (server/admission.ts). */
  inFlight(): { bytes: number; samples: number };
}

// Two forms of one request: `samples` (one object per sample) or `columns` (one array per axis, server/columnar.ts).
const envelopeSchema = z
  .object({
    stream: z.string().min(1).max(256),
    samples: z.array(z.unknown()).min(1).optional(),
    columns: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((body) => (body.samples === undefined) !== (body.columns === undefined), {
    message: "request body needs exactly one of samples (an array of sample objects) or columns ({ ts: [...], <axis>: [...] })",
  });

/** A 4xx with a one-line reason. */
class RequestError extends Error {
  constructor(readonly statusCode: number, message: string, readonly reason: string) {
    super(message);
  }
}

/** Whether any run of the state is in progress (a model switch waits for none). */
/** What `GET /v1/model` tells of a pca version: components, explained variance, loadings, standardisation, smoothing. */
function pcaDescription(pca: PcaArtifact): Record<string, unknown> {
  const { components, explained, explained_variance, eigenvalues, loadings, means, scales, differenced, smoothing, limits_method } = pca;
  return { components, explained, explained_variance, eigenvalues, loadings, means, scales, differenced, smoothing, limits_method };
}

function runInProgress(state: ScoreState): boolean {
  return state.runs.some((run) => run.length > 0);
}

/** Per axis × level: 1 when an event has fired and not ended. */
function openFlags(model: ScoringModel, state: ScoreState): Uint8Array {
  // Two-sided versions: the lower sides' runs follow the upper ones (lib/scoring/twoSided.ts).
  const both = twoSidedModel(model);
  const sustain = [both.tLongSteps, both.tShortSteps];
  return Uint8Array.from(state.runs, (run, r) => (run.length >= sustain[r & 1][r >> 1] ? 1 : 0));
}

/**
 * Builds the scoring service (not yet listening): `POST /v1/score`,
 * `GET /v1/model`, `GET /healthz`, `GET /metrics`.
 *
 * A stream moves to a newly promoted version at its first request that finds
 * none of its runs in progress, so no event is cut in two; the response says so
 * in `switched_from`. Registering a version changes nothing served until it is promoted.
 *
 * @throws InputError when the alias names no version (an empty registry, an alias never set).
 */
export async function createScoringService(options: ServiceOptions): Promise<ScoringService> {
  const {
    rootDir,
    alias = "production",
    maxGapSeconds = null,
    bodyLimitBytes = 16 * 1024 * 1024,
    maxSamples = 100_000,
    maxStreams = 10_000,
    watchMs = 2_000,
    log = () => {},
    store = null,
    token = null,
    maxSamplesInFlight = 200_000,
    maxBytesInFlight = 2 * bodyLimitBytes,
    bodyTimeoutMs = 10_000,
    requestTimeoutMs = 60_000,
    connectionTimeoutMs = 30_000,
    maxDepth = 32,
    maxFutureSeconds = 86_400,
    idleStreamSeconds = 600,
    incidents = null,
    display,
  } = options;
  const recent = createRecentStore(options.recent);
  const load = async (version = alias): Promise<ScoringModel> => scoringModel(await loadVersion(rootDir, version), { maxGapSeconds });
  const first = await loadVersion(rootDir, alias);
  // A registry made before aliases: production stands for latest, said once.
  if (first.notice !== null) log(`note: ${first.notice}`);
  let model = scoringModel(first, { maxGapSeconds });
  let previousVersion: string | null = null;
  let switchedAt: string | null = null;
  const metrics = createMetrics();
  metrics.modelInfo.set({ version: model.version }, 1);
  const openIncidents = await openIncidentGauge(metrics.incidentsOpen, incidents);
  /** Versions saved streams are on, other than the one served. */
  const older = new Map<string, Promise<ScoringModel>>();
  const modelOf = (version: string): Promise<ScoringModel> => {
    if (version === model.version) return Promise.resolve(model);
    let found = older.get(version);
    if (found === undefined) {
      found = load(version);
      older.set(version, found);
      found.catch(() => older.delete(version));
    }
    return found;
  };
  const streams = createStreamCache({
    store,
    // The open-event gauge counts the streams in memory.
    onEvict: (stream) => recordEvents(metrics, stream.model, stream.state.stream, [], openFlags(stream.model, stream.state), new Uint8Array(2 * stream.model.axes.length)),
    maxStreams,
    idleMs: idleStreamSeconds * 1000,
    load: async (name) => {
      const saved = store === null ? null : await store.load(name);
      if (saved === null) return null;
      let savedModel: ScoringModel;
      try {
        savedModel = await modelOf(saved.version);
      } catch (error) {
        if (saved.state.runs.some((run) => run.length > 0)) {
          const why = String((error as Error).message).split("\n")[0];
          throw new RequestError(409, `stream "${name}" has a run in progress on model version ${saved.version}, which the registry cannot load (${why}): restore that version`, "version_gone");
        }
        // Its version is gone and none of its runs is open: it continues on the current one (switched_from says so).
        return { model: { ...model, version: saved.version }, state: { ...initialScoreState(model, name), lastTime: saved.state.lastTime } };
      }
      return { model: savedModel, state: savedStateFor(savedModel, saved, store?.table ?? "") };
    },
  });
  const checkAlias = async (): Promise<string> => {
    const next = await load();
    if (next.version !== model.version) {
      metrics.modelInfo.remove({ version: model.version });
      metrics.modelInfo.set({ version: next.version }, 1);
      metrics.modelSwitches.inc();
      log(`model: ${alias} is now ${next.version} (was ${model.version}); streams switch at their next request with no run in progress`);
      previousVersion = model.version;
      switchedAt = new Date().toISOString();
      older.set(model.version, Promise.resolve(model));
      model = next;
    }
    return model.version;
  };

  const app = Fastify({ bodyLimit: bodyLimitBytes, logger: false, requestTimeout: requestTimeoutMs, connectionTimeout: connectionTimeoutMs });

  app.addHook("onResponse", async (request, reply) => {
    metrics.requestSeconds.observe({ route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  registerAuth(app, token); // first: a request without the token costs nothing more
  const admission = registerAdmission(app, { bodyLimitBytes, maxBytesInFlight, maxSamplesInFlight, retryAfterSeconds: 1 });
  registerJsonBody(app, { bodyLimitBytes, bodyTimeoutMs, maxDepth });

  app.setNotFoundHandler(async (request, reply) => {
    metrics.rejected.inc({ reason: "not_found" });
    void reply.status(404);
    return { error: `no route ${request.method} ${request.url.split("?")[0].slice(0, 100)}: the service has GET / (the page), POST /v1/score, GET /v1/model, GET /v1/overview, GET /v1/streams[/<s>/recent], GET /v1/incidents[/<id>], POST /v1/incidents/<id>/ack, POST /v1/incidents/<id>/label, GET|POST /v1/silences, DELETE /v1/silences/<id>, GET /healthz, GET /metrics` };
  });

  app.setErrorHandler((error: FastifyError | RequestError | InputError | Error, _request, reply) => {
    let status = 500;
    let reason = "internal";
    let message = "internal error";
    if (error instanceof RequestError || error instanceof BodyError || error instanceof NoIncidentsError) {
      ({ statusCode: status, reason, message } = error);
    } else if (error instanceof BusyError || error instanceof StoreError) {
      ({ statusCode: status, message } = error);
      reason = error instanceof BusyError ? "busy" : "store";
      void reply.header("retry-after", String(error instanceof BusyError ? error.retryAfterSeconds : 1));
      if (error instanceof StoreError) log(`error: ${message}`);
    } else if (error instanceof AuthError) {
      ({ statusCode: status, message } = error);
      reason = "unauthorized";
      void reply.header("www-authenticate", "Bearer");
    } else if (isInputError(error)) {
      status = "statusCode" in error && error.statusCode === 404 ? 404 : 400;
      reason = status === 404 ? "not_found" : "bad_sample";
      message = error.message;
    } else if ("statusCode" in error && typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      const code = (error as FastifyError).code;
      reason = code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "too_large" : code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "media_type" : "malformed";
      message =
        reason === "too_large"
          ? `request body is larger than the limit of ${bodyLimitBytes} bytes: send fewer samples per request`
          : reason === "malformed"
            ? `request body is not valid JSON: ${error.message}`
            : error.message;
    } else {
      log(`error: ${error.message}`);
    }
    if (status < 500 || status === 503) metrics.rejected.inc({ reason });
    void reply.status(status).send({ error: message.replace(/\s*\n\s*/g, " ").slice(0, 500) });
  });

  const querySchema = z.object({ residuals: z.enum(["true", "false"]).optional() }).strict();
  app.post("/v1/score", async (request) => {
    const query = parseWithSchema(querySchema, request.query, "query string");
    const body = parseWithSchema(envelopeSchema, request.body, "request body");
    const rows = body.columns !== undefined ? columnarRows(body.columns) : body.samples!.length;
    const form = body.columns !== undefined ? "columns.ts" : "samples";
    if (rows > maxSamples) {
      throw new RequestError(413, `request body: ${form} has ${rows} entries, more than the limit of ${maxSamples}`, "too_large");
    }
    admission.admitSamples(request, rows);
    return streams.exclusive(body.stream, async (stream, room, inMemory) => {
      if (!room()) {
        throw new RequestError(429, `stream "${body.stream}" is not in memory, and all ${maxStreams} streams the service keeps there have requests in flight${store === null ? " (without a database none is evicted)" : ""}: retry later`, "too_many_streams");
      }
      let switchedFrom: string | null = null;
      let current: Stream = stream ?? { model, state: initialScoreState(model, body.stream) };
      if (current.model.version !== model.version && !runInProgress(current.state)) {
        switchedFrom = current.model.version;
        current = { model, state: { ...initialScoreState(model, body.stream), lastTime: current.state.lastTime } };
      }
      const batch =
        body.columns !== undefined
          ? readColumns(current.model, body.columns, { maxFutureSeconds })
          : readSamples(current.model, body.samples!, { maxFutureSeconds });
      const result = scoreBatch(current.model, current.state, batch); // throws before any state changes
      const changes = store !== null ? await store.save(current.model, result.state, result.events) : undefined; // throws before memory changes
      openIncidents.apply(changes ?? []);
      recent.add(body.stream, current.model, batch.time, result.statistics); // the page's charts (bounded)
      // A switched stream starts from a fresh state: nothing open before. A stream loaded from the store had its open
      // events counted (fired) before: they count as open again, not as fired again.
      const before = openFlags(current.model, current.state);
      if (!inMemory) recordEvents(metrics, current.model, body.stream, [], new Uint8Array(before.length), before, false);
      recordEvents(metrics, current.model, body.stream, result.events, before, openFlags(current.model, result.state));
      metrics.samplesScored.inc(batch.time.length);
      const perAxis = (columns: readonly Float64Array[]): Record<string, (number | null)[]> =>
        Object.fromEntries((current.model.pca?.channels.axes ?? current.model.axes).map((axis, a) => [axis, Array.from(columns[a], (value) => (Number.isFinite(value) ? value : null))]));
      // The scored statistic's values only when some axis is not scored on its residual.
      const smoothed = current.model.statistics?.some((spec) => spec.type !== "residual") ?? false;
      const withResiduals = query.residuals !== "false";
      const value = {
        stream: body.stream,
        model_version: current.model.version,
        ...(switchedFrom === null ? {} : { switched_from: switchedFrom }),
        ...(withResiduals ? { residuals: perAxis(result.residuals) } : {}),
        ...(withResiduals && smoothed ? { statistics: perAxis(result.statistics) } : {}),
        events: result.events,
      };
      return { keep: { model: current.model, state: result.state }, value };
    }).finally(() => metrics.streams.set(streams.size()));
  });

  app.get("/v1/model", async () => {
    const thresholds: Record<string, { MinC: number; MaxC: number; T_long_steps: number; T_short_steps: number; statistic?: StatisticSpec }> = {};
    // A pca version: thresholds of its statistics T2 and SPE.
    (model.pca?.channels.axes ?? model.axes).forEach((axis, a) => {
      const statistic = model.statistics?.[a];
      thresholds[axis] = {
        MinC: model.minC[a],
        MaxC: model.maxC[a],
        T_long_steps: model.tLongSteps[a],
        T_short_steps: model.tShortSteps[a],
        ...(statistic === undefined || statistic.type === "residual" ? {} : { statistic }),
      };
    });
    return {
      version: model.version,
      alias,
      axes: model.axes,
      time_type: model.timeType,
      thresholds,
      // A line as { coef, intercept }; another trend as models.json describes it (type and parameters).
      models: Object.fromEntries(
        model.axes.map((axis, a) => {
          const trend = model.models?.[a];
          if (trend === undefined || isLinearModel(trend)) return [axis, { coef: model.coef[a], intercept: model.intercept[a] }];
          const { axis: _, samples_used: __, ...parameters } = trend;
          return [axis, parameters];
        }),
      ),
      ...(model.pca === undefined ? {} : { pca: pcaDescription(model.pca.artifact) }),
      max_gap_seconds: model.maxGapSeconds,
      previous_version: previousVersion,
      switched_at: switchedAt,
      streams: streams.size(),
    };
  });

  registerIncidentRoutes(app, incidents);
  registerSilenceRoutes(app, incidents);
  registerPageRoutes(app, { alias, served: () => ({ version: model.version, timeType: model.timeType }), recent, access: incidents, display });

  app.get("/healthz", async () => ({ status: "ok", version: model.version }));

  app.get("/metrics", async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  if (watchMs > 0) {
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      checkAlias()
        .catch((error: unknown) => log(`model: cannot read alias ${alias}, keeping ${model.version}: ${(error as Error).message}`))
        .finally(() => {
          checking = false;
        });
    }, watchMs);
    timer.unref();
    app.addHook("onClose", async () => clearInterval(timer));
  }
  if (store !== null) {
    const sweeper = setInterval(() => metrics.streams.set((streams.sweep(), streams.size())), Math.min(60_000, idleStreamSeconds * 1000));
    sweeper.unref();
    app.addHook("onClose", async () => clearInterval(sweeper));
  }

  return { app, metrics, currentVersion: () => model.version, checkAlias, checkLatest: checkAlias, inFlight: admission.inFlight };
}

/** Counts fired events (unless `count` is false) and keeps the open-event gauge, from the batch's events and the open flags before/after. */
function recordEvents(metrics: ServiceMetrics, model: ScoringModel, stream: string, events: readonly ScoreEvent[], before: Uint8Array, after: Uint8Array, count = true): void {
  // Each run either was open before the batch or fired in it: fired = closed + open after − open before.
  const closed = new Int32Array(after.length);
  // A pca version's runs are those of its statistics (T2, SPE).
  const runAxes = model.pca?.channels.axes ?? twoSidedModel(model).axes;
  const index = new Map(runAxes.map((axis, a) => [axis, a] as const));
  for (const event of events) {
    const axis = event.direction === "down" ? `${event.axis}${DOWN_SUFFIX}` : event.axis;
    if (event.ended_at !== null) closed[2 * (index.get(axis) as number) + (event.level === "alert" ? 0 : 1)]++;
  }
  for (let r = 0; r < after.length; r++) {
    const labels = { stream, axis: runAxes[r >> 1], level: r & 1 ? "error" : "alert" };
    const fired = closed[r] + after[r] - before[r];
    if (fired > 0 && count) metrics.eventsFired.inc(labels, fired);
    if (after[r] !== before[r]) metrics.openEvents.inc(labels, after[r] - before[r]);
  }
}
