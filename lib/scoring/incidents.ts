/**
 * Incidents: what an operator acts on instead of single events. Events of one
 * stream (alert and error levels, any axis or multivariate statistic) whose
 * spans overlap or follow within `incidents.merge_seconds` form one incident.
 * This is the pure core, in data time (the events' own times) throughout:
 * given a stream's open incidents and new event reports it returns the
 * incidents that changed. The database side is lib/scoring/incidentStore.ts.
 *
 * The rule: an event joins an open incident when its span [started_at,
 * ended_at] (an open event: up to now) comes within `merge_seconds` of the
 * incident's span; otherwise it opens a new one. An incident closes, at the
 * end of its last event, once none of its events is open and the stream's
 * position has passed that end by `merge_seconds` (nothing can join it any
 * more); a closed incident is never reopened. Its id is a hash of the stream
 * and the event that fired first (model version, axis, direction, level,
 * start): an event is reported in the batch holding the sample it fires at,
 * so the first-fired event is the same however the rows were batched, and
 * replaying the same rows gives the same ids.
 */
import { createHash } from "node:crypto";
import { isoToEpochSeconds } from "../core/time";
import type { Contribution } from "../model/pca";
import type { ScoreEvent, ScoreLevel } from "./scoreTypes";

/** Most contributions an incident keeps (the top ones of its strongest multivariate event). */
export const TOP_CONTRIBUTIONS = 5;

/** The worst an axis of an incident got. */
export interface IncidentPeak {
  /** The highest level the axis reached. */
  readonly level: ScoreLevel;
  /** Largest value of the scored statistic (the residual unless the version smooths it). */
  readonly peak: number;
  /** The limit of that level the statistic is expected to stay under (MinC for alert, MaxC for error). */
  readonly expected: number;
}

/** The bookkeeping that lets an incident continue over batches (JSON, kept in the table's `state`). */
export interface IncidentState {
  /**
   * Latest `fired_at` (seconds) among its counted events, and the keys (see {@link eventKey}) of those fired then.
   * A stream is scored forward, so a report that is not a closing one, started within the incident and fired
   * before that is one already counted (a replay run again): kept bounded, where a list of every key would grow
   * with a long incident.
   */
  readonly lastFired: number;
  readonly lastKeys: readonly string[];
  /** Keys of its events still open. */
  readonly open: readonly string[];
  /** Seconds: start of its first event, end of its last closed event (null: none closed yet). */
  readonly start: number;
  readonly end: number | null;
  /** That end as the event reported it (seconds, or ISO text). */
  readonly endAt: number | string | null;
  /** peak / limit of the event whose contributions are kept (0: none). */
  readonly contributionRatio: number;
}

/** One incident. Times as the events report them: seconds, or ISO-8601 UTC text. */
export interface Incident {
  readonly id: string;
  readonly stream: string;
  /** The model version of the event that opened it. */
  readonly model_version: string;
  readonly opened_at: number | string;
  /** End of its last event once closed; null while open. */
  readonly closed_at: number | string | null;
  readonly severity: ScoreLevel;
  /** Axes (or multivariate statistics, `T2`/`SPE`) involved, in the order they joined; a lower side is `<axis>:down`. */
  readonly axes: readonly string[];
  /** Per axis of {@link axes}: its peak and the limit it was expected under. */
  readonly peaks: Readonly<Record<string, IncidentPeak>>;
  /** Multivariate models: the top contributions (axis, share, value, expected) of its strongest event; empty otherwise. */
  readonly contributions: readonly Contribution[];
  /** Events in it. */
  readonly events: number;
  /** Every event in it fell inside a silence (lib/scoring/silences.ts). */
  readonly silenced: boolean;
  readonly state: IncidentState;
}

/** An event as the incident core reads it: a score event, and whether a silence covers it. */
export interface IncidentEvent {
  readonly event: ScoreEvent;
  readonly silenced: boolean;
}

/** What {@link mergeIncidents} returns. */
export interface IncidentUpdate {
  /** Every incident that is new or changed, in the order they opened. */
  readonly changed: readonly Incident[];
  /** The stream's incidents still open afterwards (to pass in next time). */
  readonly open: readonly Incident[];
}

/** Parsed ISO event times: merging reads each event's times several times per batch, and a parse costs ~1 µs. */
const parsedTimes = new Map<string, number>();
const PARSED_TIMES_LIMIT = 4096;

