/**
 * The scoring service: Fastify routes over the one incremental scorer
 * (lib/score.ts), with per-stream state kept between calls and the model
 * following the registry's `latest`.
 *
 * Kept outside lib/ on purpose: tslab type-checks everything lib/ imports,
 * and Fastify needs a newer TypeScript than tslab's.
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { InputError, isInputError } from "../lib/core/errors";
import { loadVersion } from "../lib/registry";
import { didYouMean, parseWithSchema, z } from "../lib/core/schema";
import type { StatisticSpec } from "../lib/model/statistic";
import type { PcaArtifact } from "../lib/shapes/pcaArtifacts";
import { DOWN_SUFFIX, twoSidedModel } from "../lib/scoring/twoSided";
import { initialScoreState, scoreBatch, scoringModel, type ScoreEvent, type ScoreState, type ScoringModel } from "../lib/scoring/score";
import { isoToEpochSeconds } from "../lib/core/time";
import { isLinearModel } from "../lib/model/trendModel";
import { createMetrics, type ServiceMetrics } from "./metrics";

/** Options of {@link createScoringService}. */
export interface ServiceOptions {
  /** Registry root; the service scores with the version `latest` names. */
  readonly rootDir: string;
  /** A larger gap between samples ends runs (`scoring.max_gap_seconds`); defaults to null (never). */
  readonly maxGapSeconds?: number | null;
  /** Largest request body in bytes; defaults to 16 MiB. */
  readonly bodyLimitBytes?: number;
  /** Most samples in one request; defaults to 100,000. */
  readonly maxSamples?: number;
  /** Most streams kept in memory; defaults to 10,000. */
  readonly maxStreams?: number;
  /** How often to look for a newly registered `latest`, in ms; defaults to 2,000 (0: never). */
  readonly watchMs?: number;
  /** Receives one line per notable happening (model switch, watch errors); defaults to ignoring them. */
  readonly log?: (line: string) => void;
}

/** One stream's scorer: the model it is on and its state. */
interface Stream {
  model: ScoringModel;
  state: ScoreState;
}

/** The running service: the Fastify app plus what tests and the entry point need. */
export interface ScoringService {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics;
  /** The version new streams start on. */
  currentVersion(): string;
  /** Looks at `latest` now (the watcher does this every `watchMs`); resolves to the version served afterwards. */
  checkLatest(): Promise<string>;
}

const envelopeSchema = z
  .object({
    stream: z.string().min(1).max(256),
    samples: z.array(z.unknown()).min(1),
  })
  .strict();

/** A 4xx with a one-line reason. */
class RequestError extends Error {
  constructor(readonly statusCode: number, message: string, readonly reason: string) {
    super(message);
  }
}

