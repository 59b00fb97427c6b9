/**
 * Durable file steps of a registration: create-and-fsync a file, fsync a
 * file or a folder (so renames are durable), test for an entry, name a
 * temporary entry. The operations that can fail late go through a
 * {@link StoreFileSystem}, which tests replace to inject failures.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import { errorCode } from "./read";

const fsp = fs.promises;

/** The file operations a registration makes that can fail late; tests pass their own to inject failures. */
export interface StoreFileSystem {
  /** rename(2). */
  rename(from: string, to: string): Promise<void>;
  /** fsync of `handle`, open on `file` (a file or a folder). */
  sync(handle: fs.promises.FileHandle, file: string): Promise<void>;
}

/** Node's own operations. */
export const NODE_FILE_SYSTEM: StoreFileSystem = {
  rename: (from, to) => fsp.rename(from, to),
  sync: (handle) => handle.sync(),
};

/** A fresh name `.<kind>-<pid>-<random>` for a temporary entry of the root (swept when left over). */
export function tempName(kind: string): string {
  return `.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/** Whether `file` exists (a dangling symlink counts); other errors than ENOENT/ENOTDIR are thrown. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") return false;
    throw error;
  }
}

/** Creates `file` (it must not exist), writes `content` and fsyncs it. */
export async function writeSynced(file: string, content: string, fileSystem: StoreFileSystem): Promise<void> {
  const handle = await fsp.open(file, "wx");
  try {
    await handle.writeFile(content, "utf8");
    await fileSystem.sync(handle, file);
  } catch (error) {
    // A failed write(2) (a disk that filled after the probe) carries no path: name the file.
    if (error !== null && typeof error === "object" && !("path" in error)) Object.assign(error, { path: file });
    throw error;
  } finally {
    await handle.close();
  }
}

/** fsyncs a file that exists. */
export async function syncFile(file: string, fileSystem: StoreFileSystem): Promise<void> {
  const handle = await fsp.open(file, "r+");
  try {
    await fileSystem.sync(handle, file);
  } finally {
    await handle.close();
  }
}

/** Errors that mean "this platform cannot fsync a folder" (Windows, some file systems), not a failed write. */
const DIR_SYNC_UNSUPPORTED = new Set(["EISDIR", "EINVAL", "EPERM"]);

/**
 * fsyncs a folder so renames inside it are durable. Only the errors of a
 * platform that cannot fsync folders are ignored; EIO and the rest are thrown.
 */
export async function fsyncDir(dir: string, fileSystem: StoreFileSystem = NODE_FILE_SYSTEM): Promise<void> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fsp.open(dir, "r");
  } catch (error) {
    if (DIR_SYNC_UNSUPPORTED.has(errorCode(error))) return;
    throw error;
  }
  try {
    await fileSystem.sync(handle, dir);
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(error))) throw error;
  } finally {
    await handle.close();
  }
}