/** Seconds of an event time (ISO text parsed once, then read from {@link parsedTimes}, emptied when it holds {@link PARSED_TIMES_LIMIT}). */
function seconds(time: number | string): number {
  if (typeof time === "number") return time;
  let value = parsedTimes.get(time);
  if (value === undefined) {
    value = isoToEpochSeconds(time);
    if (parsedTimes.size >= PARSED_TIMES_LIMIT) parsedTimes.clear();
    parsedTimes.set(time, value);
  }
  return value;
}

/** The axis as incidents name it: a lower side of a two-sided version gets `:down`. */
function axisName(event: ScoreEvent): string {
  return event.direction === "down" ? `${event.axis}:down` : event.axis;
}

/**
 * The identity of an event within its stream: the events table's key (version, axis, level, start) plus its direction.
 * @example
 * eventKey({ model_version: "v1", axis: "a", level: "alert", started_at: 10 } as ScoreEvent); // "v1|a|up|alert|10"
 */
export function eventKey(event: ScoreEvent): string {
  return [event.model_version, event.axis, event.direction ?? "up", event.level, String(event.started_at)].join("|");
}

/**
 * The id of the incident an event opens: `inc-` and 16 hex digits of SHA-256 over the stream and {@link eventKey}.
 * @example
 * incidentId("robot", { model_version: "v1", axis: "a", level: "alert", started_at: 10 } as ScoreEvent); // "inc-…"
 */
export function incidentId(stream: string, event: ScoreEvent): string {
  return `inc-${createHash("sha256").update(`${stream}\u0000${eventKey(event)}`).digest("hex").slice(0, 16)}`;
}

const LEVEL_RANK: Record<ScoreLevel, number> = { alert: 0, error: 1 };

/**
 * Events in the order they fired (then start, axis, level): the order that does not depend on batching. Each
 * event's times are parsed and its key built once, not per comparison (an event storm sorts thousands).
 */
