/**
 * What the page (`GET /`) shows, shaped from the service's sources into one
 * JSON snapshot (`GET /v1/overview`): every stream with its state and version,
 * incidents (open first) with their axes by display name, values against
 * their limits and top contributors, the silences, and the recent statistic
 * of the streams charted, with the incidents inside the chart's window. Pure:
 * the routes (server/pageRoutes.ts) read the database and memory, this file
 * only arranges, so it is unit-tested alone (test/page.unit.test.ts).
 */
import { isoToEpochSeconds } from "../lib/core/time";
import { axisDisplayName, axisUnit, type AxisDisplay } from "../lib/shapes/axisDisplay";
import type { IncidentRow } from "../lib/scoring/incidentAdmin";
import type { Silence } from "../lib/scoring/silences";
import type { TimeType } from "../lib/shapes/types";
import type { RecentSeries } from "./pageRecent";

/** A stream as the streams table (or memory, without a database) knows it. */
export interface StreamRow {
  readonly stream: string;
  readonly model_version: string;
  /** Its last sample scored, seconds (epoch seconds for timestamps); null before any. */
  readonly position: number | null;
  /** Clock time of its last scored batch (ISO), when known. */
  readonly updated_at: string | null;
}

/** Everything the snapshot is made of. */
export interface OverviewSources {
  readonly alias: string;
  readonly version: string;
  readonly timeType: TimeType;
  readonly streams: readonly StreamRow[];
  /** Streams beyond those listed (the listing is bounded). */
  readonly moreStreams: number;
  readonly incidents: readonly IncidentRow[];
  readonly silences: readonly Silence[];
  readonly recent: (stream: string) => RecentSeries | null;
  readonly display?: AxisDisplay;
  /** Streams to chart besides the first `maxCharts` (the page's pinned ones). */
  readonly chart?: readonly string[];
  readonly maxCharts?: number;
  /** Clock time of the snapshot. */
  readonly now: Date;
}

/** A clock time as the page shows every time: ISO-8601 UTC (the driver may give a Date or PostgreSQL's text form). */
function clockIso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

/** A time as seconds: a number as is, ISO-8601 text as epoch seconds. */
export function timeSeconds(value: number | string): number {
  return typeof value === "number" ? value : isoToEpochSeconds(value);
}

/** A time in seconds as the page writes it: UTC ISO for timestamps (to the second unless finer), else seconds. */
export function timeText(seconds: number | null, timeType: TimeType): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  if (timeType === "float") return `${Number(seconds.toFixed(6))} s`;
  const iso = new Date(Math.round(seconds * 1000)).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

const SEVERITY_RANK = { error: 2, alert: 1 } as const;

/**
 * The snapshot the page renders.
 * @example
 * const snapshot = overview({ alias: "production", version: "v1", timeType: "float", streams, moreStreams: 0, incidents, silences, recent: recent.get, now: new Date() });
 */
