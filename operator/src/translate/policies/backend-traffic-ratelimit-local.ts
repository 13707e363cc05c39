/**
 * BackendTrafficPolicy `rateLimit.local` → LocalRateLimitIr, with Envoy Gateway's rules: the rule without client
 * selectors is the route's default bucket (at most one; without it the default is unlimited), every rule's unit
 * must be a multiple of the default's (Envoy's local rate limiter requires it), and each selector condition is
 * checked as Envoy Gateway checks it. Beyond Envoy Gateway, `cost.request` is honoured (Envoy's hits_addend);
 * what Envoy 1.36 cannot do locally (shadowMode, shared, per-rule xRateLimitHeaders, an inverted sourceCIDR) is refused, not ignored.
 */
import { UINT32_MAX } from "../shapes";
import type {
  LocalRateLimitIr,
  LocalRateLimitRuleIr,
  RateLimitCidrIr,
  RateLimitCostIr,
  RateLimitParamIr,
  RateLimitStringMatchIr,
  TokenBucketIr,
} from "../../ir/local-rate-limit-ir";
import type {
  HeaderMatch,
  QueryParamMatch,
  RateLimitCostSpecifier,
  RateLimitRule,
  RateLimitSelectCondition,
  RateLimitSpec,
  RateLimitUnit,
} from "../../resources/backend-traffic-policy";
import type { PathMatch } from "../../resources/policy-common";
import { canonicalCidr } from "../cidr-format";
import { re2Problem } from "../regex";
import { quote } from "../validate-values";

/** Seconds of each rate limit unit (a month is 30 days, a year 365, as in Envoy Gateway). */
export const RATE_LIMIT_UNIT_SECONDS: Readonly<Record<RateLimitUnit, number>> = {
  Second: 1,
  Minute: 60,
  Hour: 3600,
  Day: 86_400,
  Week: 604_800,
  Month: 2_592_000,
  Year: 31_536_000,
};

const FIELD = "spec.rateLimit.local";

/** The local rate limit of `rateLimit`, if it has one; problems go to `invalid`. */
export function translateLocalRateLimit(rateLimit: RateLimitSpec, invalid: string[]): LocalRateLimitIr | undefined {
  if (rateLimit.type === "Global") return undefined;
  const local = rateLimit.local;
  if (!local) {
    if (rateLimit.type === "Local") invalid.push(`${FIELD}: must be set when rateLimit.type is Local`);
    return undefined;
  }
  const rules = local.rules ?? [];
  const defaults = rules.map((r, i) => ({ r, i })).filter(({ r }) => (r.clientSelectors ?? []).length === 0);
  if (defaults.length > 1) {
    invalid.push(
      `${FIELD}.rules: only one rule may have no clientSelectors (rules ${defaults.map((d) => d.i).join(", ")} have none)`,
    );
  }
  const before = invalid.length;
  const defaultRule = defaults[0]?.r;
  const defaultBucket = defaultRule
    ? bucket(defaultRule, defaults[0].i, invalid)
    : { requests: UINT32_MAX, fillSeconds: 1 };
  const irRules: LocalRateLimitRuleIr[] = [];
  rules.forEach((rule, i) => {
    const at = `${FIELD}.rules[${i}]`;
    localOnlyProblems(rule, at, rule === defaultRule, invalid);
    const limit = rule === defaultRule ? defaultBucket : bucket(rule, i, invalid);
    if (limit && defaultBucket && limit.fillSeconds % defaultBucket.fillSeconds !== 0) {
      invalid.push(
        `${at}.limit.unit: ${rule.limit.unit} must be a multiple of the default rule's unit (${defaultRule?.limit.unit})`,
      );
    }
    if ((rule.clientSelectors ?? []).length === 0 || !limit) return;
    const ir = selectorRule(rule, at, limit, invalid);
    if (ir) irRules.push(ir);
  });
  if (invalid.length > before || !defaultBucket) return undefined;
  return { default: defaultBucket, xRateLimitHeaders: defaultRule?.xRateLimitHeaders !== "Off", rules: irRules };
}

