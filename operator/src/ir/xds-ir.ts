/**
 * The xDS IR: what one Gateway's Envoy must do, as plain readonly data, independent of Envoy's protos.
 * The translator produces it; the xDS translator turns it into Envoy resources.
 */
import type { PatchPolicyIr } from "./patch-ir";
import type { RouteExtensionsIr } from "./extension-ir";
import type { ClusterPolicyIr, RouteTrafficIr } from "./backend-traffic-ir";
import type { ClientTrafficIr } from "./client-traffic-ir";
import type { TlsParamsIr } from "./client-traffic-tls-ir";
import type { AuthorizationIr, RouteSecurityIr } from "./security-ir";
import type { GrpcAccessLogSinkIr, RouteTracingIr, TracingIr } from "./telemetry-ir";

/** Everything one Gateway's Envoy serves. */
export interface GatewayXdsIr {
  /** `namespace/name` of the Gateway, or the GatewayClass name of merged Gateways; also the Envoy node id. */
  readonly name: string;
  /** HTTP and HTTPS listeners, one per port. */
  readonly http: readonly HttpListenerIr[];
  /** TCP, TLS passthrough and TLS terminate (TLSRoute/TCPRoute) listeners, one per port; absent when none. */
  readonly tcp?: readonly TcpListenerIr[];
  /** UDP listeners, one per port; absent when none. */
  readonly udp?: readonly UdpListenerIr[];
  /**
   * Secrets served over SDS, sorted by name; absent when none: certificates and keys the listeners use, and
   * generic secrets the filters read (OAuth2 client and HMAC secrets).
   */
  readonly secrets?: readonly (SecretIr | GenericSecretIr)[];
  /** Upstream clusters, one per backend, shared by every route that uses it. */
  readonly clusters: readonly ClusterIr[];
  /** Access logs of every HTTP request and TCP connection, in order; absent or empty: none. */
  readonly accessLogs?: readonly AccessLogIr[];
  /** EnvoyPatchPolicies applied to this node's Envoy resources, in order; absent: none. */
  readonly patches?: readonly PatchPolicyIr[];
  /**
   * The extension-owned policies (`policyResources`) that target this node's Gateways (or their listeners), each
   * as its JSON text: sent to the Translation hook. @default none
   */
  readonly extensionPolicies?: readonly string[];
  /** Extra stats the node's EnvoyProxy asks for (`telemetry.metrics`); absent: none. */
  readonly metrics?: ProxyMetricsIr;
}

/** Extra stats of a node (EnvoyProxy `telemetry.metrics`); a field is present only when on. */
export interface ProxyMetricsIr {
  /** A virtual cluster per virtual host, so Envoy counts each host's requests (`vhost.<name>.vcluster.<host>.*`). */
  readonly virtualHostStats?: true;
  /** Stats per upstream endpoint (cluster `track_cluster_stats.per_endpoint_stats`). */
  readonly perEndpointStats?: true;
  /** Request and response size histograms (cluster `track_cluster_stats.request_response_sizes`). */
  readonly requestResponseSizes?: true;
}

/**
 * One access log: a line per HTTP request (or TCP connection) written to a file, or (`sink`) an entry sent to a
 * gRPC sink (ALS or OpenTelemetry; `path` and `format` are then unused).
 */
export interface AccessLogIr {
  /** File to append to; `/dev/stdout` is the proxy's standard output. */
  readonly path: string;
  /** The gRPC sink the entries go to instead of `path` (EnvoyProxy ALS and OpenTelemetry sinks). @default none */
  readonly sink?: GrpcAccessLogSinkIr;
  /**
   * A JSON object per line (field name → Envoy format command; absent: Envoy Gateway's default fields), or a
   * text line.
   */
  readonly format:
    | { readonly type: "json"; readonly fields?: Readonly<Record<string, string>> }
    | { readonly type: "text"; readonly line: string };
  /** CEL expressions (Envoy attributes) a request must all satisfy to be logged; absent: every request. */
  readonly matches?: readonly string[];
  /**
   * Where it logs: `route` (every request or connection a route took), `listener` (every one, at the listener);
   * absent: both, the listener keeping only what no route took (Envoy Gateway's default).
   */
  readonly type?: "route" | "listener";
}

