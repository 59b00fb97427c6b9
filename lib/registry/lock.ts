/**
 * The registry lock (proper-lockfile, `<root>/.lock`), held for a whole
 * registration so versions are published, and `latest` moves, one run at a
 * time; a lock left by a killed run is taken over once stale.
 */
import * as path from "path";
import { LOCK_STALE_MS, lockfile } from "../core/lockfile";
import { errorCode } from "./read";

/** The lock folder inside the root, held for a whole registration. */
const LOCK_NAME = ".lock";

/** Waiting for the lock: about a minute in all, well past {@link LOCK_STALE_MS}. */
const LOCK_RETRIES = { retries: 100, factor: 1.2, minTimeout: 10, maxTimeout: 400, randomize: true };

/**
 * Runs `work` holding the registry lock of `root`. `work` calls `assertHeld`
 * before each step that must not happen without the lock (it throws once
 * proper-lockfile found the lock taken over, e.g. after a long stall).
 */
export async function withLock<T>(root: string, work: (assertHeld: () => void) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile().lock(root, {
      lockfilePath: path.join(root, LOCK_NAME),
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: LOCK_RETRIES,
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if (errorCode(error) === "ELOCKED") throw new Error(`registry ${root} stays locked by another run (${path.join(root, LOCK_NAME)})`);
    throw error;
  }
  try {
    return await work(() => {
      if (compromised !== undefined) throw new Error(`lost the registry lock of ${root}: ${compromised.message}`);
    });
  } finally {
    await release().catch(() => undefined);
  }
}
