/**
 * ClusterPolicyIr (BackendTrafficPolicy's cluster-level settings) → the Envoy Cluster fields they set, laid over
 * buildCluster's defaults. One function per settings group (cluster-policy-*.ts); each returns only the fields
 * its group sets. Settings that live in the cluster's upstream HTTP protocol options come from
 * clusterPolicyHttpOptions, which buildCluster merges with its own.
 */
import type { Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { HttpProtocolOptions as CommonHttpProtocolOptions } from "../../../../proto/gen/envoy/config/core/v3/protocol";
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import type { ClusterIr } from "../../ir/xds-ir";
import { circuitBreakers } from "./cluster-policy-breaker";
import { connectionFields, connectionHttpOptions } from "./cluster-policy-conn";
import { healthCheckFields } from "./cluster-policy-health";
import { loadBalancingPolicy } from "./cluster-policy-lb";
import { http2Fields } from "./listener-defaults";
import { duration } from "./route-filters";

/** The Cluster fields a policy variant sets (none without a policy). */
export function clusterPolicyFields(
  p: ClusterPolicyIr | undefined,
  cluster: Pick<ClusterIr, "name" | "protocol">,
): Partial<Cluster> {
  if (!p) return {};
  return {
    ...(p.connectTimeoutMs !== undefined ? { connectTimeout: duration(p.connectTimeoutMs) } : {}),
    ...(p.circuitBreaker ? { circuitBreakers: circuitBreakers(p.circuitBreaker) } : {}),
    ...(p.loadBalancer ? { loadBalancingPolicy: loadBalancingPolicy(p.loadBalancer) } : {}),
    ...(p.healthCheck ? healthCheckFields(p.healthCheck, cluster) : {}),
    ...(p.connection ? connectionFields(p.connection) : {}),
  };
}

/**
 * The upstream HTTP protocol options' common part a policy sets (max requests per connection, idle timeout, max
 * connection duration); undefined when it sets none.
 */
export function clusterPolicyHttpOptions(
  p: ClusterPolicyIr | undefined,
): Partial<CommonHttpProtocolOptions> | undefined {
  const out: Partial<CommonHttpProtocolOptions> = connectionHttpOptions(p?.connection);
  const perConnection = p?.circuitBreaker?.maxRequestsPerConnection;
  if (perConnection !== undefined) out.maxRequestsPerConnection = perConnection;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Envoy Gateway's HTTP/2 flow-control windows towards backends: 64 KiB per stream, 1 MiB per connection. */
const HTTP2_WINDOWS = { initialStreamWindowSize: 65_536, initialConnectionWindowSize: 1_048_576 };

/**
 * The Http2ProtocolOptions of an HTTP/2 backend's cluster: Envoy's defaults without a policy `http2`; with one,
 * its settings over Envoy Gateway's windows.
 */
export function clusterPolicyHttp2Options(p: ClusterPolicyIr | undefined): Record<string, unknown> {
  return p?.http2 ? http2Fields({ ...HTTP2_WINDOWS, ...p.http2 }) : {};
}
