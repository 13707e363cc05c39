/**
 * The OpenTelemetry stat sinks of the bootstrap (EnvoyProxy `telemetry.metrics.sinks`), as Envoy Gateway's
 * bootstrap writes them: one `envoy.stat_sinks.open_telemetry` per sink over the static HTTP/2 cluster
 * `otel_metric_sink_<i>` (DNS-resolved unless an IP address), with its authority, headers, delta settings and a
 * static resource detector for its resource attributes. Envoy flushes them every 5 seconds (its default).
 */
import type { ProxyRuntimeIr } from "../ir/infra-ir";
import type { MetricSinkIr } from "../ir/telemetry-ir";

/** The bootstrap's name of sink `i`'s cluster. */
export function metricSinkCluster(i: number): string {
  return `otel_metric_sink_${i}`;
}

/** The `metricSinks` bootstrap option of a proxy's runtime settings: present when it has sinks. */
export function metricSinksOf(runtime: ProxyRuntimeIr | undefined): { metricSinks?: readonly MetricSinkIr[] } {
  return runtime?.metricSinks?.length ? { metricSinks: runtime.metricSinks } : {};
}

/** The stats_sinks entry of sink `i`. */
function statsSink(s: MetricSinkIr, i: number): unknown {
  const attributes = s.resourceAttributes ?? {};
  return {
    name: "envoy.stat_sinks.open_telemetry",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.stat_sinks.open_telemetry.v3.SinkConfig",
      grpc_service: {
        envoy_grpc: { cluster_name: metricSinkCluster(i), ...(s.authority ? { authority: s.authority } : {}) },
        ...(s.headers ? { initial_metadata: s.headers.map((h) => ({ key: h.name, value: h.value })) } : {}),
      },
      ...(s.reportCountersAsDeltas ? { report_counters_as_deltas: true } : {}),
      ...(s.reportHistogramsAsDeltas ? { report_histograms_as_deltas: true } : {}),
      ...(Object.keys(attributes).length > 0
        ? {
            resource_detectors: [
              {
                name: "envoy.tracers.opentelemetry.resource_detectors.static_config",
                typed_config: {
                  "@type":
                    "type.googleapis.com/envoy.extensions.tracers.opentelemetry.resource_detectors.v3.StaticConfigResourceDetectorConfig",
                  attributes,
                },
              },
            ],
          }
        : {}),
    },
  };
}

/** The cluster of sink `i`: HTTP/2 to its one endpoint. */
function sinkCluster(s: MetricSinkIr, i: number): unknown {
  const name = metricSinkCluster(i);
  const address = { socket_address: { address: s.host, port_value: s.port } };
  return {
    name,
    type: /^[\d.]+$/.test(s.host) || s.host.includes(":") ? "STATIC" : "STRICT_DNS",
    connect_timeout: "0.250s",
    lb_policy: "ROUND_ROBIN",
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
  };
}

/** The bootstrap's stat sinks and their clusters (none: both empty). */
export function metricSinkBootstrap(sinks: readonly MetricSinkIr[] | undefined): {
  statsSinks: unknown[];
  clusters: unknown[];
} {
  const list = sinks ?? [];
  return { statsSinks: list.map(statsSink), clusters: list.map(sinkCluster) };
}
