/**
 * How the proxies talk to a set of backends (Envoy Gateway's ClusterSettings and BackendCluster): load
 * balancing, retries, health checks, circuit breakers, timeouts, connection and DNS settings. Used inline by
 * BackendTrafficPolicy, and by every policy field that calls a service (JWKS, OIDC provider, external
 * authorization, external processing). Field names, enums, bounds and defaults follow Envoy Gateway v1.9.
 */
import type {
  BackendObjectReference,
  Duration,
  Fraction,
  HTTP2Settings,
  HTTPStatus,
  Quantity,
  TCPKeepalive,
} from "./policy-common";

/** A backend of a service a policy calls, with a weight. */
export interface BackendRef extends BackendObjectReference {
  /** Share of the traffic relative to the other backends; 0 sends none. @default 1 @minimum 0 @maximum 1000000 */
  readonly weight?: number;
  /** A fallback backend: used only when the others are unhealthy. */
  readonly fallback?: boolean;
}

/** A service a policy calls: where it is and how to connect to it. */
export interface BackendCluster {
  /** The backend (prefer `backendRefs`). @deprecated use backendRefs */
  readonly backendRef?: BackendObjectReference;
  /** The backends. @maxItems 16 */
  readonly backendRefs?: readonly BackendRef[];
  /** How to connect to these backends. */
  readonly backendSettings?: ClusterSettings;
}

/** Connection, balancing and resilience settings of the traffic to a set of backends. */
export interface ClusterSettings {
  /** How requests are spread over the endpoints. */
  readonly loadBalancer?: LoadBalancer;
  /** Automatic retries. */
  readonly retry?: Retry;
  /** Send a PROXY protocol header on each new connection to the backend. */
  readonly proxyProtocol?: ProxyProtocol;
  /** TCP keepalive of the connections to the backend. @default off */
  readonly tcpKeepalive?: TCPKeepalive;
  /** Active and passive health checking of the endpoints. */
  readonly healthCheck?: HealthCheck;
  /** Limits on connections and requests to the backend. @default Envoy's thresholds */
  readonly circuitBreaker?: CircuitBreaker;
  /** Connect and request timeouts. */
  readonly timeout?: Timeout;
  /** Buffer sizes and preconnection of the backend connections. */
  readonly connection?: BackendConnection;
  /** DNS resolution of hostname backends. */
  readonly dns?: DNS;
  /** HTTP/2 settings of the backend connections. */
  readonly http2?: HTTP2Settings;
}

/** Load balancing algorithm. */
export type LoadBalancerType =
  "ConsistentHash" | "LeastRequest" | "Random" | "RoundRobin" | "BackendUtilization" | "DynamicModule";

/** Load balancing of requests over the endpoints. */
export interface LoadBalancer {
  /** Algorithm. */
  readonly type: LoadBalancerType;
  /** Settings of `ConsistentHash`. */
  readonly consistentHash?: ConsistentHash;
  /** Settings of `BackendUtilization` (weights from the backends' load reports). */
  readonly backendUtilization?: BackendUtilization;
  /** Settings of `DynamicModule` (a balancer from a dynamic module allowed by the EnvoyProxy). */
  readonly dynamicModule?: DynamicModuleLBPolicy;
  /** Send a request to the endpoint a header names, when it is available. */
  readonly endpointOverride?: EndpointOverride;
  /** Ramp traffic up gradually on newly added endpoints. */
  readonly slowStart?: SlowStart;
  /** Keep traffic in the local zone, or weigh zones. */
  readonly zoneAware?: ZoneAware;
}

/** What the consistent hash is computed from. */
export type ConsistentHashType = "SourceIP" | "Header" | "Headers" | "Cookie" | "QueryParams";

