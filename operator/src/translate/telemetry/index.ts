/**
 * The remote telemetry of each node, from the EnvoyProxy of its proxies: tracing on every HTTP listener, gRPC
 * access log sinks after the file logs, their clusters added to the node's (translate.ts step 8), and the
 * OpenTelemetry stat sinks of the proxies' bootstrap (step 9). What the static checks cannot see (a backend that
 * does not exist, a reference without a ReferenceGrant) is thrown, naming the EnvoyProxy's field: the caller's
 * guard reports the EnvoyProxy as rejected and the node runs without that telemetry.
 */
import type { ProxyInfraIr } from "../../ir/infra-ir";
import type { ClusterIr, GatewayXdsIr } from "../../ir/xds-ir";
import type { EnvoyProxy } from "../../resources/envoy-proxy";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { BackendIndex } from "../backends";
import { Reason } from "../conditions";
import { envoyProxyOf } from "../envoy-proxy";
import { mergedEnvoyProxyOwner } from "../envoy-proxy-merge";
import type { GatewayState } from "../gateway";
import { grpcAccessLogsFor, grpcSinkProblems, type ProxyAccessLogSinks } from "./access-log-sinks";
import type { TelemetryOwner } from "./destination";
import { metricSinkProblems, metricSinksFor } from "./metric-sinks";
import { tracingFor, tracingProblems, type ProxyTracing } from "./tracing";
import { requestIdFor, requestIdProblems, type ProxyRequestId } from "./request-id";
import { healthCheckLogOf } from "../policies/health-check-log";
import type { ProxyHealthCheckLog } from "../../resources/backend-cluster";
import type { HealthCheckLogIr } from "../../ir/backend-traffic-cluster-ir";

/** The telemetry fields of an EnvoyProxy spec. */
interface Telemetry {
  readonly tracing?: ProxyTracing;
  readonly accessLog?: ProxyAccessLogSinks;
  readonly metrics?: { readonly sinks?: Parameters<typeof metricSinkProblems>[0] };
  readonly requestID?: ProxyRequestId;
  readonly healthCheckLog?: ProxyHealthCheckLog;
}

const HC_LOG_AT = "spec.telemetry.healthCheckLog";

function telemetryOf(spec: EnvoyProxy["spec"] | undefined): Telemetry | undefined {
  return spec?.telemetry as Telemetry | undefined;
}

/** What in the EnvoyProxy's tracing and gRPC sinks egts cannot do or the API forbids (empty when none). */
export function telemetryProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const t = telemetryOf(spec);
  // The CRD keeps `telemetry` as written: a field of the wrong shape is a problem, never a throw.
  try {
    return [
      ...tracingProblems(t?.tracing),
      ...grpcSinkProblems(t?.accessLog),
      ...metricSinkProblems(t?.metrics?.sinks),
      ...requestIdProblems(t?.requestID),
      ...hcLogProblems(t?.healthCheckLog),
      ...metricFlagProblems(spec?.telemetry?.metrics as Record<string, unknown> | undefined),
    ];
  } catch (e) {
    return [`spec.telemetry has a field of the wrong type (${e instanceof Error ? e.message : String(e)})`];
  }
}

/** The boolean switches of `telemetry.metrics`: a set value of another type is named, never read as unset. */
const METRIC_FLAGS = [
  "enableVirtualHostStats",
  "enablePerEndpointStats",
  "enableRequestResponseSizesStats",
  "enableGRPCStats",
] as const;

function metricFlagProblems(metrics: Record<string, unknown> | undefined): string[] {
  return METRIC_FLAGS.filter((f) => metrics?.[f] !== undefined && typeof metrics[f] !== "boolean").map(
    (f) => `spec.telemetry.metrics.${f}: ${JSON.stringify(metrics?.[f])} must be true or false`,
  );
}

function hcLogProblems(log: ProxyHealthCheckLog | undefined): string[] {
  const invalid: string[] = [];
  healthCheckLogOf(HC_LOG_AT, log, invalid);
  return invalid;
}

/**
 * The clusters with the proxy-wide health check event log (`telemetry.healthCheckLog`) on every active health
 * check that has no log of its own (a BackendTrafficPolicy's `healthCheck.active.healthCheckLog` wins, as in
 * Envoy Gateway).
 */
function withHealthCheckLog(clusters: readonly ClusterIr[], log: HealthCheckLogIr | undefined): readonly ClusterIr[] {
  if (!log) return clusters;
  return clusters.map((c) => {
    const active = c.policy?.healthCheck?.active;
    if (!c.policy?.healthCheck || !active || active.log) return c;
    return { ...c, policy: { ...c.policy, healthCheck: { ...c.policy.healthCheck, active: { ...active, log } } } };
  });
}

/**
 * The EnvoyProxy object whose spec is `spec` (its name and namespace are the sinks' owner); for a spec merged onto
 * the class's (`mergeType`), the Gateway's EnvoyProxy with that spec.
 */
export function envoyProxyOwner(s: ResourceSnapshot, spec: EnvoyProxy["spec"] | undefined): EnvoyProxy | undefined {
  if (!spec) return undefined;
  const merged = mergedEnvoyProxyOwner(spec);
  if (merged) return merged;
  return s.unknown.find((o): o is EnvoyProxy => o.kind === "EnvoyProxy" && (o as EnvoyProxy).spec === spec);
}

