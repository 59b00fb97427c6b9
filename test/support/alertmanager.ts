/**
 * A real, throw-away Prometheus Alertmanager (Debian's `prometheus-alertmanager` 0.25) for tests, with a webhook
 * receiver in the test process that records every notification it is sent.
 *
 * `startAlertmanager()` starts a plain `node:http` receiver on 127.0.0.1 (free port), writes an `alertmanager.yml`
 * into a fresh temp folder that routes every alert to it (`send_resolved: true`), and starts Alertmanager on
 * 127.0.0.1 on a free port with `--cluster.listen-address=` (no clustering, no gossip port) and its storage in the
 * same folder; it resolves once `GET /-/ready` answers 200. Tests POST alerts to `${url}/api/v2/alerts` and wait on
 * `notifications` (Alertmanager's webhook format version 4 bodies) with `waitFor`.
 *
 * @example
 * import { startAlertmanager } from "./support/alertmanager";
 * const am = await startAlertmanager({ groupWait: "1s" });
 * await fetch(`${am.url}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([alert]) });
 * await am.waitFor((all) => all.some((n) => n.body.status === "firing"));
 * await am.close();
 *
 * The binary is `MLBOX_ALERTMANAGER`, else `/usr/bin/prometheus-alertmanager`, else `alertmanager` on PATH
 * (`.ci/install-deps.sh` installs the Debian package). `stop()`/`start()` kill it with SIGKILL and start it again
 * on the same port, to test a notifier against an Alertmanager that goes away; `notifications` survives that.
 * Alertmanager keeps alerts in memory only and writes silences and its notification log to `--storage.path` only on
 * a graceful shutdown (or its 15-minute maintenance), so after `stop()` all three are gone: an alert re-POSTed after
 * `start()` is notified again.
 *
 * No orphan processes: `close()` kills Alertmanager, closes the receiver and deletes the folder. Every running
 * Alertmanager is also killed synchronously at process exit and on SIGINT/SIGTERM/SIGHUP, and a detached watchdog
 * shell kills it and removes the folder if the Node process dies without cleaning up (e.g. SIGKILL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { cleanUpAtExit } from "./exitHooks";
import { freePort } from "./freePort";

/** One notification Alertmanager POSTed to the webhook receiver (its JSON body, Alertmanager's webhook format version 4). */
export interface WebhookNotification {
  readonly receivedAt: number;
  readonly body: any;
}

export interface AlertmanagerOptions {
  /** route group_wait / group_interval / repeat_interval (defaults "1s", "1s", "1h"). */
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  /** group_by of the route (default ["alertname", "stream", "incident", "severity"]). */
  readonly groupBy?: readonly string[];
  /** resolve_timeout (default "5m"). */
  readonly resolveTimeout?: string;
}

export interface AlertmanagerHandle {
  /** http://127.0.0.1:<port> of Alertmanager's API/UI. */
  readonly url: string;
  /** Every notification the webhook receiver got so far, in order (kept across restarts of Alertmanager). */
  readonly notifications: WebhookNotification[];
  /** GET /api/v2/alerts (JSON array). */
  alerts(): Promise<any[]>;
  /** GET /api/v2/silences (JSON array). */
  silences(): Promise<any[]>;
  /** Kills Alertmanager (SIGKILL) — the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until /-/ready answers 200. */
  start(): Promise<void>;
  /** Resolves once `predicate(notifications)` is true, polling every 100 ms; rejects after timeoutMs (default 30000) with a message listing what was received. */
  waitFor(predicate: (notifications: readonly WebhookNotification[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops Alertmanager and the receiver, removes the temp folder. */
  close(): Promise<void>;
}

/** How long to wait for `/-/ready`, in ms. */
const READY_TIMEOUT_MS = 30_000;
/** How many ports to try when a free port is taken before Alertmanager binds it (first start only). */
const START_ATTEMPTS = 3;

interface Running {
  readonly dir: string;
  child: ChildProcess | undefined;
  watchdogPid: number | undefined;
}

const running = new Set<Running>();

/** The Alertmanager binary; throws a one-line hint when there is none. */
function findBinary(): string {
  const override = process.env.MLBOX_ALERTMANAGER;
  if (override) {
    if (!fs.existsSync(override)) throw new Error(`MLBOX_ALERTMANAGER=${override} does not exist (unset it to use the Debian package prometheus-alertmanager)`);
    return override;
  }
  const debian = "/usr/bin/prometheus-alertmanager";
  if (fs.existsSync(debian)) return debian;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, "alertmanager");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    "Alertmanager not found (no MLBOX_ALERTMANAGER, /usr/bin/prometheus-alertmanager or alertmanager on PATH): install the Debian package prometheus-alertmanager (.ci/install-deps.sh does)",
  );
}

function childRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Synchronous cleanup for process exit and signals: SIGKILL (a sync syscall), then delete the folder. */
function killSync(server: Running): void {
  running.delete(server);
  if (childRunning(server.child)) server.child.kill("SIGKILL");
  server.child = undefined;
  if (server.watchdogPid !== undefined) {
    try {
      process.kill(server.watchdogPid, "SIGKILL");
    } catch {
      // already gone
    }
    server.watchdogPid = undefined;
  }
  fs.rmSync(server.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

function killAllSync(): void {
  for (const server of [...running]) killSync(server);
}

/**
 * Detached shell that waits for this Node process to disappear, then kills the Alertmanager whose pid is in
 * `<dir>/alertmanager.pid` (rewritten on every start) and deletes the folder; killed by `close()`.
 */
function startWatchdog(dir: string): number | undefined {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'if [ -f "$2/alertmanager.pid" ]; then kill -KILL "$(cat "$2/alertmanager.pid")" 2>/dev/null; fi',
    'rm -rf "$2"',
  ].join("\n");
  const child = spawn("sh", ["-c", script, "mlbox-am-watchdog", String(process.pid), dir], { detached: true, stdio: "ignore" });
  child.on("error", () => undefined);
  child.unref();
  return child.pid;
}

/** The config: every alert to the webhook receiver. JSON is YAML, so no quoting questions. */
function configText(receiverUrl: string, options: AlertmanagerOptions): string {
  const config = {
    global: { resolve_timeout: options.resolveTimeout ?? "5m" },
    route: {
      receiver: "webhook",
      group_by: [...(options.groupBy ?? ["alertname", "stream", "incident", "severity"])],
      group_wait: options.groupWait ?? "1s",
      group_interval: options.groupInterval ?? "1s",
      repeat_interval: options.repeatInterval ?? "1h",
    },
    receivers: [{ name: "webhook", webhook_configs: [{ url: receiverUrl, send_resolved: true }] }],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Starts the receiver on 127.0.0.1 on a free port; every POST body is parsed and appended to `notifications`. */
function startReceiver(notifications: WebhookNotification[]): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text; // not JSON: keep it, a test will see it
      }
      notifications.push({ receivedAt: Date.now(), body });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    });
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/alertmanager` });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short, readable list of notifications for error messages. */
function describe(notifications: readonly WebhookNotification[]): string {
  if (notifications.length === 0) return "no notifications";
  return notifications
    .map((n, i) => {
      const body = n.body as { status?: string; alerts?: Array<{ status?: string; labels?: Record<string, string> }> } | string;
      if (typeof body !== "object" || body === null) return `#${i}: ${String(body)}`;
      const alerts = (body.alerts ?? []).map((a) => `${a.status} ${JSON.stringify(a.labels ?? {})}`).join("; ");
      return `#${i} ${body.status}: ${alerts}`;
    })
    .join("\n");
}

