/**
 * BackendTrafficPolicy spec (gateway.envoyproxy.io/v1alpha1): how the proxies send traffic to the backends of
 * its targets. Field names, enums, bounds and defaults follow Envoy Gateway v1.9's API reference.
 */
import type { ClusterSettings } from "./backend-cluster";
import type { PolicyTargetReferences } from "./envoy-gateway-policies";
import type {
  CustomResponseBody,
  Duration,
  EmptyObject,
  Fraction,
  GatewayHTTPHeaderFilter,
  GatewayHTTPPathModifier,
  HeaderName,
  HTTPMethod,
  HTTPStatus,
  PathMatch,
  PreciseHostname,
  Quantity,
  StringMatch,
} from "./policy-common";

/** BackendTrafficPolicy spec: targets, the backend connection settings (inline) and request handling. */
export interface BackendTrafficPolicySpec extends PolicyTargetReferences, ClusterSettings {
  /** Merge this route-level policy onto the policy of the route's parent: `StrategicMerge` or `JSONMerge`. @default no merge: the most specific policy wins */
  readonly mergeType?: string;
  /** Rate limits. */
  readonly rateLimit?: RateLimitSpec;
  /** Bandwidth limits of requests and responses. */
  readonly bandwidthLimit?: BandwidthLimitSpec;
  /** Injected delays and aborts, for testing. */
  readonly faultInjection?: FaultInjection;
  /** Probabilistic rejection of requests when the success rate drops. */
  readonly admissionControl?: AdmissionControl;
  /** Talk to the backend in the client's HTTP version. @default false */
  readonly useClientProtocol?: boolean;
  /** Response compression. @deprecated use compressor */
  readonly compression?: readonly Compression[];
  /** Response compression, the first listed preferred among equal client preferences. */
  readonly compressor?: readonly Compression[];
  /** Replace some responses with custom ones; the first match wins. */
  readonly responseOverride?: readonly ResponseOverride[];
  /** Protocol upgrades allowed. @default websocket */
  readonly httpUpgrade?: readonly ProtocolUpgradeConfig[];
  /** Buffer whole requests before sending them upstream, with a size limit. */
  readonly requestBuffer?: RequestBuffer;
  /** Tracing and metrics of the target, over the EnvoyProxy's. */
  readonly telemetry?: BackendTelemetry;
  /** `Service` (the cluster IP) or `Endpoint` (the pod addresses), over the EnvoyProxy's setting. */
  readonly routingType?: string;
}

/** Kind of rate limit. */
export type RateLimitType = "Global" | "Local";

/** Rate limits. */
export interface RateLimitSpec {
  /** Global or local. */
  readonly type?: RateLimitType;
  /** Limits shared by all proxies, counted by the rate limit service. */
  readonly global?: GlobalRateLimit;
  /** Limits counted by each proxy on its own. */
  readonly local?: LocalRateLimit;
}

/** Global rate limits. */
export interface GlobalRateLimit {
  /** Rules; a request counts against every rule it matches. @maxItems 256 */
  readonly rules: readonly RateLimitRule[];
}

/** Local rate limits. */
export interface LocalRateLimit {
  /** Rules; a request matching several is held to the strictest. @maxItems 16 */
  readonly rules?: readonly RateLimitRule[];
}

/** One rate limit: which requests, how many. */
export interface RateLimitRule {
  /** Which requests the limit applies to; all when empty. @maxItems 8 */
  readonly clientSelectors?: readonly RateLimitSelectCondition[];
  /** The limit. */
  readonly limit: RateLimitValue;
  /** How much a request (or its response) costs against the limit. @default 1 per request */
  readonly cost?: RateLimitCost;
  /** One counter for every route the policy targets, instead of one per route. */
  readonly shared?: boolean;
  /** Count, but never reject. */
  readonly shadowMode?: boolean;
  /** Whether to send `X-RateLimit-*` headers. */
  readonly xRateLimitHeaders?: XRateLimitHeadersOption;
}

/** `X-RateLimit-*` response headers. */
export type XRateLimitHeadersOption = "Off" | "DraftVersion03";

/** Request attributes a rate limit rule selects on; all must match. */
export interface RateLimitSelectCondition {
  /** Headers. @maxItems 128 */
  readonly headers?: readonly HeaderMatch[];
  /** Methods; any one matches. */
  readonly methods?: readonly MethodMatch[];
  /** Path. */
  readonly path?: PathMatch;
  /** Client address range. */
  readonly sourceCIDR?: SourceMatch;
  /** Query parameters. @maxItems 16 */
  readonly queryParams?: readonly QueryParamMatch[];
}

