/**
 * The cross-process lock of an embedded database folder: PGlite does not
 * lock its folder, and two processes writing one would corrupt it. The lock
 * is proper-lockfile's `<dir>.lock` folder (kept fresh while held, stale
 * {@link LOCK_STALE_MS} after its process died), with a marker inside saying
 * whether its holder is brief (one poll of `score --follow`, waited for) or
 * exclusive (refused with "in use").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../core/errors";
import { LOCK_STALE_MS, lockfile } from "../core/lockfile";

function isStale(file: string): boolean {
  try {
    return fs.statSync(file).mtimeMs < Date.now() - LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/** How long a process waits for a brief holder (see `OpenEmbeddedOptions.brief` in embedded.ts) to release the folder. */
const BRIEF_WAIT_MS = 60_000;

/** File inside the lock folder of a brief holder (its pid). */
const BRIEF_MARKER = "brief";

/** File inside the lock folder of any other holder (its pid). */
const EXCLUSIVE_MARKER = "exclusive";

/**
 * A lock folder without a marker is being taken or released: the marker is
 * written right after the folder is made and removed right before it is
 * removed. Other processes look again for this long before taking it for a
 * holder that will not let go soon (or an older ML Box's lock); an unmarked
 * folder that nobody refreshes is waited for until stale (see lockDataDir).
 */
const TRANSITION_MS = 3_000;

/**
 * The mtime of the lock folder at `lockPath` in ms, or undefined when it is
 * missing or not a folder (a leftover file is never refreshed by a holder).
 */
function folderMtime(lockPath: string): number | undefined {
  try {
    const stat = fs.statSync(lockPath);
    return stat.isDirectory() ? stat.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

/** Thrown when another process holds the embedded database: an {@link InputError} that a retry may cure. */
export class EmbeddedBusyError extends InputError {}

/** What the marker in the lock folder says about its holder: brief, exclusive, or none (taking or releasing it). */
function holderKind(lockPath: string): "brief" | "exclusive" | undefined {
  if (fs.existsSync(path.join(lockPath, BRIEF_MARKER))) return "brief";
  if (fs.existsSync(path.join(lockPath, EXCLUSIVE_MARKER))) return "exclusive";
  return undefined;
}

/**
 * Removes the lock at `lockPath` if it is stale, deciding under a second
 * lock, `<lock>.break` (an atomic mkdir held for microseconds). Without it,
 * two processes that both saw the same stale lock would remove it one after
 * the other, the second removing the fresh lock the first had just taken.
 * A leftover file (an older ML Box's pid file, garbage) goes the same way.
 */
function removeStaleLock(lockPath: string): void {
  const breaker = `${lockPath}.break`;
  try {
    fs.mkdirSync(breaker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another process is deciding right now; a stale breaker's process died while deciding.
    if (!isStale(breaker)) return;
    fs.rmSync(breaker, { recursive: true, force: true });
    return removeStaleLock(lockPath);
  }
  try {
    if (isStale(lockPath)) fs.rmSync(lockPath, { recursive: true, force: true });
  } finally {
    fs.rmdirSync(breaker);
  }
}

/**
 * Locks `dir` with proper-lockfile (the folder `<dir>.lock`, kept fresh while
 * held, stale {@link LOCK_STALE_MS} after its process died, whatever that
 * process's pid) so that two processes never open one PGlite folder at once:
 * PGlite does not lock it, and two writers would corrupt it.
 * @param dir the database folder
 * @param envName named in the message as the alternative
 * @param onLost called if another process takes the lock over (this process was stalled past the stale time)
 * @param brief this process holds the folder only briefly: others wait for it instead of failing
 * @returns releases the lock
 * @throws EmbeddedBusyError naming the folder when another process holds it (a brief holder is waited for up to a minute)
 * @example
 * const release = await lockDataDir(dir, "DB_URL", (error) => console.error(error.message), false);
 * try { … } finally { await release(); }
 */
export async function lockDataDir(dir: string, envName: string, onLost: (error: Error) => void, brief: boolean): Promise<() => Promise<void>> {
  const lockPath = `${dir}.lock`;
  const marker = path.join(lockPath, brief ? BRIEF_MARKER : EXCLUSIVE_MARKER);
  let ours = false;
  // proper-lockfile removes a stale lock with a plain rmdir; route that through removeStaleLock.
  const lockFs = {
    ...fs,
    // The marker is written with the folder, before proper-lockfile notes the folder's mtime: written later, it
    // changed that mtime, and proper-lockfile's next refresh (after 5 s) took the lock for lost.
    mkdir(target: string, callback: (error: NodeJS.ErrnoException | null) => void): void {
      if (target !== lockPath) return fs.mkdir(target, callback);
      let failure: NodeJS.ErrnoException | null = null;
      try {
        fs.mkdirSync(target);
        ours = true;
        fs.writeFileSync(marker, String(process.pid));
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
        if (ours) fs.rmSync(target, { recursive: true, force: true });
        ours = false;
      }
      process.nextTick(callback, failure);
    },
    rmdir(target: string, callback: (error: NodeJS.ErrnoException | null) => void): void {
      if (target !== lockPath || ours) return fs.rmdir(target, callback);
      let failure: NodeJS.ErrnoException | null = null;
      try {
        removeStaleLock(lockPath);
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
      }
      process.nextTick(callback, failure);
    },
  };
  const deadline = Date.now() + BRIEF_WAIT_MS;
  let unmarkedSince: number | undefined;
  let unmarkedMtime: number | undefined;
  for (;;) {
    try {
      const release = await lockfile().lock(dir, { lockfilePath: lockPath, realpath: false, stale: LOCK_STALE_MS, fs: lockFs, onCompromised: onLost });
      return async () => {
        fs.rmSync(marker, { force: true }); // the lock folder must be empty to be released
        await release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      const holder = holderKind(lockPath);
      const mtime = folderMtime(lockPath);
      if (holder !== undefined) unmarkedSince = unmarkedMtime = undefined;
      else if (unmarkedSince === undefined) [unmarkedSince, unmarkedMtime] = [Date.now(), mtime];
      // A brief holder (one poll of `score --follow`) is waited for instead of refused; so is one taking or releasing the lock.
      const transition = holder === undefined && Date.now() - (unmarkedSince as number) < TRANSITION_MS;
      // An unmarked folder nobody refreshes is a holder killed while releasing (between removing its marker and its
      // folder): waited for until stale and taken over then (a second's grace for the stale check). A live holder
      // refreshes it every LOCK_STALE_MS / 2; a stale one not taken is being decided on by another process.
      const abandoned = holder === undefined && mtime !== undefined && mtime === unmarkedMtime && Date.now() - mtime < LOCK_STALE_MS + 1_000;
      if ((holder === "brief" && Date.now() < deadline) || transition || abandoned) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
    }
    throw new EmbeddedBusyError(
      `the embedded database at ${dir} is in use by another ML Box process (PGlite allows one process at a time): stop it or set ${envName} to a PostgreSQL server; a lock left by a killed process expires ${LOCK_STALE_MS / 1000} s after it died`,
    );
  }
}
