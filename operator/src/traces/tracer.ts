/**
 * The EnvoyGateway configuration's `telemetry.traces`: a tracer whose spans (pass-trace.ts: the pipeline's
 * stages) go to an OpenTelemetry collector, as Envoy Gateway's traces runner does: resource `service.name:
 * envoy-gateway`, OTLP over gRPC or OTLP/HTTP (protobuf), plaintext, a batch span processor that sends every
 * `exportInterval` (5 s by default) with `exportTimeout` (30 s by default), and a trace-id ratio sampler at
 * `samplingRate` (every trace without it).
 */
import type { Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { OtelSinkConfig, TracesConfig } from "../config/envoy-gateway-telemetry";
import { controlPlaneResource, otlpUrl } from "../metrics/otlp-endpoint";

/** The instrumentation scope of the pipeline's spans. */
export const TRACER_NAME = "egts/pipeline";
/** The batch delay when `exportInterval` is not set (the OpenTelemetry SDK's, as in Envoy Gateway). */
export const DEFAULT_SPAN_EXPORT_INTERVAL_MS = 5_000;
/** The export timeout when `exportTimeout` is not set (the OpenTelemetry SDK's). */
export const DEFAULT_SPAN_EXPORT_TIMEOUT_MS = 30_000;

/** A running tracer. */
export interface ControlPlaneTracing {
  /** Where the pipeline starts its spans. */
  readonly tracer: Tracer;
  /** Sends the spans still batched (within `timeoutMs`) and stops. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Starts the tracer of `config`. */
export function startTracing(config: TracesConfig): ControlPlaneTracing {
  const sink = config.sink;
  const exportTimeoutMillis = sink.exportTimeoutMs ?? DEFAULT_SPAN_EXPORT_TIMEOUT_MS;
  const provider = new TracerProvider({
    resource: controlPlaneResource(),
    // The whole pass is kept or dropped: its stages follow the root's decision.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplingRatio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: spanExporter(sink, exportTimeoutMillis),
        scheduledDelayMillis: sink.exportIntervalMs ?? DEFAULT_SPAN_EXPORT_INTERVAL_MS,
        exportTimeoutMillis,
      }),
    ],
  });
  return {
    tracer: provider.getTracer(TRACER_NAME),
    shutdown: async (timeoutMs = 5_000) => {
      await Promise.race([provider.shutdown(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
}

/** The OTLP exporter of the sink. */
function spanExporter(sink: OtelSinkConfig, timeoutMillis: number): SpanExporter {
  const url = otlpUrl(sink, "v1/traces");
  return sink.protocol === "grpc"
    ? new GrpcTraceExporter({ url, timeoutMillis })
    : new ProtoTraceExporter({ url, timeoutMillis });
}
