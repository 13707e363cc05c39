/**
 * The OTLP readers of `telemetry.metrics.sinks` (loaded by otel-sinks.ts only when a sink is configured), as Envoy
 * Gateway's metrics runner: one periodic reader per sink, OTLP over gRPC or OTLP/HTTP (protobuf), plaintext, every
 * `exportInterval` (60 s by default), each export given `exportTimeout` (30 s by default). The metrics are read
 * through otel-bridge.ts; the SDK's own meter provider has no instruments, it only carries the resource and drives
 * the readers.
 */
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import type { Registry } from "prom-client";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import { promMetricProducer } from "./otel-bridge";
import { DEFAULT_METRIC_EXPORT_INTERVAL_MS, DEFAULT_METRIC_EXPORT_TIMEOUT_MS, type MetricSinks } from "./otel-sinks";
import { controlPlaneResource, otlpUrl } from "./otlp-endpoint";

/** Starts one periodic OTLP export of `registry` per sink (at least one). */
export function startReaders(registry: Registry, sinks: readonly OtelSinkConfig[]): MetricSinks {
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
