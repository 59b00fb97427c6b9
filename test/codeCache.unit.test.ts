/**
 * cli/codeCache.js: the bundle loads through V8's code cache beside it, and a
 * rebuilt bundle (even one of the same length, which V8 alone would accept the
 * old cache for) runs its own code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CODE_CACHE = join(__dirname, "..", "cli", "codeCache.js");

/** What `requireCached(file).value()` returns in a fresh process (which writes the cache on exit when it had none). */
function loadValue(file: string): string {
  const run = spawnSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(CODE_CACHE)}).requireCached(${JSON.stringify(file)}).value())`], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test("a bundle loads from its code cache, and a rebuilt one of the same length runs its new code", () => {
  const work = mkdtempSync(join(tmpdir(), "mlbox-code-cache-"));
  try {
    const file = join(work, "bundle.js");
    const source = (value: string): string => `"use strict";\nconst path = require("path");\nexports.value = () => "${value}:" + path.basename(__filename);\n`;
    writeFileSync(file, source("one"));
    assert.equal(loadValue(file), "one:bundle.js");
    assert.ok(existsSync(`${file}.v8cache`), "the first load writes the cache");
    assert.equal(loadValue(file), "one:bundle.js");
    writeFileSync(file, source("two"));
    assert.equal(loadValue(file), "two:bundle.js");
    assert.equal(loadValue(file), "two:bundle.js");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
