/**
 * Counting detections: which injected anomalies an alert caught and how
 * soon, and how many alerts a clean stretch raised per hour.
 *
 * Rules: an injected anomaly on an axis is *caught* by an alert event on the
 * same axis whose run overlaps [start, end] of the anomaly, or that starts at
 * most {@link CATCH_SECONDS} after its end. The detection delay is
 * `max(0, fired_at − start)` of the earliest-firing such event. False alarms
 * are the alert events on the clean (not injected) validation part.
 */
import { median } from "../stats";
import type { Injection } from "./injection";

/** An event that starts at most this many seconds after an anomaly's end still catches it. */
export const CATCH_SECONDS = 60;

/** The part of a scoring event detection needs; times in seconds, `ended_at` null while still open. */
export interface DetectionEvent {
  readonly axis: string;
  readonly started_at: number;
  readonly fired_at: number;
  readonly ended_at: number | null;
}

/** Whether and when one injected anomaly was detected. */
export interface InjectionOutcome {
  readonly injection: Injection;
  readonly caught: boolean;
  /** `max(0, fired_at − start)` in seconds; null when missed. */
  readonly delay_seconds: number | null;
}

/** Caught anomalies of one kind (or label). */
export interface CaughtCount {
  readonly caught: number;
  readonly injected: number;
}

/** What {@link detectionSummary} returns. */
export interface DetectionSummary extends CaughtCount {
  /** caught / injected (NaN with nothing injected). */
  readonly recall: number;
  /** Median delay of the caught ones in seconds; null when none was caught. */
  readonly median_delay_seconds: number | null;
  /** Per injection label (`offset 0.6× 12` …), in first-seen order. */
  readonly by_label: Readonly<Record<string, CaughtCount>>;
}

/**
 * Matches alert events to injected anomalies (see the rules above).
 *
 * @param events Alert events (errors are not counted); an event on an axis without anomalies is ignored.
 * @param catchSeconds Defaults to {@link CATCH_SECONDS}.
 */
export function matchDetections(events: readonly DetectionEvent[], injections: readonly Injection[], catchSeconds = CATCH_SECONDS): InjectionOutcome[] {
  return injections.map((injection) => {
    let delay = Infinity;
    for (const event of events) {
      if (event.axis !== injection.axis) continue;
      const endedAt = event.ended_at ?? Infinity;
      const overlaps = event.started_at <= injection.end && endedAt >= injection.start;
      const soonAfter = event.started_at > injection.end && event.started_at - injection.end <= catchSeconds;
      if (overlaps || soonAfter) delay = Math.min(delay, Math.max(0, event.fired_at - injection.start));
    }
    const caught = delay !== Infinity;
    return { injection, caught, delay_seconds: caught ? delay : null };
  });
}

/** Totals of {@link matchDetections}: caught, injected, recall, median delay, and counts per label. */
export function detectionSummary(outcomes: readonly InjectionOutcome[]): DetectionSummary {
  const byLabel: Record<string, { caught: number; injected: number }> = {};
  const delays: number[] = [];
  for (const { injection, caught, delay_seconds } of outcomes) {
    const count = (byLabel[injection.label] ??= { caught: 0, injected: 0 });
    count.injected++;
    if (caught) {
      count.caught++;
      delays.push(delay_seconds as number);
    }
  }
  return {
    caught: delays.length,
    injected: outcomes.length,
    recall: delays.length / outcomes.length,
    median_delay_seconds: delays.length === 0 ? null : median(delays),
    by_label: byLabel,
  };
}

/** Events per hour over `seconds` of data (NaN for an empty span). */
export function eventsPerHour(events: number, seconds: number): number {
  return seconds > 0 ? (events * 3600) / seconds : NaN;
}
