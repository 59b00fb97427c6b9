// Only what every command needs is imported here; each command imports its
// modules when it runs (so --help loads no database driver, registry code or
// chart code), and nothing in the CLI's import graph loads danfo.
import { parseArgs } from "util";
import { resolve } from "path";
import { isInputError, InputError, toInputError } from "../lib/core/errors";
import { scrubSecrets } from "../lib/core/redact";

const HELP = `ML Box: train a versioned linear-trend anomaly model from sensor streams in SQL.

Usage:
  npm start [-- [run] [--config <file>]]          run the pipeline (extract → … → registry)
  npm start -- registry list [--config <file>]    list registered versions and aliases
  npm start -- registry show <tag> [--config <file>]
                                                  show one version ("latest" for the newest, or an alias)
  npm start -- registry promote <tag> [--alias <name>]
                                                  point an alias (default: production) at a version
  npm start -- registry diff <a> <b>              what changed between two versions
  npm start -- score [--config <file>] [--version <tag|latest>] [--from X] [--to Y] [--events out.jsonl]
                                                  score a window (default: the version's train_end
                                                  to the last row) → per-axis summary, events table
  npm start -- score --follow [--from X] [--events out.jsonl]
                                                  keep scoring new rows every scoring.poll_seconds
  npm start -- incidents list | show <id> | ack <id> | label <id> <false_alarm|fault|maintenance|other> [--note …]
                                                  the incidents in scoring.incidents_table (open first)
  npm start -- silence add --stream <s> [--axis <a>] --from <t> --to <t> --reason <text> | list | remove <id>
                                                  silences: events and incidents inside are recorded, marked silenced
  npm start -- notify [--once]                    deliver queued notifications (alerting.*) until none is pending

Also (other scripts of this package):
  npm run serve [-- --config <file>] [--port 8080] [--host 127.0.0.1]
                                                  HTTP scoring service on the version serving.alias names
  npm run report [-- notebooks/<name>.ipynb …]    run the notebooks headless → HTML reports in out/report/

Options:
  -c, --config <file>  config file (default: ./config.yaml); relative paths in it
                       resolve against its folder, and .env is read from there
  -q, --quiet          print only the summary
      --progress       show extraction progress on stderr even when it is not a terminal
      --version <tag>  score: registry version (default: the one serving.alias, production, names)
      --alias <name>   registry promote: the alias to move (default: production)
      --from <X>       score: window start (inclusive), seconds or ISO-8601 (default: the version's train_end);
                       silence add: the silence's start (inclusive)
      --to <Y>         score: window end (exclusive; default: after the last row); silence add: its end (exclusive)
      --events <file>  score: also write the events as JSON Lines (follow: append)
      --follow         score: keep scoring new rows until Ctrl-C / SIGTERM
      --note <text>    incidents label: a note kept with the label
      --stream <s>     silence add: the stream (score uses data.table, or schema.table)
      --axis <a>       silence add: only this axis (default: every axis of the stream)
      --reason <text>  silence add: why
      --once           notify: one delivery pass, then stop
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
        version: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        events: { type: "string" },
        follow: { type: "boolean", default: false },
        alias: { type: "string" },
        note: { type: "string" },
        stream: { type: "string" },
        axis: { type: "string" },
        reason: { type: "string" },
        once: { type: "boolean", default: false },
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
  let secret: string | undefined;
  try {
    const [command = "run", ...rest] = positionals;
    const scoreFlags = command === "silence" ? (["version", "events", "follow"] as const) : (["version", "from", "to", "events", "follow"] as const);
    const misplaced = scoreFlags.find((flag) => values[flag] !== undefined && values[flag] !== false);
    if (command !== "score" && misplaced !== undefined) throw new InputError(`--${misplaced} belongs to the score command (see --help)`);
    if (values.alias !== undefined && command !== "registry") throw new InputError(`--alias belongs to "registry promote" (see --help)`);
    const silenceFlags = ["stream", "axis", "reason"] as const;
    const notSilence = silenceFlags.find((flag) => values[flag] !== undefined);
    if (command !== "silence" && notSilence !== undefined) throw new InputError(`--${notSilence} belongs to silence add (see --help)`);
    if (command !== "incidents" && values.note !== undefined) throw new InputError("--note belongs to incidents label (see --help)");
    if (command !== "notify" && values.once === true) throw new InputError("--once belongs to notify (see --help)");
    const { loadConfig } = await import("../lib/shapes/config");
    const configPath = resolve(values.config ?? "config.yaml");
    let config;
    try {
      config = loadConfig(configPath);
    } catch (error) {
      throw toInputError(error, { key: "--config", path: configPath });
    }
    secret = process.env[config.database.url_env];
    if (command === "score" && rest.length === 0) {
      const { scoreCommand } = await import("./score");
      return await scoreCommand(config, { version: values.version, from: values.from, to: values.to, events: values.events, follow: values.follow }, values.quiet ?? false);
    }
    if (command === "incidents") {
      const { incidentsCommand } = await import("./incidentsCommand");
      return await incidentsCommand(config, rest, { note: values.note });
    }
    if (command === "silence") {
      const { silenceCommand } = await import("./silenceCommand");
      return await silenceCommand(config, rest, { stream: values.stream, axis: values.axis, from: values.from, to: values.to, reason: values.reason });
    }
    if (command === "notify") {
      const { notifyCommand } = await import("./notifyCommand");
      return await notifyCommand(config, rest, { once: values.once ?? false });
    }
    if (command === "run" && rest.length === 0) {
      const [{ runPipeline }, { formatSummary }, { stderrProgress }] = await Promise.all([import("../lib/pipeline/inMemory"), import("./summary"), import("./progress")]);
      const log = values.quiet ? undefined : (line: string) => console.log(line);
      const onExtractProgress = stderrProgress({ quiet: values.quiet, force: values.progress });
      const result = await runPipeline(config, { log, onExtractProgress });
      const { servingLine } = await import("./registryCommand");
      console.log(`${formatSummary(result, config.data)}\n${await servingLine(config, result.version)}`);
      return 0;
    }
    if (command === "registry") {
      const { registryCommand } = await import("./registryCommand");
      return await registryCommand(config, rest, { alias: values.alias });
    }
    throw new InputError(`unknown command "${positionals.join(" ")}": use run, score, "registry list", "registry show <tag>", "registry promote <tag>", "registry diff <a> <b>", incidents, silence or notify (see --help)`);
  } catch (error) {
    return fail(error, secret);
  }
}

/**
 * Prints `error` as one line (and its stack with MLBOX_DEBUG), without any
 * trace of the connection string `secret`; returns the exit code: 2 for bad
 * input (including database and file errors that {@link toInputError} maps), else 1.
 */
function fail(error: unknown, secret?: string): number {
  const mapped = toInputError(error);
  const message = mapped instanceof Error ? mapped.message : String(mapped);
  console.error(`error: ${scrubSecrets(message.split("\n")[0], secret)}`);
  if (isInputError(mapped)) return 2;
  if (process.env.MLBOX_DEBUG && mapped instanceof Error) console.error(scrubSecrets(String(mapped.stack), secret));
  return 1;
}

/** Runs the CLI on this process's arguments and sets its exit code (cli/start.js calls it on the bundle). */
export function start(): void {
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

if (require.main === module) start();
