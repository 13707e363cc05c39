/**
 * The gRPC access loggers of the IR's ALS and OpenTelemetry sinks, in Envoy Gateway's shape: ALS as
 * `envoy.access_loggers.http_grpc` (HTTP entries, with the extra headers and trailers) or
 * `envoy.access_loggers.tcp_grpc` (TCP entries), API version V3; OpenTelemetry as
 * `envoy.access_loggers.open_telemetry` with log name `otel_envoy_accesslog`, the body and attributes as format
 * strings (Envoy Gateway's default JSON fields when neither is set), always led by `k8s.namespace.name` and
 * `k8s.pod.name` read from the proxy's `ENVOY_POD_NAMESPACE` and `ENVOY_POD_NAME` environment.
 */
import type { AccessLog, AccessLogFilter } from "../../../../proto/gen/envoy/config/accesslog/v3/accesslog";
import { ApiVersion } from "../../../../proto/gen/envoy/config/core/v3/config_source";
import { pack } from "../../../../proto/any";
import type { GrpcAccessLogSinkIr, HeaderIr } from "../../ir/telemetry-ir";
import { HttpGrpcAccessLogType, OpenTelemetryAccessLogType, TcpGrpcAccessLogType } from "../extension-types";
import { DEFAULT_ACCESS_LOG_FIELDS } from "./access-log";

/** Envoy Gateway's log name of its OpenTelemetry access logs. */
const OTEL_LOG_NAME = "otel_envoy_accesslog";

/** The attributes every OpenTelemetry record starts with (Envoy Gateway's Kubernetes labels). */
const KUBERNETES_ATTRIBUTES: Readonly<Record<string, string>> = {
  "k8s.namespace.name": "%ENVIRONMENT(ENVOY_POD_NAMESPACE)%",
  "k8s.pod.name": "%ENVIRONMENT(ENVOY_POD_NAME)%",
};

/** A gRPC service on a cluster, with its authority and headers. */
export function envoyGrpcService(cluster: string, authority?: string, headers?: readonly HeaderIr[]): unknown {
  return {
    envoyGrpc: { clusterName: cluster, ...(authority ? { authority } : {}) },
    ...(headers ? { initialMetadata: headers.map((h) => ({ key: h.name, value: h.value })) } : {}),
  };
}

/** An OTLP KeyValueList of string values, in the order given. */
function keyValues(r: Readonly<Record<string, string>>): unknown {
  return { values: Object.entries(r).map(([key, value]) => ({ key, value: { stringValue: value } })) };
}

/** The access logger of a gRPC sink, with its filter. */
export function grpcAccessLog(sink: GrpcAccessLogSinkIr, filter: AccessLogFilter | undefined): AccessLog {
  const withFilter = filter ? { filter } : {};
  if (sink.kind === "als") {
    const commonConfig = {
      logName: sink.logName,
      grpcService: envoyGrpcService(sink.cluster),
      transportApiVersion: ApiVersion.V3,
    };
    if (sink.type === "TCP") {
      const config = TcpGrpcAccessLogType.codec.fromPartial({ commonConfig } as never);
      return {
        name: "envoy.access_loggers.tcp_grpc",
        typedConfig: pack(TcpGrpcAccessLogType, config),
        ...withFilter,
      } as AccessLog;
    }
    const config = HttpGrpcAccessLogType.codec.fromPartial({
      commonConfig,
      additionalRequestHeadersToLog: [...(sink.requestHeaders ?? [])],
      additionalResponseHeadersToLog: [...(sink.responseHeaders ?? [])],
      additionalResponseTrailersToLog: [...(sink.responseTrailers ?? [])],
    } as never);
    return {
      name: "envoy.access_loggers.http_grpc",
      typedConfig: pack(HttpGrpcAccessLogType, config),
      ...withFilter,
    } as AccessLog;
  }
  const attributes = Object.keys(sink.attributes).length > 0 || sink.body ? sink.attributes : DEFAULT_ACCESS_LOG_FIELDS;
  const config = OpenTelemetryAccessLogType.codec.fromPartial({
    commonConfig: {
      logName: OTEL_LOG_NAME,
      grpcService: envoyGrpcService(sink.cluster, sink.authority, sink.headers),
      transportApiVersion: ApiVersion.V3,
    },
    resourceAttributes: keyValues(sink.resourceAttributes ?? {}),
    ...(sink.body ? { body: { stringValue: sink.body } } : {}),
    attributes: keyValues({ ...KUBERNETES_ATTRIBUTES, ...sortedRecord(attributes) }),
  } as never);
  return {
    name: "envoy.access_loggers.open_telemetry",
    typedConfig: pack(OpenTelemetryAccessLogType, config),
    ...withFilter,
  } as AccessLog;
}

/** A record with its keys in order (the default fields are written in Envoy Gateway's order otherwise). */
function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
