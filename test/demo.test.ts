/**
 * The quick start: the project's own config.yaml on a fresh embedded database
 * trains on the seeded demo data, and the demo's thresholds are identical on
 * every machine (pinned here). The LONG demo table must give the same model.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "./support/cli";

const work = mkdtempSync(join(tmpdir(), "mlbox-demo-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** MinC, MaxC, T_long_steps, T_short_steps per axis of the demo data with the default policy. */
const PINNED: Record<string, [number, number, number, number]> = {
  axis1: [1.2238143447445045, 1.5930899287062341, 3, 2],
  axis2: [7.045651437966725, 9.384695289231868, 3, 2],
  axis3: [4.690912699974118, 7.653669197910294, 3, 2],
  axis4: [1.7537120479677994, 2.1187155514091716, 3, 2],
  axis5: [1.4900033319697452, 2.0188281343275563, 3, 2],
  axis6: [0.8778925650357807, 1.4468852679872701, 3, 2],
  axis7: [1.6501554662838198, 2.2066442418384042, 3, 2],
  axis8: [0.14550778734067454, 0.2531152063989234, 3, 2],
};

function thresholdsOf(version: string): Record<string, { MinC: number; MaxC: number; T_long_steps: number; T_short_steps: number; dt_seconds: number }> {
  return JSON.parse(readFileSync(join(work, "ModelRegistry", "artifacts", version, "thresholds.json"), "utf8"));
}

test("npm start with the shipped config.yaml trains on the embedded demo data; thresholds are pinned", () => {
  copyFileSync(join(ROOT, "config.yaml"), join(work, "config.yaml"));
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "Europe/Berlin" };
  delete env.DB_URL;
  const run = runCli([], { cwd: work, env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Data: embedded PGlite at .*\.mlbox\/pglite/);
  assert.match(run.stdout, /Raw shape: \(40000, 9\)  Train shape: \(40000, 9\)/);
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

test("the LONG demo table gives the same model as the WIDE one", () => {
  const config = readFileSync(join(ROOT, "config.yaml"), "utf8")
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
