/**
 * `telemetry` of the EnvoyGateway configuration: the control plane's own metrics and traces (not the proxies',
 * which EnvoyProxy `telemetry` configures). `metrics.prometheus.disable` turns off the controller's `/metrics`
 * (metrics-server.ts); the OpenTelemetry exports (`metrics.sinks`, `traces`) are refused, naming the field, until
 * egts implements them.
 */
import type { ConfigWalk } from "./config-walk";

/** What egts takes from `telemetry`. */
export interface TelemetryConfig {
  /** `metrics.prometheus.disable`: no `/metrics` on the controller. @default false */
  readonly prometheusDisabled: boolean;
}

/** Reads `telemetry`, recording errors and notes on `w`. */
export function readTelemetry(w: ConfigWalk, node: unknown): TelemetryConfig {
  let prometheusDisabled = false;
  w.fields(node, "telemetry", {
    metrics: (m) =>
      w.fields(m, "telemetry.metrics", {
        prometheus: (p) =>
          w.fields(p, "telemetry.metrics.prometheus", {
            disable: (v) => (prometheusDisabled = w.bool(v, "telemetry.metrics.prometheus.disable") ?? false),
          }),
        sinks: (v) => {
          if (w.list(v, "telemetry.metrics.sinks").length > 0)
            w.error(
              v,
              "telemetry.metrics.sinks: OpenTelemetry export of the control plane's metrics is not implemented yet",
            );
          else w.note(v, "telemetry.metrics.sinks: [] accepted, no effect: no sink, Envoy Gateway's default");
        },
      }),
    traces: (_v, pair) => w.error(pair.key, "telemetry.traces: tracing of the control plane is not implemented yet"),
  });
  return { prometheusDisabled };
}
