/**
 * envoy.filters.http.local_ratelimit (rank 302), placement `shared`, fed by BackendTrafficPolicy `rateLimit.local`
 * (`RouteIr.traffic.localRateLimit`).
 *
 * As Envoy Gateway: one LocalRateLimit on the HCM with only a stat prefix and 10,000 dynamic descriptors (no
 * bucket: it limits nothing) when some route of the listener has a local rate limit; the route's default bucket,
 * descriptors and `rate_limits` actions as a LocalRateLimit in typed_per_filter_config. A request takes a token
 * from every descriptor it matches and only from the default bucket when it matches none
 * (`always_consume_default_token_bucket: false`). Descriptor keys are Envoy Gateway's (`rule-<i>-match-<j>`,
 * `rule-<i>-method`, `rule-<i>-path`); the source CIDR uses Envoy 1.36's `masked_remote_address` and
 * `remote_address` actions (Envoy Gateway 1.9 uses 1.37's `remote_address_match`). X-RateLimit-* headers (draft 03)
 * unless the default rule says `Off` or the listener's ClientTrafficPolicy sets `headers.disableRateLimitHeaders`.
 */
import type { LocalRateLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit";
import type * as CommonRateLimitProto from "../../../../../proto/gen/envoy/extensions/common/ratelimit/v3/ratelimit";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { registerLazyType } from "../../../../../proto/any";
import { protoModule } from "../../../../../proto/lazy";
import type {
  LocalRateLimitIr,
  LocalRateLimitRuleIr,
  RateLimitMethodIr,
  RateLimitStringMatchIr,
  TokenBucketIr,
} from "../../../ir/local-rate-limit-ir";
import type { HttpListenerIr } from "../../../ir/xds-ir";
import { duration } from "../route-filters";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** LocalRateLimit, registered for Any packing. */
export const LocalRatelimitType = registerLazyType<LocalRateLimit>(
  "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit",
  "LocalRateLimit",
);

const commonRateLimitProto = protoModule<typeof CommonRateLimitProto>("envoy/extensions/common/ratelimit/v3/ratelimit");

const NAME = "envoy.filters.http.local_ratelimit";
const STAT_PREFIX = "http_local_rate_limiter";
const ALL = { defaultValue: { numerator: 100, denominator: 0 } };

/** The local_ratelimit filter's registry entry. */
export const localRatelimit: HttpFilterDef = {
  name: NAME,
  rank: 302,
  configType: LocalRatelimitType.name,
  perRouteType: LocalRatelimitType.name,
  placement: "shared",
  hcmFilters: (listener) =>
    listenerHasRoute(listener, (r) => r.traffic?.localRateLimit !== undefined)
      ? [
          {
            name: NAME,
            typedConfig: packPartial(LocalRatelimitType, { statPrefix: STAT_PREFIX, maxDynamicDescriptors: 10_000 }),
          } as HttpFilter,
        ]
      : [],
  routeContext: (listener) => listener.clientTraffic?.headers?.disableRateLimitHeaders === true,
  perRouteConfig: (route, listener) =>
    route.traffic?.localRateLimit
      ? { [NAME]: packPartial(LocalRatelimitType, routeConfig(route.traffic.localRateLimit, listener)) }
      : undefined,
  sampleConfig: () => packPartial(LocalRatelimitType, { statPrefix: STAT_PREFIX }),
};

function routeConfig(rl: LocalRateLimitIr, listener: HttpListenerIr): object {
  const built = rl.rules.flatMap((rule, i) => ruleEntries(rule, i));
  const headers = rl.xRateLimitHeaders && !listener.clientTraffic?.headers?.disableRateLimitHeaders;
  const { XRateLimitHeadersRFCVersion } = commonRateLimitProto();
  return {
    statPrefix: STAT_PREFIX,
    tokenBucket: tokenBucket(rl.default),
    filterEnabled: ALL,
    filterEnforced: ALL,
    enableXRatelimitHeaders: headers ? XRateLimitHeadersRFCVersion.DRAFT_VERSION_03 : XRateLimitHeadersRFCVersion.OFF,
    descriptors: uniqueDescriptors(built.map((b) => b.descriptor)),
    alwaysConsumeDefaultTokenBucket: false,
    rateLimits: built.map((b) => b.rateLimit),
  };
}

/**
 * The descriptors without repeats: a rule's methods give equal descriptors (its method entry has the same key
 * and value for each), which Envoy refuses as duplicates; one descriptor is the rule's one bucket.
 */
function uniqueDescriptors(descriptors: readonly { entries: readonly Entry[] }[]): object[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => {
    const key = JSON.stringify(d.entries);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function tokenBucket(b: TokenBucketIr): object {
  return { maxTokens: b.requests, tokensPerFill: b.requests, fillInterval: duration(b.fillSeconds * 1000) };
}

/** One entry of a rate limit descriptor: a key and, unless each distinct request value counts apart, a value. */
export interface DescriptorEntry {
  readonly key: string;
  readonly value?: string;
}
type Entry = DescriptorEntry;

/** One descriptor and its actions per method of the rule (one when it has no method condition). */
function ruleEntries(
  rule: LocalRateLimitRuleIr,
  i: number,
): { descriptor: { entries: readonly Entry[] }; rateLimit: object }[] {
  return ruleParts(rule, i).map((parts) => ({
    descriptor: { entries: parts.map((p) => p.entry), tokenBucket: tokenBucket(rule.limit) },
    rateLimit: { actions: parts.map((p) => p.action), ...(rule.cost ? { hitsAddend: hitsAddend(rule) } : {}) },
  }));
}

/**
 * The rate limit actions of rule `i`'s client selectors and the descriptor entries they produce, as Envoy Gateway
 * keys them (`rule-<i>-match-<j>`, `rule-<i>-method`, `rule-<i>-path`, the CIDR keys): one list per method of the
 * rule (one when it has no method condition). Shared by the local and the global rate limit.
 */
export function ruleParts(
  rule: Omit<LocalRateLimitRuleIr, "limit">,
  i: number,
): { readonly action: object; readonly entry: DescriptorEntry }[][] {
  const methods: (RateLimitMethodIr | undefined)[] = rule.methods.length > 0 ? [...rule.methods] : [undefined];
  return methods.map((method) => {
    const parts: { action: object; entry: Entry }[] = [
      ...rule.headers.map((h, j) =>
        h.match
          ? valueMatch(`rule-${i}-match-${j}`, h.match, h.invert, (m) => ({ headers: [headerMatcher(h.name, m)] }))
          : distinct(`rule-${i}-match-${j}`, {
              requestHeaders: { headerName: h.name, descriptorKey: `rule-${i}-match-${j}` },
            }),
      ),
      ...(method
        ? [
            valueMatch(`rule-${i}-method`, { type: "Exact", value: method.method }, method.invert, (m) => ({
              headers: [headerMatcher(":method", m)],
            })),
          ]
        : []),
      ...(rule.path
        ? [valueMatch(`rule-${i}-path`, rule.path, rule.path.invert, (m) => ({ headers: [headerMatcher(":path", m)] }))]
        : []),
      ...cidrParts(rule),
      ...rule.queryParams.map((q, k) => {
        const key = `rule-${i}-match-${rule.headers.length + k}`;
        return q.match
          ? {
              action: {
                queryParameterValueMatch: {
                  descriptorKey: key,
                  descriptorValue: key,
                  expectMatch: !q.invert,
                  queryParameters: [{ name: q.name, stringMatch: stringMatcher(q.match) }],
                },
              },
              entry: { key, value: key },
            }
          : distinct(key, { queryParameters: { queryParameterName: q.name, descriptorKey: key } });
      }),
    ];
    return parts;
  });
}

function valueMatch(
  key: string,
  match: RateLimitStringMatchIr,
  invert: boolean,
  matchers: (m: RateLimitStringMatchIr) => object,
): { action: object; entry: Entry } {
  return {
    action: {
      headerValueMatch: { descriptorKey: key, descriptorValue: key, expectMatch: !invert, ...matchers(match) },
    },
    entry: { key, value: key },
  };
}

/** An action whose descriptor value is the request's own value: the entry without a value counts each apart. */
function distinct(key: string, action: object): { action: object; entry: Entry } {
  return { action, entry: { key } };
}

/** Envoy's masked_remote_address (clients in the range) and, for Distinct, remote_address (one bucket per client). */
function cidrParts(rule: Omit<LocalRateLimitRuleIr, "limit">): { action: object; entry: Entry }[] {
  const c = rule.sourceCidr;
  if (!c) return [];
  const v4 = !c.addressPrefix.includes(":");
  const masked = {
    action: { maskedRemoteAddress: v4 ? { v4PrefixMaskLen: c.prefixLen } : { v6PrefixMaskLen: c.prefixLen } },
    entry: { key: "masked_remote_address", value: c.cidr },
  };
  return c.distinct ? [masked, distinct("remote_address", { remoteAddress: {} })] : [masked];
}

function headerMatcher(name: string, m: RateLimitStringMatchIr): object {
  return { name, stringMatch: stringMatcher(m) };
}

function stringMatcher(m: RateLimitStringMatchIr): object {
  if (m.type === "Exact") return { exact: m.value };
  if (m.type === "Prefix") return { prefix: m.value };
  return { safeRegex: { regex: m.value } };
}

/** Envoy's hits_addend of a rule with a request cost. */
export function hitsAddend(rule: Pick<LocalRateLimitRuleIr, "cost">): object | undefined {
  const c = rule.cost;
  if (!c) return undefined;
  return "number" in c
    ? { number: c.number }
    : { format: `%DYNAMIC_METADATA(${c.metadata.namespace}:${c.metadata.key})%` };
}