/** Consistent hashing: requests with the same key go to the same endpoint. */
export interface ConsistentHash {
  /** What the key is. */
  readonly type: ConsistentHashType;
  /** The header that is the key (type Header). @deprecated use headers */
  readonly header?: Header;
  /** The headers that make up the key (type Headers). */
  readonly headers?: readonly Header[];
  /** The cookie that is the key (type Cookie); generated when absent. */
  readonly cookie?: Cookie;
  /** The query parameters that make up the key (type QueryParams). */
  readonly queryParams?: readonly QueryParam[];
  /** Size of the Maglev lookup table; a prime number. @default 65537 @minimum 2 @maximum 5000011 */
  readonly tableSize?: number;
}

/** A header used as a hash key. */
export interface Header {
  /** Header name. */
  readonly name: string;
}

/** A query parameter used as a hash key. */
export interface QueryParam {
  /** Parameter name. */
  readonly name: string;
}

/** A cookie used as a hash key. */
export interface Cookie {
  /** Cookie name. */
  readonly name: string;
  /** Lifetime of a cookie the proxy generates; without it, no cookie is generated. */
  readonly ttl?: Duration;
  /** Extra attributes of a generated cookie, e.g. `SameSite: Strict`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** Weights from the load the backends report (ORCA). */
export interface BackendUtilization {
  /** How long after a new weight arrives before it is used. */
  readonly blackoutPeriod?: Duration;
  /** How long a weight stays valid without a new report. */
  readonly weightExpirationPeriod?: Duration;
  /** How often weights are recomputed. */
  readonly weightUpdatePeriod?: Duration;
  /** Penalty for a backend's error rate, in percent. @minimum 0 */
  readonly errorUtilizationPenaltyPercent?: number;
  /** Named metrics used as utilization when the report has none. */
  readonly metricNamesForComputingUtilization?: readonly string[];
  /** Keep the load-report headers in the response sent to the client. @default false */
  readonly keepResponseHeaders?: boolean;
  /** Ask the backends for out-of-band load reports. */
  readonly outOfBand?: OutOfBandReporting;
}

/** Out-of-band load reports from the backends. */
export interface OutOfBandReporting {
  /** How often the backends report. */
  readonly reportingPeriod?: Duration;
  /** Port of the reporting service, when not the traffic port. @minimum 1 @maximum 65535 */
  readonly port?: number;
  /** Authority (host) of the reporting requests. @minLength 1 @maxLength 259 @pattern ^[^\x00\n\r]*$ */
  readonly authority?: string;
}

/** A load balancer provided by a dynamic module. */
export interface DynamicModuleLBPolicy {
  /** Name of the module in the EnvoyProxy's allowlist. @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ */
  readonly name: string;
  /** Name of the load balancer inside the module. @minLength 1 @maxLength 253 */
  readonly lbPolicyName: string;
  /** Configuration passed to the module as written. */
  readonly config?: unknown;
}

/** Route to the endpoint a request names. */
export interface EndpointOverride {
  /** Where the endpoint address is read from, in order. @minItems 1 @maxItems 10 */
  readonly extractFrom: readonly EndpointOverrideExtractFrom[];
}

/** A place to read an endpoint address from. */
export interface EndpointOverrideExtractFrom {
  /** Header holding `ip:port`. */
  readonly header?: string;
}

/** Gradual ramp-up of traffic to new endpoints. */
export interface SlowStart {
  /** How long the ramp-up lasts. */
  readonly window: Duration;
}

/** Zone-aware routing. */
export interface ZoneAware {
  /** Prefer endpoints in the proxy's own zone. */
  readonly preferLocal?: PreferLocalZone;
  /** Weights per zone. */
  readonly weightedZones?: readonly WeightedZoneConfig[];
}

/** Preference for the local zone. */
export interface PreferLocalZone {
  /** Send all traffic to the local zone while it has enough endpoints. */
  readonly force?: ForceLocalZone;
  /** Fewest endpoints a zone must have for zone-aware routing to apply. */
  readonly minEndpointsThreshold?: number;
  /** Share of requests routed zone-aware, in percent. @minimum 0 @maximum 100 */
  readonly percentageEnabled?: number;
}

/** Forcing traffic into the local zone. */
export interface ForceLocalZone {
  /** Fewest endpoints the local zone must have for forcing to apply. */
  readonly minEndpointsInZoneThreshold?: number;
}

/** The weight of one zone. */
export interface WeightedZoneConfig {
  /** Zone name. */
  readonly zone: string;
  /** Relative weight. */
  readonly weight: number;
}

/** Automatic retries. */
export interface Retry {
  /** Retries per request. @default 2 @minimum 0 */
  readonly numRetries?: number;
  /** Attempts sent to one priority level before moving to the next; 0 keeps all at the healthiest. */
  readonly numAttemptsPerPriority?: number;
  /** What makes a request retried. @default connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes (503) */
  readonly retryOn?: RetryOn;
  /** Timeout and back-off of each attempt. */
  readonly perRetry?: PerRetryPolicy;
}

/** A condition that triggers a retry. */
export type TriggerEnum =
  | "5xx"
  | "gateway-error"
  | "reset"
  | "reset-before-request"
  | "connect-failure"
  | "retriable-4xx"
  | "refused-stream"
  | "retriable-status-codes"
  | "cancelled"
  | "deadline-exceeded"
  | "internal"
  | "resource-exhausted"
  | "unavailable";

/** The conditions that trigger a retry. */
export interface RetryOn {
  /** Conditions. */
  readonly triggers?: readonly TriggerEnum[];
  /** Response status codes that are retried (with `retriable-status-codes`), each 100-599. */
  readonly httpStatusCodes?: readonly HTTPStatus[];
}

/** Settings of each retry attempt. */
export interface PerRetryPolicy {
  /** Timeout of one attempt. */
  readonly timeout?: Duration;
  /** Back-off between attempts. */
  readonly backOff?: BackOffPolicy;
}

/** Exponential back-off between retries. */
export interface BackOffPolicy {
  /** First interval. */
  readonly baseInterval?: Duration;
  /** Longest interval. */
  readonly maxInterval?: Duration;
}

/** PROXY protocol version. */
export type ProxyProtocolVersion = "V1" | "V2";

/** PROXY protocol towards the backend. */
export interface ProxyProtocol {
  /** Version of the header. */
  readonly version: ProxyProtocolVersion;
}

/** Health checking of the endpoints. */
export interface HealthCheck {
  /** Probes sent by the proxy. */
  readonly active?: ActiveHealthCheck;
  /** Outlier detection from real traffic. */
  readonly passive?: PassiveHealthCheck;
  /** Percentage of unhealthy endpoints at which health is ignored and all endpoints are used; 0 turns this off. @default 50 @minimum 0 @maximum 100 */
  readonly panicThreshold?: number;
}

/** Kind of active health check. */
export type ActiveHealthCheckerType = "HTTP" | "TCP" | "GRPC";

/** Probes the proxy sends to each endpoint. */
export interface ActiveHealthCheck {
  /** Time to wait for a probe's answer. @default 1s */
  readonly timeout?: Duration;
  /** Time between probes. @default 3s */
  readonly interval?: Duration;
  /** Random delay added to each interval. */
  readonly initialJitter?: Duration;
  /** Failed probes before an endpoint is unhealthy. @default 3 @minimum 1 */
  readonly unhealthyThreshold?: number;
  /** Successful probes before an endpoint is healthy again. @default 1 @minimum 1 */
  readonly healthyThreshold?: number;
  /** Kind of probe. */
  readonly type: "HTTP" | "TCP" | "GRPC";
  /** HTTP probe (type HTTP). */
  readonly http?: HTTPActiveHealthChecker;
  /** TCP probe (type TCP). */
  readonly tcp?: TCPActiveHealthChecker;
  /** gRPC health protocol probe (type GRPC). */
  readonly grpc?: GRPCActiveHealthChecker;
  /** Probe settings that differ from the traffic's, e.g. another port. */
  readonly overrides?: HealthCheckOverrides;
  /** Logging of probe events. */
  readonly healthCheckLog?: ProxyHealthCheckLog;
}

/** An HTTP probe. */
export interface HTTPActiveHealthChecker {
  /** Host header of the probe. @default the cluster name @minLength 1 @maxLength 253 @pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
  readonly hostname?: string;
  /** Path requested. @minLength 1 @maxLength 1024 */
  readonly path: string;
  /** Method of the probe. @default GET @maxLength 16 */
  readonly method?: string;
  /** Status codes that mean healthy, each 100-599. @default 200 */
  readonly expectedStatuses?: readonly HTTPStatus[];
  /** Status codes that count against the endpoint without failing it at once, each 100-599. */
  readonly retriableStatuses?: readonly HTTPStatus[];
  /** Body the response must contain. */
  readonly expectedResponse?: ActiveHealthCheckPayload;
  /** Body sent with the probe. */
  readonly requestBody?: ActiveHealthCheckPayload;
}

/** A TCP probe: optional bytes sent and expected. */
export interface TCPActiveHealthChecker {
  /** Bytes sent. */
  readonly send?: ActiveHealthCheckPayload;
  /** Bytes expected back. */
  readonly receive?: ActiveHealthCheckPayload;
}

/** A gRPC health checking protocol probe. */
export interface GRPCActiveHealthChecker {
  /** Service name asked about. @default the whole server */
  readonly service?: string;
}

/** Text or binary content of a probe. */
export type ActiveHealthCheckPayloadType = "Text" | "Binary";

/** Content of a probe or of its expected answer. */
export interface ActiveHealthCheckPayload {
  /** Text or binary. */
  readonly type: "Text" | "Binary";
  /** The text (type Text). */
  readonly text?: string;
  /** The bytes, base64-encoded (type Binary). */
  readonly binary?: string;
}

/** Probe settings that differ from those of the traffic. */
export interface HealthCheckOverrides {
  /** Port probed instead of the traffic port. @minimum 1 @maximum 65535 */
  readonly port?: number;
}

/** A health check event kind that is logged. */
export type ProxyHealthCheckLogEventType = "Failure" | "FailureSeriesStart" | "Success" | "HealthyTransition";

/** Logging of health check events. */
export interface ProxyHealthCheckLog {
  /** Where events are written. @maxItems 1 */
  readonly sinks?: readonly ProxyHealthCheckLogSink[];
  /** Which events are written. @maxItems 4 */
  readonly matches?: readonly ProxyHealthCheckLogEventType[];
}

/** A place health check events are written to. */
export interface ProxyHealthCheckLogSink {
  /** Kind of sink. */
  readonly type: "File";
  /** File sink. */
  readonly file?: FileEnvoyProxyHealthCheckLog;
}

/** A file health check events are written to. */
export interface FileEnvoyProxyHealthCheckLog {
  /** Path of the file. @minLength 1 */
  readonly path: string;
}

/** Outlier detection: endpoints that fail real requests are ejected for a while. */
export interface PassiveHealthCheck {
  /** Count local-origin failures (connect errors, timeouts) apart from responses. @default false */
  readonly splitExternalLocalOriginErrors?: boolean;
  /** Time between ejection sweeps. @default 3s */
  readonly interval?: Duration;
  /** Consecutive local-origin failures before ejection. @default 5 */
  readonly consecutiveLocalOriginFailures?: number;
  /** Consecutive 502/503/504 responses before ejection. */
  readonly consecutiveGatewayErrors?: number;
  /** Consecutive 5xx responses before ejection. @default 5 */
  readonly consecutive5XxErrors?: number;
  /** Base time an endpoint stays ejected (multiplied by the number of ejections). @default 30s */
  readonly baseEjectionTime?: Duration;
  /** Most endpoints that may be ejected, in percent. @default 10 @minimum 0 @maximum 100 */
  readonly maxEjectionPercent?: number;
  /** Failure percentage at which an endpoint is ejected. @default 85 @minimum 0 @maximum 100 */
  readonly failurePercentageThreshold?: number;
  /** Always allow one endpoint to be ejected, whatever maxEjectionPercent says. @default false */
  readonly alwaysEjectOneEndpoint?: boolean;
}

/** Limits on the traffic to a backend; over them, requests fail fast. */
export interface CircuitBreaker {
  /** Most connections to the backend. @default 1024 @minimum 0 @maximum 4294967295 */
  readonly maxConnections?: number;
  /** Most requests waiting for a connection. @default 1024 @minimum 0 @maximum 4294967295 */
  readonly maxPendingRequests?: number;
  /** Most requests in flight. @default 1024 @minimum 0 @maximum 4294967295 */
  readonly maxParallelRequests?: number;
  /** Most retries in flight. @default 1024 @minimum 0 @maximum 4294967295 */
  readonly maxParallelRetries?: number;
  /** Most requests sent over one connection. @default unlimited @minimum 0 @maximum 4294967295 */
  readonly maxRequestsPerConnection?: number;
  /** Limits per endpoint. */
  readonly perEndpoint?: PerEndpointCircuitBreakers;
  /** Retries allowed as a share of active requests (takes precedence over maxParallelRetries). */
  readonly retryBudget?: RetryBudget;
}

/** Limits per endpoint. */
export interface PerEndpointCircuitBreakers {
  /** Most connections to one endpoint. @default 1024 @minimum 0 @maximum 4294967295 */
  readonly maxConnections?: number;
}

/** Retries allowed as a share of the requests in flight. */
export interface RetryBudget {
  /** The share. */
  readonly percent: Fraction;
  /** Retries always allowed, whatever the share. */
  readonly minRetryConcurrency?: number;
}

/** Timeouts of the backend connections. */
export interface Timeout {
  /** TCP timeouts. */
  readonly tcp?: TCPTimeout;
  /** HTTP timeouts. */
  readonly http?: HTTPTimeout;
}

/** TCP timeouts. */
export interface TCPTimeout {
  /** Time to establish a connection. @default 10s */
  readonly connectTimeout?: Duration;
}

/** HTTP timeouts. */
export interface HTTPTimeout {
  /** Idle time after which a connection is closed. @default 1h */
  readonly connectionIdleTimeout?: Duration;
  /** Longest life of a connection. @default unlimited */
  readonly maxConnectionDuration?: Duration;
  /** Time until the whole response has been received from the backend. */
  readonly requestTimeout?: Duration;
  /** Longest time for a streaming request to complete; `0s` means none. */
  readonly maxStreamDuration?: Duration;
  /** Idle time after which a stream is reset. @default the listener's (ClientTrafficPolicy) */
  readonly streamIdleTimeout?: Duration;
}

/** Connection settings of a backend. */
export interface BackendConnection {
  /** Soft limit of each connection's read and write buffers. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly bufferLimit?: Quantity;
  /** Kernel socket buffer size of each connection. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly socketBufferLimit?: Quantity;
  /** Open connections before they are needed. */
  readonly preconnect?: PreconnectPolicy;
}

/** Preconnection. */
export interface PreconnectPolicy {
  /** Connections kept per endpoint, as a percentage of the expected need. @minimum 100 @maximum 300 */
  readonly perEndpointPercent?: number;
  /** Connections kept for the whole backend, as a percentage of the expected need. @minimum 100 */
  readonly predictivePercent?: number;
}

/** Address families asked for in DNS. */
export type DNSLookupFamily = "IPv4" | "IPv6" | "IPv4Preferred" | "IPv6Preferred" | "IPv4AndIPv6";

/** DNS resolution of hostname backends. */
export interface DNS {
  /** How often names are resolved again. @default 30s */
  readonly dnsRefreshRate?: Duration;
  /** Use the records' TTL as refresh rate. @default true */
  readonly respectDnsTtl?: boolean;
  /** Address families asked for. */
  readonly lookupFamily?: DNSLookupFamily;
}
