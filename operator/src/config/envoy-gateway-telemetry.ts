/**
 * `telemetry` of the EnvoyGateway configuration: the control plane's own metrics and traces (not the proxies',
 * which EnvoyProxy `telemetry` configures). `metrics.prometheus.disable` turns off the controller's `/metrics`
 * (metrics-server.ts); `metrics.sinks` push the same metric families to OpenTelemetry collectors
 * (metrics/otel-sinks.ts); `traces` sends spans of the pipeline's stages to one (traces/tracer.ts). Envoy Gateway
 * v1.9's rules: a sink's `type` is `OpenTelemetry` (its default), `openTelemetry` is required, `protocol` is `grpc`
 * or `http`, `port` defaults to 4317, `exportInterval` / `exportTimeout` must be more than zero when set.
 */
import type { ConfigWalk } from "./config-walk";

/** Envoy Gateway's default OTLP port of a sink (`port` omitted). */
export const DEFAULT_OTEL_SINK_PORT = 4317;

/** One OpenTelemetry sink (`openTelemetry` of a metric sink or of the trace sink). */
export interface OtelSinkConfig {
  /** `host`: the collector's host name or address. */
  readonly host: string;
  /** `port`. @default 4317 */
  readonly port: number;
  /** `protocol`: OTLP over gRPC, or OTLP over HTTP (protobuf, `/v1/metrics`, `/v1/traces`). */
  readonly protocol: "grpc" | "http";
  /** `exportInterval` in milliseconds. @default 60 s for metrics, 5 s (the span batch delay) for traces */
  readonly exportIntervalMs?: number;
  /** `exportTimeout` in milliseconds. @default 30 s */
  readonly exportTimeoutMs?: number;
}

/** `traces`: where the control plane's spans go and which fraction of them is kept. */
export interface TracesConfig {
  /** `sink.openTelemetry`. */
  readonly sink: OtelSinkConfig;
  /** `samplingRate` as a ratio from 0 to 1 (numerator / denominator, denominator 100 if omitted). @default 1 */
  readonly samplingRatio: number;
}

/** What egts takes from `telemetry`. */
export interface TelemetryConfig {
  /** `metrics.prometheus.disable`: no `/metrics` on the controller. @default false */
  readonly prometheusDisabled: boolean;
  /** `metrics.sinks`: collectors the control plane's metrics are pushed to. @default none */
  readonly metricSinks: readonly OtelSinkConfig[];
  /** `traces`: the control plane's spans and where they go. @default no tracing */
  readonly traces?: TracesConfig;
}

/** Reads `telemetry`, recording errors and notes on `w`. */
export function readTelemetry(w: ConfigWalk, node: unknown): TelemetryConfig {
  let prometheusDisabled = false;
  let metricSinks: OtelSinkConfig[] = [];
  let traces: TracesConfig | undefined;
  w.fields(node, "telemetry", {
    metrics: (m) =>
      w.fields(m, "telemetry.metrics", {
        prometheus: (p) =>
          w.fields(p, "telemetry.metrics.prometheus", {
            disable: (v) => (prometheusDisabled = w.bool(v, "telemetry.metrics.prometheus.disable") ?? false),
          }),
        sinks: (v) => {
          const items = w.list(v, "telemetry.metrics.sinks");
          metricSinks = items.flatMap((s, i) => readSink(w, s, `telemetry.metrics.sinks[${i}]`) ?? []);
          if (items.length === 0)
            w.note(v, "telemetry.metrics.sinks: [] accepted, no effect: no sink, Envoy Gateway's default");
        },
      }),
    traces: (v) => (traces = readTraces(w, v)),
  });
  return { prometheusDisabled, metricSinks, ...(traces ? { traces } : {}) };
}

