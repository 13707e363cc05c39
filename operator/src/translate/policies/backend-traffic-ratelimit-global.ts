/**
 * BackendTrafficPolicy `rateLimit.global` → GlobalRateLimitRouteIr: the same client selectors as the local rate
 * limit (ruleConditions), a limit per unit counted by the rate limit service, `shared` rules counted across
 * every route of the policy, `shadowMode`. It needs the EnvoyGateway configuration's `rateLimit` (Envoy Gateway's
 * message otherwise). `cost.request` is taken when a request arrives, `cost.response` when its stream is done (both
 * a fixed number or dynamic metadata). `limit.fromMetadata` is checked as Envoy Gateway checks it, then refused by
 * name: Envoy 1.36 rejects the limit override where it would have to go (LIMIT_OVERRIDE_REFUSAL).
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
    invalid.push(
      `${FIELD}: ${ctx.rateLimitRefusal ?? "enable Ratelimit in the EnvoyGateway config to configure global rateLimit"}`,
    );
    return undefined;
  }
  const before = invalid.length;
  const rules = (global.rules ?? []).map((rule, i) => globalRule(rule, i, policy, invalid));
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
  const c = ruleConditions({ ...rule, clientSelectors: rule.clientSelectors ?? [] }, at, invalid);
  const response = rule.cost?.response;
  const responseCost = response ? rateLimitCost(response, `${at}.cost.response`, invalid) : undefined;
  if (!c || !limit || (response && !responseCost)) return undefined;
  return {
    ...c,
    index: i,
    limit,
    ...(responseCost ? { responseCost } : {}),
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
 * Envoy 1.36's refusal of a rate limit entry's `limit` override in RateLimitPerRoute (where Envoy Gateway puts
 * it, as every entry of ours: hits_addend works only there); Envoy took it from envoyproxy/envoy#45613 on.
 */
export const LIMIT_OVERRIDE_REFUSAL =
  "needs a rate limit `limit` override in the route's RateLimitPerRoute, which Envoy 1.36 (this gateway) rejects (\"'limit' field is not supported\")";

/** The fields of a global rule egts does not carry out, refused by name (after Envoy Gateway's own checks). */
function notCarriedOut(rule: RateLimitRule, at: string, invalid: string[]): void {
  const md = rule.limit?.fromMetadata;
  if (md) {
    const empty = (["namespace", "key"] as const).filter((f) => typeof md[f] !== "string" || md[f] === "");
    for (const f of empty) invalid.push(`${at}.limit.fromMetadata.${f}: must be a non-empty string`);
    if (empty.length === 0) invalid.push(`${at}.limit.fromMetadata: ${LIMIT_OVERRIDE_REFUSAL}`);
  }
  if (rule.xRateLimitHeaders !== undefined) {
    invalid.push(`${at}.xRateLimitHeaders: per-rule X-RateLimit headers need Envoy 1.37 (this gateway runs 1.36)`);
  }
}
