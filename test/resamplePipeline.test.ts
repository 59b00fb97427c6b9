/**
 * prep.resample_seconds in the pipeline, on a golden case through a real PostgreSQL server: at the native
 * cadence the golden numbers stay, coarser the window has fewer rows. The stage itself: resample.unit.test.ts.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../lib/shapes/config";
import { connect } from "../lib/db/connect";
import { runPipeline } from "../lib/pipeline/inMemory";
import { assertGoldenVersion, goldenCases, goldenConfigYaml, loadGoldenCase } from "./support/golden";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-resample-"));
after(() => rmSync(work, { recursive: true, force: true }));

test("the pipeline resamples before analyze and prepare: at the native cadence the golden numbers stay, coarser it has fewer rows", async () => {
  const golden = goldenCases().find((c) => c.name === "half_even_steps");
  assert.ok(golden, "golden case half_even_steps");
  process.env.MLBOX_RESAMPLE_DB_URL = (await sharedPostgres()).url;
  const configAt = (name: string, prep: Record<string, unknown>): string => {
    const path = join(work, `${name}.yaml`);
    const text = goldenConfigYaml({ ...golden, config: { ...golden.config, prep } }, "resample_half_even", {
      urlEnv: "MLBOX_RESAMPLE_DB_URL",
      embeddedDir: join(work, "pglite"),
      rootDir: join(work, "registry", name),
      plotsDir: join(work, "out"),
    });
    writeFileSync(path, text);
    return path;
  };
  const native = loadConfig(configAt("native", { interpolate: false, resample_seconds: 2 }));
  const db = await connect(native.database);
  try {
    await loadGoldenCase(db, golden, "resample_half_even");
  } finally {
    await db.destroy();
  }
  // Samples every 2.0 s on multiples of 2: one sample per bucket, labelled by its own time.
  const same = await runPipeline(native);
  assert.equal(same.prepStats.resample_seconds, 2);
  assert.equal(same.stageSeconds.resample >= 0, true);
  assertGoldenVersion(golden, same.versionDir);

  const coarse = await runPipeline(loadConfig(configAt("coarse", { interpolate: false, resample_seconds: 10 })));
  assert.deepEqual(coarse.rawShape, [1500, 3]);
  assert.deepEqual(coarse.trainShape, [300, 3]);
  assert.equal(coarse.prepStats.dt_seconds, 10);
  assert.equal(coarse.prepStats.time0, 0);
  assert.equal(coarse.prepStats.resample_seconds, 10);
  assert.equal(coarse.models.models[0].samples_used <= 300, true);
});