/** One HTTP listener (an Envoy Listener with an HTTP connection manager). */
export interface HttpListenerIr {
  /**
   * Envoy Gateway's name: that of the first listener on the port, `namespace/gateway/listener` (ADR 0006). Also
   * the RouteConfiguration name, and the plaintext filter chain's.
   */
  readonly name: string;
  /** Address to bind. */
  readonly address: string;
  /** Port to bind. */
  readonly port: number;
  /** Tracing of its requests (EnvoyProxy `telemetry.tracing`); absent: none. */
  readonly tracing?: TracingIr;
  /** Its UUID request ID extension (EnvoyProxy `telemetry.requestID`); absent: Envoy's default (pack and sample). */
  readonly requestId?: RequestIdIr;
  /** Virtual hosts, most specific domain first. */
  readonly virtualHosts: readonly VirtualHostIr[];
  /** HTTPS: one TLS filter chain per SNI group; absent for plain HTTP. */
  readonly tls?: readonly TlsChainIr[];
  /**
   * TLS listeners sharing the port with HTTPS ones: their SNI names are proxied (tcp_proxy), not
   * terminated for HTTP; absent when none. None of their server names is also an HTTPS chain's.
   */
  readonly tlsRoutes?: readonly TcpChainIr[];
  /** More addresses to bind (a Gateway's spec.addresses beyond the first); absent when none. */
  readonly additionalAddresses?: readonly string[];
  /** `::` also accepts IPv4 connections (EnvoyProxy `ipFamily: DualStack`, as Envoy Gateway). @default false */
  readonly ipv4Compat?: true;
  /** Settings of the ClientTrafficPolicy that applies here; absent when none does. */
  readonly clientTraffic?: ClientTrafficIr;
  /**
   * A GRPCRoute is attached to a listener on this port: Envoy Gateway's default grpc_web and grpc_stats filters go
   * on the HTTP connection manager (ClientTrafficPolicy `grpc` decides grpc_web); absent when none is.
   */
  readonly grpcRoutes?: true;
  /**
   * EnvoyProxy `telemetry.metrics.enableGRPCStats` as set: `true` puts grpc_stats on this listener whatever its
   * routes, `false` leaves it off even with a GRPCRoute; absent: on where a GRPCRoute is attached (Envoy Gateway).
   */
  readonly grpcStats?: boolean;
  /** Moves of HTTP filters away from Envoy Gateway's order (EnvoyProxy `spec.filterOrder`), applied in order; absent: none. */
  readonly filterOrder?: readonly FilterPositionIr[];
  /**
   * The GeoIP databases of the proxies (EnvoyProxy `spec.geoIP`); the geoip filter is added when a route's
   * authorization has geolocation conditions. Absent: none.
   */
  readonly geoIp?: GeoIpProviderIr;
  /**
   * The extension-owned policies (`policyResources`) that target a Gateway on this port (or its listener by
   * `sectionName`), each as its JSON text: sent to the HTTPListener hook. @default none
   */
  readonly extensionPolicies?: readonly string[];
}

/** MaxMind database files (paths on the proxy); at least one is set. */
export interface GeoIpProviderIr {
  /** City database (country, region, city). */
  readonly cityDbPath?: string;
  /** Country database (MaxMind `country_db_path`): country lookups, before the City database. */
  readonly countryDbPath?: string;
  /** ASN database. */
  readonly asnDbPath?: string;
  /** ISP database. */
  readonly ispDbPath?: string;
  /** Anonymous IP database. */
  readonly anonymousIpDbPath?: string;
}

/**
 * One position of EnvoyProxy `spec.filterOrder` (Envoy Gateway's `FilterPosition`): the filters of type `name` go
 * right before the first filter of type `before`, or right after the last filter of type `after`.
 */
export interface FilterPositionIr {
  /** Filter type (an `EnvoyFilter` name such as `envoy.filters.http.cors`) to move. */
  readonly name: string;
  /** Filter type to move it before; exactly one of before and after is set. */
  readonly before?: string;
  /** Filter type to move it after. */
  readonly after?: string;
}

