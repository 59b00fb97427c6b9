/** Runs the ML Box CLI as a real process, from any working directory. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = join(__dirname, "..", "..");
/** tsx's loader by absolute URL, so the CLI starts from folders without node_modules. */
const TSX = pathToFileURL(require.resolve("tsx")).href;

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm start -- <args>` without npm: node + tsx + cli/main.ts. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const run = spawnSync(process.execPath, ["--import", TSX, join(ROOT, "cli", "main.ts"), ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
