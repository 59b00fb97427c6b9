/** loadConfig: defaults, path resolution, .env, BOM, and messages that name the key to fix. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, DEFAULT_THRESHOLD_POLICY } from "../lib/config";
import { InputError } from "../lib/errors";

function write(text: string, name = "config.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "mlbox-config-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const MINIMAL = "data:\n  table: t\n  axes: [a, b]\n  train_start: 0\n  train_end: 10\n";

test("missing keys take their documented defaults; relative paths resolve against the config's folder", () => {
  const path = write(MINIMAL);
  const config = loadConfig(path);
  const folder = join(path, "..");
  assert.deepEqual(config.thresholds, DEFAULT_THRESHOLD_POLICY);
  assert.deepEqual(Object.values(DEFAULT_THRESHOLD_POLICY), [75, 95, 0.02, 20, true, 5.0, 3.0, 0.8, 0.5]);
  assert.equal(config.data.time_col, "ts");
  assert.equal(config.database.url_env, "DB_URL");
  assert.equal(config.database.embedded_dir, join(folder, ".mlbox/pglite"));
  assert.equal(config.registry.root_dir, join(folder, "ModelRegistry/artifacts"));
  assert.equal(config.registry.version_tag, "auto");
  assert.equal(config.plots.dir, join(folder, "out"));
  assert.equal(config.prep.interpolate, false);
  assert.match(config.source_sha256, /^[0-9a-f]{64}$/);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.thresholds));
});

test("a UTF-8 byte-order mark is tolerated", () => {
  assert.equal(loadConfig(write("\uFEFF" + MINIMAL)).data.table, "t");
});

test(".env next to the config is loaded without overriding the environment", () => {
  const path = write(MINIMAL + "database:\n  url_env: MLBOX_TEST_ENV_URL\n");
  writeFileSync(join(path, "..", ".env"), "MLBOX_TEST_ENV_URL=postgresql://u:p@h:1/d\nMLBOX_TEST_ENV_KEEP=from-file\n");
  process.env.MLBOX_TEST_ENV_KEEP = "from-shell";
  loadConfig(path);
  assert.equal(process.env.MLBOX_TEST_ENV_URL, "postgresql://u:p@h:1/d");
  assert.equal(process.env.MLBOX_TEST_ENV_KEEP, "from-shell");
});

test("timestamp windows are ISO strings and must be ordered", () => {
  const ok = loadConfig(write(MINIMAL.replace("train_start: 0", 'train_start: "2025-09-01 00:00:00+02"').replace("train_end: 10", "train_end: '2025-09-01T00:00:00Z'")));
  assert.equal(ok.data.train_start, "2025-09-01 00:00:00+02");
  const unquoted = loadConfig(write(MINIMAL.replace("train_start: 0", "train_start: 2025-09-01T00:00:00.123456Z").replace("train_end: 10", "train_end: 2025-09-02")));
  assert.equal(unquoted.data.train_start, "2025-09-01T00:00:00.123456Z");
  assert.equal(unquoted.data.train_end, "2025-09-02");
  const bad = (text: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(text)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  bad(MINIMAL.replace("train_end: 10", "train_end: '2025-09-01'"), /data\.train_start and data\.train_end must both be numbers/);
  bad(MINIMAL.replace("train_start: 0", "train_start: '2025-13-01T00:00'").replace("train_end: 10", "train_end: '2026-01-01T00:00'"), /data\.train_start is not a valid ISO-8601 timestamp/);
  bad(MINIMAL.replace("train_start: 0", "train_start: 20"), /config\.yaml: data\.train_start \(20\) must be before data\.train_end \(10\)/);
  bad(MINIMAL.replace("  table: t\n", ""), /data\.table is required/);
  bad(MINIMAL + "thresholds:\n  min_pos_for_trim: 2.5\n", /thresholds\.min_pos_for_trim must be a whole number, got 2\.5/);
  bad(MINIMAL + "thresholds:\n  minc_percentile: -1\n", /thresholds\.minc_percentile must be within 0 to 100, got -1/);
  bad(MINIMAL + "thresholds:\n  error_quantile: [1]\n", /thresholds\.error_quantile must be a number/);
  bad(MINIMAL + "treshold: {}\n", /unknown key "treshold" \(did you mean "thresholds"\?\)/);
  bad(MINIMAL + "registry:\n  zzz: 1\n", /unknown key "registry\.zzz"$/);
  bad(MINIMAL.replace("axes: [a, b]", "axes: [a, a]"), /data\.axes lists "a" twice/);
  bad(MINIMAL.replace("axes: [a, b]", "axes: []"), /data\.axes must be a non-empty list/);
  bad("- just\n- a list\n", /must be a YAML mapping/);
});
