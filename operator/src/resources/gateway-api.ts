/** The Gateway API kinds (gateway.networking.k8s.io/v1) the translator reads, as plain readonly types. */
import type { KubeObject } from "./meta";

/** API group of the Gateway API. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** GatewayClass spec. */
export interface GatewayClassSpec {
  /** Controller that manages Gateways of this class. */
  readonly controllerName: string;
  /** Optional parameters (EnvoyProxy). */
  readonly parametersRef?: {
    readonly group: string;
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
  };
  /** Description. */
  readonly description?: string;
}
/** GatewayClass. */
export type GatewayClass = KubeObject<GatewayClassSpec>;

/** A route kind a listener allows. */
export interface RouteGroupKind {
  /** Group; defaults to gateway.networking.k8s.io. */
  readonly group?: string;
  /** Kind. */
  readonly kind: string;
}

/** A metav1.LabelSelector: matchLabels AND matchExpressions. */
export interface LabelSelector {
  /** Labels that must equal these values. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Set-based requirements. */
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    readonly values?: readonly string[];
  }[];
}

/** Listener.allowedRoutes. */
export interface AllowedRoutes {
  /** Which namespaces routes may come from. */
  readonly namespaces?: {
    readonly from?: "Same" | "All" | "Selector";
    readonly selector?: LabelSelector;
  };
  /** Which kinds may attach. */
  readonly kinds?: readonly RouteGroupKind[];
}

/** A Gateway listener. */
export interface Listener {
  /** Unique name within the Gateway. */
  readonly name: string;
  /** Hostname filter; may start with `*.`. */
  readonly hostname?: string;
  /** Port. */
  readonly port: number;
  /** HTTP, HTTPS, TLS, TCP or UDP. */
  readonly protocol: string;
  /** TLS configuration (HTTPS and TLS listeners). */
  readonly tls?: ListenerTLSConfig;
  /** Route attachment rules. */
  readonly allowedRoutes?: AllowedRoutes;
}

/** A reference to a Secret (or another certificate kind). */
export interface SecretObjectReference {
  /** Group; "" (core) by default. */
  readonly group?: string;
  /** Kind; Secret by default. */
  readonly kind?: string;
  /** Name. */
  readonly name: string;
  /** Namespace; the referring object's by default. */
  readonly namespace?: string;
}

/** Listener.tls. */
export interface ListenerTLSConfig {
  /** Terminate (default) or Passthrough. */
  readonly mode?: "Terminate" | "Passthrough";
  /** Certificates and keys (Secrets of type kubernetes.io/tls). */
  readonly certificateRefs?: readonly SecretObjectReference[];
  /** Implementation-specific options. */
  readonly options?: Readonly<Record<string, string>>;
}

/** A reference to an object of any kind (a CA bundle ConfigMap). */
export interface ObjectReference {
  /** Group; "" is the core group. */
  readonly group: string;
  /** Kind, e.g. ConfigMap. */
  readonly kind: string;
  /** Name. */
  readonly name: string;
  /** Namespace; the referring object's by default. */
  readonly namespace?: string;
}

/** Client certificate validation (Gateway spec.tls.frontend.*.validation). */
export interface FrontendTLSValidation {
  /** CA bundles the client certificate must chain to (ConfigMap key `ca.crt`). */
  readonly caCertificateRefs: readonly ObjectReference[];
  /** AllowValidOnly (default) or AllowInsecureFallback. */
  readonly mode?: "AllowValidOnly" | "AllowInsecureFallback";
}

/** Frontend TLS settings shared by listeners. */
export interface TLSConfig {
  /** Client certificate validation. */
  readonly validation?: FrontendTLSValidation;
}

/** Gateway spec.tls. */
export interface GatewayTLSConfig {
  /** Client-facing TLS: a default and per-port overrides for HTTPS listeners. */
  readonly frontend?: {
    readonly default: TLSConfig;
    readonly perPort?: readonly { readonly port: number; readonly tls: TLSConfig }[];
  };
  /** Backend-facing TLS: what the Gateway presents when it originates TLS to a backend. */
  readonly backend?: {
    /** Client certificate and key (a Secret of type kubernetes.io/tls). */
    readonly clientCertificateRef?: SecretObjectReference;
  };
}

