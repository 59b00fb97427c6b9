import { alertingEnabled } from "../lib/scoring/alerting/alertingSetup";
import { outboxTable } from "../lib/scoring/alerting/outboxTable";
import { InputError } from "../lib/core/errors";
import { followScore } from "../lib/scoring/follow";
import { replayScore, type ReplayResult } from "../lib/scoring/replay";
import { appendEventsWhole, writeEventsFile } from "./eventsFile";
import { formatScoreTime, type ScoreEvent } from "../lib/scoring/score";
import { scoreSummaryRows } from "../lib/views/scoreViews";
import type { Config } from "../lib/shapes/types";
import { axisCaption, type AxisDisplay } from "../lib/shapes/axisDisplay";

/** Flags of `score`. */
export interface ScoreFlags {
  readonly version?: string;
  readonly from?: string;
  readonly to?: string;
  readonly events?: string;
  readonly follow?: boolean;
}

/**
 * Per axis: the events of each level — alert-level (residual ≥ MinC for T_long_steps samples) and
 * error-level (≥ MaxC for T_short_steps, the higher level): alert levels, not failures of ML Box —,
 * longest event (samples), first and last event start. Axes are named by `data.axis_labels`/`data.units` when given.
 */
export function formatScoreSummary(result: ReplayResult, via?: string, display?: AxisDisplay): string {
  const { model, events } = result;
  const header = ["axis", "alert-level", "error-level", "longest", "first", "last"];
  // A pca version's events are on its statistics (T2, SPE).
  const rows = scoreSummaryRows(model.pca?.channels.axes ?? model.axes, events).map((row) => [
    axisCaption(row.axis, display),
    String(row.alerts),
    String(row.errors),
    row.alerts + row.errors > 0 ? String(row.longest) : "-",
    row.alerts + row.errors > 0 ? String(row.first) : "-",
    row.alerts + row.errors > 0 ? String(row.last) : "-",
  ]);
  const widths = header.map((_, c) => Math.max(header[c].length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]): string => `  ${cells.map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ")}`.trimEnd();
  const open = events.filter((e) => e.ended_at === null).length;
  return [
    `Model: ${model.version}${via === undefined || via === model.version ? "" : ` (${via})`}  Stream: ${result.stream}`,
    `Scored: ${result.rows} rows from ${result.firstTime} to ${result.lastTime}`,
    "Events per axis (longest in samples; first/last by start):",
    line(header),
    ...rows.map(line),
    "  Two alert levels: alert-level = residual ≥ MinC for T_long samples; error-level (the higher) = ≥ MaxC for T_short samples",
    `Events: ${events.length} (${events.filter((e) => e.level === "alert").length} alert-level, ${events.filter((e) => e.level === "error").length} error-level, ${open} still open) → table ${result.eventsTable}`,
  ].join("\n");
}

/** The three largest contributions of a pca event: `; top: b 62% (3.4, expected 2.1), a 20% (…)`; "" without. */
export function contributionsText(event: ScoreEvent, display?: AxisDisplay): string {
  if (event.contributions === undefined) return "";
  const short = (x: number): string => String(Number(x.toPrecision(4)));
  const top = event.contributions.slice(0, 3).map((c) => `${axisCaption(c.axis, display)} ${Math.round(100 * c.share)}% (${short(c.value)}, expected ${short(c.expected)})`);
  return `; top: ${top.join(", ")}`;
}

/**
 * An {@link InputError} saying to train first when the registry holds no version at all (a fresh clone
 * runs `score` before `npm start`): the first thing a newcomer meets should say what to do.
 */
async function requireTrainedVersion(rootDir: string): Promise<void> {
  const { listVersions } = await import("../lib/registry/read");
  if ((await listVersions(rootDir)).length > 0) return;
  throw new InputError(`score: no model version in the registry ${rootDir} yet: train one first with \`npm start\` (same --config), then score`);
}

/** One event as a line of the follower's output (and of a pca replay). */
export function eventLine(event: ScoreEvent, display?: AxisDisplay): string {
  const what = event.ended_at === null ? `fired at ${event.fired_at}` : `ended at ${event.ended_at} after ${event.samples} samples`;
  const peak = event.contributions === undefined ? "peak residual" : "peak";
  return `${event.level.padEnd(5)} ${axisCaption(event.axis, display)}: started ${event.started_at}, ${what} (${peak} ${Number(event.peak_residual.toPrecision(6))}, threshold ${Number(event.threshold.toPrecision(6))}${contributionsText(event, display)})`;
}

/** Event lines printed after a pca replay's summary, at most. */
const PCA_EVENT_LINES = 20;

/** `npm start -- score …`: a replay (summary, events file, events table), or `--follow` until SIGINT/SIGTERM. */
export async function scoreCommand(config: Config, flags: ScoreFlags, quiet: boolean): Promise<number> {
  await requireTrainedVersion(config.registry.root_dir);
  if (flags.follow) {
    if (flags.to !== undefined) throw new InputError("--to cannot be combined with --follow (following has no end)");
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    // `on`, not `once`: signal-exit (proper-lockfile's, loaded at the first lock) re-raises a signal when it is
    // the only listener left, and a `once` listener has already removed itself by then: the follower died by signal.
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
      await followScore(config, {
        version: flags.version,
        from: flags.from,
        signal: controller.signal,
        log: (line) => console.error(line),
        // The file before the checkpoint commits: a failed write commits nothing, so no event is lost.
        beforeCommit: flags.events === undefined ? undefined : (events) => appendEventsWhole(flags.events as string, events),
        onEvent: (event) => console.log(eventLine(event, config.data)),
      });
    } finally {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    }
    return 0;
  }
  // Which version: --version, else the one serving.alias names (said in the summary's first line).
  const { resolveTag } = await import("../lib/registry/read");
  const tag = flags.version ?? config.serving.alias;
  const resolved = await resolveTag(config.registry.root_dir, tag);
  if (resolved.notice !== null) console.error(`note: ${resolved.notice}`);
  const result = await replayScore(config, { version: resolved.version, from: flags.from, to: flags.to });
  for (const row of result.skipped) console.error(`skipped row of ${result.stream} at ${formatScoreTime(row.time, result.model.timeType)}: it ${row.why} the previous sample (scoring.on_bad_row: skip; left unscored)`);
  // Written whole, then renamed: never half a file.
  if (flags.events !== undefined) writeEventsFile(flags.events, result.events);
  console.log(formatScoreSummary(result, tag, config.data));
  const notified = result.incidents.filter((change) => !change.incident.silenced).length;
  if (alertingEnabled(config) && notified > 0) {
    console.log(`Notifications: queued for ${notified} incident change${notified === 1 ? "" : "s"} in ${outboxTable(config.scoring.incidents_table)}; npm start -- notify sends them`);
  }
  if (result.model.pca !== undefined && result.events.length > 0) {
    const shown = result.events.slice(0, PCA_EVENT_LINES);
    console.log([`Events (${shown.length} of ${result.events.length}; shares of the statistic at the peak):`, ...shown.map((e) => `  ${eventLine(e, config.data)}`)].join("\n"));
  }
  if (flags.events !== undefined && !quiet) console.log(`Events file: ${flags.events} (JSON Lines)`);
  return 0;
}
