/**
 * TracingIr → the HTTP connection manager's `tracing`, in Envoy Gateway's shape: the provider
 * (`envoy.tracers.opentelemetry` over the cluster's gRPC with the service name and headers; `envoy.tracers.zipkin`
 * posting HTTP JSON to `/api/v2/spans`; the OpenTelemetry resource attributes as a static resource detector and
 * its sampler, tracing-sampler.ts; `envoy.tracers.datadog` with the service name), client sampling 0% unless
 * set, random sampling the IR's rate, overall sampling 100% unless set, the custom tags, an upstream span per
 * request (`spawn_upstream_span`), and the span names when set.
 */
import type { HttpConnectionManager_Tracing } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type * as ZipkinProto from "../../../../proto/gen/envoy/config/trace/v3/zipkin";
import { protoModule } from "../../../../proto/lazy";
import { pack } from "../../../../proto/any";
import type { Route } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { RouteTracingIr, TracingIr, TracingTagIr } from "../../ir/telemetry-ir";
import { fractionalPercentOf } from "./security-fields";
import { DatadogTracerType, OpenTelemetryTracerType, ZipkinTracerType } from "../extension-types";
import { envoyGrpcService } from "./access-log-grpc";
import { STATIC_RESOURCE_DETECTOR, StaticConfigResourceDetectorType } from "./tracing-resource-detector";
import { samplerOf } from "./tracing-sampler";

const zipkinProto = protoModule<typeof ZipkinProto>("envoy/config/trace/v3/zipkin");

/** Zipkin's v2 span API path. */
const ZIPKIN_ENDPOINT = "/api/v2/spans";

/** The provider's name and typed config. */
function providerOf(t: TracingIr): { name: string; typedConfig: unknown } {
  switch (t.provider) {
    case "OpenTelemetry":
      return {
        name: "envoy.tracers.opentelemetry",
        typedConfig: pack(
          OpenTelemetryTracerType,
          OpenTelemetryTracerType.codec.fromPartial({
            grpcService: envoyGrpcService(t.cluster, t.authority, t.headers),
            serviceName: t.serviceName,
            ...resourceDetectorsOf(t.resourceAttributes),
            ...(t.sampler ? { sampler: samplerOf(t.sampler) } : {}),
          } as never),
        ),
      };
    case "Zipkin":
      return {
        name: "envoy.tracers.zipkin",
        typedConfig: pack(
          ZipkinTracerType,
          ZipkinTracerType.codec.fromPartial({
            collectorCluster: t.cluster,
            collectorEndpoint: ZIPKIN_ENDPOINT,
            traceId128bit: t.zipkinTraceId128 === true,
            sharedSpanContext: t.zipkinSharedSpanContext !== false,
            collectorEndpointVersion: zipkinProto().ZipkinConfig_CollectorEndpointVersion.HTTP_JSON,
          } as never),
        ),
      };
    case "Datadog":
      return {
        name: "envoy.tracers.datadog",
        typedConfig: pack(
          DatadogTracerType,
          DatadogTracerType.codec.fromPartial({ collectorCluster: t.cluster, serviceName: t.serviceName } as never),
        ),
      };
  }
}

/** The OpenTelemetry tracer's static resource detector for `attributes` (none when there are none). */
function resourceDetectorsOf(attributes: Readonly<Record<string, string>> | undefined): {
  resourceDetectors?: unknown[];
} {
  if (!attributes || Object.keys(attributes).length === 0) return {};
  const config = StaticConfigResourceDetectorType.codec.fromPartial({ attributes } as never);
  return {
    resourceDetectors: [
      { name: STATIC_RESOURCE_DETECTOR, typedConfig: pack(StaticConfigResourceDetectorType, config) },
    ],
  };
}

/** Envoy's CustomTag of a tag. */
function customTag(t: TracingTagIr): Record<string, unknown> {
  if ("literal" in t) return { tag: t.tag, literal: { value: t.literal } };
  if ("environment" in t) return { tag: t.tag, environment: t.environment };
  if ("requestHeader" in t) return { tag: t.tag, requestHeader: t.requestHeader };
  return { tag: t.tag, value: t.format };
}

/** The HCM's `tracing` field for the listener's tracing (absent when it has none). */
export function tracingField(t: TracingIr | undefined): { tracing?: Partial<HttpConnectionManager_Tracing> } {
  if (!t) return {};
  return {
    tracing: {
      clientSampling: { value: t.clientSamplingPercent ?? 0 },
      randomSampling: { value: t.samplingPercent },
      overallSampling: { value: t.overallSamplingPercent ?? 100 },
      provider: providerOf(t),
      customTags: t.tags.map(customTag),
      spawnUpstreamSpan: true,
      ...(t.spanName ? { operation: t.spanName.client, upstreamOperation: t.spanName.server } : {}),
    } as unknown as Partial<HttpConnectionManager_Tracing>,
  };
}

/** The Route's `tracing` field for a route's own tracing (absent when it has none). */
export function routeTracingField(t: RouteTracingIr | undefined): { tracing?: Route["tracing"] } {
  if (!t) return {};
  return {
    tracing: {
      clientSampling: fractionalPercentOf(t.clientSampling),
      ...(t.randomSampling ? { randomSampling: fractionalPercentOf(t.randomSampling) } : {}),
      ...(t.overallSampling ? { overallSampling: fractionalPercentOf(t.overallSampling) } : {}),
      customTags: t.tags.map(customTag),
    } as unknown as Route["tracing"],
  };
}