function bucket(rule: RateLimitRule, i: number, invalid: string[]): TokenBucketIr | undefined {
  const at = `${FIELD}.rules[${i}].limit`;
  const fillSeconds = RATE_LIMIT_UNIT_SECONDS[rule.limit?.unit];
  const requests = rule.limit?.requests;
  let ok = true;
  if (fillSeconds === undefined) {
    invalid.push(
      `${at}.unit: ${quote(String(rule.limit?.unit))} is not one of ${Object.keys(RATE_LIMIT_UNIT_SECONDS).join(", ")}`,
    );
    ok = false;
  }
  if (!Number.isInteger(requests) || requests < 1 || requests > UINT32_MAX) {
    invalid.push(
      `${at}.requests: ${String(requests)} must be a whole number from 1 to ${UINT32_MAX} (Envoy's token bucket holds at least one token)`,
    );
    ok = false;
  }
  return ok ? { requests, fillSeconds } : undefined;
}

/** Fields Envoy Gateway's API allows on global rules only, or that Envoy 1.36's local rate limiter lacks. */
function localOnlyProblems(rule: RateLimitRule, at: string, isDefault: boolean, invalid: string[]): void {
  if (rule.limit?.fromMetadata) invalid.push(`${at}.limit.fromMetadata: not supported for local rate limits`);
  if (rule.cost?.response) invalid.push(`${at}.cost.response: response cost is not supported for local rate limits`);
  if (rule.cost?.request && isDefault) {
    invalid.push(
      `${at}.cost.request: not supported on the rule without clientSelectors (Envoy's default bucket takes one token a request)`,
    );
  }
  if (rule.shadowMode === true) invalid.push(`${at}.shadowMode: only supported for global rate limits`);
  if (rule.shared === true)
    invalid.push(`${at}.shared: only supported for global rate limits (local buckets are per route)`);
  if (rule.xRateLimitHeaders !== undefined && !isDefault) {
    invalid.push(
      `${at}.xRateLimitHeaders: per-rule X-RateLimit headers are not implemented by egts yet (Envoy 1.37 feature); set it on the rule without clientSelectors`,
    );
  }
}

/** A rule's conditions, gathered over its client selectors (all must hold). */
interface Conditions {
  readonly headers: RateLimitParamIr[];
  readonly queryParams: RateLimitParamIr[];
  readonly methods: { method: string; invert: boolean }[];
  path?: RateLimitStringMatchIr & { invert: boolean };
  sourceCidr?: RateLimitCidrIr;
}

function selectorRule(
  rule: RateLimitRule,
  at: string,
  limit: TokenBucketIr,
  invalid: string[],
): LocalRateLimitRuleIr | undefined {
  const c = ruleConditions(rule, at, invalid);
  return c ? { ...c, limit } : undefined;
}

/**
 * A rule's client selectors and request cost, checked as Envoy Gateway checks them (shared by the local and the
 * global rate limit); undefined when a problem went to `invalid`.
 */
export function ruleConditions(
  rule: RateLimitRule,
  at: string,
  invalid: string[],
): Omit<LocalRateLimitRuleIr, "limit"> | undefined {
  const before = invalid.length;
  const c: Conditions = { headers: [], queryParams: [], methods: [] };
  (rule.clientSelectors ?? []).forEach((sel, j) => addSelector(c, sel, `${at}.clientSelectors[${j}]`, invalid));
  const requestCost = rule.cost?.request ? rateLimitCost(rule.cost.request, `${at}.cost.request`, invalid) : undefined;
  if (invalid.length > before) return undefined;
  return {
    headers: c.headers,
    methods: c.methods,
    ...(c.path ? { path: c.path } : {}),
    ...(c.sourceCidr ? { sourceCidr: c.sourceCidr } : {}),
    queryParams: c.queryParams,
    ...(requestCost ? { cost: requestCost } : {}),
  };
}

