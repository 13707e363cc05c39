/**
 * BackendTrafficPolicy `rateLimit.local`, normalized for Envoy's local_ratelimit filter: a default token bucket
 * (the rule without client selectors, or unlimited) and one descriptor per selecting rule and method, as
 * Envoy Gateway builds them (xds/translate/filters/local-ratelimit.ts).
 */

/** A token bucket: `requests` tokens, all refilled every `fillSeconds`. */
export interface TokenBucketIr {
  /** Tokens in a full bucket, and tokens added per fill. */
  readonly requests: number;
  /** Seconds between fills (the limit's unit). */
  readonly fillSeconds: number;
}

/** How a string is compared. */
export interface RateLimitStringMatchIr {
  /** `Prefix` only comes from a path prefix of `/`. */
  readonly type: "Exact" | "Prefix" | "RegularExpression";
  /** Value or RE2 pattern. */
  readonly value: string;
}

/** A header or query parameter condition: compared (possibly inverted), or `distinct` (one bucket per value). */
export interface RateLimitParamIr {
  /** Header or query parameter name. */
  readonly name: string;
  /** The comparison; absent for a distinct condition. */
  readonly match?: RateLimitStringMatchIr;
  /** Selects requests that do NOT match. */
  readonly invert: boolean;
}

/** A client address condition (clients inside the range). */
export interface RateLimitCidrIr {
  /** The network in canonical form (`10.0.0.0/8`), the descriptor value. */
  readonly cidr: string;
  /** The network's first address. */
  readonly addressPrefix: string;
  /** Prefix length. */
  readonly prefixLen: number;
  /** One bucket per client address inside the range. */
  readonly distinct: boolean;
}

/** A method condition. */
export interface RateLimitMethodIr {
  /** HTTP method. */
  readonly method: string;
  /** Selects requests with another method. */
  readonly invert: boolean;
}

/** What a request costs against a rule's bucket (Envoy's hits_addend). */
export type RateLimitCostIr = { readonly number: number } | { readonly metadata: { namespace: string; key: string } };

/** One rule with client selectors (all its conditions must hold). */
export interface LocalRateLimitRuleIr {
  /** Header conditions. */
  readonly headers: readonly RateLimitParamIr[];
  /** Methods; any one selects (one descriptor each, sharing nothing but the limit's value). */
  readonly methods: readonly RateLimitMethodIr[];
  /** Path condition. */
  readonly path?: RateLimitStringMatchIr & { readonly invert: boolean };
  /** Client address condition. */
  readonly sourceCidr?: RateLimitCidrIr;
  /** Query parameter conditions. */
  readonly queryParams: readonly RateLimitParamIr[];
  /** The rule's bucket. */
  readonly limit: TokenBucketIr;
  /** Cost of a request. @default 1 */
  readonly cost?: RateLimitCostIr;
}

/** A route's local rate limit. */
export interface LocalRateLimitIr {
  /** Bucket of requests no rule selects: the rule without client selectors, else 2^32-1 per second. */
  readonly default: TokenBucketIr;
  /** X-RateLimit-* response headers (draft 03); off when the default rule says `Off`. */
  readonly xRateLimitHeaders: boolean;
  /** The rules with client selectors, in spec order. */
  readonly rules: readonly LocalRateLimitRuleIr[];
}
