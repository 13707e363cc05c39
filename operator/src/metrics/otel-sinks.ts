/**
 * The EnvoyGateway configuration's `telemetry.metrics.sinks`: the control plane's metric families (the registry
 * `/metrics` renders) pushed to OpenTelemetry collectors, as Envoy Gateway's metrics runner does: one periodic
 * reader per sink, OTLP over gRPC or OTLP/HTTP (protobuf), plaintext, every `exportInterval` (60 s by default),
 * each export given `exportTimeout` (30 s by default). The metrics are read through otel-bridge.ts; the SDK's own
 * meter provider has no instruments, it only carries the resource and drives the readers.
 */
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import type { Registry } from "prom-client";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import { promMetricProducer } from "./otel-bridge";
import { controlPlaneResource, otlpUrl } from "./otlp-endpoint";

/** Envoy Gateway's (the OpenTelemetry SDK's) export interval when `exportInterval` is not set. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** Envoy Gateway's (the OpenTelemetry SDK's) export timeout when `exportTimeout` is not set. */
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

/** Running metric sinks. */
export interface MetricSinks {
  /** Exports once more now, then stops every reader (what is not sent within `timeoutMs` is dropped). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Starts one periodic OTLP export of `registry` per sink; `undefined` without sinks. */
export function startMetricSinks(registry: Registry, sinks: readonly OtelSinkConfig[]): MetricSinks | undefined {
  if (sinks.length === 0) return undefined;
  const resource = controlPlaneResource();
  const producer = promMetricProducer(registry, resource);
  const readers = sinks.map((sink) => {
    const exportTimeoutMillis = sink.exportTimeoutMs ?? DEFAULT_METRIC_EXPORT_TIMEOUT_MS;
    const exportIntervalMillis = sink.exportIntervalMs ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
    return new PeriodicExportingMetricReader({
      exporter: metricExporter(sink, exportTimeoutMillis),
      exportIntervalMillis,
      // The SDK refuses a timeout above the interval: an export never outlives the next one's start.
      exportTimeoutMillis: Math.min(exportTimeoutMillis, exportIntervalMillis),
      metricProducers: [producer],
    });
  });
  const provider = new MeterProvider({ resource, readers });
  return {
    shutdown: async (timeoutMs = 5_000) => {
      await Promise.race([provider.shutdown(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
}

/** The OTLP exporter of one sink. */
function metricExporter(sink: OtelSinkConfig, timeoutMillis: number): PushMetricExporter {
  const url = otlpUrl(sink, "v1/metrics");
  return sink.protocol === "grpc"
    ? new GrpcMetricExporter({ url, timeoutMillis })
    : new ProtoMetricExporter({ url, timeoutMillis });
}
