/**
 * The service's delivery loop: when `alerting` names a receiver, one pass
 * over the outbox (lib/scoring/alerting/deliverOutbox.ts) every `everyMs`
 * (default 1 s), never two at once, counted in
 * `mlbox_notifications_total{outcome,receiver}`. The incidents the service
 * writes queue their messages in their own transaction (the store's hook), so
 * a service killed mid-send sends them again after a restart.
 */
import type { Kysely } from "kysely";
import { deliverOutbox } from "../lib/scoring/alerting/deliverOutbox";
import { configuredReceivers } from "../lib/scoring/alerting/outboxHook";
import type { Config } from "../lib/shapes/types";
import type { ServiceMetrics } from "./metrics";

/** What {@link startNotifier} needs. */
export interface NotifierOptions {
  readonly db: Kysely<any>;
  readonly config: Pick<Config, "scoring" | "alerting">;
  readonly metrics: ServiceMetrics;
  readonly log: (line: string) => void;
  readonly everyMs?: number;
}

/**
 * Starts the loop; resolves the returned function once the pass in flight (if any) is over.
 * @example
 * const stop = startNotifier({ db, config, metrics: service.metrics, log: console.log });
 * service.app.addHook("onClose", stop);
 */
export function startNotifier(options: NotifierOptions): () => Promise<void> {
  const { db, config, metrics, log, everyMs = 1000 } = options;
  const receivers = configuredReceivers(config.alerting);
  for (const receiver of receivers) for (const outcome of ["delivered", "retried", "failed"]) metrics.notifications.inc({ outcome, receiver }, 0);
  let running: Promise<void> | null = null;
  let reported = "";
  const pass = (): void => {
    if (running !== null || receivers.length === 0) return;
    running = deliverOutbox(db, {
      incidentsTable: config.scoring.incidents_table,
      alerting: config.alerting,
      log,
      onOutcome: (outcome, receiver) => metrics.notifications.inc({ outcome, receiver }),
    })
      .then(() => {
        reported = "";
      })
      .catch((error: unknown) => {
        const text = String((error as Error).message).split("\n")[0];
        if (text !== reported) log(`notifications: delivery pass failed (${text}); trying again`);
        reported = text;
      })
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(pass, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
