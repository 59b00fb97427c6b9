/**
 * Where a notebook's config is: notebooks take no parameters, so they read
 * `MLBOX_CONFIG`, relative to the ML Box project folder, or `config.yaml` there.
 */
import * as path from "path";
import { findPackageRoot, packageRoot } from "../core/packageRoot";

/** Environment variable naming the config file notebooks use. */
export const CONFIG_ENV = "MLBOX_CONFIG";

/**
 * The ML Box project folder: the nearest folder at or above `start` holding
 * a `package.json` named `mlbox` (and `lib/`); when there is none (a notebook
 * outside the project), the folder this library lives in.
 *
 * @param start where to start looking; defaults to `process.cwd()`
 */
export function projectRoot(start: string = process.cwd()): string {
  return findPackageRoot(start) ?? packageRoot();
}

/**
 * The config file a notebook uses: `$MLBOX_CONFIG` when set (a relative path
 * is taken relative to the project root, see {@link projectRoot}), else
 * `config.yaml` in the project root. The path is not checked here:
 * `loadConfig` reports a missing file.
 *
 * @param options `env` (default `process.env`), `cwd` (default `process.cwd()`)
 */
export function resolveConfigPath(options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): string {
  const { env = process.env, cwd = process.cwd() } = options;
  const root = projectRoot(cwd);
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return path.resolve(root, fromEnv.trim());
  return path.join(root, "config.yaml");
}
