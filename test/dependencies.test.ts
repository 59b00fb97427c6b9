/**
 * Issue 16, finding 11: the installed tree (package-lock.json) keeps the
 * packages with published advisories that danfojs-node used to bring off it:
 * `request@2.88.2` (replaced through `overrides` by the maintained fork
 * `@cypress/request`), `tough-cookie` below 4.1.3 and `form-data` below 2.5.4
 * (or 3.0.0–3.0.3, 4.0.0–4.0.3) — and danfo still loads and works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");

/** Every installed package of the lockfile: name → versions. */
function installed(): Map<string, string[]> {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; name?: string }> };
  const found = new Map<string, string[]>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === "" || entry.version === undefined) continue;
    const name = where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length);
    found.set(name, [...(found.get(name) ?? []), entry.version]);
  }
  return found;
}

/** `[major, minor, patch]` of a version. */
function parts(version: string): number[] {
  return version.split(/[.-]/).slice(0, 3).map(Number);
}

function below(version: string, limit: string): boolean {
  const a = parts(version);
  const b = parts(limit);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

test("no request@2.x, no vulnerable tough-cookie or form-data in the installed tree", () => {
  const tree = installed();
  // `request` is installed under its own name but is the fork (the lockfile names it `@cypress/request`).
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; name?: string }> };
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where.endsWith("node_modules/request")) assert.equal(entry.name, "@cypress/request", `${where} is ${entry.name ?? "request"}@${entry.version}`);
  }
  for (const version of tree.get("tough-cookie") ?? []) assert.ok(!below(version, "4.1.3"), `tough-cookie@${version} (advisory GHSA-72xf-g2v4-qvf3)`);
  for (const version of tree.get("form-data") ?? []) {
    const [major] = parts(version);
    const fixed = major === 2 ? "2.5.4" : major === 3 ? "3.0.4" : major === 4 ? "4.0.4" : "0.0.0";
    assert.ok(!below(version, fixed), `form-data@${version} (advisory GHSA-fjxv-7rqg-78g4)`);
  }
});

test("danfojs-node loads with the fork in place of request and still builds a DataFrame", async () => {
  const dfd = await import("danfojs-node");
  const frame = new dfd.DataFrame({ ts: [0, 1, 2], a: [1.5, 2.5, 3.5] });
  assert.deepEqual(frame.shape, [3, 2]);
  assert.deepEqual(Array.from(frame.column("a").values as number[]), [1.5, 2.5, 3.5]);
});
