/**
 * The selection cases whose `selection.json` is pinned byte for byte (test/selectionPinned.test.ts):
 * `model.type: auto` + `scoring.statistic: auto` on the real robot export and on the demo data, with and
 * without `thresholds.target_alarms_per_day` and `scoring.max_gap_seconds`. The text is what the registry
 * writes (`encodeArtifacts`' `selection`), so equal text here is an equal file in a version.
 *
 * `npx tsx test/support/selectionCases.ts --write` rewrites test/fixtures/selection/*.json from the
 * code as it is (done once on the code before selection was made fast: the fixtures are the old output).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_MODEL_CONFIG, DEFAULT_THRESHOLD_POLICY } from "../../lib/shapes/config";
import { encodeArtifacts } from "../../lib/registry/artifactText";
import { generateDemoData } from "../../lib/db/demoData";
import { prepareColumns } from "../../lib/stages/prepare";
import { runSelection, type SelectionConfig } from "../../lib/selection/runSelection";
import type { Config, PreparedColumns } from "../../lib/shapes/types";
import type { Selection } from "../../lib/shapes/artifacts";
import { robotWindow } from "./robotExport";

/** Where the pinned texts live. */
export const SELECTION_FIXTURES = join(__dirname, "..", "fixtures", "selection");

/** One pinned case: a window, its dt and the config sections selection reads. */
export interface SelectionCase {
  readonly name: string;
  readonly window: () => { readonly columns: PreparedColumns; readonly dtSeconds: number };
  readonly config: SelectionConfig;
}

function autoConfig(overrides: { target?: number | null; maxGap?: number | null; statistic?: string } = {}): SelectionConfig {
  return {
    model: { ...DEFAULT_MODEL_CONFIG, type: "auto" } as Config["model"],
    scoring: {
      events_table: "mlbox_events",
      poll_seconds: 5,
      max_gap_seconds: overrides.maxGap ?? null,
      statistic: overrides.statistic ?? "auto",
      ewma_alpha: 0.1,
      cusum_k: 0.5,
    } as Config["scoring"],
    thresholds: { ...DEFAULT_THRESHOLD_POLICY, target_alarms_per_day: overrides.target ?? null },
    selection: { validation_fraction: 0.2, seed: 1 },
  };
}

const robot = (): { columns: PreparedColumns; dtSeconds: number } => {
  const { columns, dtSeconds } = robotWindow();
  return { columns, dtSeconds };
};

const demo = (): { columns: PreparedColumns; dtSeconds: number } => {
  const data = generateDemoData();
  const { columns, stats } = prepareColumns(data.time, data.axes, data.values, { timeType: "timestamptz" });
  return { columns, dtSeconds: stats.dt_seconds };
};

/** The pinned cases. */
export const SELECTION_CASES: readonly SelectionCase[] = Object.freeze([
  { name: "robot-auto-auto", window: robot, config: autoConfig() },
  { name: "robot-auto-auto-target", window: robot, config: autoConfig({ target: 3 }) },
  { name: "demo-auto-auto", window: demo, config: autoConfig() },
  { name: "demo-auto-residual-gap", window: demo, config: autoConfig({ statistic: "residual", maxGap: 30, target: 1 }) },
]);

/** The `selection.json` text of a case, as the registry writes it. */
export function selectionText(c: SelectionCase): string {
  const { columns, dtSeconds } = c.window();
  return encodedSelection(runSelection(columns, dtSeconds, c.config).selection);
}

/** `selection.json`'s text as the registry writes it. */
export function encodedSelection(selection: Selection): string {
  // encodeArtifacts checks the whole version; a one-axis stand-in carries the selection through.
  const axis = { axis: "a", coef: 0, intercept: 0, samples_used: 2 };
  const texts = encodeArtifacts({
    models: { type: "linear", models: [axis] } as never,
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
    thresholds: { a: { MinC: 1, MaxC: 2, T_long_steps: 1, T_short_steps: 1, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "x" } } } as never,
    metrics: [{ axis: "a", r2: 0, mae: 0, rmse: 0 }] as never,
    meta: {
      model: { type: "linear" },
      saved_at: "2026-01-01T00:00:00.000Z",
      data: { table: "t", time_col: "ts", time_type: "float", layout: "wide", axes: ["a"], train_start: 0, train_end: 1 },
      prep: { interpolate: false },
      rows: { raw: 2, train: 2 },
      lineage: { config_path: "/c.yaml", config_sha256: "0".repeat(64), data_fingerprint: "f", package_version: "0", git_commit: null, database: "embedded" },
    } as never,
    selection,
  });
  return texts.selection as string;
}

if (require.main === module && process.argv[2] === "--write") {
  mkdirSync(SELECTION_FIXTURES, { recursive: true });
  for (const c of SELECTION_CASES) {
    const started = performance.now();
    writeFileSync(join(SELECTION_FIXTURES, `${c.name}.json`), selectionText(c));
    console.log(`${c.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
