/**
 * The EnvoyGateway configuration's OpenTelemetry exports for `egts controller` and `egts standalone`: the metric
 * sinks the pipeline pushes to, and the tracer its passes start spans on (started here, stopped with the command).
 * The tracing SDK and its exporters are loaded only when `telemetry.traces` is set (ADR 0028).
 */
import { diag, DiagLogLevel, type Tracer } from "@opentelemetry/api";
import type { EnvoyGatewayConfig } from "../config/envoy-gateway-config";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import type { Logger } from "../log";
import { DEFAULT_METRIC_EXPORT_INTERVAL_MS } from "../metrics/otel-sinks";
import type { ControlPlaneTracing } from "../traces/tracer";

/** What the pipeline takes: the metric sinks and the tracer (each absent when not configured). */
export interface ControlPlaneTelemetry {
  readonly options: { readonly metricSinks?: readonly OtelSinkConfig[]; readonly tracer?: Tracer };
  /** Sends the spans still batched and stops the tracer. */
  stop(): Promise<void>;
}

/** Starts `telemetry.traces` and passes `telemetry.metrics.sinks` on; logs where each goes. */
export async function controlPlaneTelemetry(config: EnvoyGatewayConfig, log: Logger): Promise<ControlPlaneTelemetry> {
  const sinks = config.telemetry?.metricSinks ?? [];
  for (const s of sinks) {
    const every = `${(s.exportIntervalMs ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS) / 1000}s`;
    log("info", "exporting control-plane metrics over OTLP", { sink: describeSink(s), every });
  }
  const traces = config.telemetry?.traces;
  if (sinks.length > 0 || traces) reportExportErrors(log);
  const tracing: ControlPlaneTracing | undefined = traces && (await import("../traces/tracer")).startTracing(traces);
  if (traces)
    log("info", "tracing the pipeline over OTLP", { sink: describeSink(traces.sink), ratio: traces.samplingRatio });
  return {
    options: {
      ...(sinks.length > 0 ? { metricSinks: sinks } : {}),
      ...(tracing ? { tracer: tracing.tracer } : {}),
    },
    // Within standalone's stop deadline: spans a collector does not take within 1 s are dropped.
    stop: async () => tracing?.shutdown(1000),
  };
}

/** `host:port (protocol)`, for logs. */
function describeSink(sink: OtelSinkConfig): string {
  return `${sink.host}:${sink.port} (${sink.protocol})`;
}

/**
 * The OpenTelemetry SDK's warnings and errors (a collector that cannot be reached, an export that timed out) in the
 * log, as Envoy Gateway hands the SDK its logger.
 */
function reportExportErrors(log: Logger): void {
  const at =
    (level: "warn" | "error") =>
    (message: unknown, ...args: unknown[]): void =>
      log(
        level,
        `opentelemetry: ${describe(message)}`,
        args.length > 0 ? { detail: args.map(describe).join(" ") } : {},
      );
  const quiet = (): void => undefined;
  diag.setLogger(
    { error: at("error"), warn: at("warn"), info: quiet, debug: quiet, verbose: quiet },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/** A diagnostic argument as text: the SDK's error handler passes errors as JSON (`{"stack": …}`); their first line. */
function describe(arg: unknown): string {
  let value = arg;
  if (typeof arg === "string" && arg.startsWith("{")) {
    try {
      value = JSON.parse(arg) as unknown;
    } catch {
      return arg;
    }
  }
  if (typeof value === "string") return value;
  const e = value as { message?: unknown; stack?: unknown } | null;
  const text = typeof e?.message === "string" ? e.message : typeof e?.stack === "string" ? e.stack : undefined;
  return text?.split("\n")[0] ?? JSON.stringify(value);
}
