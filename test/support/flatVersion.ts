/**
 * A registrable version whose trend lines are y = 0 (so residual = value), for the service and registry tests:
 * alert at ≥ MinC for 3 samples, error at ≥ MaxC (2) for 2, float-seconds time, 1 s steps.
 */
import { DEFAULT_THRESHOLD_POLICY } from "../../lib/shapes/config";
import type { RegisterOptions } from "../../lib/registry";

/** Options of {@link flatVersion}; defaults: axes axis1 and axis2, MinC 1 on every axis. */
export interface FlatVersionOptions {
  readonly axes?: readonly string[];
  /** MinC on every axis, or per axis. */
  readonly minC?: number | ((axis: string) => number);
  /** Anything else of the registration (a fixed `versionTag`, …). */
  readonly extra?: Partial<RegisterOptions>;
}

export function flatVersion(rootDir: string, options: FlatVersionOptions = {}): RegisterOptions {
  const { axes = ["axis1", "axis2"], minC = 1, extra = {} } = options;
  const minFor = typeof minC === "number" ? () => minC : minC;
  return {
    rootDir,
    versionTag: "auto",
    models: { type: "linear", models: axes.map((axis) => ({ axis, coef: 0, intercept: 0, samples_used: 10 })) },
    prepStats: { time0: 0, time_col: "ts", time_type: "float", dt_seconds: 1, interpolate: false },
    thresholds: Object.fromEntries(
      axes.map((axis) => [axis, { MinC: minFor(axis), MaxC: 2, T_long_steps: 3, T_short_steps: 2, dt_seconds: 1, policy: DEFAULT_THRESHOLD_POLICY, meta: { method: "test" } }]),
    ),
    metrics: axes.map((axis) => ({ axis, r2: 1, mae: 0, rmse: 0 })),
    meta: {
      data: { table: "t", time_col: "ts", time_type: "float", layout: "wide", axes: [...axes], train_start: 0, train_end: 10 },
      prep: { interpolate: false },
      rows: { raw: 10, train: 10 },
      lineage: { config_path: "/c.yaml", config_sha256: "a".repeat(64), data_fingerprint: "b".repeat(64), database: "embedded", git_commit: null },
    },
    ...extra,
  };
}
