import { parseArgs } from "util";
import { resolve } from "path";
import { loadConfig } from "../lib/config";
import { isInputError, InputError } from "../lib/errors";
import { stderrProgress } from "../lib/extract";
import { runPipeline } from "../lib/pipeline";
import { formatVersion, formatVersionList, listVersions, loadVersion } from "../lib/registry";
import { formatSummary } from "./summary";

const HELP = `ML Box: train a versioned linear-trend anomaly model from sensor streams in SQL.

Usage:
  npm start [-- [run] [--config <file>]]          run the pipeline (extract → … → registry)
  npm start -- registry list [--config <file>]    list registered versions
  npm start -- registry show <tag> [--config <file>]
                                                  show one version ("latest" for the newest)

Options:
  -c, --config <file>  config file (default: ./config.yaml); relative paths in it
                       resolve against its folder, and .env is read from there
  -q, --quiet          print only the summary
      --progress       show extraction progress on stderr even when it is not a terminal
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
        progress: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
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
    const config = loadConfig(resolve(values.config ?? "config.yaml"));
    if (command === "run" && rest.length === 0) {
      const log = values.quiet ? undefined : (line: string) => console.log(line);
      const onExtractProgress = stderrProgress({ quiet: values.quiet, force: values.progress });
      const result = await runPipeline(config, { log, onExtractProgress });
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
    throw new InputError(`unknown command "${positionals.join(" ")}": use run, "registry list" or "registry show <tag>" (see --help)`);
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
