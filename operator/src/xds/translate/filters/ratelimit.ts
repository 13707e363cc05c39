/**
 * envoy.filters.http.ratelimit (rank 303), placement `listener`, fed by BackendTrafficPolicy `rateLimit.global`
 * (`RouteIr.traffic.globalRateLimit`).
 *
 * As Envoy Gateway: on a listener some route of which has a global rate limit, one RateLimit filter for the
 * listener's domain (the listener's name) plus one per shared domain its routes use
 * (`envoy.filters.http.ratelimit/<domain>`), each calling the rate limit service's cluster with the EnvoyGateway
 * configuration's timeout and failure mode; X-RateLimit-* headers (draft 03) unless the listener's
 * ClientTrafficPolicy sets `headers.disableRateLimitHeaders`; x-envoy-ratelimited only with
 * `headers.enableEnvoyHeaders`. Each route carries a RateLimitPerRoute per domain under that filter's name, so
 * a request makes one call per domain. A rule's actions: a generic_key naming the route (or the shared rule),
 * then its client selectors' actions (ruleParts, shared with the local rate limit), or a generic_key
 * `rule-<i>-match--1` for a rule without selectors; a request cost is the entry's hits_addend, a response cost a
 * second entry with the same actions, `apply_on_stream_done` and that cost as hits_addend.
 *
 * Unlike Envoy Gateway (which puts it in RateLimitPerRoute, where Envoy 1.36 rejects it), a rule with
 * `limit.fromMetadata` takes its route's rules of the listener's domain to the route's own `rate_limits` with the
 * override (routeActionRateLimits), read by the listener's filter alone through its stage.
 */
import type * as RateLimitProto from "../../../../../proto/gen/envoy/extensions/filters/http/ratelimit/v3/rate_limit";
import type {
  RateLimit,
  RateLimitPerRoute,
  RateLimit_XRateLimitHeadersRFCVersion as XRateLimitHeaders,
} from "../../../../../proto/gen/envoy/extensions/filters/http/ratelimit/v3/rate_limit";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType } from "../../../../../proto/any";
import { protoModule } from "../../../../../proto/lazy";
import type { GlobalRateLimitRuleIr } from "../../../ir/global-rate-limit-route-ir";
import type { HttpListenerIr, RouteIr } from "../../../ir/xds-ir";
import { httpListenerSettings } from "../client-traffic";
import { duration } from "../route-filters";
import { hitsAddend, ruleParts, type DescriptorEntry } from "./local-ratelimit";
import { type HttpFilterDef, packPartial, sampleGrpcService } from "./registry";

const rateLimitProto = protoModule<typeof RateLimitProto>("envoy/extensions/filters/http/ratelimit/v3/rate_limit");

/** RateLimit, registered for Any packing. */
export const RatelimitType = registerLazyType<RateLimit>(
  "envoy/extensions/filters/http/ratelimit/v3/rate_limit",
  "RateLimit",
);
/** RateLimitPerRoute, registered for Any packing. */
export const RatelimitPerRouteType = registerLazyType<RateLimitPerRoute>(
  "envoy/extensions/filters/http/ratelimit/v3/rate_limit",
  "RateLimitPerRoute",
);

const NAME = "envoy.filters.http.ratelimit";

/** The ratelimit filter's registry entry. */
export const ratelimit: HttpFilterDef = {
  name: NAME,
  rank: 303,
  configType: RatelimitType.name,
  perRouteType: RatelimitPerRouteType.name,
  placement: "listener",
  hcmFilters: (listener) => hcmFilters(listener),
  // The listener's name is its own domain and names its filter.
  routeContext: (listener) => listener.name,
  perRouteConfig: (route, listener) => perRoute(route, listener),
  sampleConfig: () =>
    packPartial(RatelimitType, {
      domain: "egts-sample",
      rateLimitService: { grpcService: sampleGrpcService(), transportApiVersion: 2 },
    }),
};

/**
 * The global ratelimit filter's `enable_x_ratelimit_headers` for a listener, as Envoy Gateway sets it: the
 * X-RateLimit-Limit / -Remaining / -Reset response headers (draft 03) unless the listener's ClientTrafficPolicy
 * sets `headers.disableRateLimitHeaders`.
 */
export function xRateLimitHeaders(listener: HttpListenerIr): XRateLimitHeaders {
  const { RateLimit_XRateLimitHeadersRFCVersion: values } = rateLimitProto();
  return listener.clientTraffic?.headers?.disableRateLimitHeaders ? values.OFF : values.DRAFT_VERSION_03;
}

/** The filter instance name of a domain: the listener's own domain has the plain name. */
function filterName(domain: string, listener: HttpListenerIr): string {
  return domain === listener.name ? NAME : `${NAME}/${domain}`;
}

/** The domain a rule counts in: its shared domain, or the listener's. */
export function ruleDomain(rule: GlobalRateLimitRuleIr, listener: Pick<HttpListenerIr, "name">): string {
  return rule.shared?.domain ?? listener.name;
}

