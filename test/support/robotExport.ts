/**
 * The real robot export (test/fixtures/RMBR4-2_export_test.csv, 39,672 rows × 8 axes, one sample
 * about every 1.9 s), read in-process as a prepared window.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { prepareColumns } from "../../lib/stages/prepare";
import type { PreparedColumns } from "../../lib/shapes/types";

/** The axis columns of the export. */
export const ROBOT_AXES = ["axis_1", "axis_2", "axis_3", "axis_4", "axis_5", "axis_6", "axis_7", "axis_8"];

/** The training window's end the scoring golden test uses: the first 80% of the rows (31,736). */
export const ROBOT_TRAIN_END = "2022-10-18T06:18:17.080Z";

/** "2022-10-17 12:18:23.660000+00:00" → epoch seconds as pandas computes them: float(int64 ns) / 1e9. */
export const robotSeconds = (text: string): number => Number(BigInt(Date.parse(text.replace(" ", "T"))) * 1_000_000n) / 1e9;

/** The whole export as a prepared window (`time_s` from its first row), its dt, and the rows before {@link ROBOT_TRAIN_END}. */
export function robotWindow(): { readonly columns: PreparedColumns; readonly dtSeconds: number; readonly trainRows: number; readonly time: Float64Array } {
  const records = parse(readFileSync(join(__dirname, "..", "fixtures", "RMBR4-2_export_test.csv")), { columns: true }) as Record<string, string>[];
  const time = Float64Array.from(records, (r) => robotSeconds(r.recorded_at));
  const values = ROBOT_AXES.map((axis) => Float64Array.from(records, (r) => Number(r[axis])));
  const { columns, stats } = prepareColumns(time, ROBOT_AXES, values, { timeCol: "recorded_at", timeType: "timestamptz" });
  const end = robotSeconds(ROBOT_TRAIN_END.replace("T", " ").replace("Z", "+00:00"));
  return { columns, dtSeconds: stats.dt_seconds, trainRows: time.findIndex((t) => t >= end), time };
}