/** How a header is matched; `Distinct` counts each value separately. */
export type HeaderMatchType = "Exact" | "RegularExpression" | "Distinct";

/** A header condition. */
export interface HeaderMatch {
  /** How to compare. @default Exact */
  readonly type?: HeaderMatchType;
  /** Header name. @minLength 1 @maxLength 256 */
  readonly name: string;
  /** Value to compare with (not for Distinct). @maxLength 1024 */
  readonly value?: string;
  /** Match requests that do NOT match. @default false */
  readonly invert?: boolean;
}

/** A method condition. */
export interface MethodMatch {
  /** The method. */
  readonly value: HTTPMethod;
  /** Match requests with another method. @default false */
  readonly invert?: boolean;
}

/** How a query parameter is matched; `Distinct` counts each value separately. */
export type QueryParamMatchType = "Exact" | "RegularExpression" | "Distinct";

/** A query parameter condition. */
export interface QueryParamMatch {
  /** How to compare. @default Exact */
  readonly type?: QueryParamMatchType;
  /** Parameter name. @minLength 1 @maxLength 256 */
  readonly name: string;
  /** Value to compare with (not for Distinct). @maxLength 1024 */
  readonly value?: string;
  /** Match requests that do NOT match. @default false */
  readonly invert?: boolean;
}

/** How a client address is matched; `Distinct` counts each address separately. */
export type SourceMatchType = "Exact" | "Distinct";

/** A client address condition. */
export interface SourceMatch {
  /** How to compare. @default Exact */
  readonly type?: SourceMatchType;
  /** A CIDR, e.g. `10.0.0.0/8`. @minLength 1 @maxLength 256 */
  readonly value: string;
  /** Match clients outside the range. @default false */
  readonly invert?: boolean;
}

/** Time unit of a rate limit. */
export type RateLimitUnit = "Second" | "Minute" | "Hour" | "Day" | "Week" | "Month" | "Year";

/** A number of requests per time unit. */
export interface RateLimitValue {
  /** Requests allowed per unit. @minimum 0 @maximum 4294967295 */
  readonly requests: number;
  /** Time unit. */
  readonly unit: RateLimitUnit;
  /** Read the limit from dynamic metadata instead (global limits only). */
  readonly fromMetadata?: RateLimitValueMetadata;
}

/** Where in dynamic metadata a limit is read from. */
export interface RateLimitValueMetadata {
  /** Metadata namespace. @minLength 1 */
  readonly namespace: string;
  /** Key in the namespace. @minLength 1 */
  readonly key: string;
}

/** Cost of a request and of its response. */
export interface RateLimitCost {
  /** Cost taken when the request arrives. */
  readonly request?: RateLimitCostSpecifier;
  /** Cost taken when the response completes (global limits only). */
  readonly response?: RateLimitCostSpecifier;
}

/** Where a cost comes from. */
export type RateLimitCostFrom = "Number" | "Metadata";

/** A cost. */
export interface RateLimitCostSpecifier {
  /** A fixed number, or dynamic metadata. */
  readonly from: RateLimitCostFrom;
  /** The fixed cost (from Number). */
  readonly number?: number;
  /** The metadata holding the cost (from Metadata). */
  readonly metadata?: RateLimitCostMetadata;
}

/** Dynamic metadata holding a cost. */
export interface RateLimitCostMetadata {
  /** Metadata namespace. */
  readonly namespace: string;
  /** Key in the namespace. */
  readonly key: string;
}

/** Bandwidth limits. */
export interface BandwidthLimitSpec {
  /** Limit of the request direction. */
  readonly request?: BandwidthLimitRequestConfig;
  /** Limit of the response direction. */
  readonly response?: BandwidthLimitResponseConfig;
}

/** Bandwidth limit of requests. */
export interface BandwidthLimitRequestConfig {
  /** The rate. */
  readonly limit: BandwidthLimitValue;
}

/** Bandwidth limit of responses. */
export interface BandwidthLimitResponseConfig {
  /** The rate. */
  readonly limit: BandwidthLimitValue;
  /** Trailers reporting the delay the limit added. */
  readonly responseTrailers?: BandwidthLimitResponseTrailers;
}

/** Trailers that report the delay a bandwidth limit added. */
export interface BandwidthLimitResponseTrailers {
  /** Prefix of the trailer names. @pattern ^[^\r\n\x00]*$ */
  readonly prefix?: string;
}