/** TLS termination for the connections whose SNI matches `serverNames`. */
export interface TlsChainIr {
  /** Filter chain name: the xDS name of the HTTPS listener it serves (Envoy Gateway's). */
  readonly name: string;
  /** SNI names this chain serves (exact or `*.suffix`); empty means any (the default chain). */
  readonly serverNames: readonly string[];
  /** How the connection is terminated. */
  readonly tls: DownstreamTlsIr;
}

/** Downstream TLS termination settings. */
export interface DownstreamTlsIr {
  /** Names of the SecretIr certificates to offer (Envoy picks by SNI and key type). */
  readonly certificates: readonly string[];
  /** Client certificate validation (mutual TLS); absent when clients are not asked for a certificate. */
  readonly clientValidation?: ClientValidationIr;
}

/** How client certificates are validated. */
export interface ClientValidationIr {
  /** PEM CA bundle client certificates must chain to. */
  readonly caCertificate: string;
  /** true: connections without a valid certificate are accepted too (AllowInsecureFallback). */
  readonly optional: boolean;
}

/** A certificate and its private key, served to Envoy as an SDS Secret. */
export interface SecretIr {
  /** Stable name: `namespace/name` of the Secret (Envoy Gateway's). */
  readonly name: string;
  /** PEM certificate chain. */
  readonly certificateChain: string;
  /** PEM private key. */
  readonly privateKey: string;
}

/**
 * An opaque value served to Envoy as an SDS Secret (`generic_secret`), read by a filter by name: a new value
 * reaches the filter over SDS without touching listeners.
 */
export interface GenericSecretIr {
  /** Stable name, e.g. `oauth2/client_secret/securitypolicy/<ns>/<name>`. */
  readonly name: string;
  /** Marks the generic kind (TLS secrets have none). */
  readonly kind: "generic";
  /** The value, base64. */
  readonly value: string;
}

/** Whether a served secret is a generic one. */
export function isGenericSecret(s: SecretIr | GenericSecretIr): s is GenericSecretIr {
  return (s as GenericSecretIr).kind === "generic";
}

/** One TCP listener: connections are proxied (tcp_proxy) by SNI, or all to one route. */
export interface TcpListenerIr {
  /** Envoy Gateway's name: that of the first TLS or TCP listener on the port, `namespace/gateway/listener`. */
  readonly name: string;
  /** Address to bind. */
  readonly address: string;
  /** Port to bind. */
  readonly port: number;
  /** Filter chains; at most one without server names. */
  readonly chains: readonly TcpChainIr[];
  /** More addresses to bind (a Gateway's spec.addresses beyond the first); absent when none. */
  readonly additionalAddresses?: readonly string[];
  /** `::` also accepts IPv4 connections (EnvoyProxy `ipFamily: DualStack`, as Envoy Gateway). @default false */
  readonly ipv4Compat?: true;
  /** Settings of the ClientTrafficPolicy that applies here; absent when none does. */
  readonly clientTraffic?: ClientTrafficIr;
}

/** Where the connections of one SNI group go. */
export interface TcpChainIr {
  /** Stable name: `tlsroute/ns/name` or `tcproute/ns/name`. */
  readonly name: string;
  /** SNI names (exact or `*.suffix`); empty means any connection (no SNI needed). */
  readonly serverNames: readonly string[];
  /** TLS termination (TLS listener in Terminate mode); absent to pass the bytes through. */
  readonly tls?: DownstreamTlsIr;
  /** Weighted destinations; an invalid share's connections are refused. Empty: every connection is refused. */
  readonly destinations: readonly WeightedDestinationIr[];
  /**
   * The destinations hash connections by client address (a BackendTrafficPolicy's SourceIP ConsistentHash): one
   * client address goes to one endpoint. @default false
   */
  readonly hashSourceIp?: true;
  /** Client address rules of the SecurityPolicy that applies here (network RBAC before tcp_proxy); absent: none. */
  readonly authorization?: AuthorizationIr;
}

