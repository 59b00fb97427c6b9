/**
 * The CLI's progress line while `npm start` reads the training window:
 * `extract  1,234,567 rows  812,345 rows/s  ~45%` on stderr, redrawn in
 * place on a terminal (see `ExtractOptions.onProgress` in lib/db/extract.ts).
 */
import type { ExtractProgress } from "../lib/db/extract";

/** Options of {@link stderrProgress}. */
export interface StderrProgressOptions {
  /** Print nothing; default false. */
  readonly quiet?: boolean;
  /** Print even when stderr is not a terminal (one line per report then); default false. */
  readonly force?: boolean;
  /** Where to write; default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/**
 * A progress reporter for `extractColumns` (lib/db/extract.ts) that writes
 * `extract  1,234,567 rows  812,345 rows/s  ~45%` to stderr (the percentage
 * from the planner's estimate, when it has one), redrawn in place on a
 * terminal. Reads that finish within a second print nothing.
 * @param options `quiet` (default false), `force` (default false: only when stderr is a TTY), `stream` (default stderr)
 * @returns the `onProgress` callback, or undefined when nothing should be printed
 * @example
 * const onProgress = stderrProgress({ quiet: values.quiet, force: values.progress });
 * await extractColumns(db, config.data, { onProgress });
 */
export function stderrProgress(options: StderrProgressOptions = {}): ((progress: ExtractProgress) => void) | undefined {
  const { quiet = false, force = false, stream = process.stderr } = options;
  const tty = stream.isTTY === true;
  if (quiet || !(tty || force)) return undefined;
  let printed = false;
  return ({ rows, seconds, estimatedRows, done }) => {
    if (!printed && done) return; // short read: stay silent
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const share = estimatedRows !== undefined && estimatedRows > 0 ? `  ~${Math.min(done ? 100 : 99, Math.floor((100 * rows) / estimatedRows))}%` : "";
    const line = `extract  ${rows.toLocaleString("en-US")} rows  ${rate.toLocaleString("en-US")} rows/s${done ? "" : share}${done ? "  done" : ""}`;
    stream.write(tty ? `\r${line}\x1b[K${done ? "\n" : ""}` : `${line}\n`);
    printed = true;
  };
}
