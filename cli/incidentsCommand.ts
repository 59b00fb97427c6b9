/**
 * `npm start -- incidents list | show <id> | ack <id> | label <id> <false_alarm|fault|maintenance|other> [--note …]`:
 * what an operator does with the incidents in `scoring.incidents_table`, over lib/scoring/incidentAdmin.ts.
 */
import { userInfo } from "node:os";
import { connect } from "../lib/db/connect";
import { InputError } from "../lib/core/errors";
import { ackIncident, getIncident, incidentEvents, labelIncident, listIncidents, type IncidentRow } from "../lib/scoring/incidentAdmin";
import type { Config } from "../lib/shapes/types";

/** Who acts: `$USER`, else the OS account. */
export function operatorName(): string {
  const env = (process.env.USER ?? "").trim();
  if (env !== "") return env;
  try {
    return userInfo().username;
  } catch {
    return "cli";
  }
}

/** One line per incident. */
function line(incident: IncidentRow): string {
  const state = incident.closed_at === null ? "open" : `closed ${incident.closed_at}`;
  const marks = [incident.acked_at !== null ? `acked by ${incident.acked_by}` : "", incident.label !== null ? `label ${incident.label}` : "", incident.silenced ? "silenced" : ""].filter((mark) => mark !== "");
  return `${incident.id}  ${incident.stream}  ${incident.severity}  opened ${incident.opened_at}  ${state}  axes ${incident.axes.join(",")}  ${incident.events} events${marks.length > 0 ? `  (${marks.join(", ")})` : ""}`;
}

/** `incidents show`: the incident, its peaks, contributions and events. */
function details(incident: IncidentRow, events: Awaited<ReturnType<typeof incidentEvents>>): string {
  const out = [line(incident), `model version: ${incident.model_version}`];
  for (const axis of incident.axes) {
    const peak = incident.peaks[axis];
    out.push(`  ${axis}: ${peak.level}, peak ${peak.peak.toPrecision(6)} (expected under ${peak.expected.toPrecision(6)})`);
  }
  if (incident.contributions.length > 0) {
    out.push("top contributions:");
    for (const c of incident.contributions) out.push(`  ${c.axis}: ${(100 * c.share).toFixed(1)}%  value ${c.value.toPrecision(6)}, expected ${c.expected.toPrecision(6)}`);
  }
  if (incident.label !== null) out.push(`label: ${incident.label}${incident.note ? ` (${incident.note})` : ""} by ${incident.labelled_by} at ${incident.labelled_at}`);
  if (incident.acked_at !== null) out.push(`acknowledged by ${incident.acked_by} at ${incident.acked_at}`);
  out.push(`events (${events.length}):`);
  for (const e of events) out.push(`  ${e.axis} ${e.level} ${e.started_at} → ${e.ended_at ?? "open"}  peak ${e.peak_residual.toPrecision(6)} / ${e.threshold.toPrecision(6)}${e.silenced ? "  silenced" : ""}`);
  return out.join("\n");
}

/**
 * Runs an `incidents` subcommand; returns the exit code.
 * @throws InputError for an unknown subcommand, id or label (nothing changes).
 */
export async function incidentsCommand(config: Config, rest: readonly string[], options: { readonly note?: string }): Promise<number> {
  const [sub, id, label, ...extra] = rest;
  const table = config.scoring.incidents_table;
  const usage = 'use "incidents list", "incidents show <id>", "incidents ack <id>" or "incidents label <id> <false_alarm|fault|maintenance|other> [--note …]"';
  const shape = { list: 1, show: 2, ack: 2, label: 3 } as Record<string, number>;
  if (sub === undefined || shape[sub] === undefined || rest.length !== shape[sub] || extra.length > 0) throw new InputError(`unknown command "incidents ${rest.join(" ")}": ${usage}`);
  if (options.note !== undefined && sub !== "label") throw new InputError("--note belongs to incidents label (see --help)");
  const db = await connect(config.database);
  try {
    if (sub === "list") {
      const incidents = await listIncidents(db, table);
      console.log(incidents.length === 0 ? `no incidents in ${table}` : incidents.map(line).join("\n"));
    } else if (sub === "show") {
      const incident = await getIncident(db, table, id);
      console.log(details(incident, await incidentEvents(db, config.scoring.events_table, table, id)));
    } else if (sub === "ack") {
      const incident = await ackIncident(db, table, id, operatorName());
      console.log(`acknowledged ${incident.id} (by ${incident.acked_by} at ${incident.acked_at})`);
    } else {
      const incident = await labelIncident(db, table, id, label, options.note ?? null, operatorName());
      console.log(`labelled ${incident.id} ${incident.label}${incident.note ? ` (${incident.note})` : ""}`);
    }
    return 0;
  } finally {
    await db.destroy();
  }
}
