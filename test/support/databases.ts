/**
 * Test helpers: a full `Config` for database tests and the two database
 * backends every extraction behaviour is checked against — the real
 * PostgreSQL 15 test server (through `connect`, like production) and an
 * in-memory PGlite.
 */
import type { Kysely } from "kysely";
import { connect } from "../../lib/db/connect";
import { kyselyForPGlite, openPGlite } from "../../lib/db/pglite";
import type { Config, DataConfig } from "../../lib/shapes/types";
import { sharedPostgres } from "./postgres";
import { DEFAULT_ALERTING, DEFAULT_MODEL_CONFIG, DEFAULT_THRESHOLD_POLICY } from "../../lib/shapes/config";

/** A config with the documented defaults, for tests; override what matters. */
export function testConfig(overrides: { readonly url_env?: string; readonly embedded_dir?: string; readonly data?: DataConfig } = {}): Config {
  const { url_env = "MLBOX_TEST_DB_URL", embedded_dir = "/nonexistent/mlbox-embedded", data } = overrides;
  return {
    database: { url_env, embedded_dir },
    data: data ?? { table: "stream_samples_wide", time_col: "ts", axes: ["axis1"], train_start: "2022-10-17T12:00:00Z", train_end: "2022-10-18T12:00:00Z" },
    prep: { interpolate: false },
    model: DEFAULT_MODEL_CONFIG,
    thresholds: DEFAULT_THRESHOLD_POLICY,
    selection: { validation_fraction: 0.2, seed: 1 },
    registry: { root_dir: "/nonexistent/registry", version_tag: "auto" },
    plots: { enabled: false, dir: "/nonexistent/out" },
    scoring: { events_table: "mlbox_events", incidents_table: "mlbox_incidents", poll_seconds: 5, max_gap_seconds: null, on_bad_row: "stop", statistic: "residual", ewma_alpha: 0.1, cusum_k: 0.5 },
    serving: { alias: "production" },
    incidents: { merge_seconds: 300 },
    alerting: DEFAULT_ALERTING,
    compute: { mode: "auto", memory_budget_mb: 1024 },
    source_path: "/nonexistent/config.yaml",
    source_sha256: "0".repeat(64),
  };
}

/** One backend under test. */
export interface TestDatabase {
  readonly name: "postgres" | "pglite";
  readonly db: Kysely<any>;
  /** The password in the server URL ("" for PGlite): must never appear in messages. */
  readonly secret: string;
}

/** Opens the real PostgreSQL server through `connect`. */
export async function openPostgres(): Promise<TestDatabase> {
  const server = await sharedPostgres();
  const envName = "MLBOX_TEST_DB_URL";
  process.env[envName] = server.url;
  const db = await connect(testConfig({ url_env: envName }).database);
  return { name: "postgres", db, secret: decodeURIComponent(new URL(server.url).password) };
}

/** Opens a fresh in-memory PGlite. */
export async function openPGliteMemory(): Promise<TestDatabase> {
  return { name: "pglite", db: kyselyForPGlite(await openPGlite()), secret: "" };
}

/** The backends every behaviour runs against, in order. */
export const BACKENDS: readonly { readonly name: "postgres" | "pglite"; readonly open: () => Promise<TestDatabase> }[] = [
  { name: "postgres", open: openPostgres },
  { name: "pglite", open: openPGliteMemory },
];
