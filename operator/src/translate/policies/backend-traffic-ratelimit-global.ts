/**
 * BackendTrafficPolicy `rateLimit.global` → GlobalRateLimitRouteIr: the same client selectors as the local rate
 * limit (ruleConditions), a limit per unit counted by the rate limit service, `shared` rules counted across
 * every route of the policy, `shadowMode`. It needs the EnvoyGateway configuration's `rateLimit` (Envoy Gateway's
 * message otherwise). What egts does not carry out yet (`limit.fromMetadata`, `cost.response`) is refused by name.
 */
import { UINT32_MAX } from "../shapes";
import type { GlobalRateLimitRouteIr, GlobalRateLimitRuleIr } from "../../ir/global-rate-limit-route-ir";
import { RATE_LIMIT_UNITS, type RateLimitUnit } from "../../ir/ratelimit-ir";
import type { RateLimitRule, RateLimitSpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { ruleConditions } from "./backend-traffic-ratelimit-local";
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
  const unit = rule.limit?.unit as RateLimitUnit;
  if (!RATE_LIMIT_UNITS.includes(unit)) {
    invalid.push(`${at}.limit.unit: ${quote(String(rule.limit?.unit))} is not one of ${RATE_LIMIT_UNITS.join(", ")}`);
  }
  const requests = rule.limit?.requests;
  if (!Number.isInteger(requests) || requests < 0 || requests > UINT32_MAX) {
    invalid.push(`${at}.limit.requests: ${String(requests)} must be a whole number from 0 to ${UINT32_MAX}`);
  }
  const c = ruleConditions({ ...rule, clientSelectors: rule.clientSelectors ?? [] }, at, invalid);
  if (!c) return undefined;
  return {
    ...c,
    index: i,
    limit: { requestsPerUnit: requests, unit },
    ...(rule.shared === true ? { shared: { domain: policy, descriptor: `${policy}/rule/${i}` } } : {}),
    ...(rule.shadowMode === true ? { shadowMode: true } : {}),
  };
}

/** The fields of a global rule egts does not carry out, refused by name. */
function notCarriedOut(rule: RateLimitRule, at: string, invalid: string[]): void {
  if (rule.limit?.fromMetadata) invalid.push(`${at}.limit.fromMetadata: not implemented by egts`);
  if (rule.cost?.response) invalid.push(`${at}.cost.response: not implemented by egts`);
  if (rule.xRateLimitHeaders !== undefined) {
    invalid.push(`${at}.xRateLimitHeaders: per-rule X-RateLimit headers need Envoy 1.37 (this gateway runs 1.36)`);
  }
}
