/**
 * Integer-like column names ("10", "2", "0", "1") through every DataFrame
 * stage: each DataFrame must hold exactly the typed core's numbers under the
 * right names. (A JS object lists such keys first, which once swapped
 * columns: `time_s, "10", "2"` came back with `time_s` holding "2".)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type * as dfd from "danfojs-node";
import { sql } from "kysely";
import { analyze, profileColumns } from "../lib/stages/analyze";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";
import { evaluate, evaluateColumns, metricsToDataFrame } from "../lib/stages/evaluate";
import { extract, extractColumns } from "../lib/db/extract";
import { toDataFrame } from "../lib/shapes/frame";
import { predict, predictColumns, predictionFromDataFrame, predictionToDataFrame } from "../lib/stages/predict";
import { prepare, prepareColumns, preparedToDataFrame } from "../lib/stages/prepare";
import { calibrateColumns, calibrateThresholds } from "../lib/stages/thresholds";
import { frameColumns } from "../lib/shapes/timeColumn";
import { train, trainColumns } from "../lib/stages/train";
import type { DataConfig, Extraction } from "../lib/shapes/types";
import { openPGliteMemory, type TestDatabase } from "./support/databases";

const AXES = ["10", "2", "0", "1"];
const DATA: DataConfig = { table: "numbered", time_col: "ts", axes: AXES, train_start: 0, train_end: 1000 };
let t: TestDatabase;
let extraction: Extraction;

/** Asserts `frame` has exactly `columns`, in order, each holding the given numbers. */
function assertFrame(frame: dfd.DataFrame, columns: ReadonlyArray<readonly [string, ArrayLike<number | string>]>): void {
  assert.deepEqual(frame.columns, columns.map(([name]) => name));
  for (const [name, values] of columns) {
    assert.deepEqual(Array.from(frame.column(name).values as ArrayLike<unknown>), Array.from(values), `column "${name}"`);
  }
}

before(async () => {
  t = await openPGliteMemory();
  // Each axis lives on its own scale, so any swap changes every number.
  await sql`create table numbered (ts double precision, "0" double precision, "1" double precision, "2" double precision, "10" double precision)`.execute(t.db);
  await sql`insert into numbered select i * 0.5, 5 + 0.01 * i + (i % 7) / 10.0, case when i % 5 = 0 then 0 else -3 - 0.02 * i + (i % 3) / 10.0 end,
    20 - 0.1 * i + (i % 4) / 5.0, 1000 + 3 * i + (i % 11) from generate_series(0, 79) as i`.execute(t.db);
  extraction = await extractColumns(t.db, DATA);
});
after(async () => {
  await t?.db.destroy();
});

test("toDataFrame keeps names and values together: time_s, \"10\", \"2\"", () => {
  const frame = toDataFrame([["time_s", [0, 1, 2]], ["10", [100, 101, 102]], ["2", [20, 21, 22]]]);
  assertFrame(frame, [["time_s", [0, 1, 2]], ["10", [100, 101, 102]], ["2", [20, 21, 22]]]);
  assertFrame(toDataFrame([["1", ["b", "c"]], ["0", [0, 1]]]), [["1", ["b", "c"]], ["0", [0, 1]]]);
});

test("extract → analyze → prepare → train → predict → evaluate → calibrateThresholds equal their typed cores", async () => {
  const { time, values } = extraction;
  assert.deepEqual(extraction.axes, AXES);

  const raw = await extract(t.db, DATA);
  assertFrame(raw, [["ts", time], ...AXES.map((axis, k) => [axis, values[k]] as const)]);
  const typed = frameColumns(raw, "ts");
  assert.deepEqual(typed.axes, AXES);
  typed.values.forEach((column, k) => assert.deepEqual(Array.from(column), Array.from(values[k])));

  const profile = analyze(raw, "ts");
  assert.deepEqual(profile, profileColumns(time, AXES, values));

  const prepared = prepare(raw, { interpolate: true });
  const core = prepareColumns(time, AXES, values, { interpolate: true, timeCol: "ts" });
  assert.deepEqual(prepared.stats, core.stats);
  const preparedColumns = [["time_s", core.columns.timeS], ...AXES.map((axis, k) => [axis, core.columns.values[k]] as const)] as const;
  assertFrame(prepared.frame, preparedColumns);
  assertFrame(preparedToDataFrame(core.columns), preparedColumns);

  const models = train(prepared.frame, AXES);
  assert.deepEqual(models, trainColumns(core.columns.timeS, AXES, core.columns.values));
  assert.ok(models.models[0].intercept > 900 && models.models[2].intercept < 10, "the fit of \"10\" is on its own scale");

  const predicted = predict(prepared.frame, models);
  const prediction = predictColumns(core.columns.timeS, models, core.columns.values);
  const predictedColumns = [
    ["time_s", prediction.timeS],
    ...AXES.map((axis, k) => [axis, prediction.actual[k]] as const),
    ...AXES.map((axis, k) => [`${axis}_pred`, prediction.predicted[k]] as const),
    ...AXES.map((axis, k) => [`${axis}_res`, prediction.residual[k]] as const),
  ] as const;
  assertFrame(predicted, predictedColumns);
  assertFrame(predictionToDataFrame(prediction), predictedColumns);
  assert.deepEqual(predictionFromDataFrame(predicted, AXES, "test"), prediction);

  const metrics = evaluateColumns(prediction);
  const metricsColumns = [
    ["axis", AXES],
    ["r2", metrics.map((m) => m.r2)],
    ["mae", metrics.map((m) => m.mae)],
    ["rmse", metrics.map((m) => m.rmse)],
  ] as const;
  assertFrame(evaluate(predicted, AXES), metricsColumns);
  assertFrame(metricsToDataFrame(metrics), metricsColumns);

  assert.deepEqual(
    calibrateThresholds(predicted, AXES, profile.dt_seconds, DEFAULT_THRESHOLD_POLICY),
    calibrateColumns(prediction, profile.dt_seconds, DEFAULT_THRESHOLD_POLICY),
  );
});