/**
 * Starts a webhook receiver and Alertmanager routing everything to it (see the file's comment). The caller must
 * `close()` it (it is also killed at process exit).
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<AlertmanagerHandle> {
  const binary = findBinary();
  const notifications: WebhookNotification[] = [];
  const receiver = await startReceiver(notifications);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-am-"));
  const server: Running = { dir, child: undefined, watchdogPid: undefined };
  running.add(server);
  cleanUpAtExit(killAllSync);
  server.watchdogPid = startWatchdog(dir);
  const configFile = path.join(dir, "alertmanager.yml");
  fs.writeFileSync(configFile, configText(receiver.url, options));
  const pidFile = path.join(dir, "alertmanager.pid");
  let port = 0;
  let url = "";
  let stderr = "";

  const stop = async (): Promise<void> => {
    const child = server.child;
    server.child = undefined;
    if (!childRunning(child)) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  };

  const start = async (): Promise<void> => {
    if (childRunning(server.child)) throw new Error("Alertmanager is already running");
    stderr = "";
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.child = child;
    child.stdout?.on("data", (chunk: Buffer) => (stderr += chunk));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk));
    let exitedEarly: string | undefined;
    child.on("error", (error) => (exitedEarly = error.message));
    child.on("exit", (code, sig) => (exitedEarly ??= `exit ${code ?? sig}`));
    if (child.pid !== undefined) fs.writeFileSync(pidFile, `${child.pid}\n`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitedEarly !== undefined) {
        if (server.child === child) server.child = undefined;
        throw new Error(`Alertmanager exited before it was ready (${exitedEarly}): ${stderr.trim()}`);
      }
      try {
        const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        // 200 from a child that already died would be someone else on the port: the exit check above catches it next round.
        if (response.status === 200 && childRunning(child)) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Alertmanager was not ready within ${READY_TIMEOUT_MS / 1000} s: ${stderr.trim()}`);
      }
      await sleep(100);
    }
  };

  const close = async (): Promise<void> => {
    await stop();
    receiver.server.closeAllConnections();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    killSync(server);
  };

  try {
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      try {
        await start();
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error; // most likely the port was taken between probing and binding
      }
    }
    if (lastError !== undefined) throw lastError;
  } catch (error) {
    await close();
    throw error;
  }

  const getJson = async (route: string): Promise<any[]> => {
    const response = await fetch(`${url}${route}`);
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${route}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as any[];
  };

  return {
    url,
    notifications,
    alerts: () => getJson("/api/v2/alerts"),
    silences: () => getJson("/api/v2/silences"),
    stop,
    start,
    waitFor: async (predicate, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(notifications)) {
        if (Date.now() > deadline) {
          throw new Error(`no matching Alertmanager notification within ${timeoutMs} ms; received:\n${describe(notifications)}`);
        }
        await sleep(100);
      }
    },
    close,
  };
}
