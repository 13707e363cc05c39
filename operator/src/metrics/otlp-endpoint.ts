/**
 * What the control plane's OpenTelemetry exports share (metric sinks, otel-readers.ts; traces, traces/tracer.ts): the
 * collector's URL for an EnvoyGateway configuration sink, and the resource that names the process. Loaded only with
 * those (they are loaded only when configured, ADR 0028).
 */
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";

/** `service.name` of the control plane's telemetry (Envoy Gateway's trace resource). */
export const CONTROL_PLANE_SERVICE_NAME = "envoy-gateway";

/** The resource of the control plane's metrics and spans. */
export function controlPlaneResource(): Resource {
  return resourceFromAttributes({ "service.name": CONTROL_PLANE_SERVICE_NAME });
}

/**
 * The plaintext URL of `sink` (Envoy Gateway's exporters are insecure too): `http://host:port` for gRPC, and the
 * signal's path (`v1/metrics`, `v1/traces`) for OTLP/HTTP.
 */
export function otlpUrl(sink: OtelSinkConfig, httpPath: string): string {
  const host = sink.host.includes(":") && !sink.host.startsWith("[") ? `[${sink.host}]` : sink.host;
  const base = `http://${host}:${sink.port}`;
  return sink.protocol === "grpc" ? base : `${base}/${httpPath}`;
}