/** Gateway spec. */
export interface GatewaySpec {
  /** The GatewayClass name. */
  readonly gatewayClassName: string;
  /** Listeners. */
  readonly listeners: readonly Listener[];
  /** Requested addresses. */
  readonly addresses?: readonly { readonly type?: string; readonly value: string }[];
  /** Gateway-wide TLS settings. */
  readonly tls?: GatewayTLSConfig;
  /** Labels and annotations for the resources created for this Gateway. */
  readonly infrastructure?: GatewayInfrastructure;
  /** Which ListenerSets may attach (none by default). */
  readonly allowedListeners?: {
    readonly namespaces?: { readonly from?: "Same" | "All" | "Selector" | "None"; readonly selector?: LabelSelector };
  };
}

/** Gateway spec.infrastructure. */
export interface GatewayInfrastructure {
  /** Labels for the resources created for the Gateway. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations for the resources created for the Gateway. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Implementation-specific parameters (a local reference). */
  readonly parametersRef?: { readonly group: string; readonly kind: string; readonly name: string };
}
/** Gateway. */
export type Gateway = KubeObject<GatewaySpec>;

/** A reference from a route to its parent (Gateway). */
export interface ParentReference {
  /** Group; defaults to gateway.networking.k8s.io. */
  readonly group?: string;
  /** Kind; defaults to Gateway. */
  readonly kind?: string;
  /** Namespace; defaults to the route's. */
  readonly namespace?: string;
  /** Name. */
  readonly name: string;
  /** Listener name. */
  readonly sectionName?: string;
  /** Listener port. */
  readonly port?: number;
}

/** A weighted reference from a route rule to a backend. */
export interface BackendRef {
  /** Group; "" (core) by default. */
  readonly group?: string;
  /** Kind; Service by default. */
  readonly kind?: string;
  /** Name. */
  readonly name: string;
  /** Namespace; defaults to the route's. */
  readonly namespace?: string;
  /** Port (required for Service). */
  readonly port?: number;
  /** Relative weight; 1 by default. */
  readonly weight?: number;
  /** Per-backend filters. */
  readonly filters?: readonly HTTPRouteFilter[];
}

/** HTTPRoute match. */
export interface HTTPRouteMatch {
  /** Path match; PathPrefix "/" by default. */
  readonly path?: { readonly type?: "Exact" | "PathPrefix" | "RegularExpression"; readonly value?: string };
  /** Header matches (ANDed). */
  readonly headers?: readonly {
    readonly type?: "Exact" | "RegularExpression";
    readonly name: string;
    readonly value: string;
  }[];
  /** Query parameter matches (ANDed). */
  readonly queryParams?: readonly {
    readonly type?: "Exact" | "RegularExpression";
    readonly name: string;
    readonly value: string;
  }[];
  /** HTTP method. */
  readonly method?: string;
}

/** A header to set or add. */
export interface HTTPHeader {
  /** Header name. */
  readonly name: string;
  /** Header value. */
  readonly value: string;
}

/** Header modifier filter config. */
export interface HTTPHeaderFilter {
  /** Overwrite. */
  readonly set?: readonly HTTPHeader[];
  /** Append. */
  readonly add?: readonly HTTPHeader[];
  /** Remove by name. */
  readonly remove?: readonly string[];
}

/** HTTPRoute filter. */
export interface HTTPRouteFilter {
  /** Filter type. */
  readonly type: string;
  /** RequestHeaderModifier config. */
  readonly requestHeaderModifier?: HTTPHeaderFilter;
  /** ResponseHeaderModifier config. */
  readonly responseHeaderModifier?: HTTPHeaderFilter;
  /** RequestRedirect config. */
  readonly requestRedirect?: HTTPRequestRedirectFilter;
  /** URLRewrite config. */
  readonly urlRewrite?: HTTPURLRewriteFilter;
  /** RequestMirror config. */
  readonly requestMirror?: HTTPRequestMirrorFilter;
  /** CORS config. */
  readonly cors?: HTTPCORSFilter;
  /** ExtensionRef (implementation-specific filter). */
  readonly extensionRef?: { readonly group: string; readonly kind: string; readonly name: string };
}

