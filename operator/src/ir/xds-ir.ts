/**
 * The xDS IR: what one Gateway's Envoy must do, as plain readonly data, independent of Envoy's protos.
 * The translator produces it; the xDS translator turns it into Envoy resources.
 */

/** Everything one Gateway's Envoy serves. */
export interface GatewayXdsIr {
  /** `namespace/name` of the Gateway; also the Envoy node id. */
  readonly name: string;
  /** HTTP listeners, one per port. */
  readonly http: readonly HttpListenerIr[];
  /** Upstream clusters, one per backend, shared by every route that uses it. */
  readonly clusters: readonly ClusterIr[];
}

/** One HTTP listener (an Envoy Listener with an HTTP connection manager). */
export interface HttpListenerIr {
  /** Stable name: `namespace/gateway/port`. Also the RouteConfiguration name. */
  readonly name: string;
  /** Address to bind. */
  readonly address: string;
  /** Port to bind. */
  readonly port: number;
  /** Virtual hosts, most specific domain first. */
  readonly virtualHosts: readonly VirtualHostIr[];
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
}

/** A route: match plus action. */
export interface RouteIr {
  /** Stable name: `httproute/namespace/name/rule/N/match/M`. */
  readonly name: string;
  /** Match. */
  readonly match: RouteMatchIr;
  /** Forward to weighted destinations, or answer directly. */
  readonly action:
    | { readonly kind: "forward"; readonly destinations: readonly WeightedDestinationIr[] }
    | { readonly kind: "direct"; readonly status: number; readonly body?: string };
  /** Request header changes. */
  readonly requestHeaders?: HeaderModIr;
  /** Response header changes. */
  readonly responseHeaders?: HeaderModIr;
}

/** One address an upstream cluster sends to. */
export interface EndpointIr {
  /** IP address or DNS name. */
  readonly host: string;
  /** Port. */
  readonly port: number;
}

/** An upstream cluster (one per Service port or Backend). */
export interface ClusterIr {
  /** Stable name, e.g. `service/ns/name/80` or `backend/ns/name`. */
  readonly name: string;
  /** `static` endpoints are IPs served over EDS; `dns` endpoints are hostnames Envoy resolves. */
  readonly discovery: "static" | "dns";
  /** Endpoints. */
  readonly endpoints: readonly EndpointIr[];
  /** Upstream HTTP protocol. */
  readonly protocol: "http1" | "h2c";
}