function addSelector(c: Conditions, sel: RateLimitSelectCondition, s: string, invalid: string[]): void {
  if (!sel.headers?.length && !sel.methods?.length && !sel.path && !sel.sourceCIDR && !sel.queryParams?.length) {
    invalid.push(`${s}: at least one of headers, methods, path, sourceCIDR or queryParams must be specified`);
  }
  (sel.headers ?? []).forEach((h, k) => pushParam(c.headers, headerParam(h, `${s}.headers[${k}]`, invalid)));
  (sel.queryParams ?? []).forEach((q, k) => pushParam(c.queryParams, queryParam(q, `${s}.queryParams[${k}]`, invalid)));
  for (const m of sel.methods ?? []) c.methods.push({ method: m.value, invert: m.invert === true });
  addPathAndCidr(c, sel, s, invalid);
}

function addPathAndCidr(c: Conditions, sel: RateLimitSelectCondition, s: string, invalid: string[]): void {
  if (sel.path) {
    if (c.path) invalid.push(`${s}.path: only one path condition per rule`);
    c.path = pathMatch(sel.path, `${s}.path`, invalid);
  }
  if (sel.sourceCIDR) {
    if (c.sourceCidr) invalid.push(`${s}.sourceCIDR: only one sourceCIDR condition per rule`);
    c.sourceCidr = cidrMatch(sel.sourceCIDR, `${s}.sourceCIDR`, invalid);
  }
}

function pushParam(list: RateLimitParamIr[], p: RateLimitParamIr | undefined): void {
  if (p) list.push(p);
}

function headerParam(h: HeaderMatch, at: string, invalid: string[]): RateLimitParamIr | undefined {
  return param(h, "header", at, invalid);
}

function queryParam(q: QueryParamMatch, at: string, invalid: string[]): RateLimitParamIr | undefined {
  return param(q, "query parameter", at, invalid);
}

/** A header or query parameter condition, checked as Envoy Gateway checks it. */
function param(
  p: HeaderMatch | QueryParamMatch,
  what: string,
  at: string,
  invalid: string[],
): RateLimitParamIr | undefined {
  const type = p.type ?? "Exact";
  const invert = p.invert === true;
  if (!p.name) {
    invalid.push(`${at}.name: required`);
    return undefined;
  }
  if (type === "Distinct") {
    if (invert) invalid.push(`${at}.invert: not applicable to a Distinct ${what} match`);
    if (p.value !== undefined) invalid.push(`${at}.value: not applicable to a Distinct ${what} match`);
    return invert || p.value !== undefined ? undefined : { name: p.name, invert: false };
  }
  if (type !== "Exact" && type !== "RegularExpression") {
    invalid.push(`${at}.type: ${quote(String(type))} is not one of Exact, RegularExpression, Distinct`);
    return undefined;
  }
  if (p.value === undefined || p.value === "") {
    invalid.push(`${at}.value: required for ${type === "Exact" ? "an" : "a"} ${type} ${what} match`);
    return undefined;
  }
  const bad = type === "RegularExpression" ? re2Problem(p.value) : undefined;
  if (bad) {
    invalid.push(`${at}.value: ${quote(p.value)} ${bad}`);
    return undefined;
  }
  return { name: p.name, match: { type, value: p.value }, invert };
}

/** A path condition: a prefix other than `/` becomes Envoy Gateway's path-separated prefix regex. */
function pathMatch(
  p: PathMatch,
  at: string,
  invalid: string[],
): (RateLimitStringMatchIr & { invert: boolean }) | undefined {
  const invert = p.invert === true;
  const type = p.type ?? "PathPrefix";
  const value = p.value ?? "/";
  if (type === "PathPrefix") {
    if (value === "/") return { type: "Prefix", value, invert };
    return { type: "RegularExpression", value: pathSeparatedPrefixRegex(value), invert };
  }
  if (type === "Exact") return { type: "Exact", value, invert };
  if (type === "RegularExpression") {
    const bad = re2Problem(value);
    if (!bad) return { type, value, invert };
    invalid.push(`${at}.value: ${quote(value)} ${bad}`);
    return undefined;
  }
  invalid.push(`${at}.type: ${quote(String(type))} is not one of Exact, PathPrefix, RegularExpression`);
  return undefined;
}