/** One UDP listener: datagrams are proxied (udp_proxy) to one route's backends. */
export interface UdpListenerIr {
  /** Envoy Gateway's name: that of the first UDP listener on the port, `namespace/gateway/listener`. */
  readonly name: string;
  /** Address to bind. */
  readonly address: string;
  /** Port to bind. */
  readonly port: number;
  /** Name of the route it serves (`udproute/ns/name`). */
  readonly route: string;
  /**
   * Weighted destinations; sessions are split by weight over the valid ones (see xds/translate/udp.ts);
   * with none valid, datagrams are dropped.
   */
  readonly destinations: readonly WeightedDestinationIr[];
  /**
   * Sessions are hashed by client address (a BackendTrafficPolicy's SourceIP ConsistentHash): one client address
   * goes to one endpoint. @default false
   */
  readonly hashSourceIp?: true;
  /** More addresses to bind (a Gateway's spec.addresses beyond the first); absent when none. */
  readonly additionalAddresses?: readonly string[];
  /** `::` also accepts IPv4 connections (EnvoyProxy `ipFamily: DualStack`, as Envoy Gateway). @default false */
  readonly ipv4Compat?: true;
}

/** A virtual host: a set of domains and its ordered routes. */
export interface VirtualHostIr {
  /** Stable name. */
  readonly name: string;
  /** Domains (`*` for any host). */
  readonly domains: readonly string[];
  /** Routes in match order. */
  readonly routes: readonly RouteIr[];
}

/** A string match on a header or query parameter. */
export interface StringMatchIr {
  /** Header or parameter name. */
  readonly name: string;
  /** Exact or regular expression (RE2). */
  readonly type: "Exact" | "RegularExpression";
  /** Value or pattern. */
  readonly value: string;
}

/** What a request must look like to take a route. */
export interface RouteMatchIr {
  /** Path match. */
  readonly path: { readonly type: "Exact" | "PathPrefix" | "RegularExpression"; readonly value: string };
  /** Header matches (ANDed). */
  readonly headers: readonly StringMatchIr[];
  /** Query parameter matches (ANDed). */
  readonly queryParams: readonly StringMatchIr[];
  /** HTTP method, if matched. */
  readonly method?: string;
  /** Cookie matches (ANDed; HTTPRouteFilter `matches`); absent when none. */
  readonly cookies?: readonly CookieMatchIr[];
}

/** A cookie condition (HTTPRouteFilter `matches[].cookies`): Envoy's RouteMatch `cookies` (CookieMatcher). */
export interface CookieMatchIr {
  /** Cookie name. */
  readonly name: string;
  /** Exact value, or an RE2 pattern matched against the whole value. */
  readonly type: "Exact" | "RegularExpression";
  /** The value or pattern. */
  readonly value: string;
}

/** Header changes. */
export interface HeaderModIr {
  /** Headers to overwrite. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  /** Headers to append. */
  readonly add: readonly { readonly name: string; readonly value: string }[];
  /** Header names to remove. */
  readonly remove: readonly string[];
}

/** A weighted destination: a cluster name, or `invalid` for a backendRef that could not be resolved. */
export interface WeightedDestinationIr {
  /** Cluster name; absent when the backendRef is invalid (its share of traffic gets 500). */
  readonly cluster?: string;
  /** Relative weight (> 0). */
  readonly weight: number;
  /** Request header changes for requests sent to this destination only. */
  readonly requestHeaders?: HeaderModIr;
  /** Response header changes for responses from this destination only. */
  readonly responseHeaders?: HeaderModIr;
  /** Host header for requests sent to this destination only (a backendRef's URLRewrite hostname). */
  readonly hostRewrite?: string;
  /**
   * The destination is a dynamic forward proxy (Backend type DynamicResolver): the route denies requests whose
   * Host is a loopback name or address, as Envoy Gateway does. @default false
   */
  readonly dynamic?: boolean;
  /** Credential injected into requests sent to this destination only (a backendRef's HTTPRouteFilter). */
  readonly credentialInjection?: CredentialInjectionIr;
}

/** A path change: the whole path, or the matched prefix (whole path segments, trailing `/` ignored). */
export type PathModifierIr =
  | { readonly type: "ReplaceFullPath"; readonly value: string }
  | { readonly type: "ReplacePrefixMatch"; readonly prefix: string; readonly value: string }
  | { readonly type: "ReplaceRegexMatch"; readonly pattern: string; readonly substitution: string };

