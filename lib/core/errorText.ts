/**
 * The text of a caught error for a one-line message: its message (or its
 * string form when it is not an Error), first line only.
 */

/**
 * The first line of an error's message, or of its text when it is not an Error.
 * @param error anything caught
 * @returns one line, for a message like `invalid JSON (${errorText(error)})`
 * @example
 * errorText(new Error("Unexpected token }\n    at JSON.parse")); // "Unexpected token }"
 * errorText("plain text"); // "plain text"
 */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
