/**
 * `npm start -- registry list | show <tag> | promote <tag> [--alias <name>] | diff <a> <b>`:
 * the registry commands, and the line the training run prints about what
 * the service will score with.
 */
import { InputError } from "../lib/core/errors";
import { diffVersions, listVersions, loadVersion, promoteAlias, readAliasFile } from "../lib/registry";
import type { Config } from "../lib/shapes/types";
import { formatAliases, formatDiff, formatVersion, formatVersionList } from "./registryFormat";

const USAGE = 'use "registry list", "registry show <tag>", "registry promote <tag> [--alias <name>]" or "registry diff <a> <b>" (see --help)';

/** Runs one registry command; returns the exit code. */
export async function registryCommand(config: Config, args: readonly string[], flags: { readonly alias?: string }): Promise<number> {
  const root = config.registry.root_dir;
  const [sub, ...rest] = args;
  if (flags.alias !== undefined && sub !== "promote") throw new InputError(`--alias belongs to "registry promote" (see --help)`);
  if (sub === "list" && rest.length === 0) {
    const list = await listVersions(root);
    const aliases = await readAliasFile(root);
    console.log([formatVersionList(list), ...(list.length > 0 ? formatAliases(aliases) : [])].join("\n"));
    return 0;
  }
  if (sub === "show" && rest.length === 1) {
    const loaded = await loadVersion(root, rest[0]);
    if (loaded.notice !== null) console.error(`note: ${loaded.notice}`);
    console.log(formatVersion(loaded, await readAliasFile(root)));
    return 0;
  }
  if (sub === "promote" && rest.length === 1) {
    const moved = await promoteAlias(root, rest[0], { alias: flags.alias });
    if (!moved.changed) console.log(`${moved.alias} already names ${moved.version}: nothing changed`);
    else console.log(`${moved.alias}: ${moved.from ?? "(none)"} → ${moved.version}${moved.alias === config.serving.alias ? " (the service and score --follow switch within seconds)" : ""}`);
    return 0;
  }
  if (sub === "diff" && rest.length === 2) {
    const [a, b] = await Promise.all([loadVersion(root, rest[0]), loadVersion(root, rest[1])]);
    console.log(formatDiff(diffVersions(a, b), rest[0], rest[1]));
    return 0;
  }
  throw new InputError(`unknown command "registry ${args.join(" ")}": ${USAGE}`);
}

/**
 * After a training run: which version the configured alias names, and how to
 * promote the new one when it is not that (one line).
 */
export async function servingLine(config: Config, registered: string): Promise<string> {
  const alias = config.serving.alias;
  const named = (await readAliasFile(config.registry.root_dir))?.aliases[alias]?.version;
  if (named === registered) return `Serving: ${alias} → ${registered}`;
  if (named === undefined) return `Serving: no alias "${alias}" yet: \`npm start -- registry promote ${registered} --alias ${alias}\` sets it`;
  return `Serving: ${alias} stays ${named}; \`npm start -- registry promote ${registered}${alias === "production" ? "" : ` --alias ${alias}`}\` serves ${registered}`;
}
