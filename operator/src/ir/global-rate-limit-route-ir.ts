/**
 * BackendTrafficPolicy `rateLimit.global` on one route: the rules the rate limit service counts, as the proxy
 * sees them (Envoy's ratelimit filter and the route's rate limit actions, xds/translate/filters/ratelimit.ts).
 * The service's own configuration (ratelimit-ir.ts) is derived from these on the published nodes
 * (xds/ratelimit/from-routes.ts).
 */
import type { LocalRateLimitRuleIr, RateLimitCostIr } from "./local-rate-limit-ir";
import type { RateLimitQuotaIr } from "./ratelimit-ir";

/** How the proxies call the rate limit service (the EnvoyGateway configuration's `rateLimit`). */
export interface RateLimitServiceUseIr {
  /** The cluster of the service (`ratelimit_cluster`, Envoy Gateway's name). */
  readonly cluster: string;
  /** How long a proxy waits for the service. */
  readonly timeoutMs: number;
  /** Answer 500 when the service cannot be reached (else let the request through). */
  readonly failClosed: boolean;
}

/**
 * One global rule: its client selectors (as the local rate limit's), limit, costs, and whether it is shared.
 * `cost` (inherited) is what a request takes when it arrives (default 1).
 */
export interface GlobalRateLimitRuleIr extends Omit<LocalRateLimitRuleIr, "limit"> {
  /** The rule's index in the policy: its descriptor keys are `rule-<index>-…`. */
  readonly index: number;
  /** Requests per unit. */
  readonly limit: RateLimitQuotaIr;
  /**
   * `shared: true`: every route of the policy counts into one bucket, in the policy's own domain (its
   * `namespace/name`) under the rule's descriptor `<namespace>/<name>/rule/<index>`. Absent: per route, in the
   * listener's domain under the route's name.
   */
  readonly shared?: { readonly domain: string; readonly descriptor: string };
  /**
   * What a request takes again when its stream is done (the response is sent or the stream closed): counted
   * for the requests that follow, never enforced on this one. Absent: nothing is taken then.
   */
  readonly responseCost?: RateLimitCostIr;
  /**
   * `limit.fromMetadata`: the dynamic metadata (a struct with `requests_per_unit` and `unit`) whose value is
   * this request's limit instead of `limit`; `limit` applies when it is absent or unreadable. Only on a rule
   * that is not shared, and then no rule of the route in the listener's domain has a cost (see
   * xds/translate/filters/ratelimit.ts: Envoy 1.36 takes the override only from the route's own rate_limits).
   */
  readonly limitFromMetadata?: { readonly namespace: string; readonly key: string };
  /** Over-limit requests pass; the service only reports them. */
  readonly shadowMode?: boolean;
}

/** A route's global rate limit. */
export interface GlobalRateLimitRouteIr {
  /** The rules, in spec order. */
  readonly rules: readonly GlobalRateLimitRuleIr[];
  /** How the proxies call the service. */
  readonly service: RateLimitServiceUseIr;
}
