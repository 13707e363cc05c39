/**
 * HealthCheckIr → the Cluster's health_checks (one HTTP, TCP or gRPC checker), outlier_detection and the
 * common LB config's healthy panic threshold; an active check with an event log writes its events to Envoy's
 * file event sinks. A variant that checks health also sets
 * ignore_health_on_host_removal, as Envoy Gateway does: an endpoint removed by EDS goes at once, without waiting
 * for its health checks to fail. Unlike Envoy Gateway, the probe interval also applies before the variant
 * carries traffic (no_traffic_interval).
 */
import type { Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { OutlierDetection } from "../../../../proto/gen/envoy/config/cluster/v3/outlier_detection";
import { RequestMethod } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { HealthCheck, HealthCheck_Payload } from "../../../../proto/gen/envoy/config/core/v3/health_check";
import type { Int64Range } from "../../../../proto/gen/envoy/type/v3/range";
import type {
  ActiveHealthCheckIr,
  HealthCheckIr,
  HealthCheckLogIr,
  HealthPayloadIr,
  OutlierDetectionIr,
} from "../../ir/backend-traffic-cluster-ir";
import type { ClusterIr } from "../../ir/xds-ir";
import { pack } from "../../../../proto/any";
import { HealthCheckEventFileSinkType } from "../extension-types";
import { duration } from "./route-filters";

/** Envoy's own healthy panic threshold: not written when the policy asks for it. */
const ENVOY_PANIC_THRESHOLD = 50;

/**
 * The Cluster fields of a health check setting on `cluster`. A gRPC check on a backend without
 * HTTP/2 is left out (Envoy would refuse the cluster, and with it the proxy's whole cluster update): the
 * translator reports such a policy (variantProblem) and does not apply it.
 */
export function healthCheckFields(hc: HealthCheckIr, cluster: Pick<ClusterIr, "name" | "protocol">): Partial<Cluster> {
  const protocol = cluster.protocol;
  const panic = hc.panicThreshold;
  const active = hc.active?.grpc && protocol !== "h2c" ? undefined : hc.active;
  return {
    ...(active ? { healthChecks: [activeCheck(active, cluster.name)] } : {}),
    ...(hc.passive ? { outlierDetection: outlierDetection(hc.passive) } : {}),
    ...(panic !== undefined && panic !== ENVOY_PANIC_THRESHOLD
      ? { commonLbConfig: { healthyPanicThreshold: { value: panic } } as Cluster["commonLbConfig"] }
      : {}),
    ...(active || hc.passive ? { ignoreHealthOnHostRemoval: true } : {}),
  };
}

/**
 * The Host (:authority) of HTTP probes without a `hostname`, and of gRPC probes: the cluster name made a valid
 * host name. Envoy's default is the cluster name itself, whose `/` servers that check the header refuse (Node's
 * HTTP/2 server resets the stream: every gRPC check was a network failure, measured); Envoy Gateway's cluster
 * names have `/` too.
 */
export function probeAuthority(cluster: string): string {
  return cluster.replace(/[^A-Za-z0-9.-]+/g, "-");
}

function activeCheck(a: ActiveHealthCheckIr, cluster: string): HealthCheck {
  const out: Partial<HealthCheck> = {
    timeout: duration(a.timeoutMs),
    interval: duration(a.intervalMs),
    // Envoy probes a cluster that has carried no traffic yet every 60 s (no_traffic_interval), whatever the
    // interval; a policy variant is new each time its policy changes, so an endpoint failing its checks would
    // keep its traffic for up to a minute after each change. The policy's interval applies from the start
    // (Envoy Gateway leaves Envoy's 60 s).
    noTrafficInterval: duration(a.intervalMs),
    ...(a.initialJitterMs !== undefined ? { initialJitter: duration(a.initialJitterMs) } : {}),
    unhealthyThreshold: a.unhealthyThreshold,
    healthyThreshold: a.healthyThreshold,
    ...(a.log ? eventLog(a.log) : {}),
  };
  if (a.http) {
    const h = a.http;
    out.httpHealthCheck = {
      host: h.host ?? probeAuthority(cluster),
      path: h.path,
      ...(h.method !== undefined ? { method: RequestMethod[h.method as keyof typeof RequestMethod] } : {}),
      expectedStatuses: statusRanges(h.expectedStatuses),
      retriableStatuses: statusRanges(h.retriableStatuses ?? []),
      receive: h.expectedResponse ? [payload(h.expectedResponse)] : [],
      ...(h.requestBody ? { send: payload(h.requestBody) } : {}),
    } as HealthCheck["httpHealthCheck"];
  } else if (a.tcp) {
    out.tcpHealthCheck = {
      ...(a.tcp.send ? { send: payload(a.tcp.send) } : {}),
      receive: a.tcp.receive ? [payload(a.tcp.receive)] : [],
    } as HealthCheck["tcpHealthCheck"];
  } else {
    out.grpcHealthCheck = {
      serviceName: a.grpc?.service ?? "",
      authority: probeAuthority(cluster),
      initialMetadata: [],
    };
  }
  return out as HealthCheck;
}

/** The health check's event log: one file event sink per path, and which outcomes are always logged. */
function eventLog(log: HealthCheckLogIr): Partial<HealthCheck> {
  return {
    eventLogger: log.filePaths.map((eventLogPath) => ({
      name: "envoy.health_check.event_sinks.file",
      typedConfig: pack(
        HealthCheckEventFileSinkType,
        HealthCheckEventFileSinkType.codec.fromPartial({ eventLogPath } as never),
      ),
    })),
    alwaysLogHealthCheckFailures: log.alwaysLogFailures,
    alwaysLogHealthCheckSuccess: log.alwaysLogSuccess,
  };
}

/** Sorted status codes → Envoy's half-open ranges, consecutive codes joined (200, 201, 204 → [200,202), [204,205)). */
export function statusRanges(codes: readonly number[]): Int64Range[] {
  const out: Int64Range[] = [];
  for (const c of codes) {
    const last = out[out.length - 1];
    if (last && last.end === c) last.end = c + 1;
    else out.push({ start: c, end: c + 1 });
  }
  return out;
}

/** Envoy's payload: text is hex-encoded bytes. */
function payload(p: HealthPayloadIr): HealthCheck_Payload {
  return "text" in p
    ? { text: Buffer.from(p.text).toString("hex") }
    : { binary: Buffer.from(p.binaryBase64, "base64") };
}

function outlierDetection(p: OutlierDetectionIr): OutlierDetection {
  return {
    interval: duration(p.intervalMs),
    baseEjectionTime: duration(p.baseEjectionTimeMs),
    consecutive5xx: p.consecutive5xx,
    consecutiveLocalOriginFailure: p.consecutiveLocalOriginFailures,
    splitExternalLocalOriginErrors: p.splitExternalLocalOriginErrors,
    ...(p.maxEjectionPercent > 0 ? { maxEjectionPercent: p.maxEjectionPercent } : {}),
    ...(p.consecutiveGatewayErrors !== undefined
      ? { consecutiveGatewayFailure: p.consecutiveGatewayErrors, enforcingConsecutiveGatewayFailure: 100 }
      : {}),
    ...(p.failurePercentageThreshold !== undefined
      ? { failurePercentageThreshold: p.failurePercentageThreshold, enforcingFailurePercentage: 100 }
      : {}),
    ...(p.alwaysEjectOneEndpoint !== undefined ? { alwaysEjectOneHost: p.alwaysEjectOneEndpoint } : {}),
    monitors: [],
  } as OutlierDetection;
}