function ownerOf(p: EnvoyProxy): TelemetryOwner {
  return { namespace: p.metadata.namespace ?? "", name: p.metadata.name };
}

/** Throws the problems, if any, as one error naming the EnvoyProxy. */
function throwProblems(p: EnvoyProxy, problems: readonly string[]): void {
  if (problems.length > 0)
    throw new Error(`EnvoyProxy ${ownerOf(p).namespace}/${p.metadata.name}: ${problems.join("; ")}`);
}

/** The node with the tracing and gRPC access log sinks of EnvoyProxy `p`, and their clusters. */
export function withNodeTelemetry(ir: GatewayXdsIr, p: EnvoyProxy | undefined, backends: BackendIndex): GatewayXdsIr {
  const t = telemetryOf(p?.spec);
  if (!p || !t) return ir;
  const problems: string[] = [];
  const traced = tracingFor(t.tracing, ir.name, ownerOf(p), backends, problems);
  const grpcLogs = grpcAccessLogsFor(t.accessLog, ownerOf(p), backends, problems);
  const hcLog = healthCheckLogOf(HC_LOG_AT, t.healthCheckLog, problems);
  throwProblems(p, problems);
  const requestId = requestIdFor(t.requestID);
  const logged = { ...ir, clusters: withHealthCheckLog(ir.clusters, hcLog) };
  const withIds = requestId ? { ...logged, http: logged.http.map((l) => ({ ...l, requestId })) } : logged;
  const clusters: ClusterIr[] = [...(traced ? [traced.destination.cluster] : []), ...grpcLogs.clusters];
  if (clusters.length === 0) return withIds;
  const names = new Set(clusters.map((c) => c.name));
  return {
    ...withIds,
    http: traced ? withIds.http.map((l) => ({ ...l, tracing: traced.tracing })) : withIds.http,
    accessLogs: [...(ir.accessLogs ?? []), ...grpcLogs.logs],
    clusters: [...withIds.clusters.filter((c) => !names.has(c.name)), ...clusters].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    ),
  };
}

/** The proxy with the OpenTelemetry stat sinks of EnvoyProxy `p`. */
export function withProxyMetricSinks(
  proxy: ProxyInfraIr,
  p: EnvoyProxy | undefined,
  backends: BackendIndex,
): ProxyInfraIr {
  const t = telemetryOf(p?.spec);
  if (!p || !t?.metrics?.sinks?.length) return proxy;
  const problems: string[] = [];
  const sinks = metricSinksFor(t.metrics.sinks, ownerOf(p), backends, problems);
  throwProblems(p, problems);
  return sinks.length > 0 ? { ...proxy, runtime: { ...proxy.runtime, metricSinks: sinks } } : proxy;
}

/** Every resolution problem of the telemetry of EnvoyProxy `p` for node `node` (empty when none). */
function resolutionProblems(p: EnvoyProxy, node: string, backends: BackendIndex): string[] {
  const t = telemetryOf(p.spec);
  const problems: string[] = [];
  tracingFor(t?.tracing, node, ownerOf(p), backends, problems);
  grpcAccessLogsFor(t?.accessLog, ownerOf(p), backends, problems);
  metricSinksFor(t?.metrics?.sinks, ownerOf(p), backends, problems);
  return problems;
}

/**
 * Marks not accepted (InvalidParameters, as Envoy Gateway) each Gateway whose EnvoyProxy's telemetry names
 * backends that cannot be resolved (missing, or in another namespace without a ReferenceGrant), naming the field.
 * Runs once the backend index exists and before routes attach, so such a Gateway serves nothing.
 */
export function markTelemetryProblems(
  gateways: Iterable<GatewayState>,
  snapshot: ResourceSnapshot,
  backends: BackendIndex,
): void {
  for (const gw of gateways) {
    if (gw.notAccepted) continue;
    const ns = gw.gateway.metadata.namespace ?? "";
    const p = envoyProxyOwner(snapshot, envoyProxyOf(snapshot, ns, gw.gateway.metadata.name)?.spec);
    if (!p || !telemetryOf(p.spec)) continue;
    // A field of the wrong shape (the CRD keeps `telemetry` as it is written) is a problem too, never a throw.
    let problems: string[];
    try {
      problems = resolutionProblems(p, gw.key, backends);
    } catch (e) {
      problems = [`spec.telemetry has a field of the wrong type (${e instanceof Error ? e.message : String(e)})`];
    }
    if (problems.length > 0) {
      const message = `Invalid telemetry backendRefs in the referenced EnvoyProxy: ${problems.join("; ")}`;
      gw.notAccepted = { reason: Reason.InvalidParameters, message };
    }
  }
}

/** Runs `step` on `value` through the translator's guard on the EnvoyProxy, keeping `value` when it throws. */
export function guardedTelemetry<T>(
  value: T,
  p: EnvoyProxy | undefined,
  guard: (object: EnvoyProxy, step: () => T) => T | undefined,
  step: (p: EnvoyProxy) => T,
): T {
  return p ? (guard(p, () => step(p)) ?? value) : value;
}
