/**
 * `npm start -- notify [--once]`: delivers what the outbox of
 * `scoring.incidents_table` holds (lib/scoring/alerting/). `score` only queues
 * notifications; `score --follow` and the service deliver them as they go.
 * Without --once it passes again every second until nothing is pending
 * (resolves wait `alerting.hold_seconds` after their firing alert, retries
 * their backoff), then lists the rows a receiver refused.
 */
import { sql } from "kysely";
import { connect } from "../lib/db/connect";
import { InputError } from "../lib/core/errors";
import { alertingEnabled, ensureAlertingTables } from "../lib/scoring/alerting/alertingSetup";
import { deliverOutbox } from "../lib/scoring/alerting/deliverOutbox";
import { outboxTable } from "../lib/scoring/alerting/outboxTable";
import type { Config } from "../lib/shapes/types";

/**
 * Runs `notify`; returns the exit code (0: nothing pending or refused; 1: rows were refused).
 * @throws InputError when no receiver is configured or a subcommand is given.
 */
export async function notifyCommand(config: Config, rest: readonly string[], flags: { readonly once: boolean }, log: (line: string) => void = console.log): Promise<number> {
  if (rest.length > 0) throw new InputError(`unknown command "notify ${rest.join(" ")}": use "notify" or "notify --once"`);
  if (!alertingEnabled(config)) throw new InputError(`${config.source_path}: set alerting.alertmanager_url or alerting.webhook_url to send notifications`);
  const table = outboxTable(config.scoring.incidents_table);
  const totals = { delivered: 0, retried: 0, failed: 0, resent: 0 };
  let pending = 0;
  const db = await connect(config.database);
  try {
    await ensureAlertingTables(db, config);
    for (;;) {
      const pass = await deliverOutbox(db, { incidentsTable: config.scoring.incidents_table, alerting: config.alerting, log });
      totals.delivered += pass.delivered;
      totals.retried += pass.retried;
      totals.failed += pass.failed;
      totals.resent += pass.resent;
      pending = pass.pending;
      if (flags.once || pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const refused = await sql<{ message_id: string; receiver: string; last_error: string }>`select message_id, receiver, last_error from ${sql.id(table)}
      where failed_at is not null order by id`.execute(db);
    log(`notifications: ${totals.delivered} delivered, ${totals.retried} retried, ${totals.failed} refused now, ${pending} pending in ${table}`);
    for (const row of refused.rows) log(`refused: ${row.message_id} to ${row.receiver}: ${row.last_error}`);
    return refused.rows.length > 0 ? 1 : 0;
  } finally {
    await db.destroy();
  }
}
