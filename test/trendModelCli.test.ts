/**
 * Trend model types through the CLI: a run per `model.type` on a golden case (embedded database) registers a
 * version whose training-window replay equals calibration. The fits themselves: trendModel.unit.test.ts.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { loadConfig } from "../lib/shapes/config";
import { connect } from "../lib/db/connect";
import { extractColumns } from "../lib/db/extract";
import { predictColumns } from "../lib/stages/predict";
import { loadVersion } from "../lib/registry";
import { calibrateAxis, runLengths } from "../lib/stages/thresholds";
import type { AxisModel } from "../lib/shapes/types";
import { runCli } from "./support/cli";
import { goldenCases, goldenConfigYaml, loadGoldenCase } from "./support/golden";

const work = mkdtempSync(join(tmpdir(), "mlbox-trend-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("CLI: train per model type on a golden case, then replay its training window", () => {
  const golden = goldenCases().find((c) => c.name === "wide_timestamptz");
  assert.ok(golden, "golden case wide_timestamptz");
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: "UTC" };
  delete env.TREND_DB_URL;
  const embeddedDir = join(work, "pglite");
  let loaded = false;

  for (const type of ["poly", "piecewise", "per_mode"] as const) {
    test(`model.type ${type}`, async () => {
      const configPath = join(work, `${type}.yaml`);
      const document = yaml.load(
        goldenConfigYaml(golden, "golden_trend", { urlEnv: "TREND_DB_URL", embeddedDir, rootDir: join(work, "cli", type), plotsDir: join(work, "out") }),
      ) as Record<string, unknown>;
      writeFileSync(configPath, yaml.dump({ ...document, model: { type, degree: 3, breakpoints: 2, modes: 2 } }));
      const config = loadConfig(configPath);
      if (!loaded) {
        const db = await connect(config.database);
        await loadGoldenCase(db, golden, "golden_trend");
        await db.destroy();
        loaded = true;
      }
      const trained = runCli(["--config", configPath], { env });
      assert.equal(trained.status, 0, trained.stdout + trained.stderr);
      assert.match(trained.stdout, new RegExp(`train +${type}:`));
      const version = await loadVersion(config.registry.root_dir, "latest");
      assert.equal(version.models.type, type);
      assert.ok(version.models.models.every((m: AxisModel) => m.type === type));
      const show = runCli(["registry", "show", "latest", "--config", configPath], { env });
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, new RegExp(`^ {2}motor_a: ${type}`, "m"), show.stdout);

      const eventsFile = join(work, `${type}-events.jsonl`);
      const { train_start: from, train_end: to } = config.data;
      const replay = runCli(["score", "--config", configPath, "--from", String(from), "--to", String(to), "--events", eventsFile], { env });
      assert.equal(replay.status, 0, replay.stdout + replay.stderr);
      const events = readFileSync(eventsFile, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
      const db = await connect(config.database);
      const window = await extractColumns(db, config.data);
      await db.destroy();
      const prediction = predictColumns(window.time.map((t) => t - version.prepStats.time0), version.models, window.values);
      let alerts = 0;
      prediction.axes.forEach((axis, a) => {
        const thresholds = version.thresholds[axis];
        assert.deepEqual(calibrateAxis(prediction.residual[a], thresholds.dt_seconds, thresholds.policy), thresholds, `${axis}: calibration's residuals`);
        const counted = Array.from(runLengths(prediction.residual[a], thresholds.MinC)).filter((length) => length >= thresholds.T_long_steps);
        const mine = events.filter((e) => e.axis === axis && e.level === "alert").sort((x, y) => (x.started_at < y.started_at ? -1 : 1));
        const lastOpen = mine.length > 0 && mine[mine.length - 1].ended_at === null;
        assert.deepEqual(mine.map((e) => e.samples), lastOpen ? [...counted.slice(0, -1), thresholds.T_long_steps] : counted, `${axis} alerts`);
        alerts += counted.length;
      });
      assert.ok(alerts > 0, "the replay has alert runs to compare");
    });
  }
});
