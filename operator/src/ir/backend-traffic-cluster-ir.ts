/**
 * The cluster-level setting groups of a BackendTrafficPolicy (ClusterPolicyIr's parts): circuit breakers, load
 * balancing, health checks. Plain data, already validated: every number is in the range Envoy takes.
 */

/** Circuit breaker thresholds (Envoy's DEFAULT priority); each a whole number from 0 to 2^32-1. */
export interface CircuitBreakerIr {
  /** Most connections to the backend. @default 1024 (Envoy's) */
  readonly maxConnections?: number;
  /** Most requests waiting for a connection. @default 1024 (Envoy's) */
  readonly maxPendingRequests?: number;
  /** Most requests in flight. @default 1024 (Envoy's) */
  readonly maxParallelRequests?: number;
  /** Most retries in flight. @default 1024 (Envoy Gateway's; Envoy's own is 3) */
  readonly maxParallelRetries?: number;
  /** Most requests over one connection (upstream HTTP protocol options). @default unlimited */
  readonly maxRequestsPerConnection?: number;
  /** Most connections to one endpoint. @default unlimited */
  readonly perEndpointMaxConnections?: number;
}

/** One part of a consistent-hash key, read from each request (a route hash policy in Envoy). */
export type HashKeyIr =
  | { readonly kind: "sourceIP" }
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "queryParameter"; readonly name: string }
  | {
      readonly kind: "cookie";
      /** Cookie name. */
      readonly name: string;
      /** Lifetime of the cookie Envoy generates when the request has none; absent: none is generated. */
      readonly ttlMs?: number;
      /** Attributes of the generated cookie, sorted by name. */
      readonly attributes?: readonly { readonly name: string; readonly value: string }[];
    };

/** Load balancing of a policy variant's requests over its endpoints. */
export interface LoadBalancerIr {
  /** Algorithm (ConsistentHash is Envoy's Maglev). */
  readonly type: "RoundRobin" | "Random" | "LeastRequest" | "ConsistentHash";
  /** Ramp-up window of new endpoints (RoundRobin, LeastRequest). */
  readonly slowStartWindowMs?: number;
  /** Maglev table size, a prime up to 5000011 (ConsistentHash). @default 65537 */
  readonly tableSize?: number;
  /**
   * ConsistentHash: what the hash is computed from. Envoy reads it from the ROUTE (RouteAction.hash_policy),
   * not the cluster: every route sent to this variant must carry these keys (see routeHashPolicies).
   */
  readonly hashKeys?: readonly HashKeyIr[];
}
