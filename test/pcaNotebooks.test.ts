/**
 * The notebooks on a `model.type: pca` config (MLBOX_CONFIG): every one executes
 * headless on this clone's kernel against the embedded database without an
 * error, 00_Main registers exactly what `npm start` registers for it (pca.json,
 * T2/SPE thresholds), and 04, 06 and 08 show the pca views: explained variance, components and
 * loadings (04), T² and SPE against their limits (06), the scored T²/SPE and
 * a contributions chart per multivariate event (08).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadConfig } from "../lib/shapes/config";
import { runPipeline } from "../lib/pipeline/inMemory";
import { listVersions, loadVersion } from "../lib/registry";
import { CONFIG_ENV, executeNotebook, listNotebooks, requireJupyter } from "../scripts/notebooks";
import { DEMO_AXES, EXPECTED, chartFigures, chartTitles, notebookProblems, outputsOf, tableCaptions, testJupyterEnv, writeTestConfig, type Expected } from "./support/notebooks";

let work: string;

before(() => {
  requireJupyter();
  work = mkdtempSync(path.join(tmpdir(), "mlbox-pcanb-"));
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * The test config with `model.type: pca` and `scoring.statistic: ewma` (the MEWMA of bench/skab.yaml: on the
 * demo data's scoring window it raises T2/SPE events, which per-sample T²/SPE at held-out limits do not).
 */
function writePcaConfig(dir: string): string {
  const file = writeTestConfig(dir);
  const text = readFileSync(file, "utf8");
  const pca = text.replace(/^model:\n\s*type: linear$/m, "model:\n  type: pca");
  assert.notEqual(pca, text, "config.yaml has model.type linear");
  assert.doesNotMatch(pca, /^scoring:/m);
  writeFileSync(file, `${pca}\nscoring:\n  statistic: ewma\n`);
  return file;
}

const perAxis = (title: string): string[] => DEMO_AXES.map((a) => `${a}: ${title}`);

const EXPECTED_PCA: Readonly<Record<string, Expected>> = {
  "00_Main": {
    charts: [...perAxis("data and fitted trend"), ...perAxis("EWMA(α=0.1) of residual")],
    captions: ["Training data", "pca model", "Version v1", "All versions in the registry"],
    headers: ["MinC", "T_long_steps"],
    minTables: 10,
  },
  "04_ModelTraining": {
    charts: ["Rows used by each axis's fit", ...perAxis("data and fitted trend"), "Explained variance:"],
    captions: ["Model and statistic", "linear trends (for comparison; not registered)", "pca model", "Components (eigenvalues of the standardised covariance)", "Loadings of the kept components"],
    headers: ["eigenvalue", "share", "cumulative", "kept", "enters_as", "PC1"],
    minTables: 5,
  },
  "06_Thresholding": {
    charts: ["T2: training window against its limits", "SPE: training window against its limits"],
    captions: ["Threshold policy (thresholds:)"],
    headers: ["MinC", "MaxC", "T_long_seconds", "method"],
    minTables: 2,
  },
};

