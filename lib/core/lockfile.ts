/**
 * proper-lockfile, shared by the two locks of ML Box (the embedded database
 * folder, db/embeddedLock.ts; the registry, registry/store.ts): loaded lazily
 * and with one stale time.
 */
import type * as Lockfile from "proper-lockfile";

/**
 * A lock not refreshed for this long was left by a process that died and is
 * taken over (proper-lockfile refreshes its holder's lock every half of it).
 */
export const LOCK_STALE_MS = 10_000;

/**
 * proper-lockfile, loaded when a lock is first taken (about 7 MiB that a run
 * holds only from then on).
 * @returns the proper-lockfile module
 * @example
 * const release = await lockfile().lock(dir, { stale: LOCK_STALE_MS, realpath: false });
 * await release();
 */
export function lockfile(): typeof Lockfile {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("proper-lockfile") as typeof Lockfile;
}
