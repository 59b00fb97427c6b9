/**
 * The sentence notebook 03 prints when `auto` measured a better detector than
 * the config trains: which combination, by how much (recall at the same false
 * alarms, delay), and the config lines that would use it — so a measured
 * improvement is not silently ignored by a fixed `model.type`.
 */
import type { Selection, SelectionCandidate } from "../shapes/artifacts";
import { formatNumber } from "../core/formatNumber";

/** The model and statistic a config trains (`config.model.type`, `config.scoring.statistic`). */
export interface ConfiguredDetection {
  readonly model: string;
  readonly statistic: string;
}

const name = (c: { readonly model?: string; readonly statistic?: string }): string => `${c.model} + ${c.statistic}`;
const caught = (c: SelectionCandidate): string => `${c.caught ?? 0} of ${c.injected} injected anomalies (recall ${formatNumber(c.recall ?? 0, 3)})`;
const delay = (seconds: number | null): string => (seconds === null ? "none caught" : `${formatNumber(seconds, 3)} s`);

/**
 * Markdown saying that `selection` (measured with `model.type` and `scoring.statistic` at `auto`)
 * found a combination with more recall at no more false alarms than the default rule than the one
 * `configured` trains: both recalls, the difference, the median delays, and the YAML lines to use it
 * (for a per-axis model also the chosen alert and error percentiles). null when the config already
 * says `auto`, trains the chosen combination, or the chosen one does not catch more.
 *
 * @param selection `chooseDetection(...).selection` with both keys at `auto` (notebook 03)
 * @param configured what the config trains: `{ model: config.model.type, statistic: config.scoring.statistic }`
 * @example
 * import { analyze, chooseDetection, extractWindow, loadConfig, prepare, resolveConfigPath, selectionAdvice, showMarkdown } from "mlbox";
 * const config = loadConfig(resolveConfigPath());
 * const raw = await extractWindow(config);
 * const prepared = prepare(raw, { interpolate: config.prep.interpolate, timeCol: config.data.time_col });
 * const all = { ...config, model: { ...config.model, type: "auto" as const }, scoring: { ...config.scoring, statistic: "auto" as const } };
 * const measured = chooseDetection(prepared.frame, all, analyze(raw, config.data.time_col).dt_seconds);
 * const advice = selectionAdvice(measured.selection!, { model: config.model.type, statistic: config.scoring.statistic });
 * if (advice !== null) showMarkdown(advice); // "`auto` measured **pca + ewma** better than the configured **linear + residual** …"
 */
export function selectionAdvice(selection: Selection, configured: ConfiguredDetection): string | null {
  if (configured.model === "auto" || configured.statistic === "auto") return null;
  const { chosen } = selection;
  if (chosen.model === configured.model && chosen.statistic === configured.statistic) return null;
  const best = selection.candidates.find((c) => c.model === chosen.model && c.statistic === chosen.statistic);
  if (best === undefined || best.recall === null) return null;
  const mine = selection.candidates.find((c) => c.model === configured.model && c.statistic === configured.statistic);
  if (mine !== undefined && mine.recall !== null && best.recall <= mine.recall) return null;
  const budget = `${formatNumber(selection.default.false_alarms_per_hour, 3)} per hour`;
  const against =
    mine === undefined
      ? `the configured **${name(configured)}** was not among the candidates`
      : mine.recall === null
        ? `the configured **${name(configured)}** has no alert level within that many false alarms`
        : `the configured **${name(configured)}** catches ${caught(mine)}: ${formatNumber(best.recall - mine.recall, 3)} more recall ` +
          `(${(best.caught ?? 0) - (mine.caught ?? 0)} more anomalies caught), median delay ${delay(best.median_delay_seconds)} against ${delay(mine.median_delay_seconds)}`;
  const yaml = [`model:`, `  type: ${chosen.model}`, `scoring:`, `  statistic: ${chosen.statistic}`];
  if (chosen.model !== "pca") yaml.push(`thresholds:`, `  minc_percentile: ${formatNumber(chosen.minc_percentile)}`, `  maxc_percentile: ${formatNumber(chosen.maxc_percentile)}`);
  return (
    `\`auto\` measured **${name(chosen)}** better than the configured **${name(configured)}**: at no more false alarms than the default rule ` +
    `(${budget} on the held-out ${formatNumber(selection.validation.validation_hours, 3)} h) it catches ${caught(best)} with ${formatNumber(best.false_alarms_per_hour ?? NaN, 3)} false alarms per hour; ${against}.\n\n` +
    `To train it, put these lines in config.yaml (or set \`model.type: auto\` and \`scoring.statistic: auto\` to let every training choose):\n\n` +
    "```yaml\n" +
    yaml.join("\n") +
    "\n```"
  );
}
