/**
 * Lineage of a registered version: what trained it (a fingerprint of the
 * data, the ML Box version and commit) and where the data came from, without
 * any password.
 */
import { execFile, execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../core/packageRoot";

const GIT_TIMEOUT_MS = 2000;

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Fingerprint of training data: SHA-256 (hex) over the IEEE-754 bytes
 * (little-endian) of the columns, concatenated in order. Equal columns give
 * equal fingerprints on every platform; any changed bit changes it.
 */
export function fingerprintColumns(columns: readonly Float64Array[]): string {
  const fingerprint = startFingerprint();
  for (const column of columns) fingerprint.add(column);
  return fingerprint.digest();
}

/**
 * {@link fingerprintColumns} a column at a time: `add` the columns in order
 * (each may be overwritten once added), then `digest` once.
 */
export function startFingerprint(): { add(column: Float64Array): void; digest(): string } {
  const hash = createHash("sha256");
  return {
    add(column) {
      if (LITTLE_ENDIAN) {
        hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
      } else {
        const bytes = new DataView(new ArrayBuffer(column.byteLength));
        for (let i = 0; i < column.length; i++) bytes.setFloat64(i * 8, column[i], true);
        hash.update(new Uint8Array(bytes.buffer));
      }
    },
    digest: () => hash.digest("hex"),
  };
}


/**
 * The commit checked out in the git work tree containing `dir` (40 or 64 hex
 * digits), from `git rev-parse HEAD` with a 2 s timeout; null when `dir` is
 * not inside a checkout, HEAD has no commit or git is not installed.
 */
export function gitCommit(dir: string): string | null {
  try {
    return commitFrom(execFileSync("git", GIT_ARGS, { ...gitOptions(dir), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    return null;
  }
}

/** {@link gitCommit} without blocking: the pipeline asks at the start and reads the answer when it registers. */
export function gitCommitAsync(dir: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("git", GIT_ARGS, { ...gitOptions(dir), encoding: "utf8" }, (error, stdout) => resolve(error ? null : commitFrom(stdout)));
  });
}

const GIT_ARGS = ["rev-parse", "--verify", "--quiet", "HEAD"];

function gitOptions(dir: string): { cwd: string; timeout: number; windowsHide: boolean } {
  return { cwd: path.resolve(dir), timeout: GIT_TIMEOUT_MS, windowsHide: true };
}

/** The commit in `git rev-parse`'s output, or null when it is not one. */
function commitFrom(out: string): string | null {
  const commit = out.trim();
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit) ? commit : null;
}

let cachedPackageVersion: string | undefined;

/** The `version` of ML Box's package.json, or `"unknown"` when it cannot be read. */
export function packageVersion(): string {
  if (cachedPackageVersion !== undefined) return cachedPackageVersion;
  let found = "unknown";
  for (const file of [path.join(packageRoot(), "package.json")]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: unknown; version?: unknown } | null;
      if (pkg?.name === "mlbox" && typeof pkg.version === "string") {
        found = pkg.version;
        break;
      }
    } catch {
      // try the next candidate
    }
  }
  cachedPackageVersion = found;
  return found;
}
