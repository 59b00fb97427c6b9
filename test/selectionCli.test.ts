/**
 * `auto` through the CLI on the embedded database: selection logged and registered, the choice trained on the
 * whole window and scored; compute.mode database refuses. The selection itself: selection.unit.test.ts.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "./support/cli";

const work = mkdtempSync(join(tmpdir(), "mlbox-selection-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("npm start with model.type auto on the embedded database: selection logged and registered, the choice trained on the whole window; compute.mode database refuses", () => {
  const folder = join(work, "cli");
  mkdirSync(folder, { recursive: true });
  const text = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8")
    .replace("url_env: DB_URL", "url_env: SELECTION_TEST_DB_URL")
    .replace("type: linear", "type: auto")
    .replace("enabled: true", "enabled: false") + "scoring:\n  statistic: auto\n";
  const configPath = join(folder, "config.yaml");
  writeFileSync(configPath, text);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SELECTION_TEST_DB_URL;
  const run = runCli(["--config", configPath], { env });
  assert.equal(run.status, 0, run.stderr);
  const logged = /select {5}chose (\w+) \+ (\w+) at minc_percentile [\d.]+ \(maxc_percentile [\d.]+\) of 14 candidates, measured on the last [\d.]+ h of the window \(256 injected anomalies in 4 rounds\):\n {24}best recall \(within one standard error of the best, [\d.]+\) at no more false alarms than the default/.exec(run.stdout);
  assert.ok(logged !== null, run.stdout);
  assert.match(run.stdout, new RegExp(`Selection: chose ${logged[1]} \\+ ${logged[2]}`));
  const registry = join(folder, "ModelRegistry", "artifacts");
  const selection = JSON.parse(readFileSync(join(registry, "v1", "selection.json"), "utf8"));
  const thresholds = JSON.parse(readFileSync(join(registry, "v1", "thresholds.json"), "utf8"));
  assert.equal(selection.chosen.model, logged[1]);
  assert.equal(selection.chosen.statistic, logged[2]);
  assert.equal(selection.candidates.length, 14);
  // The choice is what was trained: its statistic recorded per axis (absent for residual), its percentiles in
  // the policy, its model type in models.json and meta.yaml.
  assert.equal(thresholds.axis1.statistic?.type ?? "residual", logged[2]);
  assert.equal(thresholds.axis1.policy.minc_percentile, selection.chosen.minc_percentile);
  assert.equal(thresholds.axis1.policy.maxc_percentile, selection.chosen.maxc_percentile);
  assert.match(readFileSync(join(registry, "v1", "meta.yaml"), "utf8"), new RegExp(`model:\\n {2}type: ${logged[1]}\\n`));
  const models = JSON.parse(readFileSync(join(registry, "v1", "models.json"), "utf8"));
  assert.equal(models.model_type, logged[1]);

  const scored = runCli(["score", "--config", configPath], { env });
  assert.equal(scored.status, 0, scored.stderr);
  assert.match(scored.stdout, /Events: \d+ \(/);

  writeFileSync(configPath, text + "compute:\n  mode: database\n");
  const refused = runCli(["--config", configPath], { env });
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  assert.match(refused.stderr, /compute\.mode database .*model\.type auto/);
  assert.equal(existsSync(join(registry, "v2")), false);
});
