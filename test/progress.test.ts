/**
 * The CLI's extraction progress line (cli/progress.ts): silent when quiet, off
 * a terminal unless forced, and for reads that finish within a second;
 * redrawn in place on a terminal. Needs no database.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { stderrProgress } from "../cli/progress";

test("stderrProgress: silent under quiet and off a terminal unless forced; short reads print nothing", () => {
  const sink = (tty: boolean): { stream: NodeJS.WritableStream & { isTTY: boolean }; text: () => string } => {
    const parts: string[] = [];
    const stream = Object.assign(new Writable({ write: (chunk, _encoding, done) => (parts.push(String(chunk)), done()) }), { isTTY: tty });
    return { stream, text: () => parts.join("") };
  };
  assert.equal(stderrProgress({ quiet: true, force: true, stream: sink(true).stream }), undefined);
  assert.equal(stderrProgress({ stream: sink(false).stream }), undefined);
  const short = sink(true);
  stderrProgress({ stream: short.stream })?.({ rows: 10, seconds: 0.1, estimatedRows: 10, done: true });
  assert.equal(short.text(), "");
  const terminal = sink(true);
  const report = stderrProgress({ stream: terminal.stream });
  report?.({ rows: 500_000, seconds: 1, estimatedRows: 1_000_000, done: false });
  report?.({ rows: 1_000_000, seconds: 2, estimatedRows: 1_000_000, done: true });
  assert.equal(terminal.text(), "\rextract  500,000 rows  500,000 rows/s  ~50%\x1b[K\rextract  1,000,000 rows  500,000 rows/s  done\x1b[K\n");
  const forced = sink(false);
  stderrProgress({ force: true, stream: forced.stream })?.({ rows: 5, seconds: 1, estimatedRows: undefined, done: false });
  assert.equal(forced.text(), "extract  5 rows  5 rows/s\n");
});