/**
 * A Host rewrite other than a literal (HTTPRouteFilter `urlRewrite.hostname`): from a request header, the
 * backend endpoint's hostname (Envoy's auto host rewrite), or an RE2 substitution on the path.
 */
export type HostRewriteIr =
  | { readonly type: "Header"; readonly header: string }
  | { readonly type: "Backend" }
  | { readonly type: "PathRegex"; readonly pattern: string; readonly substitution: string };

/** A redirect answer (RequestRedirect filter). */
export interface RedirectIr {
  /** Scheme of the Location; absent keeps the request's. */
  readonly scheme?: "http" | "https";
  /** Host of the Location; absent keeps the request's. */
  readonly hostname?: string;
  /** Port of the Location; absent when it is the default port of the Location's scheme (then left out). */
  readonly port?: number;
  /** Path change; absent keeps the request's path. */
  readonly path?: PathModifierIr;
  /** 301, 302, 303, 307 or 308. */
  readonly statusCode: 301 | 302 | 303 | 307 | 308;
}

/** A request change before forwarding (URLRewrite filter). */
export interface UrlRewriteIr {
  /** New Host header. */
  readonly hostname?: string;
  /** New Host header from somewhere else than a literal (HTTPRouteFilter); never set together with `hostname`. */
  readonly host?: HostRewriteIr;
  /** Path change. */
  readonly path?: PathModifierIr;
  /** With a Host rewrite: add the original Host to `X-Forwarded-Host`. @default true */
  readonly appendXForwardedHost?: boolean;
}

/** A copy of requests sent to another cluster, whose answers are ignored. */
export interface MirrorIr {
  /** Cluster the copies go to. */
  readonly cluster: string;
  /** Share of requests mirrored, in millionths (1000000 = all). */
  readonly perMillion: number;
}

/** A CORS policy (CORS filter). */
export interface CorsIr {
  /** Allowed origins: exact strings, or RE2 patterns for wildcard origins. */
  readonly allowOrigins: readonly { readonly type: "Exact" | "RegularExpression"; readonly value: string }[];
  /** Access-Control-Allow-Methods values. */
  readonly allowMethods: readonly string[];
  /** Access-Control-Allow-Headers values. */
  readonly allowHeaders: readonly string[];
  /** Access-Control-Expose-Headers values. */
  readonly exposeHeaders: readonly string[];
  /** Access-Control-Max-Age in seconds; absent: not sent. */
  readonly maxAgeSeconds?: number;
  /** Whether Access-Control-Allow-Credentials: true is sent. */
  readonly allowCredentials: boolean;
}

/** Request timeouts in milliseconds; 0 disables a timeout. */
export interface TimeoutsIr {
  /** Whole request, all retries included. */
  readonly requestMs?: number;
  /** Each attempt to a backend. */
  readonly backendRequestMs?: number;
  /** Longest life of a stream on this route (BackendTrafficPolicy `timeout.http.maxStreamDuration`); 0: none. */
  readonly maxStreamDurationMs?: number;
  /** Idle time after which the stream is reset (BackendTrafficPolicy `timeout.http.streamIdleTimeout`). */
  readonly streamIdleMs?: number;
}

/** When and how often a request is retried. */
export interface RetryIr {
  /** Upstream status codes that trigger a retry (connection failures always do). */
  readonly codes: readonly number[];
  /** Retries after the first attempt (> 0). */
  readonly attempts: number;
  /** Base backoff interval in milliseconds; absent means Envoy's default (25 ms). */
  readonly backoffMs?: number;
  /**
   * A BackendTrafficPolicy's retry, in Envoy Gateway's shape: these retry_on conditions replace the Gateway API
   * ones, the previously tried hosts are avoided, and `backendRequest`-style per-try timeouts come from here.
   * Absent for an HTTPRoute rule's own retry.
   */
  readonly policy?: {
    /** Envoy retry_on conditions, in order. */
    readonly retryOn: readonly string[];
    /** Timeout of each attempt in milliseconds. */
    readonly perTryTimeoutMs?: number;
    /** Maximum backoff interval in milliseconds. */
    readonly maxBackoffMs?: number;
    /**
     * Attempts sent to one endpoint priority before the next ones go to another (Envoy's previous_priorities
     * retry priority, `retry.numAttemptsPerPriority`); absent: all go to the highest healthy priority.
     */
    readonly attemptsPerPriority?: number;
  };
}

