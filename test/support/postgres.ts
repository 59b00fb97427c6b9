/**
 * A real, throw-away PostgreSQL 15 server for tests.
 *
 * `startPostgres()` runs `initdb` in a fresh temp folder and starts the server
 * on 127.0.0.1 on a free port, with password (SCRAM) authentication for a
 * superuser `mlbox` whose random password is part of the returned `url`, so
 * tests can assert that error messages never contain it.
 *
 * ```ts
 * import { sharedPostgres } from "./support/postgres";
 * const pg = await sharedPostgres();          // one server per test process
 * process.env.DB_URL = pg.url;                // postgresql://mlbox:<pw>@127.0.0.1:<port>/postgres
 * ```
 *
 * Binaries come from `pg_config --bindir`, else `/usr/lib/postgresql/15/bin`
 * (override with `MLBOX_PG_BINDIR`). `initdb` refuses to run as root, so when
 * the uid is 0 (CI) `initdb`/`pg_ctl` run as the `postgres` OS user through
 * `runuser -u postgres --` (the user is created with `useradd` if missing) and
 * the temp folder is chowned to it.
 *
 * No orphan servers: `stop()` sends an immediate shutdown (SIGQUIT) to the
 * postmaster, waits for it to exit (escalating to SIGKILL) and deletes the
 * folder. Every running server is also stopped synchronously at process exit
 * and on SIGINT/SIGTERM/SIGHUP, and a detached watchdog shell stops the server
 * and removes its folder if the Node process dies without cleaning up (e.g.
 * SIGKILL).
 *
 * The server's default `TimeZone` is deliberately `Europe/Berlin` (not UTC), so
 * tests catch code that forgets to set the session time zone; `connect()` sets
 * UTC per session. Raw `pg` clients in tests should do the same before writing
 * zone-less timestamp literals into `timestamptz` columns.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cleanUpAtExit } from "./exitHooks";
import { freePort } from "./freePort";

/** A running test server. */
export interface TestPostgres {
  /** `postgresql://mlbox:<password>@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port the server listens on. */
  readonly port: number;
  /** Shut the server down and delete its folder; safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Stops the server (fast shutdown: clients are disconnected), waits `down` ms or, given a function, until
   * the promise it returns settles (the event the test means, e.g. a client seeing the server gone), and
   * starts it again on the same port.
   */
  restart(down?: number | (() => Promise<void>)): Promise<void>;
}

/** OS user that runs the server when the tests run as root. */
const PG_OS_USER = "postgres";
/** Database superuser created by initdb. */
const DB_USER = "mlbox";
/** How long to wait for the server to start, in seconds. */
const START_TIMEOUT_S = 60;
/** How many ports to try when a free port is taken before the server binds it. */
const START_ATTEMPTS = 3;

interface Running {
  readonly dir: string;
  readonly dataDir: string;
  readonly watchdogPid: number | undefined;
  stopped: boolean;
}

const running = new Set<Running>();
let shared: Promise<TestPostgres> | undefined;

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Folder holding initdb/pg_ctl/postgres. */
function findBinDir(): string {
  const override = process.env.MLBOX_PG_BINDIR;
  if (override) return override;
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (dir && fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"))) return dir;
  } catch {
    // no pg_config on PATH: fall through to the Debian location
  }
  const fallback = "/usr/lib/postgresql/15/bin";
  if (!fs.existsSync(path.join(fallback, "initdb"))) {
    throw new Error(`PostgreSQL binaries not found: neither \`pg_config --bindir\` nor ${fallback} has initdb (apt-get install postgresql-15)`);
  }
  return fallback;
}

/** Creates the `postgres` OS user when running as root and it is missing. */
function ensureOsUser(): void {
  if (spawnSync("id", ["-u", PG_OS_USER], { stdio: "ignore" }).status === 0) return;
  execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/bin/sh", PG_OS_USER], { stdio: "pipe" });
}

