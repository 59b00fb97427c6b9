/**
 * The scoring service beyond loopback (`--host 0.0.0.0`, reached over
 * 127.0.0.1): it refuses to start without a token (one line, exit 2), then
 * every route but `/healthz` and `/metrics` needs `Authorization: Bearer`
 * with the right token (from MLBOX_TOKEN or a token file), the token is never
 * printed, and the startup line names the address really bound.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { registerModel } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import { isLoopback } from "../server/auth";
import { sharedPostgres, type TestPostgres } from "./support/postgres";
import { startServe, type ServeProcess } from "./support/serveProcess";

const repoRoot = path.resolve(__dirname, "..");
const AXES = ["axis1", "axis2"];
let pg: TestPostgres;
let dir: string;
let config: string;

before(async () => {
  pg = await sharedPostgres();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-serve-auth-"));
  await registerModel(flatVersion(path.join(dir, "registry"), { axes: AXES }));

  config = path.join(dir, "config.yaml");
  fs.writeFileSync(config, "data:\n  table: t\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\nscoring:\n  events_table: auth_events\n");
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the service expecting it to exit; resolves with its exit code and stderr. */
function runToExit(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "server", "main.ts"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MLBOX_TOKEN: "", MLBOX_TOKEN_FILE: "", ...env },
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdout.on("data", (chunk) => (stdout += chunk));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr, stdout })));
}

test("loopback addresses", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) assert.equal(isLoopback(host), true, host);
  for (const host of ["0.0.0.0", "::", "192.0.2.1", "example.org", "127.0.0.1.example.org"]) assert.equal(isLoopback(host), false, host);
});

test("beyond loopback without a token: refused at start, one line, exit 2", async () => {
  const { code, stderr, stdout } = await runToExit(["--config", config, "--port", "0", "--host", "0.0.0.0"], { DB_URL: pg.url });
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(stderr, /^error: --host 0\.0\.0\.0 is beyond loopback: set MLBOX_TOKEN or a token file \(--token-file, MLBOX_TOKEN_FILE\)/);
  assert.equal(stdout, "");
  const empty = path.join(dir, "empty-token");
  fs.writeFileSync(empty, "\n");
  const fromEmpty = await runToExit(["--config", config, "--port", "0", "--host", "0.0.0.0", "--token-file", empty], { DB_URL: pg.url });
  assert.equal(fromEmpty.code, 2);
  assert.match(fromEmpty.stderr, /^error: --token-file: the token file ".*empty-token" is empty\n$/);
  const missing = await runToExit(["--config", config, "--port", "0", "--host", "0.0.0.0"], { DB_URL: pg.url, MLBOX_TOKEN_FILE: path.join(dir, "nowhere") });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: MLBOX_TOKEN_FILE: cannot read the token file ".*nowhere" \(ENOENT\)\n$/);
});

/** Every route's status without a token, with a wrong one and with `token`. */
async function check(service: ServeProcess, token: string): Promise<void> {
  const base = service.loopback;
  const score = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${base}/v1/score`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ stream: "s", samples: [{ ts: Date.now() / 1000, axis1: 0 }] }) });
  for (const [what, headers] of [
    ["no token", {}],
    ["wrong token", { authorization: `Bearer ${token}x` }],
    ["not bearer", { authorization: `Basic ${token}` }],
  ] as const) {
    const denied = await score(headers);
    assert.equal(denied.status, 401, what);
    assert.equal(denied.headers.get("www-authenticate"), "Bearer");
    assert.deepEqual(Object.keys((await denied.json()) as object), ["error"]);
    assert.equal((await fetch(`${base}/v1/model`, { headers })).status, 401, what);
    assert.equal((await fetch(`${base}/nope`, { headers })).status, 401, `${what}: unknown routes too`);
  }
  const right = { authorization: `Bearer ${token}` };
  assert.equal((await score(right)).status, 200);
  assert.equal((await fetch(`${base}/v1/model`, { headers: right })).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/metrics`)).status, 200);
  assert.ok(!service.output().includes(token), "the token is never printed");
}

test("beyond loopback with MLBOX_TOKEN: token required, wrong token 401, right token 200, /healthz and /metrics open", async () => {
  const token = randomBytes(24).toString("hex");
  const service = await startServe(["--config", config, "--port", "0", "--host", "0.0.0.0"], { DB_URL: pg.url, MLBOX_TOKEN: token });
  try {
    assert.match(service.address, /^http:\/\/0\.0\.0\.0:\d+$/, service.output());
    assert.match(service.output(), /token required/);
    await check(service, token);
  } finally {
    await service.stop("SIGTERM");
  }
});

test("a token file (--token-file) works the same", async () => {
  const token = randomBytes(24).toString("base64url");
  const file = path.join(dir, "token");
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const service = await startServe(["--config", config, "--port", "0", "--host", "0.0.0.0", "--token-file", file], { DB_URL: pg.url, MLBOX_TOKEN: "" });
  try {
    await check(service, token);
  } finally {
    await service.stop("SIGTERM");
  }
});
