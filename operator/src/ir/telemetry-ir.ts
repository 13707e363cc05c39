/**
 * The remote telemetry of a node, from its EnvoyProxy's `telemetry` (Envoy Gateway's tracing, gRPC access log
 * sinks and OpenTelemetry stat sinks), as plain readonly data. Each names the cluster it sends to: the cluster
 * itself is one of the node's {@link ClusterIr}s (`tracing`, `accesslog_als_<i>_<j>`, `accesslog_otel_<i>_<j>`:
 * Envoy Gateway's names), except the stat sinks', which the bootstrap defines.
 */

import type { PercentIr } from "./security-ir";

/** A gRPC header sent with every export (Envoy's `initial_metadata`). */
export interface HeaderIr {
  /** Header name. */
  readonly name: string;
  /** Header value. */
  readonly value: string;
}

/** A span tag of every span: a literal, an environment variable, a request header, or an Envoy format string. */
export type TracingTagIr =
  | { readonly tag: string; readonly literal: string }
  | { readonly tag: string; readonly environment: { readonly name: string; readonly defaultValue: string } }
  | { readonly tag: string; readonly requestHeader: { readonly name: string; readonly defaultValue: string } }
  | { readonly tag: string; readonly format: string };

/** Tracing of every HTTP request of a listener (the HTTP connection manager's `tracing`). */
export interface TracingIr {
  /** The tracer. */
  readonly provider: "OpenTelemetry" | "Zipkin" | "Datadog";
  /** The cluster the spans go to. */
  readonly cluster: string;
  /** The authority of OTLP gRPC calls ("" when the collector is named by an IP address). */
  readonly authority: string;
  /** The service name of the spans (OpenTelemetry, Datadog): `<gateway>.<namespace>`, the class name when merged. */
  readonly serviceName: string;
  /** Share of requests traced when no decision was made upstream, percent (0 to 100). */
  readonly samplingPercent: number;
  /** Share of client-forced traces kept, percent. @default 0 (Envoy Gateway ignores client-forced tracing) */
  readonly clientSamplingPercent?: number;
  /** Share of traces kept after the others, percent. @default 100 */
  readonly overallSamplingPercent?: number;
  /** Tags on every span, sorted by tag. */
  readonly tags: readonly TracingTagIr[];
  /** Headers sent with each OTLP export. @default none */
  readonly headers?: readonly HeaderIr[];
  /** OpenTelemetry: the resource's attributes (a static resource detector), sorted by name. @default none */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** OpenTelemetry: the tracer's sampler (the listener's random sampling is then 100%). @default none */
  readonly sampler?: OTelSamplerIr;
  /** Zipkin: 128-bit trace ids. @default false */
  readonly zipkinTraceId128?: boolean;
  /** Zipkin: client and server spans share one span context. @default true */
  readonly zipkinSharedSpanContext?: boolean;
  /** Span names: the downstream (`client`) and upstream (`server`) operation. @default the tracer's */
  readonly spanName?: { readonly client: string; readonly server: string };
}

/** The OpenTelemetry tracer's sampler (Envoy Gateway's OTelSampler, OTEL_TRACES_SAMPLER's names). */
export interface OTelSamplerIr {
  /** The sampler. */
  readonly type:
    | "AlwaysOn"
    | "AlwaysOff"
    | "TraceIdRatio"
    | "ParentBasedAlwaysOn"
    | "ParentBasedAlwaysOff"
    | "ParentBasedTraceIdRatio";
  /** The share of traces sampled (the TraceIdRatio types). @default 100% */
  readonly percentage?: PercentIr;
}

/** An access log sink reached over gRPC: the Access Log Service (ALS) or OpenTelemetry (OTLP logs). */
export type GrpcAccessLogSinkIr =
  | {
      /** Envoy's gRPC access log service (`envoy.service.accesslog.v3.AccessLogService`). */
      readonly kind: "als";
      /** The cluster the entries go to. */
      readonly cluster: string;
      /** `identifier.log_name` of the stream: the sink's `logName`, else `<EnvoyProxy namespace>/<name>`. */
      readonly logName: string;
      /** HTTP entries (`http_grpc`) or TCP entries (`tcp_grpc`). */
      readonly type: "HTTP" | "TCP";
      /** HTTP: request headers, response headers and trailers added to each entry. @default none */
      readonly requestHeaders?: readonly string[];
      /** HTTP: response headers added to each entry. @default none */
      readonly responseHeaders?: readonly string[];
      /** HTTP: response trailers added to each entry. @default none */
      readonly responseTrailers?: readonly string[];
    }
  | {
      /** OTLP logs (`envoy.access_loggers.open_telemetry`). */
      readonly kind: "otel";
      /** The cluster the records go to. */
      readonly cluster: string;
      /** The authority of the gRPC calls ("" when the collector is named by an IP address). */
      readonly authority: string;
      /** The record's body (an Envoy format string). @default none */
      readonly body?: string;
      /** The record's attributes (name → Envoy format string), sorted by name. */
      readonly attributes: Readonly<Record<string, string>>;
      /** The resource's attributes, sorted by name. @default none */
      readonly resourceAttributes?: Readonly<Record<string, string>>;
      /** Headers sent with each export. @default none */
      readonly headers?: readonly HeaderIr[];
    };

/** An OpenTelemetry stat sink of the proxies (bootstrap `stats_sinks`, cluster `otel_metric_sink_<i>`). */
export interface MetricSinkIr {
  /** The collector's host (IP address or DNS name). */
  readonly host: string;
  /** The collector's OTLP gRPC port. */
  readonly port: number;
  /** The authority of the gRPC calls. @default none */
  readonly authority?: string;
  /** Counters as deltas since the last flush. @default false */
  readonly reportCountersAsDeltas?: boolean;
  /** Histograms as deltas since the last flush. @default false */
  readonly reportHistogramsAsDeltas?: boolean;
  /** Headers sent with each export. @default none */
  readonly headers?: readonly HeaderIr[];
  /** The resource's attributes (a static resource detector). @default none */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
}

/**
 * Tracing settings of one route (BackendTrafficPolicy `telemetry.tracing`), over its listener's tracing: Envoy's
 * Route `tracing`.
 */
export interface RouteTracingIr {
  /** Share of client-forced traces kept (`clientSamplingFraction`; 0 when unset, as Envoy Gateway). */
  readonly clientSampling: PercentIr;
  /** Share of requests traced (`samplingFraction`). @default the listener's */
  readonly randomSampling?: PercentIr;
  /** Share of traces kept after the others (`overallSamplingFraction`). @default the listener's */
  readonly overallSampling?: PercentIr;
  /** Tags added on this route's spans, sorted by tag. */
  readonly tags: readonly TracingTagIr[];
}
