/**
 * The `--events` JSON Lines file of `score`, written so that a full disk or a
 * file-size limit never leaves half a line or a stray temp file: a replay
 * writes a temp file beside the destination and renames it (removing the
 * temp on failure); the follower appends each poll's lines in one write and,
 * when that fails, cuts the file back to its length before the write — the
 * poll then does not commit, so its events are scored and appended again by
 * the next run. A failure is one line naming the path.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "fs";
import { toInputError } from "../lib/core/errors";
import type { ScoreEvent } from "../lib/scoring/score";

/** The JSON Lines text of `events`. */
export function eventLines(events: readonly ScoreEvent[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join("");
}

/** A one-line error naming `path` for a failed write (an InputError for a path the user must fix, else an Error). */
function writeError(error: unknown, path: string, what: string): unknown {
  const code = (error as { code?: string }).code ?? "";
  if (code !== "ENOSPC" && code !== "EFBIG") {
    const mapped = toInputError(error, { key: "--events", path });
    if (mapped !== error) return mapped;
  }
  const reason = code === "ENOSPC" ? "the disk is full" : code === "EFBIG" ? "the file size limit was reached" : String((error as Error).message).split("\n")[0];
  return new Error(`cannot write the events file "${path}" (${code ? `${code}: ` : ""}${reason}): ${what}`);
}

/**
 * Writes `events` to `path` whole: a temp file, then a rename. On failure the temp file is removed.
 * @example
 * writeEventsFile("out.jsonl", result.events);
 */
export function writeEventsFile(path: string, events: readonly ScoreEvent[]): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, eventLines(events));
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(error, path, "the events are in the events table; free space and run the replay again to write the file");
  }
}

/**
 * Appends `events` to `path` as whole lines, or leaves the file as it was.
 * @example
 * appendEventsWhole("follow.jsonl", events);
 */
export function appendEventsWhole(path: string, events: readonly ScoreEvent[]): void {
  const bytes = Buffer.from(eventLines(events));
  let fd: number;
  try {
    fd = openSync(path, "a");
  } catch (error) {
    throw writeError(error, path, "nothing of this poll was committed");
  }
  const before = fstatSync(fd).size;
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  } catch (error) {
    try {
      ftruncateSync(fd, before);
    } catch {
      // the cut is best effort; the error below still names the file
    }
    throw writeError(error, path, "no line was torn and nothing of this poll was committed: free space and start the follower again");
  } finally {
    closeSync(fd);
  }
}
