/**
 * EnvoyProxy `telemetry.metrics.sinks` → the OpenTelemetry stat sinks of the proxies' bootstrap, as Envoy Gateway
 * v1.9 resolves them: each sink's first backend endpoint (or the deprecated `host` and `port`), a sink whose
 * address an earlier sink already has left out; its authority, headers, resource attributes and delta settings.
 */
import type { MetricSinkIr } from "../../ir/telemetry-ir";
import type { BackendIndex } from "../backends";
import { sinkDestination, type SinkTarget, type TelemetryOwner } from "./destination";
import { headersOf, type ProxyHeader } from "./headers";

/** One `telemetry.metrics.sinks` entry. */
interface ProxyMetricSink {
  readonly type?: string;
  readonly openTelemetry?: SinkTarget & {
    readonly reportCountersAsDeltas?: boolean;
    readonly reportHistogramsAsDeltas?: boolean;
    readonly headers?: readonly ProxyHeader[];
    readonly resourceAttributes?: Readonly<Record<string, string>>;
  };
}

/** What in the sinks the API forbids, one message per field (empty when none). */
export function metricSinkProblems(sinks: readonly ProxyMetricSink[] | undefined): string[] {
  return (sinks ?? []).flatMap((s, i) => {
    const at = `spec.telemetry.metrics.sinks[${i}]`;
    if ((s.type ?? "OpenTelemetry") !== "OpenTelemetry")
      return [`${at}.type (${String(s.type)}) must be OpenTelemetry`];
    return s.openTelemetry ? [] : [`${at}.openTelemetry must be set for an OpenTelemetry sink`];
  });
}

/** The stat sinks of `sinks` (problems pushed on `problems`; a sink with a problem is left out). */
export function metricSinksFor(
  sinks: readonly ProxyMetricSink[] | undefined,
  owner: TelemetryOwner,
  backends: BackendIndex,
  problems: string[],
): MetricSinkIr[] {
  const out: MetricSinkIr[] = [];
  const seen = new Set<string>();
  (sinks ?? []).forEach((s, i) => {
    const o = s.openTelemetry;
    if (!o) return;
    const own: string[] = [];
    const dest = sinkDestination(o, `metrics_otel_${i}`, true, { owner, backends, problems: own });
    problems.push(...own.map((m) => `spec.telemetry.metrics.sinks[${i}]: ${m}`));
    const ep = dest?.cluster.endpoints[0];
    if (!dest || !ep) return;
    const address = `${ep.host}:${ep.port}`;
    if (seen.has(address)) return;
    seen.add(address);
    const headers = headersOf(o.headers);
    const attributes = o.resourceAttributes ?? {};
    out.push({
      host: ep.host,
      port: ep.port,
      ...(dest.authority ? { authority: dest.authority } : {}),
      ...(o.reportCountersAsDeltas ? { reportCountersAsDeltas: true } : {}),
      ...(o.reportHistogramsAsDeltas ? { reportHistogramsAsDeltas: true } : {}),
      ...(headers ? { headers } : {}),
      ...(Object.keys(attributes).length > 0 ? { resourceAttributes: { ...attributes } } : {}),
    });
  });
  return out;
}
