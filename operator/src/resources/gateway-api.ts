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
  /** TLS configuration. */
  readonly tls?: unknown;
  /** Route attachment rules. */
  readonly allowedRoutes?: AllowedRoutes;
}

/** Gateway spec. */
export interface GatewaySpec {
  /** The GatewayClass name. */
  readonly gatewayClassName: string;
  /** Listeners. */
  readonly listeners: readonly Listener[];
  /** Requested addresses. */
  readonly addresses?: readonly { readonly type?: string; readonly value: string }[];
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