/** The path itself or below it: `/a` matches `/a`, `/a/b`, `/a?x`, not `/ab`. */
function pathSeparatedPrefixRegex(prefix: string): string {
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return `^${trimmed.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(/.*|\\?.*|#.*|;.*|$)`;
}

function cidrMatch(
  c: NonNullable<RateLimitSelectCondition["sourceCIDR"]>,
  at: string,
  invalid: string[],
): RateLimitCidrIr | undefined {
  const parsed = canonicalCidr(c.value ?? "");
  if (!parsed) {
    invalid.push(`${at}.value: ${quote(String(c.value))} is not a CIDR`);
    return undefined;
  }
  if (c.type !== undefined && c.type !== "Exact" && c.type !== "Distinct") {
    invalid.push(`${at}.type: ${quote(String(c.type))} is not one of Exact, Distinct`);
    return undefined;
  }
  if (c.invert === true) {
    invalid.push(
      `${at}.invert: an inverted sourceCIDR is not implemented by egts yet (it needs Envoy 1.37's remote_address_match)`,
    );
    return undefined;
  }
  return {
    cidr: parsed.cidr,
    addressPrefix: parsed.address,
    prefixLen: parsed.prefixLen,
    distinct: c.type === "Distinct",
  };
}

/**
 * A request or response cost (`at` names it, e.g. `…rules[0].cost.request`), checked as Envoy Gateway's API
 * checks it (only one of number or metadata) and as its translation needs it: `from: Number` takes `number`,
 * `from: Metadata` takes `metadata` (a non-empty namespace and key).
 * Beyond it, what would break or change the meaning of Envoy's `%DYNAMIC_METADATA(namespace:key)%` is refused:
 * `%` or `)` in either, `:` in the namespace. Undefined when a problem went to `invalid`.
 */
export function rateLimitCost(c: RateLimitCostSpecifier, at: string, invalid: string[]): RateLimitCostIr | undefined {
  if (c.number !== undefined && c.metadata !== undefined) {
    invalid.push(`${at}: only one of number or metadata can be specified`);
    return undefined;
  }
  if (c.from === "Number") return costNumber(c.number, at, invalid);
  if (c.from === "Metadata") return costMetadata(c.metadata, at, invalid);
  invalid.push(`${at}.from: ${quote(String(c.from))} is not one of Number, Metadata`);
  return undefined;
}

function costNumber(n: number | undefined, at: string, invalid: string[]): RateLimitCostIr | undefined {
  if (n === undefined) invalid.push(`${at}.number: required with from: Number`);
  else if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX) {
    invalid.push(`${at}.number: ${String(n)} must be a whole number from 0 to ${UINT32_MAX}`);
  } else return { number: n };
  return undefined;
}

function costMetadata(
  md: RateLimitCostSpecifier["metadata"],
  at: string,
  invalid: string[],
): RateLimitCostIr | undefined {
  if (md === undefined) {
    invalid.push(`${at}.metadata: required with from: Metadata`);
    return undefined;
  }
  const empty = (["namespace", "key"] as const).filter((f) => typeof md[f] !== "string" || md[f] === "");
  for (const f of empty) invalid.push(`${at}.metadata.${f}: must be a non-empty string`);
  const bad = empty.length === 0 ? formatBreaker(md.namespace, md.key) : undefined;
  if (bad) invalid.push(`${at}.metadata: ${bad} (it would not name that metadata in Envoy's %DYNAMIC_METADATA()%)`);
  return empty.length === 0 && !bad ? { metadata: { namespace: md.namespace, key: md.key } } : undefined;
}

/** Why a metadata namespace and key cannot go into `%DYNAMIC_METADATA(namespace:key)%`; undefined when they can. */
function formatBreaker(namespace: string, key: string): string | undefined {
  if (/[%)]/.test(namespace)) return `namespace ${quote(namespace)} contains % or )`;
  if (namespace.includes(":")) return `namespace ${quote(namespace)} contains :`;
  if (/[%)]/.test(key)) return `key ${quote(key)} contains % or )`;
  return undefined;
}
