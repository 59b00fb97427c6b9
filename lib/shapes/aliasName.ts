/**
 * Registry alias names (`production`, `staging`, …): the rule every place that
 * takes one checks (the config's `serving.alias`, `registry promote --alias`),
 * kept here, below the config schema and the registry, so both share it.
 */

/** The alias the service and `score` use when `serving.alias` is not set, and the one the first version gets. */
export const DEFAULT_ALIAS = "production";

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * What is wrong with `name` as an alias name, or null when it is fine: a
 * letter, then up to 63 letters, digits, `_` or `-`; not `latest` or `auto`
 * (any case), and not `v<digits>` (names the registry gives versions).
 * @example
 * aliasNameProblem("production"); // null
 * aliasNameProblem("v3"); // "is a version name (v<digits>): choose a name like production or staging"
 */
export function aliasNameProblem(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower === "latest" || lower === "auto") return `is reserved: choose a name like ${DEFAULT_ALIAS} or staging`;
  if (/^v\d+$/i.test(name)) return `is a version name (v<digits>): choose a name like ${DEFAULT_ALIAS} or staging`;
  if (!ALIAS_PATTERN.test(name)) return "is not a valid alias name: use a letter, then up to 63 letters, digits, \"_\" or \"-\"";
  return null;
}
