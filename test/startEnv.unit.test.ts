/** cli/startEnv.ts: the environment `npm start` sets, as benchmarks and tests spawn the CLI with it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startEnv } from "../cli/startEnv";

test("npm start pins glibc's mmap threshold (window-long columns returned to the system when freed)", () => {
  assert.deepEqual(startEnv(), { MALLOC_MMAP_THRESHOLD_: "131072" });
});

test("the words before node cli/start.js are the environment; a script of another shape is refused, quoted", () => {
  assert.deepEqual(startEnv("node cli/start.js"), {});
  assert.deepEqual(startEnv("A=1  B=x=y node cli/start.js"), { A: "1", B: "x=y" });
  assert.throws(() => startEnv("A=1 tsx cli/main.ts"), /package\.json scripts\.start must be "\[NAME=value …\] node cli\/start\.js", got "A=1 tsx cli\/main\.ts"/);
});
