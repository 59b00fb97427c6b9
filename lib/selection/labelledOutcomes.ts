/**
 * What selection reports beside its injected anomalies (issue 17, "Labels
 * feed training"): the recall on incidents operators labelled `fault` and the
 * alerts on incidents labelled `false_alarm`, inside the validation part.
 * Training left the fault rows out of the window (lib/stages/excludeSpans.ts);
 * here they are put back into the validation part, prepared like it, and a
 * fault counts as caught when an alert event overlaps [opened, closed +
 * CATCH_SECONDS]. A false alarm's rows are in the data as they are: it counts
 * as alerted when an alert event on the validation part overlaps [opened,
 * closed]. Any axis counts (an incident is of the stream). It reports; it does
 * not change the choice.
 */
import { alertEvents, type FittedCandidate } from "./candidates";
import { CATCH_SECONDS, type DetectionEvent } from "./detection";
import { thresholdsAtLevel, type ValidationSetup } from "./sweep";
import type { WindowSplit } from "./validationSplit";
import type { LabelledSpans } from "../scoring/labelledFaults";
import { resampleColumns } from "../stages/resample";
import { interpolateGaps } from "../stats";
import type { PreparedColumns } from "../shapes/types";

/** A labelled incident on the prepared window's clock (`time_s`); `end` null: still open. */
export interface LabelledSpan {
  readonly id: string;
  readonly start: number;
  readonly end: number | null;
}

/** The labelled incidents of a training window and the fault rows training left out, on the prepared clock. */
export interface LabelledWindow {
  readonly faults: readonly LabelledSpan[];
  readonly falseAlarms: readonly LabelledSpan[];
  /** The rows left out inside fault spans, prepared like the window (resampled when it is), `time_s` ascending. */
  readonly faultRows: PreparedColumns;
  /** Whether `prep.interpolate` filled the window's gaps: the put-back rows get the same. */
  readonly interpolate: boolean;
}

/** The counts `selection.json` records per candidate and for the default (`labelled`). */
export interface LabelledOutcome {
  /** Incidents labelled fault with rows inside the validation part. */
  readonly faults: number;
  /** Of them, the ones an alert event overlaps (up to CATCH_SECONDS after closing). */
  readonly faults_caught: number;
  /** Incidents labelled false_alarm overlapping the validation part. */
  readonly false_alarm_incidents: number;
  /** Of them, the ones an alert event overlaps. */
  readonly false_alarm_incidents_alerted: number;
}

/** The validation part ready for {@link labelledOutcome}: the incidents inside it, and it with the fault rows put back. */
export interface LabelledValidation {
  readonly faults: readonly LabelledSpan[];
  readonly falseAlarms: readonly LabelledSpan[];
  /** The validation part with the fault rows after the fit part put back in time order. */
  readonly withFaults: PreparedColumns;
}

/**
 * Brings labelled spans (epoch seconds) and the rows left out to the prepared clock: `time_s = t − time0`
 * (time0 as prepareColumns kept it). With `resampleSeconds` the left-out rows are resampled as the window
 * was (same buckets: resampleColumns' origin is midnight of the earliest sample's day, and time0 — the
 * window's first bucket — is on that day), keeping only the buckets that hold left-out values.
 *
 * @example
 * const window = labelledWindow({ faults: [{ id: "i1", start: 1000, end: 1010 }], falseAlarms: [] },
 *   { time: Float64Array.of(1000, 1005), values: [Float64Array.of(9, 9)] }, { time0: 900, resampleSeconds: null, interpolate: false, axes: ["a"] });
 * window.faults; // [{ id: "i1", start: 100, end: 110 }]; window.faultRows.timeS: [100, 105]
 */
export function labelledWindow(
  spans: LabelledSpans,
  dropped: { readonly time: Float64Array; readonly values: readonly Float64Array[] },
  prep: { readonly time0: number; readonly resampleSeconds: number | null; readonly interpolate: boolean; readonly axes: readonly string[] },
): LabelledWindow {
  const { time0, resampleSeconds } = prep;
  const shift = (span: LabelledSpan): LabelledSpan => ({ id: span.id, start: span.start - time0, end: span.end === null ? null : span.end - time0 });
  let time = dropped.time;
  let values = dropped.values;
  if (resampleSeconds !== null && time.length > 0) {
    // A first row at time0 without values gives the buckets the window's origin; only buckets with left-out values are kept.
    const withOrigin = (column: Float64Array, first: number): Float64Array => {
      const out = new Float64Array(column.length + 1);
      out[0] = first;
      out.set(column, 1);
      return out;
    };
    const resampled = resampleColumns(withOrigin(time, time0), values.map((column) => withOrigin(column, NaN)), resampleSeconds);
    const keep = Array.from(resampled.time.keys()).filter((k) => resampled.values.some((column) => !Number.isNaN(column[k])));
    time = Float64Array.from(keep, (k) => resampled.time[k]);
    values = resampled.values.map((column) => Float64Array.from(keep, (k) => column[k]));
  }
  return {
    faults: spans.faults.map(shift),
    falseAlarms: spans.falseAlarms.map(shift),
    faultRows: { timeS: Float64Array.from(time, (t) => t - time0), axes: prep.axes, values },
    interpolate: prep.interpolate,
  };
}

/** Whether [start, end] (end null: open) and [from, to] overlap. */
const overlaps = (span: LabelledSpan, from: number, to: number): boolean => span.start <= to && (span.end ?? Infinity) >= from;

