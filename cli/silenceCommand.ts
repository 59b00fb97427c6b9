/**
 * `npm start -- silence add --stream <s> [--axis <a>] --from <t> --to <t> --reason <text> | list | remove <id>`:
 * the silences of `<scoring.incidents_table>_silences` (lib/scoring/silences.ts). Events and incidents inside a
 * silence are still recorded, marked silenced.
 */
import { connect } from "../lib/db/connect";
import { InputError } from "../lib/core/errors";
import { addSilence, listSilences, removeSilence, silenceTable, type Silence } from "../lib/scoring/silences";
import type { Config } from "../lib/shapes/types";
import { operatorName } from "./incidentsCommand";
import { mirrorSilence, unmirrorSilence } from "../lib/scoring/alerting/alertmanagerSilence";

/** What `silence add` reads from the command line. */
export interface SilenceFlags {
  readonly stream?: string;
  readonly axis?: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
}

function line(s: Silence): string {
  return `${s.id}  ${s.stream}${s.axis === null ? "" : `/${s.axis}`}  ${s.from_text} → ${s.to_text}  ${s.reason}  (by ${s.created_by} at ${s.created_at})`;
}

/**
 * Runs a `silence` subcommand; returns the exit code.
 * @throws InputError for an unknown subcommand, missing flags, bad times or an unknown id (nothing changes).
 */
export async function silenceCommand(config: Config, rest: readonly string[], flags: SilenceFlags): Promise<number> {
  const [sub, id] = rest;
  const usage = 'use "silence add --stream <s> [--axis <a>] --from <t> --to <t> --reason <text>", "silence list" or "silence remove <id>"';
  const ok = (sub === "add" && rest.length === 1) || (sub === "list" && rest.length === 1) || (sub === "remove" && rest.length === 2);
  if (!ok) throw new InputError(`unknown command "silence ${rest.join(" ")}": ${usage}`);
  const given = (Object.keys(flags) as (keyof SilenceFlags)[]).find((key) => flags[key] !== undefined);
  if (sub !== "add" && given !== undefined) throw new InputError(`--${given} belongs to silence add (see --help)`);
  if (sub === "add" && flags.stream === undefined) throw new InputError("--stream is required: the stream to silence");
  const table = config.scoring.incidents_table;
  const db = await connect(config.database);
  try {
    if (sub === "add") {
      const silence = await addSilence(db, table, { stream: flags.stream as string, axis: flags.axis ?? null, from: flags.from, to: flags.to, reason: flags.reason, createdBy: operatorName() });
      console.log(`added silence ${line(silence)}`);
      if (config.alerting.alertmanager_url !== null) console.log(await mirrorSilence(db, table, config.alerting.alertmanager_url, silence, config.alerting.timeout_seconds));
    } else if (sub === "list") {
      const silences = await listSilences(db, table);
      console.log(silences.length === 0 ? `no silences in ${silenceTable(table)}` : silences.map(line).join("\n"));
    } else {
      const alertmanagerId = await removeSilence(db, table, id);
      console.log(`removed silence ${id}`);
      if (config.alerting.alertmanager_url !== null) {
        const expired = await unmirrorSilence(config.alerting.alertmanager_url, alertmanagerId, config.alerting.timeout_seconds);
        if (expired !== null) console.log(expired);
      }
    }
    return 0;
  } finally {
    await db.destroy();
  }
}