export function overview(sources: OverviewSources) {
  const { display, timeType, now } = sources;
  const name = (axis: string): string => axisDisplayName(axis, display);
  const byStream = new Map<string, StreamRow>(sources.streams.map((row) => [row.stream, row]));
  const openOf = new Map<string, IncidentRow[]>();
  for (const incident of sources.incidents) {
    if (incident.closed_at !== null) continue;
    openOf.set(incident.stream, [...(openOf.get(incident.stream) ?? []), incident]);
  }
  const silencedNow = (row: StreamRow): boolean =>
    row.position !== null && sources.silences.some((s) => s.stream === row.stream && s.axis === null && s.from_seconds <= (row.position as number) && (row.position as number) < s.to_seconds);

  const streams = sources.streams
    .map((row) => {
      const open = openOf.get(row.stream) ?? [];
      const worst = open.reduce<"ok" | "alert" | "error">((state, i) => (SEVERITY_RANK[i.severity] > (state === "ok" ? 0 : SEVERITY_RANK[state]) ? i.severity : state), "ok");
      const timing = sources.recent(row.stream)?.time_type ?? timeType;
      return {
        stream: row.stream,
        state: worst,
        model_version: row.model_version,
        // A stream still on an older version moves at its next request with no run in progress.
        on_served: row.model_version === sources.version,
        open_incidents: open.length,
        silenced: silencedNow(row),
        position: row.position,
        position_text: timeText(row.position, timing),
        updated_at: clockIso(row.updated_at),
      };
    })
    .sort((a, b) => stateRank(b.state) - stateRank(a.state) || a.stream.localeCompare(b.stream));

  const incidents = sources.incidents.map((incident) => {
    const opened = timeSeconds(incident.opened_at);
    const closed = incident.closed_at === null ? null : timeSeconds(incident.closed_at);
    const position = byStream.get(incident.stream)?.position ?? null;
    const reached = closed ?? (position !== null && position >= opened ? position : opened);
    return {
      id: incident.id,
      stream: incident.stream,
      model_version: incident.model_version,
      severity: incident.severity,
      open: closed === null,
      opened_at: incident.opened_at,
      closed_at: incident.closed_at,
      opened_seconds: opened,
      closed_seconds: closed,
      // Data time: from its start to its end, or (open) to the stream's last sample.
      age_seconds: reached - opened,
      axes: incident.axes.map((axis) => ({ axis, name: name(axis) })),
      peaks: incident.axes
        .filter((axis) => incident.peaks[axis] !== undefined)
        .map((axis) => ({ axis, name: name(axis), unit: axisUnit(axis, display), level: incident.peaks[axis].level, value: incident.peaks[axis].peak, expected: incident.peaks[axis].expected })),
      contributions: incident.contributions.slice(0, 3).map((c) => ({ axis: c.axis, name: name(c.axis), share: c.share, value: c.value, expected: c.expected })),
      events: incident.events,
      silenced: incident.silenced,
      acked_at: clockIso(incident.acked_at),
      acked_by: incident.acked_by,
      label: incident.label,
      note: incident.note,
      labelled_by: incident.labelled_by,
    };
  });

  const silences = sources.silences.map((s) => ({ ...s, axis_name: s.axis === null ? null : name(s.axis) }));

  const maxCharts = sources.maxCharts ?? 12;
  const charted: string[] = [];
  for (const row of streams) if (charted.length < maxCharts && sources.recent(row.stream) !== null) charted.push(row.stream);
  for (const stream of sources.chart ?? []) if (!charted.includes(stream) && sources.recent(stream) !== null) charted.push(stream);
  const charts = charted.map((stream) => chartOf(sources.recent(stream) as RecentSeries, incidents, display));

  return {
    generated_at: now.toISOString(),
    alias: sources.alias,
    version: sources.version,
    streams,
    more_streams: sources.moreStreams,
    incidents,
    silences,
    charts,
    uncharted: streams.length - streams.filter((row) => charted.includes(row.stream)).length,
  };
}

/** The snapshot's type. */
export type Overview = ReturnType<typeof overview>;

function stateRank(state: "ok" | "alert" | "error"): number {
  return state === "ok" ? 0 : SEVERITY_RANK[state];
}

/**
 * One stream's chart: its recent points per channel (display name, limits), and the incidents of the stream that
 * overlap the window, clipped to it.
 * @example
 * chartOf(recent.get("robot-7")!, snapshot.incidents, config.data).channels[0].name;
 */
export function chartOf(series: RecentSeries, incidents: readonly { stream: string; id: string; severity: string; opened_seconds: number; closed_seconds: number | null; open: boolean }[], display?: AxisDisplay) {
  const from = series.t.length === 0 ? series.last : series.t[0];
  const to = series.last;
  return {
    stream: series.stream,
    model_version: series.model_version,
    time_type: series.time_type,
    from,
    to,
    from_text: timeText(from, series.time_type),
    to_text: timeText(to, series.time_type),
    point_seconds: series.point_seconds,
    t: series.t,
    channels: series.channels.map((limits, c) => ({ ...limits, name: axisDisplayName(limits.axis, display), max: series.max[c], min: series.min[c] })),
    incidents: incidents
      .filter((i) => i.stream === series.stream && i.opened_seconds <= to && (i.closed_seconds === null || i.closed_seconds >= from))
      .map((i) => ({ id: i.id, severity: i.severity, open: i.open, from: Math.max(from, i.opened_seconds), to: i.closed_seconds === null ? to : Math.min(to, i.closed_seconds) })),
  };
}