/** Time unit of a bandwidth limit. */
export type BandwidthLimitUnit = "Second" | "Minute" | "Hour";

/** Bytes per time unit. */
export interface BandwidthLimitValue {
  /** Bytes, e.g. `1Mi`. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly value: Quantity;
  /** Time unit. */
  readonly unit: BandwidthLimitUnit;
}

/** Injected faults. */
export interface FaultInjection {
  /** Delay requests. */
  readonly delay?: FaultInjectionDelay;
  /** Answer requests with an error instead of forwarding them. */
  readonly abort?: FaultInjectionAbort;
}

/** An injected delay. */
export interface FaultInjectionDelay {
  /** The delay. */
  readonly fixedDelay: Duration;
  /** Percentage of requests delayed. @default 100 @format float */
  readonly percentage?: number;
}

/** An injected error; exactly one of httpStatus and grpcStatus. */
export interface FaultInjectionAbort {
  /** HTTP status returned. @minimum 200 @maximum 600 */
  readonly httpStatus?: number;
  /** gRPC status returned. @minimum 0 @maximum 16 */
  readonly grpcStatus?: number;
  /** Percentage of requests aborted. @default 100 @format float */
  readonly percentage?: number;
}

/** Admission control: reject a share of requests while the recent success rate is low. */
export interface AdmissionControl {
  /** Window the success rate is measured over. */
  readonly samplingWindow?: Duration;
  /** Success rate, in percent, below which rejection starts. @minimum 1 @maximum 100 */
  readonly minSuccessRate?: number;
  /** How steeply rejection grows as the success rate falls. @minimum 1 */
  readonly rejectionAggression?: number;
  /** Requests per second below which nothing is rejected. @minimum 0 */
  readonly minRequestRate?: number;
  /** Highest share of requests rejected, in percent. @minimum 0 @maximum 100 */
  readonly maxRejectionPercent?: number;
  /** What counts as a success. */
  readonly successCriteria?: AdmissionControlSuccessCriteria;
}

/** What counts as a successful request. */
export interface AdmissionControlSuccessCriteria {
  /** For HTTP. */
  readonly http?: HTTPSuccessCriteria;
  /** For gRPC. */
  readonly grpc?: GRPCSuccessCriteria;
}

/** HTTP success. */
export interface HTTPSuccessCriteria {
  /** Status codes that are successes, each 100-599. */
  readonly statusCodes?: readonly HTTPStatus[];
}

/** A gRPC status. */
export type GRPCSuccessCode =
  | "Ok"
  | "Cancelled"
  | "Unknown"
  | "InvalidArgument"
  | "DeadlineExceeded"
  | "NotFound"
  | "AlreadyExists"
  | "PermissionDenied"
  | "ResourceExhausted"
  | "FailedPrecondition"
  | "Aborted"
  | "OutOfRange"
  | "Unimplemented"
  | "Internal"
  | "Unavailable"
  | "DataLoss"
  | "Unauthenticated";

/** gRPC success. */
export interface GRPCSuccessCriteria {
  /** gRPC statuses that are successes. */
  readonly statusCodes?: readonly GRPCSuccessCode[];
}

/** Compression algorithm. */
export type CompressorType = "Gzip" | "Brotli" | "Zstd";

