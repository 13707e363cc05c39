/** HttpListenerIr → Envoy RouteConfiguration (virtual hosts and routes in precedence order). */
import { geoHeadersToRemove } from "./geoip-headers";
import type { HeaderValueOption } from "../../../../proto/gen/envoy/config/core/v3/base";
import { RouteConfiguration } from "../../../../proto/gen/envoy/config/route/v3/route";
import {
  RouteAction_ClusterNotFoundResponseCode,
  type HeaderMatcher,
  type QueryParameterMatcher,
  type Route,
  type RouteAction,
  type RouteAction_UpgradeConfig,
  type RouteMatch,
  VirtualHost,
  type WeightedCluster_ClusterWeight,
} from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { HashKeyIr } from "../../ir/backend-traffic-cluster-ir";
import type {
  HttpListenerIr,
  RouteIr,
  RouteResourceMetadataIr,
  RouteMatchIr,
  StringMatchIr,
  UpgradeIr,
  VirtualHostIr,
  WeightedDestinationIr,
} from "../../ir/xds-ir";
import { routePerFilterConfig } from "./filters";
import { credentialPerRoute } from "./filters/credential-injector";
import { routeActionRateLimits } from "./filters/ratelimit";
import { altSvcHeaders } from "./http3";
import { headerOptions, mirrorPolicies, redirectAction, rewriteFields, timeoutAndRetryFields } from "./route-filters";
import { routeHashPolicies } from "./cluster-policy-lb";
import { hostNamePart, virtualHostListener } from "../../ir/xds-names";
import { WindowedByName } from "../../ir/list-window";
import { routeTracingField } from "./tracing";

/**
 * Name of a cluster that never exists: a weighted share pointing at it is answered with 500, which is what
 * the Gateway API requires for the share of an invalid backendRef.
 */
export const INVALID_BACKEND_CLUSTER = "egts-invalid-backend-ref";

/** The consistent-hash keys of a cluster (its BackendTrafficPolicy's loadBalancer), if any. */
export type HashKeysOf = (cluster: string) => readonly HashKeyIr[] | undefined;

/**
 * The RouteConfigurations of an HTTP listener: one named after the listener for plain HTTP; on an HTTPS port one
 * per HTTPS listener (filter chain), holding the virtual hosts that listener owns (Envoy Gateway's shape, ADR 0006).
 */
export function buildRouteConfigurations(
  listener: HttpListenerIr,
  hashKeysOf: HashKeysOf = () => undefined,
): RouteConfiguration[] {
  return routeConfigurationParts(listener).map((p) => {
    const config = buildRouteConfiguration(listener, hashKeysOf, { name: p.name, virtualHosts: p.own });
    return p.others.length === 0
      ? config
      : { ...config, virtualHosts: [...config.virtualHosts, ...p.others.map(misdirected)] };
  });
}

/** One RouteConfiguration of a listener: its name, the virtual hosts it serves, those it answers 421 for. */
export interface RouteConfigurationPart {
  readonly name: string;
  readonly own: readonly VirtualHostIr[];
  readonly others: readonly VirtualHostIr[];
}

/** The RouteConfigurations of a listener (see {@link buildRouteConfigurations}), as the virtual hosts of each. */
export function routeConfigurationParts(listener: HttpListenerIr): RouteConfigurationPart[] {
  if (!listener.tls) return [{ name: listener.name, own: listener.virtualHosts, others: [] }];
  return listener.tls.map((c) => ({
    name: c.name,
    own: listener.virtualHosts.filter((vh) => virtualHostListener(vh.name) === c.name),
    others: listener.virtualHosts.filter((vh) => virtualHostListener(vh.name) !== c.name),
  }));
}

/**
 * A virtual host of another HTTPS listener of the port, in a chain's RouteConfiguration: its hosts answer 421
 * Misdirected Request, as the Gateway API asks when the Host belongs to another listener than the one the SNI chose
 * (a client reusing a connection for another name, HTTP/2 connection coalescing, then retries on a new one).
 * Hosts no listener of the port owns stay 404.
 */
export function misdirected(vh: VirtualHostIr): VirtualHost {
  return VirtualHost.fromPartial({
    name: vh.name,
    domains: [...vh.domains],
    routes: [{ name: `${vh.name}/misdirected`, match: { prefix: "/" }, directResponse: { status: 421 } }],
  });
}

/**
 * Builds a RouteConfiguration of the listener: by default named after it with all its virtual hosts, or the `part`
 * one HTTPS filter chain serves. `hashKeysOf` gives the hash keys of the clusters the routes forward to: Envoy
 * computes a consistent hash from the route's hash_policy, so a route to a policy variant that hashes carries its
 * keys. @default no cluster hashes
 */
