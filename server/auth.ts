/**
 * Who may use the scoring service. Beyond loopback (a `--host` other than
 * 127.0.0.1, ::1 or localhost) every route but `/healthz`, `/metrics` and the page's shell `/`
 * needs `Authorization: Bearer <token>`, the token coming from `MLBOX_TOKEN`
 * or a token file (`--token-file`, `MLBOX_TOKEN_FILE`); the service refuses
 * to start beyond loopback without one. Tokens are compared in constant time
 * (SHA-256 of both, `crypto.timingSafeEqual`) and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { InputError } from "../lib/core/errors";

/** Routes open to anyone: probes, scrapers, and the page's shell (`/`: no data; what it shows needs the token). */
const OPEN_ROUTES = new Set(["/healthz", "/metrics", "/"]);

/** A 401: the error handler sends `WWW-Authenticate`. */
export class AuthError extends Error {
  readonly statusCode = 401;
}

/**
 * Whether `host` is a loopback address (or the name `localhost`).
 *
 * @example
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare) || bare === "::ffff:127.0.0.1";
}

/**
 * The token to require: `MLBOX_TOKEN`, else the file named by `tokenFile` (or `MLBOX_TOKEN_FILE`), trimmed;
 * null when neither is set. Beyond loopback a token is required.
 *
 * @example
 * const token = resolveToken({ host: "0.0.0.0", tokenFile: "/run/secrets/mlbox", env: process.env });
 * @throws InputError for an unreadable or empty token file, or a non-loopback host without a token (never showing a token).
 */
export function resolveToken(options: { readonly host: string; readonly tokenFile?: string; readonly env: NodeJS.ProcessEnv }): string | null {
  const { host, env } = options;
  let token: string | null = null;
  const fromEnv = (env.MLBOX_TOKEN ?? "").trim();
  const file = options.tokenFile ?? (env.MLBOX_TOKEN_FILE || undefined);
  if (fromEnv !== "") token = fromEnv;
  else if (file !== undefined) {
    const key = options.tokenFile !== undefined ? "--token-file" : "MLBOX_TOKEN_FILE";
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (error) {
      throw new InputError(`${key}: cannot read the token file "${file}" (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    token = text.trim();
    if (token === "") throw new InputError(`${key}: the token file "${file}" is empty`);
  }
  if (token === null && !isLoopback(host)) {
    throw new InputError(`--host ${host} is beyond loopback: set MLBOX_TOKEN or a token file (--token-file, MLBOX_TOKEN_FILE) so that clients must authenticate`);
  }
  return token;
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Requires `Authorization: Bearer <token>` on every route of `app` but `/healthz` and `/metrics`.
 *
 * @example
 * registerAuth(app, resolveToken({ host, env: process.env }));
 */
export function registerAuth(app: FastifyInstance, token: string | null): void {
  if (token === null) return;
  const expected = digest(token);
  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?")[0];
    if (OPEN_ROUTES.has(path) && (request.method === "GET" || request.method === "HEAD")) return;
    const header = request.headers.authorization ?? "";
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
    if (given === "" || !timingSafeEqual(digest(given), expected)) {
      throw new AuthError(given === "" ? "this service needs a token: send Authorization: Bearer <token>" : "wrong token");
    }
  });
}
