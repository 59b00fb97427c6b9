/**
 * The service's JSON body reader, in place of Fastify's: it bounds what a
 * body may cost before any of it is parsed. A body larger than the limit is
 * 413, one not complete within the body-read timeout is 408 and its
 * connection closed (a client trickling a byte every few seconds is cut off),
 * and one nesting arrays/objects deeper than the stated depth is 400 (checked
 * on the raw bytes, so 10,000 levels never reach `JSON.parse`).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { readColumnarBody } from "./columnarBody";

/** Limits of {@link registerJsonBody}. */
export interface BodyLimits {
  /** Largest body in bytes. */
  readonly bodyLimitBytes: number;
  /** Milliseconds to receive the whole body, from the first byte read. */
  readonly bodyTimeoutMs: number;
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
}

/** A 4xx of the body reader, with the reason code the metrics count. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Requests whose connection must be closed after the answer (the body was not read to its end). */
const closeAfterReply = new WeakSet<FastifyRequest>();

/** Whether the connection of `request` is to be closed once answered. */
export function mustClose(request: FastifyRequest): boolean {
  return closeAfterReply.has(request);
}

/**
 * The deepest nesting of `[`/`{` in JSON text, outside strings; stops counting past `limit`.
 *
 * @example
 * jsonDepth(Buffer.from('{"a": [[1]]}'), 64); // 3
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Replaces the `application/json` parser of `app` with the bounded one.
 *
 * @example
 * registerJsonBody(app, { bodyLimitBytes: 16 << 20, bodyTimeoutMs: 10_000, maxDepth: 32 });
 */
export function registerJsonBody(app: FastifyInstance, limits: BodyLimits): void {
  const { bodyLimitBytes, bodyTimeoutMs, maxDepth } = limits;
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", (request, payload, done) => {
    const chunks: Buffer[] = [];
    const scoring = request.url.startsWith("/v1/score");
    let received = 0;
    let finished = false;
    const finish = (error: Error | null, body?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      payload.removeListener("data", onData);
      payload.removeListener("end", onEnd);
      payload.removeListener("error", onError);
      if (error !== null) {
        closeAfterReply.add(request);
        payload.resume(); // discard the rest while the answer goes out; the connection closes after it
      }
      done(error, body);
    };
    const timer = setTimeout(
      () => finish(new BodyError(408, `request body not received within ${bodyTimeoutMs / 1000} s (${received} bytes arrived): send it at once`, "timeout")),
      bodyTimeoutMs,
    );
    const tooLarge = (): void =>
      finish(new BodyError(413, `request body is larger than the limit of ${bodyLimitBytes} bytes: send fewer samples per request`, "too_large"));
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > bodyLimitBytes) return tooLarge();
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const bytes = Buffer.concat(chunks, received);
      chunks.length = 0;
      // The columnar scoring body is read straight into Float64Arrays (it nests 3 deep); any other goes through JSON.parse.
      const columnar = maxDepth >= 3 && scoring ? readColumnarBody(bytes) : null;
      if (columnar !== null) {
        finish(null, columnar);
        return;
      }
      if (jsonDepth(bytes, maxDepth) > maxDepth) {
        finish(new BodyError(400, `request body nests arrays/objects deeper than ${maxDepth} levels`, "malformed"));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString("utf8"));
      } catch (error) {
        finish(new BodyError(400, `request body is not valid JSON: ${(error as Error).message}`, "malformed"));
        return;
      }
      finish(null, body);
    };
    const onError = (error: Error): void => finish(new BodyError(400, `request body could not be read: ${error.message}`, "malformed"));
    payload.on("data", onData);
    payload.on("end", onEnd);
    if (Number(request.headers["content-length"]) > bodyLimitBytes) tooLarge();
    payload.on("error", onError);
  });
  app.addHook("onSend", async (request, reply) => {
    if (closeAfterReply.has(request)) void reply.header("connection", "close");
  });
}
