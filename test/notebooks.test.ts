/**
 * The notebooks: committed without outputs, and every one of them executes
 * headless under `jupyter nbconvert --execute` on this clone's ML Box kernel,
 * started from another working directory, against the embedded database and
 * against a real PostgreSQL server, showing every expected chart and table.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { connect } from "../lib/db/connect";
import { loadConfig } from "../lib/shapes/config";
import { generateDemoData, seedDemoTables } from "../lib/db/demoData";
import { runPipeline } from "../lib/pipeline/inMemory";
import { listVersions, loadVersion } from "../lib/registry";
import { cleanNotebookText } from "../scripts/clean-notebooks";
import { KERNEL_NAME } from "../scripts/install-kernel";
import { CONFIG_ENV, executeNotebook, listNotebooks, requireJupyter } from "../scripts/notebooks";
import { startPostgres } from "./support/postgres";
import { EXPECTED, notebookProblems, outputsOf, readNotebook, testJupyterEnv, writeTestConfig } from "./support/notebooks";

const NOTEBOOK_NAMES = [
  "00_Main",
  "01_DataExtractionAnalysis",
  "02_DataPreparation",
  "03_ModelSelection",
  "04_ModelTraining",
  "05_ModelEvaluation",
  "06_Thresholding",
  "07_ModelRegistry",
  "08_Scoring",
];

let work: string;

before(() => {
  requireJupyter();
  work = mkdtempSync(path.join(tmpdir(), "mlbox-nbtest-"));
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

test("the committed notebooks exist, carry no outputs (clean, as Jupyter writes them) and name the ML Box kernel", () => {
  const files = listNotebooks();
  assert.deepEqual(
    files.map((f) => path.basename(f, ".ipynb")),
    NOTEBOOK_NAMES,
  );
  for (const file of files) {
    const nb = readNotebook(file);
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, `${file}: kernelspec`);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    assert.ok(code.length >= 4, `${file}: ${code.length} code cells`);
    for (const cell of code) {
      assert.deepEqual(cell.outputs, [], `${file}: a cell has outputs`);
      assert.equal(cell.execution_count, null, `${file}: a cell has an execution count`);
    }
    const text = readFileSync(file, "utf8");
    assert.equal(cleanNotebookText(text), text, `${file} is not clean: run npm run notebooks:clean`);
    const sources = code.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n");
    assert.match(sources, /from "mlbox"/, `${file} imports the library as "mlbox"`);
    assert.doesNotMatch(sources, /\.\.\/lib|require\(/, `${file} imports lib/ only through "mlbox"`);
  }
});

/** Executes every notebook in order from `cwd` (not the project), with `env`; returns the executed files. */
async function executeAll(outDir: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const executed = new Map<string, string>();
  for (const notebook of listNotebooks()) {
    const name = path.basename(notebook, ".ipynb");
    const result = await executeNotebook(notebook, outDir, env, tmpdir());
    assert.equal(result.code, 0, `${name} failed:\n${result.output.slice(-4000)}`);
    executed.set(name, path.join(outDir, `${name}.ipynb`));
  }
  return executed;
}

function assertExpectedOutputs(executed: ReadonlyMap<string, string>): void {
  for (const name of NOTEBOOK_NAMES) {
    const file = executed.get(name);
    assert.ok(file, `${name} executed`);
    assert.deepEqual(notebookProblems(file, EXPECTED[name]), [], name);
  }
}

test("every notebook executes against the embedded database, with all charts and tables", { timeout: 900_000 }, async () => {
  const dir = path.join(work, "embedded");
  const config = writeTestConfig(dir);
  const executed = await executeAll(path.join(dir, "out"), testJupyterEnv(dir, { [CONFIG_ENV]: config }));
  assertExpectedOutputs(executed);

  // 03's candidate table measures the pca candidates too; 08 says a per-axis version has no contributions to show.
  const html = (name: string): string => outputsOf(executed.get(name) ?? "").map((o) => o.html).join("\n");
  for (const candidate of ["pca + residual", "pca + ewma"]) assert.ok(html("03_ModelSelection").includes(`<td>${candidate}</td>`), `03 shows ${candidate}`);
  assert.match(html("08_Scoring"), /v1 raises per-axis events \(each names its axis\): no contributions to show\./);

  const mainSize = statSync(executed.get("00_Main") ?? "").size;
  assert.ok(mainSize < 10_000_000, `executed 00_Main.ipynb is ${mainSize} bytes`);

  // 00_Main registered v1; the CLI pipeline on the same config must produce the same artifacts.
  const loaded = loadConfig(config);
  const cli = await runPipeline({ ...loaded, plots: { ...loaded.plots, enabled: false } });
  const versions = await listVersions(loaded.registry.root_dir);
  assert.deepEqual(
    versions.map((v) => v.version),
    ["v1", cli.version],
  );
  const fromNotebook = await loadVersion(loaded.registry.root_dir, "v1");
  const fromCli = await loadVersion(loaded.registry.root_dir, cli.version);
  assert.deepEqual(fromNotebook.models, fromCli.models);
  assert.deepEqual(fromNotebook.thresholds, fromCli.thresholds);
  assert.deepEqual(fromNotebook.metrics, fromCli.metrics);
  assert.deepEqual(fromNotebook.prepStats, fromCli.prepStats);
  const { saved_at: _a, ...notebookMeta } = fromNotebook.meta;
  const { saved_at: _b, ...cliMeta } = fromCli.meta;
  assert.deepEqual(notebookMeta, cliMeta);
});

test("every notebook executes against a real PostgreSQL server, never showing its password", { timeout: 900_000 }, async () => {
  const pg = await startPostgres();
  try {
    const dir = path.join(work, "postgres");
    const config = writeTestConfig(dir);
    const previous = process.env.DB_URL;
    process.env.DB_URL = pg.url;
    try {
      const db = await connect(loadConfig(config).database);
      try {
        await seedDemoTables(db, generateDemoData());
      } finally {
        await db.destroy();
      }
    } finally {
      if (previous === undefined) delete process.env.DB_URL;
      else process.env.DB_URL = previous;
    }
    const executed = await executeAll(path.join(dir, "out"), testJupyterEnv(dir, { [CONFIG_ENV]: config, DB_URL: pg.url }));
    assertExpectedOutputs(executed);
    const password = new URL(pg.url).password;
    assert.ok(password.length > 8);
    for (const [name, file] of executed) {
      const text = readFileSync(file, "utf8");
      assert.ok(!text.includes(password), `${name} shows the database password`);
      if (name === "00_Main" || name === "01_DataExtractionAnalysis") {
        assert.ok(text.includes(`127.0.0.1:${pg.port}`), `${name} names the PostgreSQL server it read`);
      }
    }
  } finally {
    await pg.stop();
  }
});