/** Reads the samples of a request into the scorer's columns, naming the first bad sample. */
function readSamples(model: ScoringModel, samples: readonly unknown[]): { time: Float64Array; values: Float64Array[] } {
  const n = samples.length;
  const time = new Float64Array(n);
  const values = model.axes.map(() => new Float64Array(n).fill(NaN));
  const column = new Map(model.axes.map((axis, a) => [axis, a] as const));
  for (let i = 0; i < n; i++) {
    const sample = samples[i];
    if (typeof sample !== "object" || sample === null || Array.isArray(sample)) {
      throw new InputError(`samples[${i}] must be an object {"ts": …, "<axis>": value}`);
    }
    const record = sample as Record<string, unknown>;
    const ts = record.ts;
    if (typeof ts === "number" && Number.isFinite(ts)) time[i] = ts;
    else if (typeof ts === "string" && model.timeType !== "float") time[i] = isoToEpochSeconds(ts);
    else {
      const want = model.timeType === "float" ? "a number of seconds" : "an ISO-8601 timestamp or epoch seconds";
      throw new InputError(`samples[${i}].ts must be ${want}, got ${JSON.stringify(ts) ?? "nothing"}`);
    }
    for (const key in record) {
      if (key === "ts") continue;
      const a = column.get(key);
      if (a === undefined) {
        throw new InputError(`samples[${i}]: unknown axis "${key}" (model ${model.version} axes: ${model.axes.join(", ")})${didYouMean(key, model.axes)}`);
      }
      const value = record[key];
      if (typeof value === "number") values[a][i] = value;
      else if (value !== null) throw new InputError(`samples[${i}].${key} must be a number or null, got ${JSON.stringify(value)}`);
    }
  }
  return { time, values };
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
 * A stream moves to a newly registered version at its first request that finds
 * none of its runs in progress, so no event is cut in two; the response says so
 * in `switched_from`.
 *
 * @throws InputError when the registry has no `latest` version.
 */
export async function createScoringService(options: ServiceOptions): Promise<ScoringService> {
  const {
    rootDir,
    maxGapSeconds = null,
    bodyLimitBytes = 16 * 1024 * 1024,
    maxSamples = 100_000,
    maxStreams = 10_000,
    watchMs = 2_000,
    log = () => {},
  } = options;
  const load = async (): Promise<ScoringModel> => scoringModel(await loadVersion(rootDir, "latest"), { maxGapSeconds });
  let model = await load();
  let previousVersion: string | null = null;
  let switchedAt: string | null = null;
  const streams = new Map<string, Stream>();
  const metrics = createMetrics();
  metrics.modelInfo.set({ version: model.version }, 1);

  const checkLatest = async (): Promise<string> => {
    const next = await load();
    if (next.version !== model.version) {
      metrics.modelInfo.remove({ version: model.version });
      metrics.modelInfo.set({ version: next.version }, 1);
      metrics.modelSwitches.inc();
      log(`model: latest is now ${next.version} (was ${model.version}); streams switch at their next request with no run in progress`);
      previousVersion = model.version;
      switchedAt = new Date().toISOString();
      model = next;
    }
    return model.version;
  };

  const app = Fastify({ bodyLimit: bodyLimitBytes, logger: false });

  app.addHook("onResponse", async (request, reply) => {
    metrics.requestSeconds.observe({ route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError | RequestError | InputError, _request, reply) => {
    let status = 500;
    let reason = "internal";
    let message = "internal error";
    if (error instanceof RequestError) {
      ({ statusCode: status, reason, message } = error);
    } else if (isInputError(error)) {
      status = 400;
      reason = "bad_sample";
      message = error.message;
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      reason = error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "too_large" : error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "media_type" : "malformed";
      message =
        reason === "too_large"
          ? `request body is larger than the limit of ${bodyLimitBytes} bytes: send fewer samples per request`
          : reason === "malformed"
            ? `request body is not valid JSON: ${error.message}`
            : error.message;
    } else {
      log(`error: ${error.message}`);
    }
    if (status < 500) metrics.rejected.inc({ reason });
    void reply.status(status).send({ error: message.replace(/\s*\n\s*/g, " ") });
  });

  app.post("/v1/score", async (request) => {
    const body = parseWithSchema(envelopeSchema, request.body, "request body");
    if (body.samples.length > maxSamples) {
      throw new RequestError(413, `request body: samples has ${body.samples.length} entries, more than the limit of ${maxSamples}`, "too_large");
    }
    let stream = streams.get(body.stream);
    if (stream === undefined && streams.size >= maxStreams) {
      throw new RequestError(429, `stream "${body.stream}" is new, but the service already keeps the limit of ${maxStreams} streams`, "too_many_streams");
    }
    let switchedFrom: string | null = null;
    if (stream !== undefined && stream.model !== model && !runInProgress(stream.state)) {
      switchedFrom = stream.model.version;
      stream = { model, state: { ...initialScoreState(model, body.stream), lastTime: stream.state.lastTime } };
    }
    const current = stream ?? { model, state: initialScoreState(model, body.stream) };
    const batch = readSamples(current.model, body.samples);
    const result = scoreBatch(current.model, current.state, batch); // throws before any state changes
    // A switched stream starts from a fresh state: nothing open before.
    recordEvents(metrics, current.model, result.events, openFlags(current.model, current.state), openFlags(current.model, result.state));
    streams.set(body.stream, { model: current.model, state: result.state });
    metrics.streams.set(streams.size);
    metrics.samplesScored.inc(batch.time.length);
    const perAxis = (columns: readonly Float64Array[]): Record<string, (number | null)[]> =>
      Object.fromEntries((current.model.pca?.channels.axes ?? current.model.axes).map((axis, a) => [axis, Array.from(columns[a], (value) => (Number.isFinite(value) ? value : null))]));
    // The scored statistic's values only when some axis is not scored on its residual.
    const smoothed = current.model.statistics?.some((spec) => spec.type !== "residual") ?? false;
    return {
      stream: body.stream,
      model_version: current.model.version,
      ...(switchedFrom === null ? {} : { switched_from: switchedFrom }),
      residuals: perAxis(result.residuals),
      ...(smoothed ? { statistics: perAxis(result.statistics) } : {}),
      events: result.events,
    };
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
      streams: streams.size,
    };
  });

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
      checkLatest()
        .catch((error: unknown) => log(`model: cannot read latest, keeping ${model.version}: ${(error as Error).message}`))
        .finally(() => {
          checking = false;
        });
    }, watchMs);
    timer.unref();
    app.addHook("onClose", async () => clearInterval(timer));
  }

  return { app, metrics, currentVersion: () => model.version, checkLatest };
}

/** Counts fired events and keeps the open-event gauge, from the batch's events and the open flags before/after. */
function recordEvents(metrics: ServiceMetrics, model: ScoringModel, events: readonly ScoreEvent[], before: Uint8Array, after: Uint8Array): void {
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
    const labels = { axis: runAxes[r >> 1], level: r & 1 ? "error" : "alert" };
    const fired = closed[r] + after[r] - before[r];
    if (fired > 0) metrics.eventsFired.inc(labels, fired);
    if (after[r] !== before[r]) metrics.openEvents.inc(labels, after[r] - before[r]);
  }
}
