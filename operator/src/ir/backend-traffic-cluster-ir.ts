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
  /** Retries allowed as a share of the requests in flight (takes precedence over maxParallelRetries). */
  readonly retryBudget?: {
    /** The share, in percent (0-100). */
    readonly percent: number;
    /** Retries always allowed, whatever the share. @default 3 (Envoy's) */
    readonly minRetryConcurrency?: number;
  };
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

/**
 * BackendUtilization: Envoy's client-side weighted round robin, with weights from the ORCA load reports the
 * endpoints send in their responses (`endpoint-load-metrics` headers or trailers). Absent parts: Envoy's defaults.
 */
export interface BackendUtilizationIr {
  /** Time an endpoint must report before its weight is used. @default 10s (Envoy's) */
  readonly blackoutPeriodMs?: number;
  /** Time after which an endpoint's last report stops counting. @default 3m (Envoy's) */
  readonly weightExpirationPeriodMs?: number;
  /** Time between weight updates (Envoy uses at least 100 ms). @default 1s (Envoy's) */
  readonly weightUpdatePeriodMs?: number;
  /** Multiplier of the error rate added to utilization (`errorUtilizationPenaltyPercent` / 100). */
  readonly errorUtilizationPenalty?: number;
  /** ORCA metric names read as utilization when the report has no application utilization. */
  readonly metricNames?: readonly string[];
  /** Keep the ORCA headers in the answer to the client; otherwise the routes remove them. @default false */
  readonly keepResponseHeaders?: boolean;
}

/** Zone-aware load balancing: weights per zone (the endpoints' zones become CLA localities). */
export interface ZoneAwareIr {
  /**
   * Weight of each zone, by zone name; a zone not listed weighs 1 (Envoy Gateway's default). Envoy's
   * locality-weighted load balancing shares requests between zones by these weights.
   */
  readonly weightedZones: readonly { readonly zone: string; readonly weight: number }[];
}

/** Load balancing of a policy variant's requests over its endpoints. */
export interface LoadBalancerIr {
  /** Algorithm (ConsistentHash is Envoy's Maglev; BackendUtilization its client-side weighted round robin). */
  readonly type: "RoundRobin" | "Random" | "LeastRequest" | "ConsistentHash" | "BackendUtilization";
  /** Ramp-up window of new endpoints (RoundRobin, LeastRequest, BackendUtilization). */
  readonly slowStartWindowMs?: number;
  /** BackendUtilization settings. */
  readonly backendUtilization?: BackendUtilizationIr;
  /**
   * Headers naming the endpoint (`ip:port`, or a comma-separated list) a request goes to, tried in order
   * (`endpointOverride`, Envoy's override_host policy); the algorithm above picks when none names an endpoint.
   */
  readonly overrideHeaders?: readonly string[];
  /** Zone-aware balancing (`zoneAware.weightedZones`). */
  readonly zoneAware?: ZoneAwareIr;
  /** Maglev table size, a prime up to 5000011 (ConsistentHash). @default 65537 */
  readonly tableSize?: number;
  /**
   * ConsistentHash: what the hash is computed from. Envoy reads it from the ROUTE (RouteAction.hash_policy),
   * not the cluster: every route sent to this variant must carry these keys (see routeHashPolicies).
   */
  readonly hashKeys?: readonly HashKeyIr[];
}

/** Bytes of a probe or of its expected answer. */
export type HealthPayloadIr = { readonly text: string } | { readonly binaryBase64: string };

/** Active health checking: probes Envoy sends to each endpoint. */
export interface ActiveHealthCheckIr {
  /** Time to wait for an answer. @default 1s (Envoy Gateway's) */
  readonly timeoutMs: number;
  /** Time between probes. @default 3s (Envoy Gateway's) */
  readonly intervalMs: number;
  /** Random delay before the first probe. */
  readonly initialJitterMs?: number;
  /** Failed probes before an endpoint is unhealthy. @default 3 */
  readonly unhealthyThreshold: number;
  /** Passed probes before an endpoint is healthy again. @default 1 */
  readonly healthyThreshold: number;
  /** Port probed instead of each endpoint's traffic port (`overrides.port`). */
  readonly port?: number;
  /** HTTP probe. */
  readonly http?: {
    /** Host header; absent: the cluster name made a host name (probeAuthority). */
    readonly host?: string;
    /** Path requested. */
    readonly path: string;
    /** Method, upper case. @default GET */
    readonly method?: string;
    /** Healthy status codes, sorted and unique. */
    readonly expectedStatuses: readonly number[];
    /** Status codes that count as failures without failing at once, sorted and unique. */
    readonly retriableStatuses?: readonly number[];
    /** Bytes the answer must contain. */
    readonly expectedResponse?: HealthPayloadIr;
    /** Body sent with the probe (POST or PUT). */
    readonly requestBody?: HealthPayloadIr;
  };
  /** TCP probe (connect, optionally send and expect bytes). */
  readonly tcp?: { readonly send?: HealthPayloadIr; readonly receive?: HealthPayloadIr };
  /** gRPC health checking protocol probe. */
  readonly grpc?: { readonly service?: string };
  /** Health check event log (`healthCheckLog`). */
  readonly log?: HealthCheckLogIr;
}