/** Path change of a redirect or rewrite. */
export interface HTTPPathModifier {
  /** ReplaceFullPath or ReplacePrefixMatch. */
  readonly type: string;
  /** New full path (ReplaceFullPath). */
  readonly replaceFullPath?: string;
  /** Replacement of the matched prefix (ReplacePrefixMatch). */
  readonly replacePrefixMatch?: string;
}

/** RequestRedirect filter config. */
export interface HTTPRequestRedirectFilter {
  /** http or https; the request's scheme by default. */
  readonly scheme?: string;
  /** Hostname of the Location; the request's Host by default. */
  readonly hostname?: string;
  /** Path change. */
  readonly path?: HTTPPathModifier;
  /** Port of the Location. */
  readonly port?: number;
  /** 301, 302 (default), 303, 307 or 308. */
  readonly statusCode?: number;
}

/** URLRewrite filter config. */
export interface HTTPURLRewriteFilter {
  /** New Host header. */
  readonly hostname?: string;
  /** Path change. */
  readonly path?: HTTPPathModifier;
}

/** RequestMirror filter config. */
export interface HTTPRequestMirrorFilter {
  /** Where mirrored requests go. */
  readonly backendRef: BackendRef;
  /** Percentage of requests mirrored (0-100). */
  readonly percent?: number;
  /** Fraction of requests mirrored. */
  readonly fraction?: { readonly numerator: number; readonly denominator?: number };
}

/** CORS filter config. */
export interface HTTPCORSFilter {
  /** Allowed origins (`scheme://host[:port]`, `*` wildcards in the host). */
  readonly allowOrigins?: readonly string[];
  /** Whether credentials are allowed. */
  readonly allowCredentials?: boolean;
  /** Allowed methods (or `*`). */
  readonly allowMethods?: readonly string[];
  /** Allowed request headers (or `*`). */
  readonly allowHeaders?: readonly string[];
  /** Response headers exposed to scripts. */
  readonly exposeHeaders?: readonly string[];
  /** Preflight cache time in seconds (default 5). */
  readonly maxAge?: number;
}

/** HTTPRoute rule timeouts (Gateway API durations). */
export interface HTTPRouteTimeouts {
  /** Whole request. */
  readonly request?: string;
  /** One request to a backend. */
  readonly backendRequest?: string;
}

/** HTTPRoute rule retry. */
export interface HTTPRouteRetry {
  /** Status codes to retry on. */
  readonly codes?: readonly number[];
  /** Retries after the first attempt (default 1). */
  readonly attempts?: number;
  /** Base backoff interval (Gateway API duration). */
  readonly backoff?: string;
}

/** HTTPRoute rule. */
export interface HTTPRouteRule {
  /** Optional rule name. */
  readonly name?: string;
  /** Matches (ORed); one PathPrefix "/" match by default. */
  readonly matches?: readonly HTTPRouteMatch[];
  /** Filters. */
  readonly filters?: readonly HTTPRouteFilter[];
  /** Backends. */
  readonly backendRefs?: readonly BackendRef[];
  /** Timeouts. */
  readonly timeouts?: HTTPRouteTimeouts;
  /** Retry. */
  readonly retry?: HTTPRouteRetry;
  /** Session persistence (experimental channel; deprecated in favour of the Backend resource). */
  readonly sessionPersistence?: SessionPersistence;
}

/** Session persistence: a client's requests keep going to the endpoint that answered its first one. */
export interface SessionPersistence {
  /** Cookie (default) or Header. */
  readonly type?: string;
  /** How long the session lasts (Gateway API duration). */
  readonly absoluteTimeout?: string;
  /** Cookie settings (type Cookie). */
  readonly cookie?: {
    /** Cookie name; generated when absent. */
    readonly name?: string;
    /** Cookie Path attribute (default "/"). */
    readonly path?: string;
    /** Session (default: no Expires/Max-Age) or Permanent (Max-Age = absoluteTimeout). */
    readonly lifetimeType?: string;
  };
  /** Header settings (type Header). */
  readonly header?: { readonly name: string };
}

