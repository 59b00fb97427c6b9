import { parseArgs } from "util";
import { resolve } from "path";
import { loadConfig } from "../lib/config";
import { isInputError, InputError } from "../lib/errors";
import { runPipeline } from "../lib/pipeline";
import { formatVersion, formatVersionList, listVersions, loadVersion } from "../lib/registry";
import { scoreCommand } from "./score";
import { formatSummary } from "./summary";

const HELP = `ML Box: train a versioned linear-trend anomaly model from sensor streams in SQL.

Usage:
  npm start [-- [run] [--config <file>]]          run the pipeline (extract → … → registry)
  npm start -- registry list [--config <file>]    list registered versions
  npm start -- registry show <tag> [--config <file>]
                                                  show one version ("latest" for the newest)
  npm start -- score [--config <file>] [--version <tag|latest>] [--from X] [--to Y] [--events out.jsonl]
                                                  score a window (default: the version's train_end
                                                  to the last row) → per-axis summary, events table
  npm start -- score --follow [--from X] [--events out.jsonl]
                                                  keep scoring new rows every scoring.poll_seconds

Options:
  -c, --config <file>  config file (default: ./config.yaml); relative paths in it
                       resolve against its folder, and .env is read from there
  -q, --quiet          print only the summary
  --version <tag>      score: registry version (default: latest)
  --from <X>, --to <Y> score: window start (inclusive) and end (exclusive), seconds or ISO-8601
  --events <file>      score: also write the events as JSON Lines (follow: append)
  --follow             score: keep scoring new rows until Ctrl-C / SIGTERM
  -h, --help           show this help

Environment:
  DB_URL (or the variable named by database.url_env)  postgres://user:pass@host:5432/db;
        unset → the embedded PGlite demo database under database.embedded_dir

Exit status: 0 success, 2 bad input (config, data, database, arguments), 1 other errors.`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c", default: "config.yaml" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        events: { type: "string" },
        follow: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    return fail(new InputError(`${(error as Error).message} (see --help)`));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  try {
    const [command = "run", ...rest] = positionals;
    const scoreFlags = ["version", "from", "to", "events", "follow"] as const;
    const misplaced = scoreFlags.find((flag) => values[flag] !== undefined && values[flag] !== false);
    if (command !== "score" && misplaced !== undefined) throw new InputError(`--${misplaced} belongs to the score command (see --help)`);
    const config = loadConfig(resolve(values.config ?? "config.yaml"));
    if (command === "score" && rest.length === 0) {
      return await scoreCommand(config, { version: values.version, from: values.from, to: values.to, events: values.events, follow: values.follow }, values.quiet ?? false);
    }
    if (command === "run" && rest.length === 0) {
      const log = values.quiet ? undefined : (line: string) => console.log(line);
      const result = await runPipeline(config, { log });
      console.log(formatSummary(result));
      return 0;
    }
    if (command === "registry" && rest[0] === "list" && rest.length === 1) {
      console.log(formatVersionList(await listVersions(config.registry.root_dir)));
      return 0;
    }
    if (command === "registry" && rest[0] === "show" && rest.length === 2) {
      console.log(formatVersion(await loadVersion(config.registry.root_dir, rest[1])));
      return 0;
    }
    throw new InputError(`unknown command "${positionals.join(" ")}": use run, score, "registry list" or "registry show <tag>" (see --help)`);
  } catch (error) {
    return fail(error);
  }
}

function fail(error: unknown): number {
  if (isInputError(error)) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${message.split("\n")[0]}`);
  if (process.env.MLBOX_DEBUG && error instanceof Error) console.error(error.stack);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(`error: ${String(error)}`);
      process.exitCode = 1;
    },
  );
}