/** Runs a PostgreSQL binary, as the `postgres` OS user when we are root. */
function runPgBinary(binary: string, args: readonly string[], cwd: string): void {
  const [cmd, argv] = isRoot() ? ["runuser", ["-u", PG_OS_USER, "--", binary, ...args]] : [binary, [...args]];
  const result = spawnSync(cmd, argv, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: (START_TIMEOUT_S + 30) * 1000 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${path.basename(binary)} failed (exit ${result.status}): ${(result.stderr || result.stdout || "").trim()}`);
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return !fs.existsSync("/proc/self/stat"); // no procfs: trust kill(pid, 0)
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Blocks the thread for `ms` (used only in the synchronous exit path). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits until `pid` is gone, up to `timeoutMs`; true when it exited. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Same as {@link waitGone}, blocking (for the exit path, where nothing async runs). */
function waitGoneSync(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    sleepSync(50);
  }
  return true;
}

/** Marks `server` stopped; returns the postmaster pid still to stop, if any. */
function beginShutdown(server: Running): number | undefined {
  server.stopped = true;
  running.delete(server);
  const pid = postmasterPid(server.dataDir);
  return pid !== undefined && alive(pid) ? pid : undefined;
}

function finishShutdown(server: Running): void {
  if (server.watchdogPid !== undefined) signal(server.watchdogPid, "SIGKILL");
  fs.rmSync(server.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/**
 * Stops the postmaster (immediate shutdown: the data is thrown away anyway,
 * then SIGKILL) and removes the folder.
 */
async function shutdown(server: Running): Promise<void> {
  if (server.stopped) return;
  const pid = beginShutdown(server);
  if (pid !== undefined) {
    signal(pid, "SIGQUIT");
    if (!(await waitGone(pid, 10_000))) {
      signal(pid, "SIGKILL");
      await waitGone(pid, 5_000);
    }
  }
  finishShutdown(server);
}

/** Blocking variant of {@link shutdown} for process exit. */
function shutdownSync(server: Running): void {
  if (server.stopped) return;
  const pid = beginShutdown(server);
  if (pid !== undefined) {
    signal(pid, "SIGQUIT"); // immediate: the process is going away anyway
    if (!waitGoneSync(pid, 5_000)) {
      signal(pid, "SIGKILL");
      waitGoneSync(pid, 2_000);
    }
  }
  finishShutdown(server);
}

function stopAllSync(): void {
  for (const server of [...running]) shutdownSync(server);
}

/**
 * Detached shell that waits for this Node process to disappear and then stops
 * the server and deletes its folder; killed by a normal `stop()`.
 */
function startWatchdog(dir: string, dataDir: string): number | undefined {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'if [ -f "$3/postmaster.pid" ]; then',
    '  pid=$(head -n 1 "$3/postmaster.pid")',
    '  kill -QUIT "$pid" 2>/dev/null',
    '  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done',
    '  kill -KILL "$pid" 2>/dev/null',
    "fi",
    'rm -rf "$2"',
  ].join("\n");
  const child = spawn("sh", ["-c", script, "mlbox-pg-watchdog", String(process.pid), dir, dataDir], {
    detached: true,
    stdio: "ignore",
  });
  child.on("error", () => undefined);
  child.unref();
  return child.pid;
}

async function startOnce(binDir: string): Promise<TestPostgres> {
  const root = isRoot();
  if (root) ensureOsUser();
  // /tmp is reachable by the postgres user even when TMPDIR points into /root.
  const base = root ? "/tmp" : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, "mlbox-pg-"));
  const dataDir = path.join(dir, "data");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const pwFile = path.join(dir, "pwfile");
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (root) execFileSync("chown", ["-R", `${PG_OS_USER}:`, dir]);
  const server: Running = { dir, dataDir, watchdogPid: startWatchdog(dir, dataDir), stopped: false };
  running.add(server);
  cleanUpAtExit(stopAllSync);
  try {
    runPgBinary(
      path.join(binDir, "initdb"),
      ["-D", dataDir, "-U", DB_USER, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      dir,
    );
    fs.rmSync(pwFile, { force: true });
    const port = await freePort();
    const options = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=40",
      "-c TimeZone=Europe/Berlin", // a non-UTC server default: connect() must set UTC per session
    ].join(" ");
    const start = (): void =>
      runPgBinary(path.join(binDir, "pg_ctl"), ["-D", dataDir, "-l", path.join(dir, "server.log"), "-w", "-t", String(START_TIMEOUT_S), "-o", options, "start"], dir);
    start();
    const host = "127.0.0.1";
    return {
      url: `postgresql://${DB_USER}:${password}@${host}:${port}/postgres`,
      host,
      port,
      stop: () => shutdown(server),
      restart: async (down = 0) => {
        runPgBinary(path.join(binDir, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "-t", String(START_TIMEOUT_S), "stop"], dir);
        if (typeof down === "function") await down();
        else await new Promise((resolve) => setTimeout(resolve, down));
        start();
      },
    };
  } catch (error) {
    let log = "";
    try {
      log = fs.readFileSync(path.join(dir, "server.log"), "utf8").trim().split("\n").slice(-5).join("\n");
    } catch {
      // no log yet
    }
    await shutdown(server);
    throw new Error(`${(error as Error).message}${log ? `\nserver.log:\n${log}` : ""}`);
  }
}

/**
 * Starts a fresh PostgreSQL server (initdb in a new temp folder) on 127.0.0.1
 * on a free port. The caller must `stop()` it (it is also stopped at exit).
 * @returns the connection URL (with the password), host, port and `stop`.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const binDir = findBinDir();
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binDir);
    } catch (error) {
      lastError = error; // most likely the port was taken between probing and binding
    }
  }
  throw lastError;
}

/**
 * One lazily started server per test process, stopped at process exit. Tests
 * sharing it should create their own tables (unique names) or schemas.
 * @returns the same server on every call.
 */
export function sharedPostgres(): Promise<TestPostgres> {
  if (!shared) {
    shared = startPostgres();
    shared.catch(() => {
      shared = undefined; // let a later call retry
    });
  }
  return shared;
}
