/**
 * The environment `npm start` runs the CLI with, read from package.json's
 * `start` script, so that benchmarks and tests spawn the process users run.
 *
 * Why the script sets `MALLOC_MMAP_THRESHOLD_=131072`: glibc by default
 * raises its mmap threshold to the size of the first large block freed (up to
 * 32 MiB), after which columns shorter than that (a split part of the window,
 * 4–6 MB at 793k rows) come from the threads' heaps and stay resident once
 * freed. Pinned at 128 KiB, every such column is its own mapping, returned to
 * the system when it is collected. Measured on auto + auto at 793k × 8
 * (`npm run bench:select -- 20 6`): peak RSS 250–290 MiB → 221–232 MiB. Other
 * C libraries ignore the variable.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** package.json's `start` script. */
function startScript(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
}

/**
 * The `NAME=value` words the `start` script (package.json's unless given) sets before `node cli/start.js`.
 *
 * @throws when the script is not `[NAME=value …] node cli/start.js`
 * @example
 * spawnSync(process.execPath, ["cli/start.js"], { env: { ...process.env, ...startEnv() } });
 * startEnv("A=1 node cli/start.js"); // { A: "1" }
 */
export function startEnv(script: string = startScript()): Record<string, string> {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let k = 0;
  for (; k < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]); k++) {
    const at = words[k].indexOf("=");
    env[words[k].slice(0, at)] = words[k].slice(at + 1);
  }
  if (words.slice(k).join(" ") !== "node cli/start.js") throw new Error(`package.json scripts.start must be "[NAME=value …] node cli/start.js", got ${JSON.stringify(script)}`);
  return env;
}
