/**
 * The documentation's links hold: every relative link and image in README.md and docs/*.md names a file
 * that exists, every `#anchor` names a heading of its target (GitHub's heading ids), and every repository
 * path written in code (`lib/scoring/score.ts`, `test/fixtures/golden/`) exists, so a moved file cannot leave
 * the docs behind. Reads files only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "./support/cli";

/** README.md and every docs/*.md, as absolute paths. */
function documents(): string[] {
  const docs = join(ROOT, "docs");
  const pages = existsSync(docs) ? readdirSync(docs).filter((name) => name.endsWith(".md")).map((name) => join(docs, name)) : [];
  return [join(ROOT, "README.md"), ...pages.sort()];
}

/** The text outside fenced code blocks, line numbers kept (fenced lines become empty). */
function prose(text: string): string[] {
  let fence: string | null = null;
  return text.split("\n").map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line);
    if (marker !== null) {
      if (fence === null) fence = marker[1][0];
      else if (marker[1][0] === fence) fence = null;
      return "";
    }
    return fence === null ? line : "";
  });
}

/** GitHub's id for a heading: lower case, punctuation dropped (letters, digits, `_`, `-` and spaces kept), spaces → `-`. */
export function headingId(heading: string): string {
  return heading
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every heading id of a markdown file, duplicates numbered as GitHub does (`x`, `x-1`, `x-2`). */
function headingIds(file: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(readFileSync(file, "utf8"))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const id = headingId(heading[1]);
    const count = seen.get(id) ?? 0;
    seen.set(id, count + 1);
    ids.add(count === 0 ? id : `${id}-${count}`);
  }
  return ids;
}

/** Links and images `[text](target)` in the prose, inline code left out, with their line numbers. */
function links(file: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  prose(readFileSync(file, "utf8")).forEach((text, i) => {
    const withoutCode = text.replace(/`[^`]*`/g, "");
    for (const match of withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push({ line: i + 1, target: match[1] });
  });
  return found;
}

test("headingId follows GitHub's rule", () => {
  assert.equal(headingId("Scoring and serving"), "scoring-and-serving");
  assert.equal(headingId("`selection.json`"), "selectionjson");
  assert.equal(headingId("Setup (once per clone)"), "setup-once-per-clone");
  assert.equal(headingId("Citus & TimescaleDB"), "citus--timescaledb");
});

test("every relative link and #anchor in README.md and docs/*.md resolves", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of documents()) {
    for (const { line, target } of links(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [path, anchor] = target.split("#", 2) as [string, string | undefined];
      const where = `${relative(ROOT, file)}:${line}: ${target}`;
      const destination = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(destination)) {
        broken.push(`${where} (no file ${relative(ROOT, destination)})`);
        continue;
      }
      if (anchor !== undefined && !(destination.endsWith(".md") && headingIds(destination).has(anchor))) {
        broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, destination)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 20, `only ${checked} relative links checked`);
});

test("every repository path the docs write in code exists (lib/, cli/, test/, docs/ …)", () => {
  const missing: string[] = [];
  let checked = 0;
  for (const file of documents()) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, i) => {
        for (const match of text.matchAll(/`((?:lib|cli|server|scripts|bench|test|notebooks|docs|\.ci)\/[\w./-]*)`/g)) {
          const path = match[1];
          checked++;
          if (!existsSync(join(ROOT, path))) missing.push(`${relative(ROOT, file)}:${i + 1}: ${path}`);
        }
      });
  }
  assert.deepEqual(missing, []);
  assert.ok(checked > 20, `only ${checked} paths checked`);
});
