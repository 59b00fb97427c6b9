/**
 * The quick start: the parity config (test/fixtures/parity.yaml: the code's defaults, the Python
 * pipeline's per-axis line) on a fresh embedded database trains on the seeded demo data, and the demo's
 * thresholds are identical on every machine (pinned here); `npm start -- score` then scores the remaining
 * 20% and lists events. The LONG demo table must give the same model. The shipped config.yaml (the
 * recommended pca + EWMA settings) trains and scores the same data, with its own event count pinned.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "./support/cli";

const work = mkdtempSync(join(tmpdir(), "mlbox-demo-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** MinC, MaxC, T_long_steps, T_short_steps per axis of the demo data's first 80% (to 2022-10-18T06:00Z) with the default policy. */
const PINNED: Record<string, [number, number, number, number]> = {
  axis1: [1.2157248522433672, 1.5884639611437081, 3, 2],
  axis2: [7.010034800637161, 9.348386072261691, 3, 2],
  axis3: [4.614737233389304, 7.590136227293915, 3, 2],
  axis4: [1.745443874461118, 2.1005678371784873, 3, 2],
  axis5: [1.4823513304034184, 2.0167901837894133, 3, 2],
  axis6: [0.8614121765398142, 1.4172779012043766, 3, 2],
  axis7: [1.637032733750769, 2.1997911984516496, 3, 2],
  axis8: [0.14375851088929714, 0.24958660249190143, 3, 2],
};

function thresholdsOf(version: string): Record<string, { MinC: number; MaxC: number; T_long_steps: number; T_short_steps: number; dt_seconds: number }> {
  return JSON.parse(readFileSync(join(work, "ModelRegistry", "artifacts", version, "thresholds.json"), "utf8"));
}

test("npm start with the parity config trains on the embedded demo data; thresholds are pinned", () => {
  copyFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), join(work, "config.yaml"));
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "Europe/Berlin" };
  delete env.DB_URL;
  const run = runCli([], { cwd: work, env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Data: embedded PGlite at .*\.mlbox\/pglite/);
  assert.match(run.stdout, /Raw shape: \(31960, 9\)  Train shape: \(31960, 9\)/);
  const thresholds = thresholdsOf("v1");
  assert.deepEqual(Object.keys(thresholds), Object.keys(PINNED));
  for (const [axis, [minC, maxC, long, short]] of Object.entries(PINNED)) {
    assert.deepEqual(
      [thresholds[axis].MinC, thresholds[axis].MaxC, thresholds[axis].T_long_steps, thresholds[axis].T_short_steps],
      [minC, maxC, long, short],
      axis,
    );
    assert.equal(thresholds[axis].dt_seconds, 1.8910000324249268);
  }
});

test("npm start -- score then lists the events of the data after the training window", () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DB_URL;
  const run = runCli(["score"], { cwd: work, env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Model: v1 \(production\)  Stream: stream_samples_wide/);
  assert.match(run.stdout, /Scored: 8040 rows from 2022-10-18T06:00:00\.427000Z to 2022-10-18T10:18:36\.548000Z/);
  assert.match(run.stdout, /Events: 61 \(35 alert-level, 26 error-level, 0 still open\) → table mlbox_events/);
});

test("the LONG demo table gives the same model as the WIDE one", () => {
  const config = readFileSync(join(ROOT, "test", "fixtures", "parity.yaml"), "utf8")
    .replace("table: stream_samples_wide", "table: stream_samples")
    .replace(/axes: \[axis1.*\]/, "axes: [1, 2, 3, 4, 5, 6, 7, 8]")
    .replace("# axis_id_col: axis_id", "axis_id_col: axis_id")
    .replace("# value_col: value", "value_col: value");
  writeFileSync(join(work, "long.yaml"), config);
  const env = { ...process.env };
  delete env.DB_URL;
  const run = runCli(["--config", "long.yaml", "--quiet"], { cwd: work, env });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(thresholdsOf("v2"), thresholdsOf("v1"));
});

test("the shipped config.yaml (pca + EWMA) trains on the demo data and `score` raises its few events", () => {
  const folder = join(work, "shipped");
  mkdirSync(folder);
  copyFileSync(join(ROOT, "config.yaml"), join(folder, "config.yaml"));
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "America/New_York" };
  delete env.DB_URL;
  const train = runCli([], { cwd: folder, env });
  assert.equal(train.status, 0, train.stderr);
  assert.match(train.stdout, /train +pca: 7 of 8 components explain 96\.9 % \(11507 rows, EWMA α=0\.2\)/);
  assert.match(train.stdout, /^ {2}T2 +MinC=294\.657 +MaxC=589\.313 +T_long=1 steps/m);
  const scored = runCli(["score"], { cwd: folder, env });
  assert.equal(scored.status, 0, scored.stderr);
  assert.match(scored.stdout, /Scored: 8040 rows from 2022-10-18T06:00:00\.427000Z to 2022-10-18T10:18:36\.548000Z/);
  assert.match(scored.stdout, /Events: 7 \(6 alert-level, 1 error-level, 0 still open\) → table mlbox_events/);
});
