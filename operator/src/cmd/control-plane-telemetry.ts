/**
 * The EnvoyGateway configuration's OpenTelemetry exports for `egts controller` and `egts standalone`: the metric
 * sinks the pipeline pushes to, and the tracer its passes start spans on (started here, stopped with the command).
 */
import type { Tracer } from "@opentelemetry/api";
import type { EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import type { Logger } from "../log";
import { DEFAULT_METRIC_EXPORT_INTERVAL_MS } from "../metrics/otel-sinks";
import { describeSink } from "../metrics/otlp-endpoint";
import { startTracing, type ControlPlaneTracing } from "../traces/tracer";

/** What the pipeline takes: the metric sinks and the tracer (each absent when not configured). */
export interface ControlPlaneTelemetry {
  readonly options: { readonly metricSinks?: readonly OtelSinkConfig[]; readonly tracer?: Tracer };
  /** Sends the spans still batched and stops the tracer. */
  stop(): Promise<void>;
}

/** Starts `telemetry.traces` and passes `telemetry.metrics.sinks` on; logs where each goes. */
export function controlPlaneTelemetry(config: EnvoyGatewayConfig, log: Logger): ControlPlaneTelemetry {
  const sinks = config.telemetry?.metricSinks ?? [];
  for (const s of sinks) {
    const every = `${(s.exportIntervalMs ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS) / 1000}s`;
    log("info", "exporting control-plane metrics over OTLP", { sink: describeSink(s), every });
  }
  const traces = config.telemetry?.traces;
  const tracing: ControlPlaneTracing | undefined = traces && startTracing(traces);
  if (traces)
    log("info", "tracing the pipeline over OTLP", { sink: describeSink(traces.sink), ratio: traces.samplingRatio });
  return {
    options: {
      ...(sinks.length > 0 ? { metricSinks: sinks } : {}),
      ...(tracing ? { tracer: tracing.tracer } : {}),
    },
    stop: async () => tracing?.shutdown(),
  };
}
