/**
 * `npm run serve [-- --config <file> --port <P> --host <H>]`: the scoring
 * service on the registry of a config, serving the version its alias
 * `serving.alias` (default `production`) names.
 */
import { resolve } from "path";
import { parseArgs } from "util";
import type { AddressInfo } from "net";
import { loadConfig } from "../lib/shapes/config";
import { connect, describeDatabase } from "../lib/db/connect";
import { InputError, isInputError } from "../lib/core/errors";
import { loadVersion } from "../lib/registry";
import { createScoringService } from "./app";
import { resolveToken } from "./auth";
import { openStreamStore } from "./streamStore";
import { startNotifier } from "./notifier";
import { ensureAlertingTables, notifyingTables } from "../lib/scoring/alerting/alertingSetup";

const HELP = `ML Box scoring service: GET / (the operators' page), POST /v1/score, GET /v1/model, GET /v1/overview,
GET /v1/streams[/<s>/recent], GET /v1/incidents[/<id>], POST /v1/incidents/<id>/ack, POST /v1/incidents/<id>/label,
GET|POST /v1/silences, DELETE /v1/silences/<id>, GET /healthz, GET /metrics.

Usage:
  npm run serve [-- --config <file>] [--port <P>] [--host <H>] [--token-file <file>]

Options:
  -c, --config <file>    config file (default: ./config.yaml): registry.root_dir, serving.alias, scoring.max_gap_seconds,
                         scoring.events_table, scoring.incidents_table, incidents.merge_seconds,
                         alerting.* (where incidents are pushed) and the database, where streams,
                         events and incidents are kept
  -p, --port <P>         TCP port (default: 8080; 0 picks a free one)
      --host <H>         address to listen on (default: 127.0.0.1; 0.0.0.0 for all: needs a token)
      --token-file <f>   file holding the token clients send as Authorization: Bearer <token>
                         (or MLBOX_TOKEN, MLBOX_TOKEN_FILE)
  -h, --help             show this help

Stops gracefully on SIGTERM or SIGINT. Exit status: 0 stopped, 2 bad input, 1 other errors.`;

/** Starts the service; resolves once it listens, with a function that stops it. */
export async function serve(argv: readonly string[], log: (line: string) => void = (line) => console.log(line)): Promise<(() => Promise<void>) | null> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string", short: "c", default: "config.yaml" },
        port: { type: "string", short: "p", default: "8080" },
        host: { type: "string", default: "127.0.0.1" },
        "token-file": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new InputError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) {
    log(HELP);
    return null;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}`);
  const host = values.host ?? "127.0.0.1";
  const token = resolveToken({ host, tokenFile: values["token-file"], env: process.env });
  const config = loadConfig(resolve(values.config ?? "config.yaml"));
  await loadVersion(config.registry.root_dir, config.serving.alias); // an alias naming no version fails before the database is opened
  const db = await connect(config.database);
  try {
    await ensureAlertingTables(db, config);
    const store = await openStreamStore(db, config.scoring.events_table, {
      incidentsTable: config.scoring.incidents_table,
      mergeSeconds: config.incidents.merge_seconds,
      onIncidentChange: notifyingTables(config).onIncidentChange,
    });
    const alertmanager = config.alerting.alertmanager_url === null ? null : { url: config.alerting.alertmanager_url, timeoutSeconds: config.alerting.timeout_seconds };
    const incidents = { db, eventsTable: config.scoring.events_table, incidentsTable: config.scoring.incidents_table, alertmanager };
    const service = await createScoringService({ rootDir: config.registry.root_dir, alias: config.serving.alias, maxGapSeconds: config.scoring.max_gap_seconds, log, store, token, incidents, display: config.data });
    const stopNotifier = startNotifier({ db, config, metrics: service.metrics, log });
    service.app.addHook("onClose", stopNotifier);
    await service.app.listen({ port, host });
    const bound = service.app.server.address() as AddressInfo;
    const address = `http://${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;
    const auth = token === null ? "no token" : "token required";
    log(`serving model ${service.currentVersion()} (${config.serving.alias}) from ${config.registry.root_dir} on ${address} (${auth}; streams in ${store.table} of ${describeDatabase(config.database)})`);
    return async () => {
      await service.app.close();
      await db.destroy();
    };
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
}

if (require.main === module) {
  serve(process.argv.slice(2))
    .then((stop) => {
      if (stop === null) return;
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal}: finishing requests in flight, then stopping`);
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(`error while stopping: ${(error as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => shutdown("SIGTERM"));
      process.on("SIGINT", () => shutdown("SIGINT"));
    })
    .catch((error: unknown) => {
      console.error(`error: ${(error as Error).message.split("\n")[0]}`);
      process.exit(isInputError(error) ? 2 : 1);
    });
}