export function buildRouteConfiguration(
  listener: HttpListenerIr,
  hashKeysOf: HashKeysOf = () => undefined,
  part: Pick<HttpListenerIr, "name" | "virtualHosts"> = listener,
): RouteConfiguration {
  const altSvc = altSvcHeaders(listener);
  return RouteConfiguration.fromPartial({
    ...routeConfigurationSettings(listener, part.name),
    virtualHosts: part.virtualHosts.map((vh) => ({
      name: vh.name,
      domains: [...vh.domains],
      routes: vh.routes.map((r) => envoyRoute(r, vh.domains, listener, hashKeysOf, altSvc)),
    })),
  });
}

/** A RouteConfiguration's own settings (everything but its virtual hosts) on `listener`. */
export function routeConfigurationSettings(listener: HttpListenerIr, name: string): Partial<RouteConfiguration> {
  const bodyLimit = directBodyLimit(listener);
  return {
    name,
    ignorePortInHostMatching: true,
    ...(bodyLimit !== undefined ? { maxDirectResponseBodySizeBytes: bodyLimit } : {}),
  };
}

/**
 * The Envoy route of a route IR in a virtual host with `domains` on `listener` (a partial message), with the
 * listener's `responseHeaders` (its alt-svc, {@link altSvcHeaders}) added.
 */
export function envoyRoute(
  r: RouteIr,
  domains: readonly string[],
  listener: HttpListenerIr,
  hashKeysOf: HashKeysOf,
  responseHeaders: readonly HeaderValueOption[],
): Route {
  return withResponseHeaders(buildRoute(pinRedirectHost(r, domains), listener, hashKeysOf, domains), responseHeaders);
}

/** Envoy's default limit on a direct response body, in bytes. */
const DEFAULT_DIRECT_BODY_LIMIT = 4096;

/** The largest direct response body of a virtual host's routes, in bytes (0: none). */
function largestDirectBody(vh: VirtualHostIr): number {
  let max = 0;
  for (const r of vh.routes) {
    if (r.action.kind === "direct" && r.action.body) max = Math.max(max, Buffer.byteLength(r.action.body));
  }
  return max;
}

/** Each listener's virtual hosts' largest bodies, looked at again only where its list changed (ADR 0030). */
const directBodies = new WindowedByName<VirtualHostIr, number>(largestDirectBody);

/** The direct response body limit the listener's routes need, when one body is over Envoy's default. */
function directBodyLimit(listener: HttpListenerIr): number | undefined {
  let max = 0;
  for (const n of directBodies.update(listener.name, listener.virtualHosts)) if (n > max) max = n;
  return max > DEFAULT_DIRECT_BODY_LIMIT ? max : undefined;
}

/** The route with `headers` added after its own response headers (HTTP/3's alt-svc, as Envoy Gateway does). */
function withResponseHeaders(route: Route, headers: readonly HeaderValueOption[]): Route {
  if (headers.length === 0) return route;
  return { ...route, responseHeadersToAdd: [...(route.responseHeadersToAdd ?? []), ...headers] };
}

/**
 * A redirect whose Location leaves the port out (the scheme's well-known port) names its host explicitly when
 * the virtual host serves one exact domain: Envoy keeps the client's Host port (`Host: example.com:8080`) in
 * the Location unless the redirect sets a host or a port, and a port of 443/80 would be written out. Wildcard
 * virtual hosts cannot name the host, so there a client that sends a port in Host gets it back.
 */
function pinRedirectHost(ir: RouteIr, domains: readonly string[]): RouteIr {
  if (ir.action.kind !== "redirect") return ir;
  const r = ir.action.redirect;
  if (r.hostname !== undefined || r.port !== undefined) return ir;
  if (domains.length !== 1 || domains[0].includes("*")) return ir;
  return { ...ir, action: { kind: "redirect", redirect: { ...r, hostname: domains[0] } } };
}

/** The Envoy route of a route IR in a virtual host: named `<IR name>/<host part>` as Envoy Gateway names it. */
/**
 * The request headers a route removes (undefined: none): its own, then `accept-encoding` on a compressing route
 * (it asks the backend for an uncompressed answer, as Envoy Gateway's compressor does), then the geolocation
 * headers of the listener's geoip filter (as Envoy Gateway, on every route of the listener).
 */
