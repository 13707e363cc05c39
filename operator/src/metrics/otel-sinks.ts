/**
 * The EnvoyGateway configuration's `telemetry.metrics.sinks`: the control plane's metric families (the registry
 * `/metrics` renders) pushed to OpenTelemetry collectors, as Envoy Gateway's metrics runner does (otel-readers.ts:
 * one periodic OTLP reader per sink). The OpenTelemetry metrics SDK and its exporters are loaded only when a sink
 * is configured (ADR 0028): a controller without sinks does not carry them (about 3 MiB of heap, 6 MiB of RSS).
 */
import { diag } from "@opentelemetry/api";
import type { Registry } from "prom-client";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";

/** Envoy Gateway's (the OpenTelemetry SDK's) export interval when `exportInterval` is not set. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** Envoy Gateway's (the OpenTelemetry SDK's) export timeout when `exportTimeout` is not set. */
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

/** Running metric sinks. */
export interface MetricSinks {
  /** Exports once more now, then stops every reader (what is not sent within `timeoutMs` is dropped). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Starts one periodic OTLP export of `registry` per sink; `undefined` without sinks. The readers start once the
 * SDK is loaded (a moment later); a failure to start them goes to the OpenTelemetry diagnostics (the log).
 */
export function startMetricSinks(registry: Registry, sinks: readonly OtelSinkConfig[]): MetricSinks | undefined {
  if (sinks.length === 0) return undefined;
  const started = import("./otel-readers").then(({ startReaders }) => startReaders(registry, sinks));
  started.catch((err: unknown) => diag.error("control-plane metric sinks did not start", err));
  return {
    shutdown: async (timeoutMs = 5_000) => {
      const readers = await started.catch(() => undefined);
      await readers?.shutdown(timeoutMs);
    },
  };
}
