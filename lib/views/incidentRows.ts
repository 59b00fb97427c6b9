/**
 * One table row per incident for 08's events table: the alert and the error
 * of one run of the same axis are one incident (levels merged), with its
 * duration in seconds, its peak against the threshold it crossed, and for
 * multivariate events the axes that contributed most.
 */
import { eventDuration, eventSeconds } from "./eventMarks";
import { formatNumber } from "../core/formatNumber";
import type { ScoreEvent } from "../scoring/score";

/** One row of {@link incidentRows}. */
export interface IncidentRow {
  readonly axis: string;
  /** `alert`, `error`, or `alert+error` when both levels fired in the run. */
  readonly levels: string;
  readonly started_at: number | string;
  /** null while the incident is still open. */
  readonly ended_at: number | string | null;
  /** Start to end in seconds (NaN while open). */
  readonly duration_seconds: number;
  /** Samples of the longest run in the incident. */
  readonly samples: number;
  /** Largest scored value (the residual: measured − expected, unless a smoothed statistic is scored). */
  readonly peak: number;
  /** The alert threshold (MinC) of the incident, or MaxC when only an error fired. */
  readonly threshold: number;
  /** `peak / threshold`. */
  readonly peak_over_threshold: number;
  /** pca events: the top three axes by share at the peak (`axis3 62 %, axis1 20 %`); "" otherwise. */
  readonly top_contributors: string;
}

/**
 * Merges `events` into incidents: events of the same stream and axis whose spans overlap (an error
 * inside its alert's run) become one row, sorted by start.
 *
 * @example
 * import { incidentRows } from "mlbox";
 * incidentRows([]); // []
 */
export function incidentRows(events: readonly ScoreEvent[]): IncidentRow[] {
  const sorted = [...events].sort((a, b) => eventSeconds(a.started_at) - eventSeconds(b.started_at));
  const groups: { key: string; end: number; members: ScoreEvent[] }[] = [];
  for (const e of sorted) {
    const key = `${e.stream}\u0000${e.axis}`;
    const start = eventSeconds(e.started_at);
    const end = e.ended_at === null ? Infinity : eventSeconds(e.ended_at);
    const open = groups.find((g) => g.key === key && start <= g.end);
    if (open !== undefined) {
      open.members.push(e);
      open.end = Math.max(open.end, end);
    } else groups.push({ key, end, members: [e] });
  }
  return groups.map(({ members }) => {
    const first = members[0];
    const levels = [...new Set(members.map((m) => m.level))].sort();
    const ended = members.some((m) => m.ended_at === null) ? null : members.reduce((a, b) => (eventSeconds(b.ended_at!) > eventSeconds(a.ended_at!) ? b : a)).ended_at;
    const peakEvent = members.reduce((a, b) => (b.peak_residual > a.peak_residual ? b : a));
    const alert = members.find((m) => m.level === "alert");
    const threshold = (alert ?? first).threshold;
    const contributions = peakEvent.contributions ?? [];
    return {
      axis: first.axis,
      levels: levels.join("+"),
      started_at: first.started_at,
      ended_at: ended,
      duration_seconds: ended === null ? NaN : Math.max(...members.map(eventDuration), eventSeconds(ended) - eventSeconds(first.started_at)),
      samples: Math.max(...members.map((m) => m.samples)),
      peak: peakEvent.peak_residual,
      threshold,
      peak_over_threshold: peakEvent.peak_residual / threshold,
      top_contributors: contributions.slice(0, 3).map((c) => `${c.axis} ${formatNumber(100 * c.share, 3)} %`).join(", "),
    };
  });
}