function requestHeadersToRemove(ir: RouteIr, listener: HttpListenerIr): string[] | undefined {
  const own = ir.requestHeaders ? [...ir.requestHeaders.remove] : undefined;
  const out = [...(own ?? [])];
  if (ir.traffic?.compression && !out.includes("accept-encoding")) out.push("accept-encoding");
  out.push(...geoHeadersToRemove(listener));
  return own || out.length > 0 ? out : undefined;
}

function buildRoute(ir: RouteIr, listener: HttpListenerIr, hashKeysOf: HashKeysOf, domains: readonly string[]): Route {
  const route: Partial<Route> = {
    name: domains.length > 0 ? `${ir.name}/${hostNamePart(domains[0])}` : ir.name,
    match: ir.upgrades?.some((u) => u.type.toUpperCase() === "CONNECT") ? connectMatch(ir.match) : buildMatch(ir.match),
    ...(ir.statPrefix !== undefined ? { statPrefix: ir.statPrefix } : {}),
    ...routeTracingField(ir.tracing),
  };
  Object.assign(route, routeActionOf(ir, hashKeysOf));
  if (ir.requestHeaders) route.requestHeadersToAdd = headerOptions(ir.requestHeaders);
  const toRemove = requestHeadersToRemove(ir, listener);
  if (toRemove) route.requestHeadersToRemove = toRemove;
  if (ir.responseHeaders) {
    route.responseHeadersToAdd = headerOptions(ir.responseHeaders);
    route.responseHeadersToRemove = [...ir.responseHeaders.remove];
  }
  const perFilter = routePerFilterConfig(ir, listener);
  if (perFilter) route.typedPerFilterConfig = perFilter;
  if (ir.metadata) route.metadata = routeMetadata(ir.metadata);
  return route as Route;
}

/** The route's action: a direct response, a redirect or forwarding. */
function routeActionOf(ir: RouteIr, hashKeysOf: HashKeysOf): Partial<Route> {
  if (ir.action.kind === "direct") {
    return {
      directResponse: {
        status: ir.action.status,
        ...(ir.action.body ? { body: { inlineString: ir.action.body } } : {}),
      } as Route["directResponse"],
    };
  }
  if (ir.action.kind === "redirect") return { redirect: redirectAction(ir.action.redirect) };
  return { route: buildRouteAction(ir, ir.action.destinations, hashKeysOf) };
}

/**
 * Envoy Gateway's route metadata: filter metadata `envoy-gateway` with `resources`, the one route resource the
 * Envoy route comes from (kind, name, namespace, annotations, sectionName), as an ext_authz service reads it.
 */
function routeMetadata(m: RouteResourceMetadataIr): Route["metadata"] {
  const resource = {
    kind: m.kind,
    name: m.name,
    namespace: m.namespace,
    ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
    ...(m.sectionName !== undefined ? { sectionName: m.sectionName } : {}),
  };
  return { filterMetadata: { "envoy-gateway": { resources: [resource] } }, typedFilterMetadata: {} };
}

/**
 * Forwarding: one cluster, or weighted clusters (also for one destination with its own header changes), with
 * the hash policy of the clusters that hash (all destinations of a route carry the same policy), and the global
 * rate limits that must live on the route itself (filters/ratelimit.ts routeActionRateLimits).
 */
function buildRouteAction(ir: RouteIr, dests: readonly WeightedDestinationIr[], hashKeysOf: HashKeysOf): RouteAction {
  const invalid = dests.some((d) => d.cluster === undefined);
  const hashKeys = dests
    .map((d) => (d.cluster !== undefined ? hashKeysOf(d.cluster) : undefined))
    .find((k) => k?.length);
  const rateLimits = routeActionRateLimits(ir);
  const perDest = dests.some(
    (d) => d.requestHeaders || d.responseHeaders || d.hostRewrite !== undefined || d.credentialInjection,
  );
  const target =
    dests.length === 1 && !perDest
      ? { cluster: dests[0].cluster ?? INVALID_BACKEND_CLUSTER }
      : { weightedClusters: { clusters: dests.map(clusterWeight) } };
  return {
    ...target,
    ...(invalid ? { clusterNotFoundResponseCode: invalidBackendCode(ir) } : {}),
    ...rewriteFields(ir.urlRewrite),
    ...(ir.mirrors ? { requestMirrorPolicies: mirrorPolicies(ir.mirrors) } : {}),
    ...timeoutAndRetryFields(ir.timeouts, ir.retry),
    ...(ir.upgrades ? { upgradeConfigs: routeUpgrades(ir.upgrades) } : {}),
    ...(hashKeys ? { hashPolicy: routeHashPolicies(hashKeys) } : {}),
    ...(rateLimits ? { rateLimits } : {}),
  } as RouteAction;
}

