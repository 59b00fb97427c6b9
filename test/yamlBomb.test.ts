/**
 * Issue 16, finding 2: a 750-byte YAML alias bomb (12 levels × 9 aliases,
 * 9^12 values when walked as a tree) in config.yaml (under an unknown key, as
 * `data.table`, in `data.axes`) and in a registered `meta.yaml` ends at once
 * with exit 2 and one line, instead of hanging for minutes at 2 GB; error
 * messages never echo more than a bounded slice of a value; the axes'
 * duplicate check is linear. The CLI runs are bounded by a kill timeout
 * (a hang fails the test), not timed.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT } from "./support/cli";
import { describeValue } from "../lib/core/schema";
import { loadYamlBounded, YamlExpansionError } from "../lib/core/boundedYaml";
import { decodeMeta } from "../lib/registry/artifactText";
import { InputError } from "../lib/core/errors";

const work = mkdtempSync(join(tmpdir(), "mlbox-yaml-bomb-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Level k is `&ak [level k-1, *a(k-1) × 8]`: 9 children per level, defined inline (flow style). */
function bomb(levels = 12, width = 9): string {
  let text = "&a0 lol";
  for (let k = 1; k <= levels; k++) text = `&a${k} [${text}${`, *a${k - 1}`.repeat(width - 1)}]`;
  return text;
}

const CONFIG = (data: string, extra = ""): string =>
  `${extra}database:\n  embedded_dir: ${join(work, "pglite")}\nregistry:\n  root_dir: ${join(work, "registry")}\ndata:\n${data}\n`;
const DATA = { table: "  table: t", axes: "  axes: [a, b]", window: "  train_start: 0\n  train_end: 10" };

/** `registry list` with `config` (the config is read first); killed after 60 s, so a hang fails. */
function run(name: string, config: string): { status: number | null; stderr: string } {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, config);
  const child = spawnSync(process.execPath, [join(ROOT, "cli", "start.js"), "registry", "list", "--config", path], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=512" },
  });
  return { status: child.status, stderr: child.stderr };
}

test("the bomb is under 1,000 bytes and 9^12 values as a tree", () => {
  assert.ok(bomb().length < 1000, String(bomb().length));
  assert.throws(() => loadYamlBounded(`x: ${bomb()}`), YamlExpansionError);
  // Aliases that add little stay allowed.
  assert.deepEqual(loadYamlBounded("a: &x [1, 2]\nb: *x"), { a: [1, 2], b: [1, 2] });
});

for (const [where, config] of [
  ["under an unknown key", CONFIG(`${DATA.table}\n${DATA.axes}\n${DATA.window}`, `bomb: ${bomb()}\n`)],
  ["as data.table", CONFIG(`  table: ${bomb()}\n${DATA.axes}\n${DATA.window}`)],
  ["in data.axes", CONFIG(`${DATA.table}\n  axes: [x, ${bomb()}]\n${DATA.window}`)],
] as const) {
  test(`an alias bomb ${where} in config.yaml: exit 2, one line`, () => {
    const result = run(where.replace(/\W+/g, "-"), config);
    assert.equal(result.status, 2, result.stderr.slice(0, 500));
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr.slice(0, 500));
    assert.match(lines[0], /aliases \(\*name\) expand to more than 100,000 values/);
  });
}

test("an alias bomb in a registered meta.yaml: `registry list` exits 2 naming the file", () => {
  const version = join(work, "registry", "v1");
  mkdirSync(version, { recursive: true });
  writeFileSync(join(version, "meta.yaml"), `saved_at: "2024-01-01T00:00:00Z"\nlineage: ${bomb()}\n`);
  writeFileSync(join(version, "metrics.csv"), "axis,r2,mae,rmse\na,1,0,0\n");
  const result = run("meta", CONFIG(`${DATA.table}\n${DATA.axes}\n${DATA.window}`));
  assert.equal(result.status, 2, result.stderr.slice(0, 500));
  assert.equal(result.stderr.trim().split("\n").length, 1);
  assert.match(result.stderr, /registry file .*v1\/meta\.yaml: invalid YAML \(its aliases/);
  assert.throws(() => decodeMeta(`lineage: ${bomb()}`, "meta.yaml"), InputError);
});

test("values echoed into messages are bounded: a 1 MiB string, a deep shared value", () => {
  const big = "x".repeat(1 << 20);
  assert.equal(describeValue(big).length, 80);
  const shared: unknown[] = [];
  let level: unknown = "lol";
  for (let k = 0; k < 40; k++) level = [level, level, level];
  shared.push(level);
  assert.ok(describeValue(shared).length <= 80);
  assert.equal(describeValue({ a: [1, 2] }), '{"a":[1,2]}');
});

test("data.axes' duplicate check is linear: 400,000 axes with one repeated at the end are named at once", () => {
  const axes = Array.from({ length: 400_000 }, (_, i) => `c${i}`);
  axes.push("c7");
  const result = run("many-axes", CONFIG(`${DATA.table}\n  axes: [${axes.join(", ")}]\n${DATA.window}`));
  assert.equal(result.status, 2, result.stderr.slice(0, 500));
  assert.match(result.stderr, /data\.axes lists "c7" twice/);
});