test("every notebook runs on a pca config; 04, 06 and 08 show the pca views, and 00_Main registers what npm start registers", { timeout: 900_000 }, async () => {
  const dir = path.join(work, "pca");
  const config = writePcaConfig(dir);
  const env = testJupyterEnv(dir, { [CONFIG_ENV]: config });
  const outDir = path.join(dir, "out");
  const executed = new Map<string, string>();
  for (const notebook of listNotebooks()) {
    const name = path.basename(notebook, ".ipynb");
    const result = await executeNotebook(notebook, outDir, env, tmpdir());
    assert.equal(result.code, 0, `${name} failed:\n${result.output.slice(-4000)}`);
    executed.set(name, path.join(outDir, `${name}.ipynb`));
  }
  // The others show what they show on the linear default (03 names the configured type), with no error.
  const expected: Record<string, Expected> = { ...EXPECTED, ...EXPECTED_PCA };
  const selection = EXPECTED["03_ModelSelection"];
  expected["03_ModelSelection"] = {
    ...selection,
    captions: selection.captions.map((c) => (c === "model.type: linear" ? "model.type: pca" : c)),
    // 03 says what auto measured better than the configured pca + ewma, with the YAML to train it.
    texts: ["<code>auto</code> measured <strong>linear + cusum</strong> better than the configured <strong>pca + ewma</strong>", '<code class="language-yaml">model:\n  type: linear\nscoring:\n  statistic: cusum']
  };
  for (const [name, file] of executed) {
    if (name !== "08_Scoring") assert.deepEqual(notebookProblems(file, expected[name]), [], name);
  }

  // 06: the limit lines are the version's T2/SPE thresholds.
  const loaded = loadConfig(config);
  const v1 = await loadVersion(loaded.registry.root_dir, "v1");
  assert.equal(v1.models.type, "pca");
  assert.ok(v1.pca !== undefined, "v1 has pca.json");
  const limits = chartFigures(outputsOf(executed.get("06_Thresholding") ?? "")).map((f) => f.data.find((trace) => String((trace as { name?: string }).name).startsWith("MinC"))?.y[0]);
  assert.deepEqual(limits, [v1.thresholds.T2.MinC, v1.thresholds.SPE.MinC].map((v) => Number(v.toPrecision(8))));

  // 08: T²/SPE scored by v1, every multivariate event explained by one contributions chart.
  const scoring = outputsOf(executed.get("08_Scoring") ?? "");
  const titles = chartTitles(scoring);
  assert.ok(titles.some((t) => t.startsWith("T2: scored by v1 against its limits")), titles.join(" | "));
  assert.ok(titles.some((t) => t.startsWith("SPE: scored by v1 against its limits")), titles.join(" | "));
  const explained = titles.filter((t) => /^#\d+ (T2|SPE) (alert|error) at /.test(t));
  assert.ok(explained.length >= 1, `contributions charts: ${titles.join(" | ")}`);
  assert.ok(tableCaptions(scoring).includes("Top contributions per event"));
  const bars = chartFigures(scoring).filter((f) => /^#\d+ /.test(f.layout.title.text));
  for (const figure of bars) {
    const shares = figure.data[0].y as number[];
    assert.deepEqual(new Set(figure.data[0].x.map((label) => String(label).split("<br>")[0])), new Set(DEMO_AXES), figure.layout.title.text);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-6, `${figure.layout.title.text}: shares sum to ${shares.reduce((a, b) => a + b, 0)}`);
  }
  assert.deepEqual(notebookProblems(executed.get("08_Scoring") ?? "", { charts: titles, captions: ["Scoring window", "Events per axis", "Incidents", "Events"], headers: ["share", "value", "expected", "levels", "top_contributors"], minTables: 5 }), []);
  // The timeline has the two statistics' lanes; each drilled-down pca event ends with its shares at the peak.
  assert.ok(titles.some((t) => /^Event timeline: \d+ events? on 2 lanes$/.test(t)), titles.join(" | "));
  assert.ok(titles.some((t) => /^(T2|SPE) (alert|error) started .*: each axis's share of the statistic at the peak$/.test(t)), titles.join(" | "));

  // 00_Main registered v1; the CLI pipeline on the same config registers the same pca version.
  const cli = await runPipeline({ ...loaded, plots: { ...loaded.plots, enabled: false } });
  assert.deepEqual((await listVersions(loaded.registry.root_dir)).map((v) => v.version), ["v1", cli.version]);
  const fromCli = await loadVersion(loaded.registry.root_dir, cli.version);
  assert.deepEqual(v1.models, fromCli.models);
  assert.deepEqual(v1.pca, fromCli.pca);
  assert.deepEqual(v1.thresholds, fromCli.thresholds);
  assert.deepEqual(v1.metrics, fromCli.metrics);
  assert.deepEqual(v1.prepStats, fromCli.prepStats);
  const { saved_at: _a, ...notebookMeta } = v1.meta;
  const { saved_at: _b, ...cliMeta } = fromCli.meta;
  assert.deepEqual(notebookMeta, cliMeta);
});
