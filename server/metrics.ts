/**
 * Prometheus metrics of the scoring service (prom-client), on a registry of
 * its own so that two services in one process (tests) never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The service's metrics. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Samples scored, all streams. */
  readonly samplesScored: Counter<string>;
  /** Events fired, by stream, axis and level. */
  readonly eventsFired: Counter<"stream" | "axis" | "level">;
  /** Events open now (fired, not yet ended), by stream, axis and level. */
  readonly openEvents: Gauge<"stream" | "axis" | "level">;
  /** Incidents open now (scoring.incidents_table), by stream and severity. */
  readonly incidentsOpen: Gauge<"stream" | "severity">;
  /** Request latency by route and status code. */
  readonly requestSeconds: Histogram<"route" | "status">;
  /** Rejected requests by reason code. */
  readonly rejected: Counter<"reason">;
  /** 1 for the version being served. */
  readonly modelInfo: Gauge<"version">;
  /** Switches to a newer registered version. */
  readonly modelSwitches: Counter<string>;
  /** Streams with state in memory. */
  readonly streams: Gauge<string>;
  /** Notification sends (server/notifier.ts) by outcome (delivered, retried, failed) and receiver (alertmanager, webhook). */
  readonly notifications: Counter<"outcome" | "receiver">;
}

/** Creates the metrics, with Node's default process metrics, prefixed `mlbox_`. */
export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "mlbox_" });
  const registers = [registry];
  return {
    registry,
    samplesScored: new Counter({ name: "mlbox_samples_scored_total", help: "Samples scored.", registers }),
    eventsFired: new Counter({ name: "mlbox_events_total", help: "Events fired, by stream, axis and level.", labelNames: ["stream", "axis", "level"], registers }),
    openEvents: new Gauge({ name: "mlbox_open_events", help: "Events fired and not yet ended, by stream, axis and level.", labelNames: ["stream", "axis", "level"], registers }),
    incidentsOpen: new Gauge({ name: "mlbox_incidents_open", help: "Incidents open, by stream and severity.", labelNames: ["stream", "severity"], registers }),
    requestSeconds: new Histogram({
      name: "mlbox_request_duration_seconds",
      help: "Request latency in seconds, by route and status code.",
      labelNames: ["route", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    rejected: new Counter({ name: "mlbox_rejected_requests_total", help: "Requests rejected as bad, by reason.", labelNames: ["reason"], registers }),
    modelInfo: new Gauge({ name: "mlbox_model_info", help: "1 for the model version served.", labelNames: ["version"], registers }),
    modelSwitches: new Counter({ name: "mlbox_model_switches_total", help: "Switches to a newer registered version.", registers }),
    streams: new Gauge({ name: "mlbox_streams", help: "Streams with scoring state in memory.", registers }),
    notifications: new Counter({
      name: "mlbox_notifications_total",
      help: "Notification sends, by outcome (delivered, retried, failed: refused by the receiver) and receiver.",
      labelNames: ["outcome", "receiver"],
      registers,
    }),
  };
}
