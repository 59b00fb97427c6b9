import { cutMiddle } from "./boundedText";

/** Longest message of an {@link InputError}, in characters. */
export const MAX_MESSAGE_LENGTH = 1000;

/**
 * An error in what the user gave ML Box (config, data, arguments): the message
 * is one line naming the key, table, column or value to fix. The CLI exits 2.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(message: string) {
    // A value echoed into the message (a 50 MB table name) is cut in the middle: the hint at the end stays.
    super(cutMiddle(message, MAX_MESSAGE_LENGTH));
  }
}

/**
 * True when `error` is an {@link InputError}.
 *
 * @example
 * import { isInputError, loadConfig } from "mlbox";
 * let message = "";
 * try {
 *   loadConfig("/no/such/config.yaml");
 * } catch (error) {
 *   if (isInputError(error)) message = error.message; // one line naming what to fix
 * }
 * message;
 */
export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}

/** What a failed operation worked on, named by {@link toInputError}'s message. */
export interface ErrorSubject {
  /** The table being read (database errors). */
  readonly table?: string;
  /** The columns read from it (database errors). */
  readonly columns?: readonly string[];
  /** The config key or CLI option that named the path (file errors), e.g. `--config`. */
  readonly key?: string;
  /** The path worked on, for file errors that carry none (a `read` failing with EISDIR). */
  readonly path?: string;
}

function tableName(subject: ErrorSubject): string {
  return subject.table === undefined ? "the table" : `table "${subject.table}"`;
}

/** Database errors (SQLSTATE) that mean bad input: what to say and what to fix. */
const SQLSTATE_MESSAGES = new Map<string, (subject: ErrorSubject) => string>([
  [
    "42501",
    (s) => `permission denied reading ${tableName(s)} (SQLSTATE 42501): grant SELECT on it to the database user, or set data.table to a table the user may read`,
  ],
  [
    "57014",
    (s) =>
      `reading ${tableName(s)} was cancelled by the server's statement_timeout (SQLSTATE 57014): raise statement_timeout for the database user, or narrow data.train_start/data.train_end`,
  ],
  [
    "22003",
    (s) =>
      `${tableName(s)} holds a number out of range for double precision${s.columns ? ` in one of ${s.columns.map((c) => `"${c}"`).join(", ")}` : ""} (SQLSTATE 22003): fix or remove the values beyond ±1.8e308`,
  ],
]);

/** File-system errors (errno) that mean a path given by the user is wrong. */
const ERRNO_MESSAGES = new Map<string, (path: string) => string>([
  ["EISDIR", (p) => `"${p}" is a folder, not a file`],
  ["ENOTDIR", (p) => `"${p}" runs through a file where a folder should be`],
  ["EACCES", (p) => `permission denied on "${p}"`],
  ["EPERM", (p) => `permission denied on "${p}"`],
  ["EROFS", (p) => `"${p}" is on a read-only file system`],
  ["ENOSPC", (p) => `no space left on the device holding "${p}"`],
  ["EDQUOT", (p) => `the disk quota is exhausted writing "${p}"`],
  ["EFBIG", (p) => `"${p}" reached the file size limit`],
]);

/**
 * The one mapping from low-level errors that mean bad input to a one-line
 * {@link InputError}: database errors by SQLSTATE (42501 permission denied,
 * 57014 statement timeout, 22003 numeric overflow) naming the table, and
 * file-system errors by errno (EISDIR, ENOTDIR, EACCES, EPERM, EROFS, ENOSPC,
 * EDQUOT, EFBIG) naming the path (a copy's or rename's destination) and the key that gave it. Anything else is returned unchanged.
 * @param error what was thrown
 * @param subject what the operation worked on (default: nothing known)
 * @returns an InputError, or `error` itself
 */
export function toInputError(error: unknown, subject: ErrorSubject = {}): unknown {
  if (isInputError(error) || typeof error !== "object" || error === null) return error;
  const { code, dest } = error as { code?: unknown; dest?: unknown };
  // copyFile/rename errors carry both paths: the destination is the one being written.
  const path = typeof dest === "string" ? dest : ((error as { path?: unknown }).path ?? subject.path);
  if (typeof code !== "string") return error;
  const database = SQLSTATE_MESSAGES.get(code);
  if (database) return new InputError(database(subject));
  const file = ERRNO_MESSAGES.get(code);
  if (file && typeof path === "string") return new InputError(`${file(path)}${subject.key ? `: check ${subject.key}` : ""}`);
  return error;
}
