/**
 * The ML Box package folder (the one holding `package.json` named `mlbox`
 * and `lib/`), found from where this code runs: the `lib/` sources, the CLI
 * bundle in `dist/`, or a benchmark's bundle. One helper, so that code can
 * move between folders without counting `..`.
 */
import { existsSync, readFileSync } from "fs";
import * as path from "path";

/**
 * True when `dir` is the ML Box project folder: a `package.json` named
 * `mlbox` beside a `lib/package.json`.
 *
 * @example
 * isPackageRoot(packageRoot()); // true
 */
export function isPackageRoot(dir: string): boolean {
  const manifest = path.join(dir, "package.json");
  if (!existsSync(manifest) || !existsSync(path.join(dir, "lib", "package.json"))) return false;
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "mlbox";
  } catch {
    return false;
  }
}

/**
 * The nearest folder at or above `start` that {@link isPackageRoot}; null
 * when there is none.
 *
 * @example
 * findPackageRoot("/home/me/mlbox/notebooks"); // "/home/me/mlbox"
 */
export function findPackageRoot(start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    if (isPackageRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

let cachedRoot: string | undefined;

/**
 * The folder of the ML Box package this code belongs to (found upwards from
 * this file's folder); this file's grandparent when none is found, e.g. a
 * bundle copied elsewhere.
 *
 * @example
 * path.join(packageRoot(), "package.json");
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const here = typeof __dirname === "string" ? __dirname : process.cwd();
  cachedRoot = findPackageRoot(here) ?? path.resolve(here, "..", "..");
  return cachedRoot;
}
