/**
 * BackendTrafficPolicy's IR. Settings Envoy takes per route live on the route (`RouteIr.traffic`, plus the
 * route's existing `retry` and `timeouts`); settings Envoy takes only per cluster live on the cluster
 * (`ClusterIr.policy`): a route whose policy sets them is sent to a variant of each backend's cluster carrying
 * them (docs/adr/0005-policy-cluster-variants.md).
 */

import type {
  CircuitBreakerIr,
  ConnectionIr,
  DnsIr,
  HealthCheckIr,
  LoadBalancerIr,
} from "./backend-traffic-cluster-ir";
import type { Http2SettingsIr } from "./client-traffic-http-ir";

/** Route-level settings of the BackendTrafficPolicy that applies to a route (HTTP filters' per-route configs). */
export interface RouteTrafficIr {
  /** `namespace/name` of the policy that applies (the most specific one, with those it was merged onto). */
  readonly policy: string;
}

/**
 * Cluster-level settings of a BackendTrafficPolicy (Envoy Gateway's ClusterSettings minus retry and the route
 * timeout). Equal settings give the same variant name, so routes with equal policies share one variant cluster.
 */
export interface ClusterPolicyIr {
  /** `timeout.tcp.connectTimeout` in milliseconds. @default 10 s (Envoy Gateway's) */
  readonly connectTimeoutMs?: number;
  /** `circuitBreaker`: connection and request limits. @default Envoy's thresholds */
  readonly circuitBreaker?: CircuitBreakerIr;
  /** `loadBalancer`. @default Envoy's round robin */
  readonly loadBalancer?: LoadBalancerIr;
  /** `healthCheck`: active probes, outlier detection, panic threshold. */
  readonly healthCheck?: HealthCheckIr;
  /** Connection settings: HTTP idle and lifetime limits, TCP keepalive, buffers, preconnection, PROXY protocol. */
  readonly connection?: ConnectionIr;
  /**
   * `http2`: the HTTP/2 settings of the connections to an HTTP/2 backend (appProtocol h2c, gRPC); unset parts
   * get Envoy Gateway's windows (64 KiB per stream, 1 MiB per connection). No effect on HTTP/1 backends.
   */
  readonly http2?: Http2SettingsIr;
  /** `dns`: resolution of hostname backends (no effect on IP backends, as in Envoy Gateway). */
  readonly dns?: DnsIr;
}