/** HTTPRoute spec. */
export interface HTTPRouteSpec {
  /** Parents. */
  readonly parentRefs?: readonly ParentReference[];
  /** Hostnames. */
  readonly hostnames?: readonly string[];
  /** Rules. */
  readonly rules?: readonly HTTPRouteRule[];
}
/** HTTPRoute. */
export type HTTPRoute = KubeObject<HTTPRouteSpec>;

/** ReferenceGrant.spec.from entry: a kind in a namespace trusted to refer into the grant's namespace. */
export interface ReferenceGrantFrom {
  /** Group of the referring kind; "" is the core group. */
  readonly group: string;
  /** Referring kind, e.g. HTTPRoute or Gateway. */
  readonly kind: string;
  /** Namespace of the referring objects. */
  readonly namespace: string;
}

/** ReferenceGrant.spec.to entry: what may be referred to, in the grant's own namespace. */
export interface ReferenceGrantTo {
  /** Group of the target kind; "" is the core group. */
  readonly group: string;
  /** Target kind, e.g. Service or Secret. */
  readonly kind: string;
  /** Target name; absent means every object of that kind. */
  readonly name?: string;
}

/** ReferenceGrant spec: every `from` may refer to every `to`. */
export interface ReferenceGrantSpec {
  /** Trusted sources (ORed). */
  readonly from: readonly ReferenceGrantFrom[];
  /** Allowed targets (ORed). */
  readonly to: readonly ReferenceGrantTo[];
}
/** ReferenceGrant (served as v1 and v1beta1 in Gateway API v1.7). */
export type ReferenceGrant = KubeObject<ReferenceGrantSpec>;

/** A policy targetRef in the policy's namespace, optionally naming a section (a Service port name). */
export interface LocalPolicyTargetReferenceWithSectionName {
  /** Group of the target; "" is the core group. */
  readonly group: string;
  /** Kind of the target. */
  readonly kind: string;
  /** Name of the target. */
  readonly name: string;
  /** Section: for a Service, a port name. */
  readonly sectionName?: string;
}

/** A reference to an object in the same namespace. */
export interface LocalObjectReference {
  /** Group; "" is the core group. */
  readonly group: string;
  /** Kind. */
  readonly kind: string;
  /** Name. */
  readonly name: string;
}

/** A Subject Alternative Name the backend certificate must carry. */
export interface SubjectAltName {
  /** Hostname or URI. */
  readonly type: "Hostname" | "URI";
  /** DNS name, when type is Hostname. */
  readonly hostname?: string;
  /** Absolute URI, when type is URI. */
  readonly uri?: string;
}

/** BackendTLSPolicy.spec.validation. */
export interface BackendTLSPolicyValidation {
  /** CA bundles (ConfigMap with `ca.crt`); exclusive with wellKnownCACertificates. */
  readonly caCertificateRefs?: readonly LocalObjectReference[];
  /** "System" for the system CAs; exclusive with caCertificateRefs. */
  readonly wellKnownCACertificates?: string;
  /** SNI, and the name the certificate must match unless subjectAltNames is set. */
  readonly hostname: string;
  /** Names the certificate must carry (at least one of them). */
  readonly subjectAltNames?: readonly SubjectAltName[];
}

/** BackendTLSPolicy spec. */
export interface BackendTLSPolicySpec {
  /** Services (and ports, by sectionName) the policy applies to. */
  readonly targetRefs: readonly LocalPolicyTargetReferenceWithSectionName[];
  /** How the backend certificate is validated. */
  readonly validation: BackendTLSPolicyValidation;
  /** Implementation-specific options. */
  readonly options?: Readonly<Record<string, string>>;
}
/** BackendTLSPolicy (served as v1 in Gateway API v1.7). */
export type BackendTLSPolicy = KubeObject<BackendTLSPolicySpec>;

/** A rule of a TLSRoute, TCPRoute or UDPRoute: weighted backends. */
export interface L4RouteRule {
  /** Optional rule name. */
  readonly name?: string;
  /** Backends (weighted). */
  readonly backendRefs?: readonly BackendRef[];
}

