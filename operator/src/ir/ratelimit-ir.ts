/**
 * The global rate limit IR: what the rate limit service (envoyproxy/ratelimit) must enforce, as domains of
 * nested descriptors. Our control plane serves it to the service over xDS (xds/ratelimit/), one
 * RateLimitConfig per domain.
 *
 * Domains follow Envoy Gateway: one per HTTP listener, named after the listener (`<namespace>/<gateway>/<listener>`,
 * e.g. `default/eg/http`), holding the rules of that listener's routes; plus one per shared rule set
 * (BackendTrafficPolicy `rateLimit.global.rules[].shared: true`), named after the policy, so that every route
 * using it counts into the same buckets. Inside a domain, a route's rules hang under a descriptor whose key and
 * value are the route name; each rule is a chain of descriptors (header, method, path, CIDR and query matches,
 * in that order) whose last link carries the limit.
 */

/** The units the service counts in (Envoy Gateway's RateLimitUnit). */
export const RATE_LIMIT_UNITS = ["Second", "Minute", "Hour", "Day", "Week", "Month", "Year"] as const;

/** A counting unit: the window a limit's requests are counted over. */
export type RateLimitUnit = (typeof RATE_LIMIT_UNITS)[number];

/** A limit: at most `requestsPerUnit` requests per `unit`. */
export interface RateLimitQuotaIr {
  /** Requests allowed per unit (a uint32). */
  readonly requestsPerUnit: number;
  /** The window. */
  readonly unit: RateLimitUnit;
}

/** No limit at all: the descriptor matches and stops the search without ever answering OVER_LIMIT. */
export interface RateLimitUnlimitedIr {
  /** Always true. */
  readonly unlimited: true;
}

/** One descriptor entry: a key (and optionally a value) that a request's descriptor must match. */
export interface RateLimitDescriptorIr {
  /** The descriptor key (an Envoy rate limit action's descriptor key). */
  readonly key: string;
  /** The value it must have; absent: any value, each distinct value counted on its own. */
  readonly value?: string;
  /** The limit of a request whose descriptor ends here; absent on links that only lead to nested ones. */
  readonly rateLimit?: RateLimitQuotaIr | RateLimitUnlimitedIr;
  /** Over-limit requests are answered OK (and counted, and reported in the descriptor status). */
  readonly shadowMode?: boolean;
  /** Entries matched against the next element of the request's descriptor. */
  readonly descriptors?: readonly RateLimitDescriptorIr[];
}

/** One domain: the unit of configuration the service loads (a RateLimitConfig). */
export interface RateLimitDomainIr {
  /** Domain name: what Envoy's ratelimit filter sends as `domain`. */
  readonly name: string;
  /** Top-level descriptor entries. */
  readonly descriptors: readonly RateLimitDescriptorIr[];
}

/** Everything the rate limit service must enforce. */
export interface GlobalRateLimitIr {
  /** Domains, unique by name. */
  readonly domains: readonly RateLimitDomainIr[];
}

/** The largest requestsPerUnit (the proto field is a uint32). */
const UINT32_MAX = 4_294_967_295;

/**
 * The problems of a global rate limit IR (empty when valid): what the service would reject when loading it
 * (duplicate domains, duplicate key/value pairs on one level, empty keys, an unknown unit, a limit out of
 * range).
 */
export function validateRateLimitIr(ir: GlobalRateLimitIr): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const d of ir.domains) {
    if (d.name === "") problems.push("a domain has an empty name");
    if (names.has(d.name)) problems.push(`duplicate domain ${JSON.stringify(d.name)}`);
    names.add(d.name);
    problems.push(...descriptorProblems(`domain ${JSON.stringify(d.name)}`, d.descriptors));
  }
  return problems;
}

function descriptorProblems(owner: string, descriptors: readonly RateLimitDescriptorIr[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of descriptors) {
    const id = d.value === undefined ? d.key : `${d.key}=${d.value}`;
    const where = `${owner}, descriptor ${JSON.stringify(id)}`;
    if (d.key === "") problems.push(`${owner}: a descriptor has an empty key`);
    if (seen.has(id)) problems.push(`${where} appears twice on one level`);
    seen.add(id);
    const limit = d.rateLimit;
    if (limit !== undefined && !("unlimited" in limit)) {
      if (
        !Number.isSafeInteger(limit.requestsPerUnit) ||
        limit.requestsPerUnit < 0 ||
        limit.requestsPerUnit > UINT32_MAX
      )
        problems.push(`${where}: requestsPerUnit ${limit.requestsPerUnit} is not a uint32`);
      if (!(RATE_LIMIT_UNITS as readonly string[]).includes(limit.unit))
        problems.push(`${where}: unit ${JSON.stringify(limit.unit)} is not one of ${RATE_LIMIT_UNITS.join(", ")}`);
    }
    problems.push(...descriptorProblems(where, d.descriptors ?? []));
  }
  return problems;
}
