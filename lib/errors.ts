/**
 * An error in what the user gave ML Box (config, data, arguments): the message
 * is one line naming the key, table, column or value to fix. The CLI exits 2.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(message: string) {
    super(message);
  }
}

/** True when `error` is an {@link InputError}. */
export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}
