/**
 * `latest` in a registry root belongs to ML Box: a symlink to a version, or
 * a copied folder holding the `LATEST_VERSION` marker. Anything else there
 * (a folder or file someone made) would be deleted when `latest` moves, so a
 * registration refuses to start, with one line naming it.
 */
import { promises as fsp } from "fs";
import * as path from "path";
import { cutText } from "../core/boundedText";
import { InputError } from "../core/errors";
import { LATEST_MARKER, LATEST_TAG } from "./read";

/**
 * Refuses a `latest` entry in `root` that ML Box did not make.
 * @throws InputError naming the entry.
 * @example
 * await assertLatestIsOurs("ModelRegistry/artifacts"); // passes when latest is missing, a symlink or a marked copy
 */
export async function assertLatestIsOurs(root: string): Promise<void> {
  const entry = path.join(root, LATEST_TAG);
  const stat = await fsp.lstat(entry).catch(() => undefined);
  if (stat === undefined || stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    const marked = await fsp.lstat(path.join(entry, LATEST_MARKER)).then((s) => s.isFile(), () => false);
    if (marked) return;
  }
  const what = stat.isDirectory() ? `a folder without ${LATEST_MARKER}` : "not a folder";
  throw new InputError(
    `"${cutText(entry, 400)}" is ${what}: ML Box did not make it and would replace it when "latest" moves; move or rename it (nothing was registered)`,
  );
}