/**
 * A route's own upgrades (BackendTrafficPolicy `httpUpgrade`): each listed type enabled (CONNECT terminated when
 * asked), and WebSocket, which every listener allows by default, disabled when not listed, as in Envoy Gateway
 * where the list replaces the default.
 */
function routeUpgrades(upgrades: readonly UpgradeIr[]): RouteAction_UpgradeConfig[] {
  const listed = upgrades.map(
    (u) =>
      ({
        upgradeType: u.type,
        enabled: true,
        ...(u.connectTerminate ? { connectConfig: {} } : {}),
      }) as unknown as RouteAction_UpgradeConfig,
  );
  const websocket = upgrades.some((u) => u.type.toLowerCase() === "websocket");
  return websocket
    ? listed
    : [...listed, { upgradeType: "websocket", enabled: false } as unknown as RouteAction_UpgradeConfig];
}

/** What Envoy answers for an invalid backendRef's share: 500, or 503 for gRPC routes (UNAVAILABLE). */
function invalidBackendCode(ir: RouteIr): RouteAction_ClusterNotFoundResponseCode {
  return ir.invalidBackendStatus === 503
    ? RouteAction_ClusterNotFoundResponseCode.SERVICE_UNAVAILABLE
    : RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR;
}

function clusterWeight(d: WeightedDestinationIr): WeightedCluster_ClusterWeight {
  return {
    name: d.cluster ?? INVALID_BACKEND_CLUSTER,
    weight: d.weight,
    ...(d.requestHeaders
      ? { requestHeadersToAdd: headerOptions(d.requestHeaders), requestHeadersToRemove: [...d.requestHeaders.remove] }
      : {}),
    ...(d.responseHeaders
      ? {
          responseHeadersToAdd: headerOptions(d.responseHeaders),
          responseHeadersToRemove: [...d.responseHeaders.remove],
        }
      : {}),
    ...(d.hostRewrite !== undefined ? { hostRewriteLiteral: d.hostRewrite } : {}),
    ...(d.credentialInjection ? { typedPerFilterConfig: credentialPerRoute(d.credentialInjection) } : {}),
  } as WeightedCluster_ClusterWeight;
}

function buildMatch(m: RouteMatchIr): RouteMatch {
  const match: Partial<RouteMatch> = {};
  const p = m.path;
  if (p.type === "Exact") match.path = p.value;
  else if (p.type === "RegularExpression") match.safeRegex = { regex: p.value } as RouteMatch["safeRegex"];
  else {
    // Gateway API prefixes match whole path segments, and a trailing slash is ignored.
    const trimmed = p.value.replace(/\/+$/, "");
    if (trimmed === "") match.prefix = "/";
    else match.pathSeparatedPrefix = trimmed;
  }
  const headers: HeaderMatcher[] = m.headers.map(headerMatcher);
  if (m.method) headers.push(headerMatcher({ name: ":method", type: "Exact", value: m.method }));
  match.headers = headers;
  // HTTPRouteFilter cookie matches: Envoy's CookieMatcher (RouteMatch.cookies, Envoy ≥ 1.37), as Envoy Gateway.
  if (m.cookies?.length)
    match.cookies = m.cookies.map((c) => ({ name: c.name, stringMatch: stringMatcher(c), invertMatch: false }));
  match.queryParameters = m.queryParams.map(
    (q): QueryParameterMatcher => ({ name: q.name, stringMatch: stringMatcher(q) }) as QueryParameterMatcher,
  );
  return match as RouteMatch;
}

/** A CONNECT route's match (Envoy Gateway): CONNECT requests, with the rule's header and query matches. */
function connectMatch(m: RouteMatchIr): RouteMatch {
  const {
    path: _path,
    prefix: _prefix,
    pathSeparatedPrefix: _sep,
    safeRegex: _regex,
    ...rest
  } = buildMatch(m) as Partial<RouteMatch>;
  return { ...rest, connectMatcher: {} } as RouteMatch;
}

function headerMatcher(h: StringMatchIr): HeaderMatcher {
  return { name: h.name, stringMatch: stringMatcher(h) } as HeaderMatcher;
}

function stringMatcher(s: StringMatchIr): NonNullable<HeaderMatcher["stringMatch"]> {
  return (s.type === "Exact" ? { exact: s.value } : { safeRegex: { regex: s.value } }) as NonNullable<
    HeaderMatcher["stringMatch"]
  >;
}