/**
 * The labelled incidents inside the validation part of `split`, and the validation part with the fault rows
 * later than the fit part's last row merged back by time (a put-back row replaces a validation row at the
 * same time: a resampled bucket the window had as a gap), gaps filled again when `labelled.interpolate`.
 * Null when no labelled incident is inside: then selection.json has no `labelled` (and stays as it was).
 *
 * @example
 * const inside = labelledValidation(split, window); // null, or { faults, falseAlarms, withFaults }
 */
export function labelledValidation(split: WindowSplit, labelled: LabelledWindow): LabelledValidation | null {
  const { validation, fit } = split;
  const after = fit.timeS[fit.timeS.length - 1];
  const from = validation.timeS[0];
  const to = validation.timeS[validation.timeS.length - 1];
  const rows = labelled.faultRows;
  const putBack: number[] = [];
  for (let i = 0; i < rows.timeS.length; i++) if (rows.timeS[i] > after) putBack.push(i);
  const faults = labelled.faults.filter((span) => putBack.some((i) => rows.timeS[i] >= span.start && rows.timeS[i] <= (span.end ?? Infinity)));
  const falseAlarms = labelled.falseAlarms.filter((span) => overlaps(span, from, to));
  if (faults.length === 0 && falseAlarms.length === 0) return null;
  // Merge two time-ordered sequences; at equal times the put-back row wins.
  const order: [number, number][] = []; // [0, row of validation] or [1, row of the put-back rows]
  let j = 0;
  for (let i = 0; i < validation.timeS.length; i++) {
    while (j < putBack.length && rows.timeS[putBack[j]] <= validation.timeS[i]) order.push([1, putBack[j++]]);
    const last = order[order.length - 1];
    if (last !== undefined && last[0] === 1 && rows.timeS[last[1]] === validation.timeS[i]) continue;
    order.push([0, i]);
  }
  while (j < putBack.length) order.push([1, putBack[j++]]);
  const timeS = Float64Array.from(order, ([source, i]) => (source === 0 ? validation.timeS[i] : rows.timeS[i]));
  const values = validation.values.map((column, a) => {
    const merged = Float64Array.from(order, ([source, i]) => (source === 0 ? column[i] : rows.values[a][i]));
    return labelled.interpolate ? interpolateGaps(merged) : merged;
  });
  return { faults, falseAlarms, withFaults: { timeS, axes: validation.axes, values } };
}

/** Spans of `spans` that some event overlaps, each widened by `after` seconds past its end. */
function hit(spans: readonly LabelledSpan[], events: readonly DetectionEvent[], after: number): number {
  return spans.filter((span) => events.some((event) => overlaps(span, event.started_at - after, event.ended_at ?? Infinity))).length;
}

/**
 * The labelled counts of a fitted candidate at alert percentile `percentile` (thresholds calibrated on the
 * fit part as the sweep does, alert events from the real scorer): faults on the validation part with their
 * rows put back, false alarms on the validation part as it is.
 *
 * @example
 * const outcome = labelledOutcome(candidate.fit(split.fit), setup, 95, inside);
 * outcome; // { faults: 1, faults_caught: 1, false_alarm_incidents: 1, false_alarm_incidents_alerted: 0 }
 */
export function labelledOutcome(fitted: FittedCandidate, setup: ValidationSetup, percentile: number, inside: LabelledValidation): LabelledOutcome {
  const thresholds = thresholdsAtLevel(fitted, setup, percentile);
  const eventsOn = (part: PreparedColumns): DetectionEvent[] => alertEvents(fitted, thresholds, part.timeS, part.values, setup.maxGapSeconds);
  return {
    faults: inside.faults.length,
    // An event overlapping [opened, closed + CATCH_SECONDS]: the span's end widened, i.e. the event's start moved back.
    faults_caught: inside.faults.length === 0 ? 0 : hit(inside.faults, eventsOn(inside.withFaults), CATCH_SECONDS),
    false_alarm_incidents: inside.falseAlarms.length,
    false_alarm_incidents_alerted: inside.falseAlarms.length === 0 ? 0 : hit(inside.falseAlarms, eventsOn(setup.split.validation), 0),
  };
}

/** `n thing(s)` in the singular for 1. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * The phrase of the selection summary: what the chosen candidate (null: not measured at a matched level)
 * and the default did on the labelled incidents.
 *
 * @example
 * labelledPhrase({ faults: 1, faults_caught: 1, false_alarm_incidents: 1, false_alarm_incidents_alerted: 0 }, { faults: 1, faults_caught: 0, false_alarm_incidents: 1, false_alarm_incidents_alerted: 1 });
 * // "labelled in the validation part: 1 fault, 1 false alarm; chosen caught 1/1, alerted on 0/1; default caught 0/1, alerted on 1/1"
 */
export function labelledPhrase(chosen: LabelledOutcome | null, byDefault: LabelledOutcome): string {
  const of = (o: LabelledOutcome): string => `caught ${o.faults_caught}/${o.faults}, alerted on ${o.false_alarm_incidents_alerted}/${o.false_alarm_incidents}`;
  return (
    `labelled in the validation part: ${count(byDefault.faults, "fault")}, ${count(byDefault.false_alarm_incidents, "false alarm")}; ` +
    `${chosen === null ? "chosen not at a matched level" : `chosen ${of(chosen)}`}; default ${of(byDefault)}`
  );
}
