/**
 * Plain sentences about thresholds that will alarm on normal data: one per
 * axis (or T²/SPE) whose error level sits inside the band its own training
 * samples fill, or whose training window already raises many events — what
 * notebooks 06 and 08 print under the threshold tables, so a reader does not
 * have to spot it in the charts.
 */
import { runLengths } from "../stages/thresholds";
import { percentileSorted } from "../stats/quantileSorted";
import { sortedFinitePart } from "../stats/median";
import { formatNumber } from "../core/formatNumber";

/** One axis (or statistic) for {@link thresholdNotes}: its levels and what they apply to on the training window. */
export interface ThresholdNoteInput {
  readonly axis: string;
  /** Alert level. */
  readonly MinC: number;
  /** Error level. */
  readonly MaxC: number;
  /** Samples a run at or above MinC must last to be an alert. */
  readonly T_long_steps: number;
  /** Samples a run at or above MaxC must last to be an error. */
  readonly T_short_steps: number;
  /** The statistic MinC/MaxC apply to over the training window, in time order (NaN: missing; breaks a run). */
  readonly values: ArrayLike<number>;
  /** What the values are, for the sentence; default "statistic". */
  readonly statistic?: string;
}

/** Options of {@link thresholdNotes}: the rule's two limits. */
export interface ThresholdNoteOptions {
  /** A note when MaxC is below this percentile (0–100) of the training values; default 99. */
  readonly percentile?: number;
  /** A note when the training window raises more than this many events (alerts + errors); default 10. */
  readonly maxTrainingEvents?: number;
}

/** One note of {@link thresholdNotes}. */
export interface ThresholdNote {
  readonly axis: string;
  /** MaxC is below the percentile of the training values (the error level sits inside the normal band). */
  readonly insideBand: boolean;
  /** Alerts and errors the training window raises with the calibrated sustain steps. */
  readonly trainingAlerts: number;
  readonly trainingErrors: number;
  /** The sentence (markdown: the axis in bold). */
  readonly text: string;
}

const share = (sorted: Float64Array, level: number): number => {
  let above = 0;
  for (let i = sorted.length - 1; i >= 0 && sorted[i] >= level; i--) above++;
  return sorted.length > 0 ? above / sorted.length : 0;
};
const percent = (fraction: number): string => `${formatNumber(100 * fraction, 2)} %`;

/**
 * The rule, as one sentence, with `options`' limits (what {@link thresholdNotesMarkdown} prints first).
 *
 * @example
 * import { thresholdNoteRule } from "mlbox";
 * thresholdNoteRule(); // "A note for an axis when its MaxC is below the 99th percentile …"
 */
export function thresholdNoteRule(options: ThresholdNoteOptions = {}): string {
  const { percentile = 99, maxTrainingEvents = 10 } = options;
  return (
    `A note for an axis when its MaxC (error level) is below the ${percentile}th percentile of the statistic over its own training window ` +
    `(more than ${formatNumber(100 - percentile, 3)} % of normal training samples reach the error level), or when that window itself raises more than ` +
    `${maxTrainingEvents} events (alerts + errors, with the calibrated sustain times).`
  );
}

/**
 * One note per input the rule of {@link thresholdNoteRule} flags, in input order: its error level
 * against the training values' percentile, the share of training samples at or above each level,
 * and the events the training window raises (runs at or above MinC of at least `T_long_steps`
 * samples, at or above MaxC of at least `T_short_steps`). Inputs the rule passes give no note.
 *
 * @param inputs per axis its levels, sustain steps and training values
 * @param options `percentile` (default 99), `maxTrainingEvents` (default 10)
 * @example
 * import { thresholdNotes } from "mlbox";
 * const values = Float64Array.from({ length: 1000 }, (_, i) => (i % 10) / 10); // 0, 0.1, … 0.9
 * thresholdNotes([{ axis: "a", MinC: 0.5, MaxC: 0.8, T_long_steps: 2, T_short_steps: 1, values, statistic: "residual" }]);
 * // [{ axis: "a", insideBand: true, trainingAlerts: 0, trainingErrors: 100, text: "**a**: MaxC (error level) 0.8 is below …" }]
 */
export function thresholdNotes(inputs: readonly ThresholdNoteInput[], options: ThresholdNoteOptions = {}): ThresholdNote[] {
  const { percentile = 99, maxTrainingEvents = 10 } = options;
  const notes: ThresholdNote[] = [];
  for (const input of inputs) {
    const values = Float64Array.from(input.values);
    const sorted = sortedFinitePart(values);
    const top = percentileSorted(sorted, percentile);
    const insideBand = sorted.length > 0 && input.MaxC < top;
    const alerts = runLengths(values, input.MinC).filter((r) => r >= input.T_long_steps).length;
    const errors = runLengths(values, input.MaxC).filter((r) => r >= input.T_short_steps).length;
    const many = alerts + errors > maxTrainingEvents;
    if (!insideBand && !many) continue;
    const name = input.statistic ?? "statistic";
    const parts: string[] = [];
    if (insideBand) {
      parts.push(
        `MaxC (error level) ${formatNumber(input.MaxC, 4)} is below the ${percentile}th percentile of its training ${name} (${formatNumber(top, 4)}): ` +
          `${percent(share(sorted, input.MaxC))} of the training samples reach the error level and ${percent(share(sorted, input.MinC))} the alert level ` +
          `(MinC ${formatNumber(input.MinC, 4)}), so both levels sit inside the normal working band`,
      );
    }
    const raised = `its own training window raises ${alerts} alert${alerts === 1 ? "" : "s"} and ${errors} error${errors === 1 ? "" : "s"}`;
    parts.push(many ? `${raised} (more than ${maxTrainingEvents})` : raised);
    notes.push({ axis: input.axis, insideBand, trainingAlerts: alerts, trainingErrors: errors, text: `**${input.axis}**: ${parts.join("; ")}.` });
  }
  return notes;
}

/**
 * The notes as markdown for {@link showMarkdown}: the rule, then one bullet per note, or a sentence
 * that no axis is flagged.
 *
 * @example
 * import { thresholdNotesMarkdown } from "mlbox";
 * thresholdNotesMarkdown([]); // "A note for an axis when … \n\nNo axis: …"
 */
export function thresholdNotesMarkdown(notes: readonly ThresholdNote[], options: ThresholdNoteOptions = {}): string {
  const rule = thresholdNoteRule(options);
  if (notes.length === 0) return `${rule}\n\nNo axis is flagged: every error level is above that percentile and no training window raises that many events.`;
  return `${rule}\n\n${notes.map((n) => `- ${n.text}`).join("\n")}`;
}
