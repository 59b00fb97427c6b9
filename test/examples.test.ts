/**
 * The `@example` of every public function in lib/ is a notebook cell that
 * works as written: all of them type-check against `mlbox` as one cell each
 * (ES module, top-level await), and the ones that need no database or
 * registry run to the end. The examples that read the project's config run
 * in the notebooks' own tests' territory (a database, a registry): here they
 * are type-checked only.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { docExamples, needsProject, writeExamples } from "./support/docExamples";

const ROOT = path.resolve(__dirname, "..");
const examples = docExamples(ROOT);
const written = writeExamples(ROOT, examples, "test");
after(() => rmSync(written.dir, { recursive: true, force: true }));

/** The public functions of lib/index.ts that must carry an example. */
const PUBLIC = [
  "loadConfig", "isInputError", "connect", "describeDatabase", "extract", "extractColumns",
  "analyze", "profileColumns", "resample", "resampleColumns", "prepare", "prepareColumns", "selectModel",
  "train", "trainColumns", "predict", "predictColumns", "evaluate", "evaluateColumns",
  "calibrateThresholds", "calibrateColumns", "runPipeline",
  "scoringModel", "initialScoreState", "scoreBatch", "score", "replayScore", "followScore", "readEvents",
  "chooseDetection", "runSelection", "listVersions", "loadVersion", "registerModel",
];

test("every public function exported from mlbox has an @example importing from mlbox", () => {
  const named = new Set(examples.map((e) => e.name));
  assert.deepEqual(PUBLIC.filter((name) => !named.has(name)), []);
  const index = require("../lib/index") as Record<string, unknown>;
  for (const name of PUBLIC) assert.equal(typeof index[name], "function", `${name} is exported from lib/index.ts`);
});

test("every @example type-checks as a notebook cell (strict, ES module, top-level await)", () => {
  const config = path.join(written.dir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "es2022",
        moduleResolution: "node10",
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [path.join(ROOT, "node_modules", "@types")],
      },
      files: written.files,
    }),
  );
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", config], { cwd: ROOT, encoding: "utf8" });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});

test("the @examples that need no database run as written", () => {
  const standalone = examples.map((e, i) => ({ example: e, file: written.files[i] })).filter(({ example }) => !needsProject(example));
  assert.ok(standalone.length >= 10, `only ${standalone.length} examples without a database`);
  for (const { example, file } of standalone) {
    try {
      execFileSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      assert.fail(`${example.file} ${example.name}: ${stderr ?? String(error)}`);
    }
  }
});
