/**
 * BackendTrafficPolicy's IR. Settings Envoy takes per route live on the route (`RouteIr.traffic`, plus the
 * route's existing `retry` and `timeouts`); settings Envoy takes only per cluster live on the cluster
 * (`ClusterIr.policy`): a route whose policy sets them is sent to a variant of each backend's cluster carrying
 * them (docs/adr/0005-policy-cluster-variants.md).
 */
import type { BandwidthLimitIr } from "./bandwidth-limit-ir";
import type { CompressionIr } from "./compression-ir";
import type { FaultIr } from "./fault-ir";
import type { GlobalRateLimitRouteIr } from "./global-rate-limit-route-ir";
import type { LocalRateLimitIr } from "./local-rate-limit-ir";
import type { ResponseOverrideRuleIr } from "./response-override-ir";

import type {
  AdmissionControlIr,
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
  /** `rateLimit.local`: the local_ratelimit filter's buckets for this route. */
  readonly localRateLimit?: LocalRateLimitIr;
  /** `rateLimit.global`: the rules the rate limit service counts for this route. */
  readonly globalRateLimit?: GlobalRateLimitRouteIr;
  /** `faultInjection`: the fault filter's delay and abort for this route. */
  readonly fault?: FaultIr;
  /** `compressor` (or `compression`): the algorithms the route's responses may be compressed with, first preferred. */
  readonly compression?: readonly CompressionIr[];
  /** `responseOverride`: rules replacing matching responses, first match wins. */
  readonly responseOverride?: readonly ResponseOverrideRuleIr[];
  /** `bandwidthLimit`: the bandwidth_limit filter's rates for this route, per direction. */
  readonly bandwidthLimit?: BandwidthLimitIr;
  /** `requestBuffer.limit`: requests are buffered whole up to this many bytes (413 above). */
  readonly requestBufferBytes?: number;
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
  /** `useClientProtocol`: requests go to the backend in the client's HTTP version (HTTP/1.1 or HTTP/2). */
  readonly useClientProtocol?: true;
  /**
   * `routingType: Service`: a Kubernetes Service backend is reached at its cluster IP and Service port (kube-proxy
   * picks the pod) instead of its endpoints; no effect on other backends (Backend resources, headless Services).
   * `Endpoint`: its endpoints, even when the EnvoyProxy's `routingType` is Service. Absent: the EnvoyProxy's.
   */
  readonly routingType?: "Service" | "Endpoint";
  /** `admissionControl`: requests rejected at Envoy while the variant's recent success rate is low. */
  readonly admissionControl?: AdmissionControlIr;
}
