/**
 * BackendTrafficPolicy `rateLimit.global` → GlobalRateLimitRouteIr: the same client selectors as the local rate
 * limit (ruleConditions), a limit per unit counted by the rate limit service, `shared` rules counted across
 * every route of the policy, `shadowMode`. It needs the EnvoyGateway configuration's `rateLimit` (Envoy Gateway's
 * message otherwise). `cost.request` is taken when a request arrives, `cost.response` when its stream is done (both
 * a fixed number or dynamic metadata). `limit.fromMetadata` makes dynamic metadata override the limit per request;
 * since Envoy 1.36 reads that override only from a route's own rate_limits (which lack hits_addend), it is
 * refused on shared rules and beside costs on the rules that are not shared.
 */
import { UINT32_MAX } from "../shapes";
import type { GlobalRateLimitRouteIr, GlobalRateLimitRuleIr } from "../../ir/global-rate-limit-route-ir";
import { RATE_LIMIT_UNITS, type RateLimitQuotaIr, type RateLimitUnit } from "../../ir/ratelimit-ir";
import type { RateLimitRule, RateLimitSpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { rateLimitCost, ruleConditions } from "./backend-traffic-ratelimit-local";
import { quote } from "../validate-values";

const FIELD = "spec.rateLimit.global";

/** The global rate limit of `rateLimit` for the policy `policy` (`namespace/name`); problems go to `invalid`. */
export function translateGlobalRateLimit(
  rateLimit: RateLimitSpec,
  policy: string,
  ctx: BackendTrafficContext,
  invalid: string[],
): GlobalRateLimitRouteIr | undefined {
  if (rateLimit.type === "Local") return undefined;
  const global = rateLimit.global;
  if (!global) {
    if (rateLimit.type === "Global") invalid.push(`${FIELD}: must be set when rateLimit.type is Global`);
    return undefined;
  }
  if (!ctx.rateLimitService) {
    invalid.push(`${FIELD}: enable Ratelimit in the EnvoyGateway config to configure global rateLimit`);
    return undefined;
  }
  const before = invalid.length;
  const rules = (global.rules ?? []).map((rule, i) => globalRule(rule, i, policy, invalid));
  overrideProblems(global.rules ?? [], invalid);
  if (invalid.length > before) return undefined;
  return { rules: rules.filter((r): r is GlobalRateLimitRuleIr => r !== undefined), service: ctx.rateLimitService };
}

/** One global rule; undefined when a problem went to `invalid`. */
function globalRule(
  rule: RateLimitRule,
  i: number,
  policy: string,
  invalid: string[],
): GlobalRateLimitRuleIr | undefined {
  const at = `${FIELD}.rules[${i}]`;
  notCarriedOut(rule, at, invalid);
  const limit = ruleLimit(rule, at, invalid);
  const fromMetadata = limitFromMetadata(rule, at, invalid);
  const c = ruleConditions({ ...rule, clientSelectors: rule.clientSelectors ?? [] }, at, invalid);
  const response = rule.cost?.response;
  const responseCost = response ? rateLimitCost(response, `${at}.cost.response`, invalid) : undefined;
  if (!c || !limit || (response && !responseCost) || fromMetadata === null) return undefined;
  return {
    ...c,
    index: i,
    limit,
    ...(responseCost ? { responseCost } : {}),
    ...(fromMetadata ? { limitFromMetadata: fromMetadata } : {}),
    ...(rule.shared === true ? { shared: { domain: policy, descriptor: `${policy}/rule/${i}` } } : {}),
    ...(rule.shadowMode === true ? { shadowMode: true } : {}),
  };
}

/** A rule's `limit` (requests per unit); undefined when a problem went to `invalid`. */
function ruleLimit(rule: RateLimitRule, at: string, invalid: string[]): RateLimitQuotaIr | undefined {
  const unit = rule.limit?.unit as RateLimitUnit;
  const requests = rule.limit?.requests;
  const unitOk = RATE_LIMIT_UNITS.includes(unit);
  const requestsOk = Number.isInteger(requests) && requests >= 0 && requests <= UINT32_MAX;
  if (!unitOk) {
    invalid.push(`${at}.limit.unit: ${quote(String(rule.limit?.unit))} is not one of ${RATE_LIMIT_UNITS.join(", ")}`);
  }
  if (!requestsOk) {
    invalid.push(`${at}.limit.requests: ${String(requests)} must be a whole number from 0 to ${UINT32_MAX}`);
  }
  return unitOk && requestsOk ? { requestsPerUnit: requests, unit } : undefined;
}

/**
 * A rule's `limit.fromMetadata`, checked as Envoy Gateway's API checks it (a non-empty namespace and key) and
 * refused on a shared rule (see overrideProblems); undefined when absent, null when a problem went to `invalid`.
 */
function limitFromMetadata(
  rule: RateLimitRule,
  at: string,
  invalid: string[],
): GlobalRateLimitRuleIr["limitFromMetadata"] | null {
  const md = rule.limit?.fromMetadata;
  if (!md) return undefined;
  const empty = (["namespace", "key"] as const).filter((f) => typeof md[f] !== "string" || md[f] === "");
  for (const f of empty) invalid.push(`${at}.limit.fromMetadata.${f}: must be a non-empty string`);
  if (rule.shared === true) invalid.push(`${at}.limit.fromMetadata: ${SHARED_OVERRIDE}`);
  return empty.length === 0 && rule.shared !== true ? { namespace: md.namespace, key: md.key } : null;
}

const ENVOY_136 = "with Envoy 1.36 (this gateway), a limit override is only read from a route's own rate_limits";
const SHARED_OVERRIDE = `not supported on a shared rule: ${ENVOY_136}, which egts uses for the listener's domain only`;

/**
 * The costs that cannot go with the policy's `limit.fromMetadata`: its rules that are not shared then all go to
 * the route's own rate_limits (Envoy 1.36 rejects the override in RateLimitPerRoute), which have no hits_addend.
 */
function overrideProblems(rules: readonly RateLimitRule[], invalid: string[]): void {
  const j = rules.findIndex((r) => r.limit?.fromMetadata && r.shared !== true);
  if (j < 0) return;
  rules.forEach((r, i) => {
    if (r.shared !== true && (r.cost?.request || r.cost?.response)) {
      invalid.push(
        `${FIELD}.rules[${i}].cost: cannot go with limit.fromMetadata (rules[${j}]) on rules that are not shared: ${ENVOY_136}, which have no hits_addend`,
      );
    }
  });
}

/** The fields of a global rule egts does not carry out, refused by name. */
function notCarriedOut(rule: RateLimitRule, at: string, invalid: string[]): void {
  if (rule.xRateLimitHeaders !== undefined) {
    invalid.push(
      `${at}.xRateLimitHeaders: per-rule X-RateLimit headers are not implemented by egts yet (Envoy 1.37 feature)`,
    );
  }
}
