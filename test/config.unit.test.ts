/** loadConfig: defaults, path resolution, .env, BOM, and messages that name the key to fix. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, DEFAULT_MODEL_CONFIG, DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { InputError } from "../lib/core/errors";

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

test("database.url_env must be a plain variable name, and no message shows a variable's value", () => {
  process.env.MLBOX_TEST_SECRET_TOKEN = "ghp_not-for-your-eyes";
  try {
    for (const name of ["${MLBOX_TEST_SECRET_TOKEN}", "$MLBOX_TEST_SECRET_TOKEN", "MLBOX TEST", "1ST_URL", "DB-URL", "env:MLBOX_TEST_SECRET_TOKEN", ""]) {
      assert.throws(
        () => loadConfig(write(`${MINIMAL}database:\n  url_env: ${JSON.stringify(name)}\n`)),
        (e: unknown) =>
          e instanceof InputError &&
          /^config\.yaml: database\.url_env must be a plain environment variable name/.test(e.message) &&
          !e.message.includes("ghp_") &&
          !e.message.includes("\n"),
        name,
      );
    }
    for (const name of ["DB_URL", "_x", "Pipeline_DB_2"]) assert.equal(loadConfig(write(`${MINIMAL}database:\n  url_env: ${name}\n`)).database.url_env, name);
  } finally {
    delete process.env.MLBOX_TEST_SECRET_TOKEN;
  }
});

test("prep.resample_seconds: absent or null keeps the raw cadence, a positive number of seconds resamples", () => {
  assert.equal(loadConfig(write(MINIMAL)).prep.resample_seconds ?? null, null);
  assert.equal(loadConfig(write(`${MINIMAL}prep:\n  resample_seconds: null  # keep raw cadence\n`)).prep.resample_seconds ?? null, null);
  assert.equal(loadConfig(write(`${MINIMAL}prep:\n  resample_seconds: 10\n`)).prep.resample_seconds, 10);
  assert.equal(loadConfig(write(`${MINIMAL}prep:\n  resample_seconds: 0.5\n`)).prep.resample_seconds, 0.5);
  const bad = (value: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(`${MINIMAL}prep:\n  resample_seconds: ${value}\n`)), (e: unknown) => e instanceof InputError && message.test(e.message));
  bad("0", /prep\.resample_seconds must be a positive number of seconds .*got 0$/);
  bad("-5", /prep\.resample_seconds must be a positive number of seconds .*got -5$/);
  bad("10s", /prep\.resample_seconds must be a number, got "10s"$/);
  bad(".inf", /prep\.resample_seconds must be a finite number/);
});

test("the Python pipeline's own config.yaml (comments included) loads as is", () => {
  const config = loadConfig(join(__dirname, "fixtures", "python-config", "config.yaml"));
  assert.equal(config.prep.resample_seconds ?? null, null);
  assert.equal(config.prep.interpolate, false);
  assert.equal(config.data.train_end, "2025-09-01T01:03:02.420Z");
  assert.deepEqual(config.data.axes, ["motor_a", "motor_b", "spindle", "z_axis"]);
  assert.deepEqual(config.thresholds, DEFAULT_THRESHOLD_POLICY);
});

test("an empty key or section takes the defaults; every section is frozen; LONG needs its columns", () => {
  const config = loadConfig(write(`${MINIMAL}plots:\nregistry:\n  version_tag:\n`));
  assert.equal(config.registry.version_tag, "auto");
  assert.equal(config.plots.enabled, true);
  for (const section of [config.database, config.data, config.prep, config.model, config.registry, config.plots]) assert.ok(Object.isFrozen(section));
  const long = loadConfig(write(MINIMAL.replace("axes: [a, b]", "axes: [1, 2]\n  axis_id_col: axis_id\n  value_col: value")));
  assert.deepEqual(long.data.axes, [1, 2]);
  const bad = (text: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(text)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  bad(MINIMAL.replace("axes: [a, b]", "axes: [1, 2]\n  axis_id_col: axis_id"), /config\.yaml: data\.value_col is required when data\.axes are axis ids/);
  bad(MINIMAL.replace("axes: [a, b]", "axes: [1.5]"), /data\.axes\[0\] must be a column name or a whole-number axis id, got 1\.5/);
  bad(MINIMAL.replace("axes: [a, b]", "axes: [1, 1]\n  axis_id_col: i\n  value_col: v"), /data\.axes lists 1 twice/);
  bad(`${MINIMAL}plots: [1]\n`, /plots must be a mapping of keys, got \[1\]/);
  bad(`${MINIMAL}model:\n  tpye: linear\n`, /unknown key "model\.tpye" \(did you mean "type"\?\)/);
});

test("scoring.statistic, ewma_alpha, cusum_k: defaults residual, 0.1, 0.5; bad values name the key in one line", () => {
  const config = loadConfig(write(MINIMAL));
  assert.deepEqual([config.scoring.statistic, config.scoring.ewma_alpha, config.scoring.cusum_k], ["residual", 0.1, 0.5]);
  const set = loadConfig(write(`${MINIMAL}scoring:\n  statistic: cusum\n  ewma_alpha: 1\n  cusum_k: 0\n`)).scoring;
  assert.deepEqual([set.statistic, set.ewma_alpha, set.cusum_k], ["cusum", 1, 0]);
  assert.equal(loadConfig(write(`${MINIMAL}scoring:\n  statistic: auto\n`)).scoring.statistic, "auto");
  const bad = (text: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(`${MINIMAL}scoring:\n${text}`)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  bad("  statistic: ewm\n", /^config\.yaml: scoring\.statistic must be one of "residual", "ewma", "cusum", "auto", got "ewm" \(did you mean "ewma"\?\)$/);
  bad("  ewma_alpha: 0\n", /^config\.yaml: scoring\.ewma_alpha must be within 0 \(exclusive\) to 1, got 0$/);
  bad("  ewma_alpha: 1.5\n", /scoring\.ewma_alpha must be within 0 \(exclusive\) to 1, got 1\.5/);
  bad("  ewma_alpha: fast\n", /scoring\.ewma_alpha must be a number, got "fast"/);
  bad("  cusum_k: -0.1\n", /^config\.yaml: scoring\.cusum_k must be at least 0, got -0\.1$/);
  bad("  cusum_k: .inf\n", /scoring\.cusum_k must be a finite number/);
});

test("model: type, degree, breakpoints, modes take their defaults; bad values are one-line errors naming the key", () => {
  assert.deepEqual({ ...loadConfig(write(MINIMAL)).model }, { type: "linear", explained_variance: 0.95, slow_ratio: 0.4, degree: 2, breakpoints: 3, modes: 3 });
  assert.deepEqual({ ...DEFAULT_MODEL_CONFIG }, { type: "linear", explained_variance: 0.95, slow_ratio: 0.4, degree: 2, breakpoints: 3, modes: 3 });
  for (const type of ["linear", "poly", "piecewise", "per_mode", "pca", "auto"]) assert.equal(loadConfig(write(`${MINIMAL}model:\n  type: ${type}\n`)).model.type, type);
  assert.deepEqual({ ...loadConfig(write(`${MINIMAL}model:\n  type: poly\n  degree: 6\n  breakpoints: 8\n  modes: 2\n`)).model }, { type: "poly", explained_variance: 0.95, slow_ratio: 0.4, degree: 6, breakpoints: 8, modes: 2 });
  const bad = (model: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(`${MINIMAL}model:\n  ${model}\n`)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  bad("type: polynomial", /config\.yaml: model\.type must be one of "linear", "poly", "piecewise", "per_mode", "pca", "auto", got "polynomial"/);
  bad("explained_variance: 1.5", /^config\.yaml: model\.explained_variance must be within 0 \(exclusive\) to 1, got 1\.5$/);
  bad("explained_variance: 0", /model\.explained_variance must be within 0 \(exclusive\) to 1, got 0/);
  bad("slow_ratio: 2", /model\.slow_ratio must be within 0 to 1, got 2/);
  // pca with an axis named like one of its statistics, with cusum, in the database: one line each.
  const pca = (text: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(text)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  pca(`${MINIMAL.replace("[a, b]", "[a, SPE]")}model:\n  type: pca\n`, /data\.axes names an axis "SPE", which model\.type pca uses/);
  pca(`${MINIMAL}model:\n  type: pca\nscoring:\n  statistic: cusum\n`, /scoring\.statistic cusum is not available with model\.type pca/);
  pca(`${MINIMAL}model:\n  type: pca\ncompute:\n  mode: database\n`, /compute\.mode database cannot train model\.type pca/);
  assert.equal(loadConfig(write(`${MINIMAL.replace("[a, b]", "[a, T2]")}`)).data.axes[1], "T2", "T2 is an ordinary axis name without pca");
  // thresholds.direction: up | both (absent: up); a misspelling is one line.
  assert.equal(loadConfig(write(MINIMAL)).thresholds.direction, undefined);
  assert.equal(loadConfig(write(`${MINIMAL}thresholds:\n  direction: both\n`)).thresholds.direction, "both");
  pca(`${MINIMAL}thresholds:\n  direction: bot\n`, /^config\.yaml: thresholds\.direction must be one of "up", "both", got "bot" \(did you mean "both"\?\)$/);
  bad("type: per-mode", /model\.type must be one of .*, got "per-mode" \(did you mean "per_mode"\?\)/);
  bad("degree: 1", /model\.degree must be at least 2, got 1/);
  bad("degree: 7", /model\.degree must be at most 6, got 7/);
  bad("degree: 2.5", /model\.degree must be a whole number, got 2\.5/);
  bad("breakpoints: 0", /model\.breakpoints must be at least 1, got 0/);
  bad("breakpoints: 9", /model\.breakpoints must be at most 8, got 9/);
  bad("modes: 1", /model\.modes must be at least 2, got 1/);
  bad("modes: 9", /model\.modes must be at most 8, got 9/);
  bad('modes: "3"', /model\.modes must be a number, got "3"/);
  bad("degre: 3", /unknown key "model\.degre" \(did you mean "degree"\?\)/);
});

test("did-you-mean also matches by prefix: data.time_column → time_col, prep.resample → resample_seconds; unrelated keys get no guess", () => {
  const bad = (text: string, message: RegExp) =>
    assert.throws(() => loadConfig(write(text)), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"));
  bad(MINIMAL + "  time_column: ts\n", /^config\.yaml: unknown key "data\.time_column" \(did you mean "time_col"\?\)$/);
  bad(MINIMAL + "prep:\n  resample: 10\n", /^config\.yaml: unknown key "prep\.resample" \(did you mean "resample_seconds"\?\)$/);
  bad(MINIMAL + "registry:\n  ro: x\n", /^config\.yaml: unknown key "registry\.ro"$/);
});

test("alerting: no receiver by default; receivers must be http(s) URLs, named without echoing them; ranges name the key", () => {
  const config = loadConfig(write(MINIMAL));
  assert.deepEqual(
    { ...config.alerting },
    { alertmanager_url: null, webhook_url: null, resend_seconds: 60, hold_seconds: 60, max_backoff_seconds: 300, timeout_seconds: 10 },
  );
  assert.equal(loadConfig(write(`${MINIMAL}alerting:\n  alertmanager_url: http://127.0.0.1:9093\n`)).alerting.alertmanager_url, "http://127.0.0.1:9093");
  for (const [text, message] of [
    ["  alertmanager_url: ftp://ann:s3cret@example.com\n", /alerting\.alertmanager_url.*must be an http:\/\/ or https:\/\/ URL/],
    ["  webhook_url: 42\n", /alerting\.webhook_url.*must be an http:\/\/ or https:\/\/ URL, got 42/],
    ["  resend_seconds: 0\n", /alerting\.resend_seconds/],
    ["  hold_second: 5\n", /alerting.*hold_second.*hold_seconds/],
  ] as const) {
    assert.throws(
      () => loadConfig(write(`${MINIMAL}alerting:\n${text}`)),
      (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n") && !e.message.includes("s3cret"),
    );
  }
});