/** One compression algorithm offered to clients. */
export interface Compression {
  /** Algorithm. */
  readonly type: CompressorType;
  /** Brotli settings (none yet). */
  readonly brotli?: EmptyObject;
  /** Gzip settings (none yet). */
  readonly gzip?: EmptyObject;
  /** Zstd settings (none yet). */
  readonly zstd?: EmptyObject;
  /** Smallest response compressed. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly minContentLength?: Quantity;
}

/** A response override: when a response matches, send another. */
export interface ResponseOverride {
  /** Which responses are replaced. */
  readonly match: CustomResponseMatch;
  /** The response sent instead. */
  readonly response?: CustomResponse;
  /** A redirect sent instead. */
  readonly redirect?: CustomRedirect;
  /** Which responses may match: all, those generated by the proxy, or those from the backend. @default All */
  readonly source?: ResponseOverrideSource;
}

/** Origin of the responses an override looks at. */
export type ResponseOverrideSource = "All" | "Local" | "Backend";

/** Which responses are replaced; both lists must match when both are set. */
export interface CustomResponseMatch {
  /** Status codes. @minItems 1 @maxItems 50 */
  readonly statusCodes?: readonly StatusCodeMatch[];
  /** Response headers. @minItems 1 @maxItems 16 */
  readonly responseHeaders?: readonly ResponseOverrideHeaderMatch[];
}

/** A response header condition. */
export interface ResponseOverrideHeaderMatch {
  /** Header name. */
  readonly name: HeaderName;
  /** Value condition. */
  readonly value: StringMatch;
}

/** One status code or a range. */
export type StatusCodeValueType = "Value" | "Range";

/** A status code condition. */
export interface StatusCodeMatch {
  /** One code or a range. @default Value */
  readonly type: "Value" | "Range";
  /** The code (type Value). */
  readonly value?: number;
  /** The range (type Range). */
  readonly range?: StatusCodeRange;
}

/** An inclusive range of status codes. */
export interface StatusCodeRange {
  /** First code. */
  readonly start: number;
  /** Last code. */
  readonly end: number;
}

/** A custom response. */
export interface CustomResponse {
  /** Content-Type of the body. */
  readonly contentType?: string;
  /** The body. */
  readonly body?: CustomResponseBody;
  /** Status code. */
  readonly statusCode?: number;
  /** Header changes. */
  readonly header?: GatewayHTTPHeaderFilter;
}

/** A redirect sent instead of a response. */
export interface CustomRedirect {
  /** Scheme of the new location. */
  readonly scheme?: "http" | "https";
  /** Host of the new location. */
  readonly hostname?: PreciseHostname;
  /** Path of the new location. */
  readonly path?: GatewayHTTPPathModifier;
  /** Port of the new location. */
  readonly port?: number;
  /** Redirect status. @default 302 */
  readonly statusCode?: 301 | 302;
}

/** A protocol upgrade allowed on the route. */
export interface ProtocolUpgradeConfig {
  /** Upgrade name, case-insensitive, e.g. `websocket`, `CONNECT`. */
  readonly type: string;
  /** CONNECT settings (type CONNECT only). */
  readonly connect?: ConnectConfig;
}

/** CONNECT handling. */
export interface ConnectConfig {
  /** Terminate the CONNECT at the proxy and forward the payload as raw TCP. */
  readonly terminate?: boolean;
}

/** Request buffering. */
export interface RequestBuffer {
  /** Largest request body; larger requests get 413. @pattern ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ */
  readonly limit?: Quantity;
}

/** Telemetry of a target. */
export interface BackendTelemetry {
  /** Tracing, over the EnvoyProxy's. */
  readonly tracing?: Tracing;
  /** Metrics. */
  readonly metrics?: BackendMetrics;
}

/** Metrics of a target. */
export interface BackendMetrics {
  /** Stat prefix of the routes, with `%ROUTE_NAME%`, `%ROUTE_NAMESPACE%`, `%ROUTE_KIND%`. @default none */
  readonly routeStatName?: string;
}

/** Tracing of a target. */
export interface Tracing {
  /** Share of requests traced. */
  readonly samplingFraction?: Fraction;
  /** Share of requests traced when the client asks for it. */
  readonly clientSamplingFraction?: Fraction;
  /** Share of all requests traced, applied after the others. */
  readonly overallSamplingFraction?: Fraction;
  /** Tags added to each span. @deprecated use tags */
  readonly customTags?: Readonly<Record<string, CustomTag>>;
  /** Tags added to each span; values may use Envoy command operators. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Names of the spans. */
  readonly spanName?: TracingSpanName;
}

/** Span names, with Envoy command operators. */
export interface TracingSpanName {
  /** Name of the client span. */
  readonly client: string;
  /** Name of the server span. */
  readonly server: string;
}

/** A span tag. */
export interface CustomTag {
  /** Where the value comes from. @default Literal */
  readonly type: "Literal" | "Environment" | "RequestHeader";
  /** A fixed value. */
  readonly literal?: LiteralCustomTag;
  /** An environment variable. */
  readonly environment?: EnvironmentCustomTag;
  /** A request header. */
  readonly requestHeader?: RequestHeaderCustomTag;
}

/** A fixed tag value. */
export interface LiteralCustomTag {
  /** The value. */
  readonly value: string;
}

/** A tag value from an environment variable. */
export interface EnvironmentCustomTag {
  /** Variable name. */
  readonly name: string;
  /** Value when the variable is unset. */
  readonly defaultValue?: string;
}

/** A tag value from a request header. */
export interface RequestHeaderCustomTag {
  /** Header name. */
  readonly name: string;
  /** Value when the header is absent. */
  readonly defaultValue?: string;
}