function inFiringOrder(events: readonly IncidentEvent[]): IncidentEvent[] {
  const decorated = events.map((item) => ({ item, fired: seconds(item.event.fired_at), started: seconds(item.event.started_at), key: eventKey(item.event) }));
  decorated.sort((a, b) => {
    if (a.fired !== b.fired) return a.fired - b.fired;
    if (a.started !== b.started) return a.started - b.started;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return decorated.map((entry) => entry.item);
}

/** A new incident holding one event. */
function openWith(item: IncidentEvent): Incident {
  const { event } = item;
  return absorb(
    {
      id: incidentId(event.stream, event),
      stream: event.stream,
      model_version: event.model_version,
      opened_at: event.started_at,
      closed_at: null,
      severity: event.level,
      axes: [],
      peaks: {},
      contributions: [],
      events: 0,
      silenced: item.silenced,
      state: { lastFired: -Infinity, lastKeys: [], open: [], start: seconds(event.started_at), end: null, endAt: null, contributionRatio: 0 },
    },
    item,
  );
}

/** The incident with `item` added or, when it is already in, updated (a closing report of an open event). */
function absorb(incident: Incident, item: IncidentEvent): Incident {
  const { event } = item;
  const key = eventKey(event);
  const known = counted(incident, item);
  const fired = seconds(event.fired_at);
  const last = incident.state.lastFired ?? -Infinity; // JSON keeps -Infinity as null
  const start = seconds(event.started_at);
  const end = event.ended_at === null ? null : seconds(event.ended_at);
  const axis = axisName(event);
  const before = incident.peaks[axis];
  const peak: IncidentPeak =
    before === undefined || LEVEL_RANK[event.level] > LEVEL_RANK[before.level]
      ? { level: event.level, peak: event.peak_residual, expected: event.threshold }
      : event.level === before.level && event.peak_residual > before.peak
        ? { ...before, peak: event.peak_residual }
        : before;
  const ratio = event.threshold > 0 ? event.peak_residual / event.threshold : event.peak_residual;
  const takeContributions = event.contributions !== undefined && event.contributions.length > 0 && ratio > incident.state.contributionRatio;
  const later = end !== null && (incident.state.end === null || end > incident.state.end);
  const open = incident.state.open.filter((k) => k !== key);
  if (end === null) open.push(key);
  return {
    ...incident,
    opened_at: start < incident.state.start ? event.started_at : incident.opened_at,
    severity: LEVEL_RANK[event.level] > LEVEL_RANK[incident.severity] ? event.level : incident.severity,
    axes: incident.axes.includes(axis) ? incident.axes : [...incident.axes, axis],
    peaks: { ...incident.peaks, [axis]: peak },
    contributions: takeContributions ? [...(event.contributions as Contribution[])].sort((a, b) => b.share - a.share).slice(0, TOP_CONTRIBUTIONS) : incident.contributions,
    events: known ? incident.events : incident.events + 1,
    silenced: known ? incident.silenced : incident.silenced && item.silenced,
    state: {
      lastFired: known || fired < last ? last : fired,
      lastKeys: known ? incident.state.lastKeys : fired > last ? [key] : [...incident.state.lastKeys, key],
      open,
      start: Math.min(start, incident.state.start),
      end: later ? end : incident.state.end,
      endAt: later ? event.ended_at : incident.state.endAt,
      contributionRatio: takeContributions ? ratio : incident.state.contributionRatio,
    },
  };
}

/** Whether `item` is already counted in `incident`: one of its open events, or a report of one fired before (see {@link IncidentState}). */
function counted(incident: Incident, item: IncidentEvent): boolean {
  const key = eventKey(item.event);
  const { open, lastFired, lastKeys } = incident.state;
  if (open.includes(key)) return true;
  // An event of an earlier incident started before this one's first event: it is not one of these.
  if (seconds(item.event.started_at) < incident.state.start) return false;
  const fired = seconds(item.event.fired_at);
  return fired < (lastFired ?? -Infinity) || (fired === lastFired && (lastKeys ?? []).includes(key));
}

/** Whether `item` comes within `mergeSeconds` of the open incident's span. */
function joins(incident: Incident, item: IncidentEvent, mergeSeconds: number): boolean {
  const start = seconds(item.event.started_at);
  const end = item.event.ended_at === null ? Infinity : seconds(item.event.ended_at);
  const spanEnd = incident.state.open.length > 0 ? Infinity : (incident.state.end ?? Infinity);
  return start - spanEnd <= mergeSeconds && incident.state.start - end <= mergeSeconds;
}

/**
 * Merges new event reports of one stream into its open incidents.
 * @param open the stream's incidents still open (closed_at null), as the last call (or the table) left them
 * @param events new event reports (an open event may be reported again when it closes), in any order
 * @param position the stream's data time now (seconds: the last sample scored), or null before any;
 *   an incident none of whose events is open closes once `position` ≥ its end + `mergeSeconds`
 * @param mergeSeconds `incidents.merge_seconds`
 * @example
 * const e = { model_version: "v1", stream: "s", axis: "a", level: "alert", started_at: 0, fired_at: 3, ended_at: 5, samples: 6, peak_residual: 2, threshold: 1 } as const;
 * const { changed } = mergeIncidents([], [{ event: e, silenced: false }], 1000, 300);
 * changed[0].closed_at; // 5: its event ended and nothing came within 300 s
 */
export function mergeIncidents(open: readonly Incident[], events: readonly IncidentEvent[], position: number | null, mergeSeconds: number): IncidentUpdate {
  const working: Incident[] = [...open];
  const changed = new Set<string>();
  for (const item of inFiringOrder(events)) {
    let at = working.findIndex((incident) => incident.closed_at === null && counted(incident, item));
    if (at < 0) at = working.findIndex((incident) => incident.closed_at === null && joins(incident, item, mergeSeconds));
    if (at < 0) {
      working.push(openWith(item));
      at = working.length - 1;
    } else {
      working[at] = absorb(working[at], item);
    }
    changed.add(working[at].id);
  }
  if (position !== null) {
    working.forEach((incident, i) => {
      const { open: openKeys, end } = incident.state;
      if (incident.closed_at === null && openKeys.length === 0 && end !== null && position >= end + mergeSeconds) {
        working[i] = { ...incident, closed_at: incident.state.endAt };
        changed.add(incident.id);
      }
    });
  }
  const ordered = [...working].sort((a, b) => a.state.start - b.state.start);
  return { changed: ordered.filter((incident) => changed.has(incident.id)), open: ordered.filter((incident) => incident.closed_at === null) };
}
