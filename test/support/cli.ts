/** Runs the ML Box CLI as a real process, from any working directory. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startEnv } from "../../cli/startEnv";

export const ROOT = join(__dirname, "..", "..");

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `npm start -- <args>` without npm: `node cli/start.js` with the environment
 * `npm start` sets (cli/startEnv.ts), which runs the CLI's
 * bundle (rebuilt first when lib/ or cli/ changed). `nodeOptions` go before
 * the script (e.g. `--require <preload>`).
 */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeOptions?: readonly string[] } = {},
): CliRun {
  const run = spawnSync(process.execPath, [...(options.nodeOptions ?? []), join(ROOT, "cli", "start.js"), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...startEnv(), ...(options.env ?? process.env) },
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
