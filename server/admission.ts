/**
 * Admission control of the scoring service: a bound on the work in flight, so
 * that concurrent large requests queue at the client instead of filling the
 * heap. Two budgets: body bytes being read or scored (reserved from
 * `Content-Length` before the body is read; a body without one reserves
 * the body limit) and samples being scored
 * (reserved once the body is parsed). Both are held until the response has
 * been sent (or the client went away). A request that would go over either
 * budget while other work is in flight gets 503 with `Retry-After`; one
 * request alone is always admitted (the per-request limits bound it).
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** The budgets; see the file header. */
export interface AdmissionLimits {
  /** Most body bytes in flight (all requests). */
  readonly maxBytesInFlight: number;
  /** Most samples in flight (all requests). */
  readonly maxSamplesInFlight: number;
  /** Largest body (the body reader refuses more): what a body without `Content-Length` reserves. */
  readonly bodyLimitBytes: number;
  /** Seconds a refused client is told to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
}

/** A 503 for work beyond the budget: the error handler sends `Retry-After`. */
export class BusyError extends Error {
  readonly statusCode = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** What {@link registerAdmission} gives the routes. */
export interface Admission {
  /** Reserves `samples` for `request` until its response is sent. @throws BusyError beyond the budget. */
  admitSamples(request: FastifyRequest, samples: number): void;
  /** Bytes and samples in flight now. */
  inFlight(): { bytes: number; samples: number };
}

/**
 * Adds the byte budget to the `POST` routes of `app` (an `onRequest` hook) and returns the sample budget.
 *
 * @example
 * const admission = registerAdmission(app, { bodyLimitBytes: 16 << 20, maxBytesInFlight: 32 << 20, maxSamplesInFlight: 200_000, retryAfterSeconds: 1 });
 * app.post("/v1/score", async (request) => { admission.admitSamples(request, body.samples.length); … });
 */
export function registerAdmission(app: FastifyInstance, limits: AdmissionLimits): Admission {
  let bytes = 0;
  let samples = 0;
  const responses = new WeakMap<FastifyRequest, ServerResponse>();
  /** Releases what a request holds once, when its response is done or its connection closed. */
  const holdUntilDone = (request: FastifyRequest, release: () => void): void => {
    const response = responses.get(request);
    if (response === undefined || response.closed) return release();
    response.once("close", release);
  };
  const busy = (what: string): BusyError =>
    new BusyError(`the service is at its limit of ${what} in flight: retry after ${limits.retryAfterSeconds} s`, limits.retryAfterSeconds);

  app.addHook("onRequest", async (request, reply) => {
    responses.set(request, reply.raw);
    if (request.method !== "POST") return;
    // A body without a length (chunked) is reserved at the most it may be.
    const declared = Number(request.headers["content-length"] ?? limits.bodyLimitBytes);
    const length = Math.min(Number.isFinite(declared) && declared >= 0 ? declared : limits.bodyLimitBytes, limits.bodyLimitBytes);
    if (length === 0) return;
    if (bytes > 0 && bytes + length > limits.maxBytesInFlight) throw busy(`${limits.maxBytesInFlight} body bytes`);
    bytes += length;
    holdUntilDone(request, () => (bytes -= length));
  });
  return {
    admitSamples(request, count) {
      if (samples > 0 && samples + count > limits.maxSamplesInFlight) throw busy(`${limits.maxSamplesInFlight} samples`);
      samples += count;
      holdUntilDone(request, () => (samples -= count));
    },
    inFlight: () => ({ bytes, samples }),
  };
}