/** TCPRoute and UDPRoute spec. */
export interface L4RouteSpec {
  /** Parents. */
  readonly parentRefs?: readonly ParentReference[];
  /** Rules (one in practice). */
  readonly rules?: readonly L4RouteRule[];
}

/** TLSRoute spec: SNI hostnames and rules. */
export interface TLSRouteSpec extends L4RouteSpec {
  /** SNI hostnames (may start with `*.`). */
  readonly hostnames?: readonly string[];
}
/** TLSRoute (v1 in Gateway API v1.7). */
export type TLSRoute = KubeObject<TLSRouteSpec>;
/** TCPRoute (v1 in Gateway API v1.7). */
export type TCPRoute = KubeObject<L4RouteSpec>;
/** UDPRoute (v1 in Gateway API v1.7). */
export type UDPRoute = KubeObject<L4RouteSpec>;

/** ListenerSet spec: extra listeners for one parent Gateway. */
export interface ListenerSetSpec {
  /** The parent Gateway (group and kind default to the Gateway API's Gateway). */
  readonly parentRef: {
    readonly group?: string;
    readonly kind?: string;
    readonly name: string;
    readonly namespace?: string;
  };
  /** Listeners, shaped like Gateway listeners. */
  readonly listeners: readonly Listener[];
}
/** ListenerSet (v1 in Gateway API v1.7). */
export type ListenerSet = KubeObject<ListenerSetSpec>;

/** GRPCRoute method match: a gRPC service and/or method (at least one), Exact (default) or RegularExpression. */
export interface GRPCMethodMatch {
  /** Exact (default) or RegularExpression (RE2). */
  readonly type?: string;
  /** Fully qualified service, e.g. `pkg.Service`; absent matches any service. */
  readonly service?: string;
  /** Method, e.g. `Echo`; absent matches any method. */
  readonly method?: string;
}

/** GRPCRoute header match. */
export interface GRPCHeaderMatch {
  /** Exact (default) or RegularExpression (RE2). */
  readonly type?: string;
  /** Header name (case-insensitive). */
  readonly name: string;
  /** Value or pattern. */
  readonly value: string;
}

/** GRPCRoute match: method and headers, ANDed. */
export interface GRPCRouteMatch {
  /** Service/method match; absent matches every method. */
  readonly method?: GRPCMethodMatch;
  /** Header matches (ANDed). */
  readonly headers?: readonly GRPCHeaderMatch[];
}

/** GRPCRoute filter: the HTTPRoute filter fields GRPCRoute allows. */
export type GRPCRouteFilter = Pick<
  HTTPRouteFilter,
  "type" | "requestHeaderModifier" | "responseHeaderModifier" | "requestMirror" | "extensionRef"
>;

/** A weighted reference from a GRPCRoute rule to a backend, with its own filters. */
export interface GRPCBackendRef extends Omit<BackendRef, "filters"> {
  /** Filters applied only to requests sent to this backend. */
  readonly filters?: readonly GRPCRouteFilter[];
}

/** GRPCRoute rule. */
export interface GRPCRouteRule {
  /** Optional rule name (unique within the route). */
  readonly name?: string;
  /** Matches (ORed); absent matches every gRPC request. */
  readonly matches?: readonly GRPCRouteMatch[];
  /** Filters. */
  readonly filters?: readonly GRPCRouteFilter[];
  /** Backends. */
  readonly backendRefs?: readonly GRPCBackendRef[];
  /** Session persistence (experimental channel only; not supported). */
  readonly sessionPersistence?: unknown;
}

/** GRPCRoute spec. */
export interface GRPCRouteSpec {
  /** Parents. */
  readonly parentRefs?: readonly ParentReference[];
  /** Hostnames (the :authority of gRPC requests). */
  readonly hostnames?: readonly string[];
  /** Rules. */
  readonly rules?: readonly GRPCRouteRule[];
}
/** GRPCRoute (v1 in Gateway API v1.7). */
export type GRPCRoute = KubeObject<GRPCRouteSpec>;
