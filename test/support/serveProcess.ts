/**
 * `server/main.ts` as a child process for tests: started with a config,
 * environment and Node flags of the test's choosing, resolved once its
 * startup line names the address it listens on.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..");

/** A running service process. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** `http://<address>:<port>` from the startup line. */
  readonly address: string;
  /** A URL on 127.0.0.1 at the service's port (for a service bound to all addresses). */
  readonly loopback: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Kills it with `signal` (default SIGKILL) and resolves with its exit code and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the service; rejects with its output when it exits before listening (or after 60 s).
 *
 * @example
 * const service = await startServe(["--config", configPath, "--port", "0"], { DB_URL: pg.url });
 */
export function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.join(repoRoot, "server", "main.ts"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 60 s: ${output}`)), 60_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk;
      const found = / on (http:\/\/(\[[^\]]+\]|[^:\s]+):(\d+))/.exec(output);
      if (found === null) return;
      clearTimeout(timer);
      child.stdout?.removeListener("data", onOutput);
      child.stdout?.on("data", (more: Buffer) => (output += more));
      resolve({
        child,
        address: found[1],
        loopback: `http://127.0.0.1:${found[3]}`,
        output: () => output,
        stop: async (signal = "SIGKILL") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code ?? signal}) before listening: ${output}`));
    });
  });
}