/** Where Envoy writes health check events (its file event sink), and which probe outcomes it logs. */
export interface HealthCheckLogIr {
  /** Files the events are written to, as JSON lines (one sink each). */
  readonly filePaths: readonly string[];
  /** Log every failed probe (else only the first of a run and the transitions to unhealthy). */
  readonly alwaysLogFailures: boolean;
  /** Log every passed probe (else only the first of a run and the transitions to healthy). */
  readonly alwaysLogSuccess: boolean;
}

/** Passive health checking (Envoy's outlier detection), with Envoy Gateway's defaults filled in. */
export interface OutlierDetectionIr {
  /** Time between ejection sweeps. @default 3s */
  readonly intervalMs: number;
  /** Base ejection time (multiplied by the number of ejections). @default 30s */
  readonly baseEjectionTimeMs: number;
  /** Consecutive 5xx answers before ejection. @default 5 */
  readonly consecutive5xx: number;
  /** Consecutive local-origin failures before ejection. @default 5 */
  readonly consecutiveLocalOriginFailures: number;
  /** Count local-origin failures apart from answers. @default false */
  readonly splitExternalLocalOriginErrors: boolean;
  /** Most endpoints ejected, in percent. @default 10 */
  readonly maxEjectionPercent: number;
  /** Consecutive 502/503/504 before ejection (enforced at 100%). */
  readonly consecutiveGatewayErrors?: number;
  /** Failure percentage at which an endpoint is ejected (enforced at 100%). */
  readonly failurePercentageThreshold?: number;
  /** Always allow one ejection, whatever maxEjectionPercent says. */
  readonly alwaysEjectOneEndpoint?: boolean;
}

/** Health checking of a policy variant's endpoints. */
export interface HealthCheckIr {
  /** Active probes. */
  readonly active?: ActiveHealthCheckIr;
  /** Outlier detection. */
  readonly passive?: OutlierDetectionIr;
  /** Percentage of unhealthy endpoints over which all are used again (Envoy's panic mode); 50 is Envoy's default. */
  readonly panicThreshold?: number;
}

/** Connection settings of a policy variant's upstream connections. */
export interface ConnectionIr {
  /** Close a connection idle this long (`timeout.http.connectionIdleTimeout`); 0 never. @default 1h (Envoy's) */
  readonly idleTimeoutMs?: number;
  /** Close a connection this old, after its requests (`timeout.http.maxConnectionDuration`). @default unlimited */
  readonly maxConnectionDurationMs?: number;
  /** TCP keepalive (`tcpKeepalive`); each absent part is the kernel's. */
  readonly tcpKeepalive?: {
    readonly probes?: number;
    readonly idleTimeSeconds?: number;
    readonly intervalSeconds?: number;
  };
  /** Soft limit of each connection's buffers, in bytes (`connection.bufferLimit`). @default 32768 (Envoy Gateway's) */
  readonly bufferLimitBytes?: number;
  /** SO_RCVBUF and SO_SNDBUF of each socket to the backend, in bytes (`connection.socketBufferLimit`; Linux doubles them). */
  readonly socketBufferLimitBytes?: number;
  /** Connections opened ahead of need, as ratios 1.0-3.0 (`connection.preconnect`). */
  readonly preconnect?: { readonly perEndpointRatio?: number; readonly predictiveRatio?: number };
  /** PROXY protocol header sent first on each connection (`proxyProtocol`). */
  readonly proxyProtocol?: "V1" | "V2";
}

/** DNS resolution of a hostname backend's variant (no effect on IP backends). */
export interface DnsIr {
  /** Time between resolutions. @default 30s (Envoy Gateway's) */
  readonly refreshRateMs: number;
  /** Use the records' TTL as refresh rate. @default true (Envoy Gateway's) */
  readonly respectDnsTtl: boolean;
  /** Address families asked for. @default IPv4Preferred */
  readonly lookupFamily?: "IPv4" | "IPv6" | "IPv4Preferred" | "IPv6Preferred" | "IPv4AndIPv6";
}

/**
 * Admission control (Envoy's admission_control filter on the variant's upstream requests): while the success
 * rate over the sampling window is below the threshold, a share of requests is answered 503 by Envoy at once.
 * Each absent value is Envoy's default.
 */
export interface AdmissionControlIr {
  /** Window the success rate is measured over (Envoy rounds it to seconds). @default 30s */
  readonly samplingWindowMs?: number;
  /** Success rate, in percent, below which requests are rejected. @default 95 */
  readonly minSuccessRate?: number;
  /** Aggression of the rejection curve (1: linear). @default 1 */
  readonly rejectionAggression?: number;
  /** Requests per second below which nothing is rejected. @default 0 */
  readonly minRequestRate?: number;
  /** Highest rejection probability, in percent. @default 80 */
  readonly maxRejectionPercent?: number;
  /** HTTP status codes that are successes, as given. @default every code below 500 */
  readonly httpSuccessStatuses?: readonly number[];
  /** gRPC status codes that are successes, as given. @default every code but Envoy's server errors */
  readonly grpcSuccessStatuses?: readonly number[];
}