/** A route: match plus action. */
export interface RouteIr {
  /**
   * Stable name: `httproute/namespace/name/rule/<index>/match/<index>`; the Envoy route adds `/<host part>` of its
   * virtual host (Envoy Gateway's name, ADR 0006).
   */
  readonly name: string;
  /** Match. */
  readonly match: RouteMatchIr;
  /** Forward to weighted destinations, answer directly, or redirect. */
  readonly action:
    | { readonly kind: "forward"; readonly destinations: readonly WeightedDestinationIr[] }
    | { readonly kind: "direct"; readonly status: number; readonly body?: string }
    | { readonly kind: "redirect"; readonly redirect: RedirectIr };
  /** Request header changes. */
  readonly requestHeaders?: HeaderModIr;
  /** Response header changes. */
  readonly responseHeaders?: HeaderModIr;
  /** Host and path rewrite before forwarding. */
  readonly urlRewrite?: UrlRewriteIr;
  /** Mirrors of forwarded requests. */
  readonly mirrors?: readonly MirrorIr[];
  /** CORS policy (answers preflights, adds CORS response headers). */
  readonly cors?: CorsIr;
  /** Request and per-attempt timeouts. */
  readonly timeouts?: TimeoutsIr;
  /** Retry policy. */
  readonly retry?: RetryIr;
  /**
   * Status answered for the share of an invalid backendRef: 503 for GRPCRoute (gRPC clients see
   * UNAVAILABLE, as the spec requires); absent means 500 (HTTPRoute).
   */
  readonly invalidBackendStatus?: 503;
  /** Session persistence: requests carrying the session's cookie or header go to the same endpoint. */
  readonly sessionPersistence?: SessionPersistenceIr;
  /** Route-level settings of the BackendTrafficPolicy that applies here; absent when none does. */
  readonly traffic?: RouteTrafficIr;
  /** Route stat prefix (BackendTrafficPolicy `telemetry.metrics.routeStatName`): `vhost.<vh>.route.<it>.*` stats. */
  readonly statPrefix?: string;
  /** Tracing on this route (BackendTrafficPolicy `telemetry.tracing`), over the listener's; absent: none. */
  readonly tracing?: RouteTracingIr;
  /**
   * The protocol upgrades this route allows (BackendTrafficPolicy `httpUpgrade`), replacing the default
   * (WebSocket); a CONNECT entry makes the route match CONNECT requests. Absent: the listener's default.
   */
  readonly upgrades?: readonly UpgradeIr[];
  /** What the route's SecurityPolicy asks (authentication, CORS, CSRF, authorization); absent when none applies. */
  readonly security?: RouteSecurityIr;
  /**
   * A credential added to forwarded requests (HTTPRouteFilter `credentialInjection`); absent when none.
   */
  readonly credentialInjection?: CredentialInjectionIr;
  /** The extensions the route's EnvoyExtensionPolicy runs (Lua, …); absent when none applies. */
  readonly extensions?: RouteExtensionsIr;
  /**
   * Envoy Gateway's route metadata (filter metadata namespace `envoy-gateway`, key `resources`: the route the Envoy
   * route comes from); set where a filter sends it (SecurityPolicy `extAuth.includeRouteMetadata`). @default none
   */
  readonly metadata?: RouteResourceMetadataIr;
  /**
   * The extension-owned objects (EnvoyGateway `extensionManager`) the rule names in ExtensionRef filters and
   * backendRefs, each as its JSON text, in rule order: sent to the extension server's Route hook. @default none
   */
  readonly extensionRefs?: readonly string[];
  /**
   * The extension-owned policies (`policyResources`) that target the route or its rule, each as its JSON text:
   * sent to the Route hook (`extensionPolicies`). @default none
   */
  readonly extensionPolicies?: readonly string[];
}