function hcmFilters(listener: HttpListenerIr): HttpFilter[] {
  const routes = listener.virtualHosts.flatMap((v) => v.routes).filter((r) => r.traffic?.globalRateLimit);
  const first = routes[0]?.traffic?.globalRateLimit;
  if (!first) return [];
  const domains = new Set([listener.name]);
  for (const r of routes)
    for (const rule of r.traffic?.globalRateLimit?.rules ?? []) domains.add(ruleDomain(rule, listener));
  const service = first.service;
  const ownStage = routes.some(usesRouteRateLimits) ? { stage: ROUTE_RATE_LIMIT_STAGE } : {};
  return [...domains].sort().map(
    (domain) =>
      ({
        name: filterName(domain, listener),
        typedConfig: packPartial(RatelimitType, {
          domain,
          ...(domain === listener.name ? ownStage : {}),
          rateLimitService: { grpcService: { envoyGrpc: { clusterName: service.cluster } }, transportApiVersion: 2 },
          timeout: duration(service.timeoutMs),
          failureModeDeny: service.failClosed,
          enableXRatelimitHeaders: xRateLimitHeaders(listener),
          disableXEnvoyRatelimitedHeader: !httpListenerSettings(listener.clientTraffic).enableEnvoyHeaders,
        }),
      }) as HttpFilter,
  );
}

function perRoute(
  route: RouteIr,
  listener: HttpListenerIr,
): Record<string, ReturnType<typeof packPartial>> | undefined {
  const rl = route.traffic?.globalRateLimit;
  if (!rl) return undefined;
  const byDomain = new Map<string, object[]>();
  const ownOnRoute = usesRouteRateLimits(route);
  for (const rule of rl.rules) {
    if (ownOnRoute && !rule.shared) continue;
    const domain = ruleDomain(rule, listener);
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), ...routeRateLimits(route.name, rule)]);
  }
  return Object.fromEntries(
    [...byDomain].map(([domain, rateLimits]) => [
      filterName(domain, listener),
      packPartial(RatelimitPerRouteType, { domain, rateLimits }),
    ]),
  );
}

/**
 * The stage of the listener's own ratelimit filter when some route of the listener carries its rules in its own
 * rate_limits (shared domains' filters keep stage 0): only that filter reads those entries.
 */
export const ROUTE_RATE_LIMIT_STAGE = 1;

/**
 * Whether a route carries the rules of the listener's domain in its own `rate_limits` (RouteAction) instead of
 * RateLimitPerRoute: when one of them has `limit.fromMetadata`, since Envoy 1.36 reads a limit override only
 * there (RateLimitPerRoute rejects it: "'limit' field is not supported"). The policy translation guarantees
 * those rules have no cost (route rate limits have no hits_addend).
 */
function usesRouteRateLimits(route: RouteIr): boolean {
  return route.traffic?.globalRateLimit?.rules.some((r) => r.limitFromMetadata && !r.shared) ?? false;
}

/**
 * The RouteAction `rate_limits` of a route (see usesRouteRateLimits), at ROUTE_RATE_LIMIT_STAGE: the same
 * actions as in RateLimitPerRoute, a rule with `limit.fromMetadata` with a `limit` override from that dynamic
 * metadata; undefined for the other routes. The listener's own filter finds no RateLimitPerRoute entries on
 * such a route, so it reads these.
 */
export function routeActionRateLimits(route: RouteIr): object[] | undefined {
  if (!usesRouteRateLimits(route)) return undefined;
  return (route.traffic?.globalRateLimit?.rules ?? [])
    .filter((rule) => !rule.shared)
    .flatMap((rule) =>
      ruleActions(route.name, rule).map((parts) => ({
        stage: ROUTE_RATE_LIMIT_STAGE,
        actions: parts.map((p) => p.action),
        ...(rule.limitFromMetadata ? { limit: limitOverride(rule.limitFromMetadata) } : {}),
      })),
    );
}

/** Envoy's rate limit `limit` override read from the dynamic metadata `namespace` / `key`. */
function limitOverride(md: { readonly namespace: string; readonly key: string }): object {
  return { dynamicMetadata: { metadataKey: { key: md.namespace, path: [{ key: md.key }] } } };
}

/** The descriptor chains of a rule on a route (one per method of the rule): entries from the route key down. */
export function ruleDescriptorChains(routeName: string, rule: GlobalRateLimitRuleIr): DescriptorEntry[][] {
  return ruleActions(routeName, rule).map((parts) => parts.map((p) => p.entry));
}

/**
 * A rule's rate limit entries on a route, per method of the rule: the request's (with its cost as hits_addend),
 * then, with a response cost, the same actions again with apply_on_stream_done and that cost, so the service is
 * called a second time when the stream is done and counts it into the same buckets.
 */
function routeRateLimits(routeName: string, rule: GlobalRateLimitRuleIr): object[] {
  return ruleActions(routeName, rule).flatMap((parts) => {
    const actions = parts.map((p) => p.action);
    const onRequest = { actions, ...(rule.cost ? { hitsAddend: hitsAddend(rule) } : {}) };
    if (!rule.responseCost) return [onRequest];
    return [onRequest, { actions, hitsAddend: hitsAddend({ cost: rule.responseCost }), applyOnStreamDone: true }];
  });
}

/** The route (or shared rule) key, then the rule's selector actions, per method of the rule. */
function ruleActions(routeName: string, rule: GlobalRateLimitRuleIr): { action: object; entry: DescriptorEntry }[][] {
  const key = rule.shared?.descriptor ?? routeName;
  const head = { action: { genericKey: { descriptorKey: key, descriptorValue: key } }, entry: { key, value: key } };
  const selects =
    rule.headers.length > 0 || rule.methods.length > 0 || rule.path || rule.sourceCidr || rule.queryParams.length > 0;
  if (!selects) {
    const all = `rule-${rule.index}-match--1`;
    return [
      [head, { action: { genericKey: { descriptorKey: all, descriptorValue: all } }, entry: { key: all, value: all } }],
    ];
  }
  return ruleParts(rule, rule.index).map((parts) => [head, ...parts]);
}
