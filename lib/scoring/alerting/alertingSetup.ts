/**
 * How replay, follow and the service take part in notifications: the tables
 * they write with the outbox hook added when `alerting` names a receiver, and
 * the outbox table created beside the incidents table.
 */
import type { Kysely } from "kysely";
import { scoredTables, type ScoredTables } from "../incidentStore";
import type { Config } from "../../shapes/config";
import { configuredReceivers, outboxHook } from "./outboxHook";
import { ensureOutboxTable } from "./outboxTable";

/**
 * Whether `alerting` names a receiver.
 * @example
 * alertingEnabled(config); // false with the defaults
 */
export function alertingEnabled(config: Pick<Config, "alerting">): boolean {
  return configuredReceivers(config.alerting).length > 0;
}

/**
 * {@link scoredTables} of a config, with the outbox hook when a receiver is configured.
 * @example
 * await db.transaction().execute((trx) => writeScored(trx, notifyingTables(config), stream, events, position));
 */
export function notifyingTables(config: Pick<Config, "scoring" | "incidents" | "alerting">): ScoredTables {
  const tables = scoredTables(config);
  const receivers = configuredReceivers(config.alerting);
  if (receivers.length === 0) return tables;
  return { ...tables, onIncidentChange: [...(tables.onIncidentChange ?? []), outboxHook(config.scoring.incidents_table, receivers)] };
}

/**
 * Creates the outbox table when a receiver is configured (call after ensureIncidentTables).
 * @example
 * await ensureAlertingTables(db, config);
 */
export async function ensureAlertingTables(db: Kysely<any>, config: Pick<Config, "scoring" | "alerting">): Promise<void> {
  if (alertingEnabled(config)) await ensureOutboxTable(db, config.scoring.incidents_table);
}
