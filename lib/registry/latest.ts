/**
 * Pointing `latest` at a version: a symlink (a junction on Windows), or a
 * copied folder where symlinks are impossible or asked against, installed
 * over the old `latest` so readers always find one; and putting back a
 * `latest` that a killed run left aside.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ARTIFACT_FILES, OPTIONAL_ARTIFACT_FILES } from "../shapes/artifacts";
import { fsyncDir, pathExists, syncFile, tempName, writeSynced, type StoreFileSystem } from "./durableFiles";
import { LATEST_MARKER, LATEST_TAG, OLD_LATEST_PREFIX, errorCode, newestOldLatest } from "./read";

const fsp = fs.promises;

/**
 * How `latest` is written. `auto`: a symlink (a junction on Windows), falling
 * back to a copied folder where symlinks are impossible. `copy`: always a
 * copied folder (e.g. for storage that does not keep symlinks).
 */
export type LatestMode = "auto" | "copy";

/** A run killed while replacing a copied `latest` leaves it aside as `.old-latest-*`: put the newest back. */
export async function restoreLatest(root: string, fileSystem: StoreFileSystem): Promise<void> {
  if (await pathExists(path.join(root, LATEST_TAG))) return;
  const aside = await newestOldLatest(root);
  if (aside === null) return;
  await fileSystem.rename(path.join(root, aside), path.join(root, LATEST_TAG));
  await fsyncDir(root, fileSystem);
}

const SYMLINK_UNSUPPORTED = new Set(["EPERM", "EACCES", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EINVAL", "EXDEV"]);

/** Replaces `latest` by a symlink to `version` or (mode `copy`, or no symlinks here) a copied folder; returns which. */
export async function pointLatest(root: string, version: string, mode: LatestMode, fileSystem: StoreFileSystem): Promise<"symlink" | "copy"> {
  let kind: "symlink" | "copy" = "symlink";
  const entry = path.join(root, tempName("tmp-latest"));
  try {
    if (mode === "auto") {
      try {
        if (process.platform === "win32") await fsp.symlink(path.join(root, version), entry, "junction");
        else await fsp.symlink(version, entry, "dir");
      } catch (error) {
        if (!SYMLINK_UNSUPPORTED.has(errorCode(error))) throw error;
        kind = "copy";
      }
    }
    if (mode === "copy" || kind === "copy") {
      kind = "copy";
      await fsp.mkdir(entry);
      const source = path.join(root, version);
      for (const name of [...Object.values(ARTIFACT_FILES), ...Object.values(OPTIONAL_ARTIFACT_FILES)]) {
        if (!Object.values<string>(ARTIFACT_FILES).includes(name) && !(await pathExists(path.join(source, name)))) continue;
        await fsp.copyFile(path.join(source, name), path.join(entry, name));
        await syncFile(path.join(entry, name), fileSystem);
      }
      // Written last: a copy holding the marker is complete.
      await writeSynced(path.join(entry, LATEST_MARKER), `${version}\n`, fileSystem);
      await fsyncDir(entry, fileSystem);
    }
    await installOver(root, entry, path.join(root, LATEST_TAG), fileSystem);
  } catch (error) {
    await fsp.rm(entry, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(root, fileSystem);
  return kind;
}

/**
 * Renames `source` onto `dest`. A symlink replaces a symlink in one atomic
 * step; a folder cannot be replaced that way, so the old `dest` is renamed
 * aside (`.old-latest-<ms>-…`) first and removed afterwards. A run killed
 * in between leaves no `dest`: readers then use the aside entry and the
 * next registration puts it back ({@link restoreLatest}). `fs.rm` removes a
 * symlink itself, never the version it points to.
 */
async function installOver(root: string, source: string, dest: string, fileSystem: StoreFileSystem): Promise<void> {
  try {
    await fileSystem.rename(source, dest);
    return;
  } catch (error) {
    if (!(await pathExists(dest))) throw error;
  }
  const aside = path.join(root, `${OLD_LATEST_PREFIX}${Date.now()}-${process.pid}-${randomBytes(6).toString("hex")}`);
  await fileSystem.rename(dest, aside);
  try {
    await fileSystem.rename(source, dest);
  } catch (error) {
    await fileSystem.rename(aside, dest).catch(() => undefined);
    throw error;
  }
  await fsp.rm(aside, { recursive: true, force: true });
}