/**
 * Credential injection (HTTPRouteFilter `credentialInjection`): Envoy's credential_injector filter, one per
 * HTTPRouteFilter, reading the credential from an SDS generic secret (GatewayXdsIr.secrets).
 */
export interface CredentialInjectionIr {
  /** Instance name: `httproutefilter/<ns>/<name>` (Envoy Gateway's). */
  readonly name: string;
  /** Header the credential goes in. @default Authorization */
  readonly header?: string;
  /** Replace a value the request already has in that header. @default false */
  readonly overwrite: boolean;
  /** Name of the generic SDS secret holding the credential. */
  readonly secret: string;
}

/** The Gateway API resource an Envoy route comes from, as Envoy Gateway writes it in route metadata. */
export interface RouteResourceMetadataIr {
  /** HTTPRoute or GRPCRoute. */
  readonly kind: string;
  /** Name. */
  readonly name: string;
  /** Namespace. */
  readonly namespace: string;
  /** The rule's name, when it has one. */
  readonly sectionName?: string;
  /** The resource's `gateway.envoyproxy.io/` annotations, with that prefix removed. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One protocol upgrade a route allows. */
export interface UpgradeIr {
  /** Upgrade type as the client sends it (`websocket`, `spdy/3.1`, `CONNECT`, …), compared case-insensitively. */
  readonly type: string;
  /** CONNECT only: Envoy answers the CONNECT and forwards the payload to the backend as raw TCP. */
  readonly connectTerminate?: boolean;
}

/**
 * Session persistence within the chosen cluster (the weighted split still picks the cluster). The
 * session names its endpoint in a cookie or header that Envoy sets on the response.
 */
export type SessionPersistenceIr =
  | {
      /** Cookie-based. */
      readonly type: "Cookie";
      /** Cookie name. */
      readonly name: string;
      /** Cookie Path attribute. */
      readonly path: string;
      /** Max-Age in seconds (a permanent cookie); absent for a session cookie. */
      readonly ttlSeconds?: number;
    }
  | {
      /** Header-based. */
      readonly type: "Header";
      /** Header name (request and response). */
      readonly name: string;
    };

/** One address an upstream cluster sends to. */
export interface EndpointIr {
  /** IP address or DNS name. */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** Zone (EndpointSlice endpoint or Backend endpoint `zone`); a locality of zone-aware variants. */
  readonly zone?: string;
  /** The endpoint's hostname (Backend endpoint `hostname`): its SNI with `autoSni: "endpoint"`. @default none */
  readonly hostname?: string;
  /** True when `host` is a unix domain socket path (a Backend `unix` endpoint); `port` is then 0. @default false */
  readonly pipe?: boolean;
  /** Priority group: 0 for primaries, 1 for a fallback Backend's endpoints. @default 0 */
  readonly priority?: number;
  /** Load balancing weight (the backendRef weight in a rule with a fallback Backend). @default none (equal) */
  readonly weight?: number;
}

/** An upstream cluster (one per Service port or Backend). */
export interface ClusterIr {
  /** Stable name, e.g. `service/ns/name/80` or `backend/ns/name`. */
  readonly name: string;
  /**
   * `static` endpoints are IPs (or unix sockets) served over EDS; `dns` endpoints are hostnames Envoy resolves;
   * `dynamic` has no endpoints: the request's Host names the upstream, resolved through `dynamicResolver`.
   */
  readonly discovery: "static" | "dns" | "dynamic";
  /** The DNS cache of a `dynamic` cluster (Backend type DynamicResolver). @default none */
  readonly dynamicResolver?: DynamicResolverIr;
  /** Endpoints. */
  readonly endpoints: readonly EndpointIr[];
  /**
   * A Kubernetes Service's cluster IP and Service port, the one endpoint of its `routingType: Service` policy
   * variants; absent for other backends and for Services without a cluster IP (headless).
   */
  readonly serviceAddress?: EndpointIr;
  /** Upstream HTTP protocol. */
  readonly protocol: "http1" | "h2c";
  /** TLS to the backend (from a BackendTLSPolicy); absent for plaintext. */
  readonly tls?: UpstreamTlsIr;
  /**
   * Cluster-level BackendTrafficPolicy settings: this is a policy variant of a backend's cluster, with the same
   * endpoints under its own name (docs/adr/0005-policy-cluster-variants.md); absent: defaults.
   */
  readonly policy?: ClusterPolicyIr;
  /**
   * A backendRef to an extension-owned kind (`extensionManager.backendResources`): the cluster has no endpoints
   * and goes to the extension server's Cluster hook with these objects (JSON text), which fills it in. @default none
   */
  readonly extension?: { readonly resources: readonly string[] };
  /**
   * The name Envoy's stats of the cluster go by (`alt_stat_name`: `cluster.<altStatName>.*`), from the EnvoyProxy's
   * `telemetry.metrics.clusterStatName` (translate/telemetry/cluster-stat-name.ts). @default the cluster name
   */
  readonly altStatName?: string;
}

/**
 * A dynamic forward proxy (Backend type DynamicResolver): the DNS cache its cluster uses; the cache's name, refresh
 * rate and lookup family come from the cluster's BackendTrafficPolicy `dns` (Envoy Gateway's defaults otherwise).
 */
export interface DynamicResolverIr {
  /**
   * DNS servers (`ip:port`) the cache asks instead of the host's resolv.conf (egts extension
   * `extensionApis.backend.dnsResolvers`). @default none (the system resolver)
   */
  readonly resolvers?: readonly string[];
}

/** How Envoy originates TLS to a backend and validates its certificate. */
export interface UpstreamTlsIr {
  /** SNI sent to the backend; "" when none is fixed (see `autoSni`). */
  readonly sni: string;
  /**
   * Where the SNI comes from when `sni` is "": `host`, the request's Host (upstream_http_protocol_options
   * auto_sni); `endpoint`, the endpoint's hostname (auto_host_sni). @default none
   */
  readonly autoSni?: "host" | "endpoint";
  /** The certificate is not checked at all (Backend `tls.insecureSkipVerify`). @default false */
  readonly skipVerify?: boolean;
  /** The certificate must match the SNI sent (auto_sni_san_validation), when no SANs are listed. @default false */
  readonly autoSanValidation?: boolean;
  /** PEM CA bundle the backend certificate must chain to; absent means the system CAs. */
  readonly caCertificate?: string;
  /** The backend certificate must carry at least one of these SANs (none: see `autoSanValidation`). */
  readonly subjectAltNames: readonly { readonly type: "Hostname" | "URI"; readonly value: string }[];
  /**
   * The client certificate Envoy presents (the Gateway's spec.tls.backend.clientCertificateRef), inline in
   * the cluster: an SDS reference would hold the cluster's warming (and its CDS ACK) until Envoy subscribed
   * to the secret. Absent when it presents none.
   */
  readonly clientCertificate?: SecretIr;
  /**
   * TLS versions, cipher suites, curves, signature algorithms and ALPN (Backend `tls`); unset versions are Envoy
   * Gateway's defaults (1.2 to 1.3), unset ALPN is the cluster protocol's (h2 for h2c). @default none
   */
  readonly params?: TlsParamsIr;
  /**
   * The client certificate and the trusted CA as file-based SDS resources the proxy already has (its own xDS
   * client certificate, for connections to the control plane's components such as the rate limit service);
   * when set, `caCertificate` and `clientCertificate` are not used. @default none
   */
  readonly sdsFiles?: {
    /** The client certificate's SDS resource. */
    readonly certificate: SdsFileIr;
    /** The trusted CA's SDS resource (a validation context). */
    readonly trustedCa: SdsFileIr;
  };
}

/** A file-based SDS resource on the proxy: its name and the path of the SDS file holding it. */
export interface SdsFileIr {
  /** The SDS resource name. */
  readonly name: string;
  /** The SDS file's path on the proxy. */
  readonly path: string;
}

/** Envoy's UUID request ID extension: whether the trace decision is packed into the UUID, and sampled by it. */
export interface RequestIdIr {
  readonly packTraceReason: boolean;
  readonly useRequestIdForTraceSampling: boolean;
}