/** `traces`: its `sink` (required) and `samplingRate`. */
function readTraces(w: ConfigWalk, node: unknown): TracesConfig | undefined {
  let sink: OtelSinkConfig | undefined;
  let samplingRatio = 1;
  let sinkSeen = false;
  w.fields(node, "telemetry.traces", {
    sink: (v) => {
      sinkSeen = true;
      sink = readSink(w, v, "telemetry.traces.sink");
    },
    samplingRate: (v) => (samplingRatio = readFraction(w, v, "telemetry.traces.samplingRate") ?? 1),
  });
  if (!sinkSeen) w.error(node, "telemetry.traces.sink is required (type: OpenTelemetry, openTelemetry: {...})");
  return sink && { sink, samplingRatio };
}

/** One sink: `type` (OpenTelemetry, the default) and its `openTelemetry` settings (required). */
function readSink(w: ConfigWalk, node: unknown, path: string): OtelSinkConfig | undefined {
  let sink: OtelSinkConfig | undefined;
  let seen = false;
  w.fields(node, path, {
    type: (v) => w.oneOf(v, `${path}.type`, ["OpenTelemetry"]),
    openTelemetry: (v) => {
      seen = true;
      sink = readOpenTelemetry(w, v, `${path}.openTelemetry`);
    },
  });
  if (!seen) w.error(node, `${path}.openTelemetry is required when the sink's type is OpenTelemetry`);
  return sink;
}

/** `openTelemetry`: host, port, protocol, exportInterval, exportTimeout. */
function readOpenTelemetry(w: ConfigWalk, node: unknown, path: string): OtelSinkConfig | undefined {
  let host: string | undefined;
  let protocol: OtelSinkConfig["protocol"] | undefined;
  let port = DEFAULT_OTEL_SINK_PORT;
  const optional: { exportIntervalMs?: number; exportTimeoutMs?: number } = {};
  const positive = (v: unknown, field: string): number | undefined => {
    const ms = w.duration(v, `${path}.${field}`);
    if (ms === 0) w.error(v, `${path}.${field} must be greater than zero`);
    return ms === 0 ? undefined : ms;
  };
  w.fields(node, path, {
    host: (v) => (host = w.nonEmpty(v, `${path}.host`)),
    port: (v) => (port = w.int(v, `${path}.port`, 1, 65535) ?? port),
    protocol: (v) => (protocol = w.oneOf(v, `${path}.protocol`, ["grpc", "http"])),
    exportInterval: (v) => (optional.exportIntervalMs = positive(v, "exportInterval")),
    exportTimeout: (v) => (optional.exportTimeoutMs = positive(v, "exportTimeout")),
  });
  if (host === undefined) w.error(node, `${path}.host is required`);
  if (protocol === undefined) w.error(node, `${path}.protocol is required (grpc or http)`);
  if (host === undefined || protocol === undefined) return undefined;
  const { exportIntervalMs, exportTimeoutMs } = optional;
  return {
    host,
    port,
    protocol,
    ...(exportIntervalMs !== undefined ? { exportIntervalMs } : {}),
    ...(exportTimeoutMs !== undefined ? { exportTimeoutMs } : {}),
  };
}

/** A Gateway API Fraction (`numerator`, `denominator` 100 if omitted, numerator ≤ denominator) as a ratio. */
function readFraction(w: ConfigWalk, node: unknown, path: string): number | undefined {
  let numerator: number | undefined;
  let denominator = 100;
  let seen = false;
  w.fields(node, path, {
    numerator: (v) => {
      seen = true;
      numerator = w.int(v, `${path}.numerator`, 0, 2 ** 31 - 1);
    },
    denominator: (v) => (denominator = w.int(v, `${path}.denominator`, 1, 2 ** 31 - 1) ?? denominator),
  });
  if (!seen) w.error(node, `${path}.numerator is required`);
  if (numerator === undefined) return undefined;
  if (numerator > denominator) {
    w.error(node, `${path}: numerator (${numerator}) must not be greater than denominator (${denominator})`);
    return undefined;
  }
  return numerator / denominator;
}
