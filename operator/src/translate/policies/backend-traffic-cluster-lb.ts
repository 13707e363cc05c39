/**
 * BackendTrafficPolicy `loadBalancer` → LoadBalancerIr: RoundRobin, Random, LeastRequest (with slowStart),
 * ConsistentHash (Maglev; the key from the source IP, headers, a cookie or query parameters; tableSize),
 * BackendUtilization (Envoy's client-side weighted round robin over ORCA load reports), endpointOverride (Envoy's
 * override_host policy around the algorithm) and zoneAware.weightedZones (locality-weighted balancing over the
 * endpoints' zones). Not implemented, refused with a message naming them: the DynamicModule type (Envoy 1.36 has
 * no dynamic module load balancer), weightedZones with BackendUtilization (Envoy 1.36 has no wrr_locality policy), zoneAware.preferLocal (Envoy's zone-aware routing needs the proxy's own zone
 * and a local cluster in its bootstrap, which egts does not write) and backendUtilization.outOfBand (Envoy 1.36
 * does not implement out-of-band ORCA reports). Checks follow Envoy Gateway v1.9's schema rules and messages (the
 * file provider has no API server to run them) and what Envoy refuses (empty or invalid names, a table size that
 * is not a prime).
 */
import type { BackendUtilizationIr, HashKeyIr, LoadBalancerIr, ZoneAwareIr } from "../../ir/backend-traffic-cluster-ir";
import type {
  BackendUtilization,
  ConsistentHash,
  Cookie,
  EndpointOverride,
  LoadBalancer,
  ZoneAware,
} from "../../resources/backend-cluster";
import { headerNameProblem, quote, textProblem } from "../validate-values";
import { defined, durationOf, UINT32_MAX, wholeOf } from "./backend-traffic-values";

/** The `loadBalancer` paths implemented. */
export const LOAD_BALANCER_FIELDS: readonly string[] = [
  "loadBalancer.type",
  "loadBalancer.consistentHash",
  "loadBalancer.slowStart",
  "loadBalancer.backendUtilization.blackoutPeriod",
  "loadBalancer.backendUtilization.weightExpirationPeriod",
  "loadBalancer.backendUtilization.weightUpdatePeriod",
  "loadBalancer.backendUtilization.errorUtilizationPenaltyPercent",
  "loadBalancer.backendUtilization.metricNamesForComputingUtilization",
  "loadBalancer.backendUtilization.keepResponseHeaders",
  "loadBalancer.endpointOverride",
  "loadBalancer.zoneAware.weightedZones",
];

const TYPES: readonly LoadBalancerIr["type"][] = [
  "RoundRobin",
  "Random",
  "LeastRequest",
  "ConsistentHash",
  "BackendUtilization",
];
/** Envoy's largest Maglev table (and Envoy Gateway's limit). */
const MAX_TABLE_SIZE = 5_000_011;
const AT = "spec.loadBalancer";

/** Why the DynamicModule type is refused. */
export const DYNAMIC_MODULE_REFUSAL =
  "DynamicModule is not implemented by egts: Envoy 1.36, the proxy egts runs, has no dynamic module load balancer (envoy.load_balancing_policies.dynamic_modules), and egts does not implement the EnvoyProxy dynamicModules allowlist";

/** True when `lb`'s type and the presence of `field` disagree: one is set without the other. */
const pairs = (lb: LoadBalancer, type: string, field: keyof LoadBalancer): boolean =>
  (lb.type === type) !== (lb[field] !== undefined);
const preferLocal = (lb: LoadBalancer): boolean => lb.zoneAware?.preferLocal !== undefined;

/** Envoy Gateway's schema rules on the combinations of the fields (its messages), and egts's own. */
const COMBINATION_RULES: readonly { readonly broken: (lb: LoadBalancer) => boolean; readonly message: string }[] = [
  {
    broken: (lb) => pairs(lb, "ConsistentHash", "consistentHash"),
    message: `${AT}: If LoadBalancer type is consistentHash, consistentHash field needs to be set.`,
  },
  {
    broken: (lb) => pairs(lb, "BackendUtilization", "backendUtilization"),
    message: `${AT}: If LoadBalancer type is BackendUtilization, backendUtilization field needs to be set.`,
  },
  {
    broken: (lb) => pairs(lb, "DynamicModule", "dynamicModule"),
    message: `${AT}: If LoadBalancer type is DynamicModule, dynamicModule field needs to be set.`,
  },
  {
    broken: (lb) => lb.slowStart !== undefined && ["Random", "ConsistentHash", "DynamicModule"].includes(lb.type),
    message: `${AT}.slowStart: Currently SlowStart is only supported for RoundRobin, LeastRequest, and BackendUtilization load balancers.`,
  },
  {
    broken: (lb) => lb.type === "ConsistentHash" && preferLocal(lb),
    message: `${AT}.zoneAware: PreferLocal zone-aware routing is not supported for ConsistentHash load balancers. Use weightedZones instead.`,
  },
  {
    broken: (lb) => lb.type === "BackendUtilization" && preferLocal(lb),
    message: `${AT}.zoneAware: PreferLocal zone-aware routing is not currently supported for BackendUtilization load balancers. Only WeightedZones can be used with BackendUtilization.`,
  },
  {
    broken: (lb) => lb.type === "BackendUtilization" && lb.zoneAware?.weightedZones !== undefined,
    message: `${AT}.zoneAware.weightedZones: not implemented by egts with BackendUtilization: Envoy Gateway wraps the client-side weighted round robin in Envoy's wrr_locality policy for it, which Envoy 1.36 does not have ("didn't find a registered load balancer factory implementation ... envoy.load_balancing_policies.wrr_locality")`,
  },
  {
    broken: (lb) => lb.type === "DynamicModule" && lb.zoneAware !== undefined,
    message: `${AT}.zoneAware: ZoneAware routing is not supported for DynamicModule load balancers.`,
  },
  {
    broken: (lb) => preferLocal(lb) && lb.zoneAware?.weightedZones !== undefined,
    message: `${AT}.zoneAware: ZoneAware PreferLocal and WeightedZones cannot be specified together.`,
  },
  {
    broken: (lb) => lb.type === "DynamicModule" && lb.endpointOverride !== undefined,
    message: `${AT}.endpointOverride: EndpointOverride is not supported for DynamicModule load balancers.`,
  },
];

/** The load balancer of `lb`; undefined when it is not set or is unusable (then reported). */
export function loadBalancerOf(lb: LoadBalancer | undefined, invalid: string[]): LoadBalancerIr | undefined {
  if (!lb) return undefined;
  const type = lb.type as LoadBalancerIr["type"];
  const before = invalid.length;
  invalid.push(...COMBINATION_RULES.filter((r) => r.broken(lb)).map((r) => r.message));
  if ((lb.type as string) === "DynamicModule") {
    invalid.push(`${AT}.type: ${DYNAMIC_MODULE_REFUSAL}`);
    return undefined;
  }
  if (!TYPES.includes(type)) {
    invalid.push(`${AT}.type: ${quote(String(lb.type))} must be one of ${TYPES.join(", ")}, DynamicModule`);
    return undefined;
  }
  const slowStartWindowMs = durationOf(`${AT}.slowStart.window`, lb.slowStart?.window, invalid);
  if (lb.slowStart !== undefined && lb.slowStart.window === undefined) {
    invalid.push(`${AT}.slowStart.window: must be set`);
  }
  const hash = type === "ConsistentHash" && lb.consistentHash ? consistentHashOf(lb.consistentHash, invalid) : {};
  const backendUtilization =
    type === "BackendUtilization" && lb.backendUtilization
      ? backendUtilizationOf(lb.backendUtilization, invalid)
      : undefined;
  const overrideHeaders = lb.endpointOverride ? overrideHeadersOf(lb.endpointOverride, invalid) : undefined;
  const zoneAware = lb.zoneAware ? zoneAwareOf(lb.zoneAware, invalid) : undefined;
  if (invalid.length > before) return undefined;
  return defined<LoadBalancerIr>({
    type,
    slowStartWindowMs,
    ...hash,
    backendUtilization,
    overrideHeaders,
    zoneAware,
  });
}

/** BackendUtilization's settings (out-of-band reports refused: Envoy 1.36 does not implement them). */
function backendUtilizationOf(bu: BackendUtilization, invalid: string[]): BackendUtilizationIr {
  const at = `${AT}.backendUtilization`;
  if (bu.outOfBand !== undefined)
    invalid.push(
      `${at}.outOfBand: not implemented by egts: Envoy 1.36, the proxy egts runs, does not implement out-of-band ORCA load reports (it reads the reports in responses only)`,
    );
  const penalty = wholeOf(`${at}.errorUtilizationPenaltyPercent`, bu.errorUtilizationPenaltyPercent, invalid);
  const names = bu.metricNamesForComputingUtilization;
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== "string" || n === "")))
    invalid.push(`${at}.metricNamesForComputingUtilization: ${JSON.stringify(names)} must be a list of metric names`);
  return defined<BackendUtilizationIr>({
    blackoutPeriodMs: durationOf(`${at}.blackoutPeriod`, bu.blackoutPeriod, invalid),
    weightExpirationPeriodMs: durationOf(`${at}.weightExpirationPeriod`, bu.weightExpirationPeriod, invalid),
    weightUpdatePeriodMs: durationOf(`${at}.weightUpdatePeriod`, bu.weightUpdatePeriod, invalid),
    errorUtilizationPenalty: penalty !== undefined ? penalty / 100 : undefined,
    metricNames: names && names.length > 0 ? [...names] : undefined,
    keepResponseHeaders: bu.keepResponseHeaders === true ? true : undefined,
  });
}

/** The headers of `endpointOverride.extractFrom` (1 to 10, each a valid header name). */
function overrideHeadersOf(eo: EndpointOverride, invalid: string[]): readonly string[] | undefined {
  const at = `${AT}.endpointOverride.extractFrom`;
  const from: readonly unknown[] = Array.isArray(eo.extractFrom) ? eo.extractFrom : [];
  if (from.length < 1 || from.length > 10) {
    invalid.push(`${at}: must have from 1 to 10 items (${from.length} given)`);
    return undefined;
  }
  const headers: string[] = [];
  from.forEach((item, i) => {
    const header = (item as { header?: unknown } | null)?.header;
    const problem = typeof header === "string" ? headerNameProblem(header) : undefined;
    if (typeof header !== "string") invalid.push(`${at}[${i}].header: must be set`);
    else if (problem !== undefined) invalid.push(`${at}[${i}].header: ${quote(header)} ${problem}`);
    else headers.push((header as string).toLowerCase());
  });
  return headers;
}

/** `zoneAware.weightedZones` (preferLocal is refused: see the file comment). */
function zoneAwareOf(za: ZoneAware, invalid: string[]): ZoneAwareIr | undefined {
  const at = `${AT}.zoneAware`;
  if (za.preferLocal !== undefined) {
    invalid.push(
      `${at}.preferLocal: not implemented by egts: Envoy's zone-aware routing needs the proxy's own zone and a local cluster in its bootstrap, which egts does not write (weightedZones is implemented)`,
    );
    return undefined;
  }
  const list: readonly unknown[] = Array.isArray(za.weightedZones) ? za.weightedZones : [];
  if (list.length === 0) {
    invalid.push(`${at}: must set weightedZones`);
    return undefined;
  }
  const seen = new Set<string>();
  const weightedZones: { zone: string; weight: number }[] = [];
  list.forEach((item, i) => {
    const { zone, weight } = (item ?? {}) as { zone?: unknown; weight?: unknown };
    const zoneProblem =
      typeof zone !== "string" ? "must be set" : seen.has(zone) ? "is listed twice" : textProblem(zone);
    if (zoneProblem !== undefined)
      invalid.push(`${at}.weightedZones[${i}].zone: ${quote(String(zone))} ${zoneProblem}`);
    // Envoy refuses a locality weight of 0 (LocalityLbEndpoints.load_balancing_weight is at least 1).
    const w = wholeOf(`${at}.weightedZones[${i}].weight`, weight ?? null, invalid, 1, UINT32_MAX);
    if (typeof zone === "string" && zoneProblem === undefined && w !== undefined) {
      seen.add(zone);
      weightedZones.push({ zone, weight: w });
    }
  });
  return { weightedZones: weightedZones.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0)) };
}

/** The headers ORCA load reports travel in (Envoy Gateway removes them from the answer to the client). */
export const ORCA_HEADERS: readonly string[] = ["endpoint-load-metrics", "endpoint-load-metrics-bin"];

/** The response headers a route sent to a variant with `lb` removes: the ORCA load reports, unless kept. */
export function orcaHeadersToRemove(lb: LoadBalancerIr | undefined): readonly string[] {
  return lb?.backendUtilization && !lb.backendUtilization.keepResponseHeaders ? ORCA_HEADERS : [];
}

/** The Maglev table size and the hash keys of `ch`. */
function consistentHashOf(
  ch: ConsistentHash,
  invalid: string[],
): { tableSize?: number; hashKeys?: readonly HashKeyIr[] } {
  const at = `${AT}.consistentHash`;
  const size = ch.tableSize;
  const sizeOk =
    size === undefined || (Number.isSafeInteger(size) && size >= 2 && size <= MAX_TABLE_SIZE && isPrime(size));
  if (!sizeOk)
    invalid.push(`${at}.tableSize: ${JSON.stringify(size)} must be a prime number from 2 to ${MAX_TABLE_SIZE}`);
  const hashKeys = hashKeysOf(ch, invalid);
  return defined({ tableSize: sizeOk ? size : undefined, hashKeys });
}

/** The key parts of each consistent hash type, after the schema's "type X needs field x" rules. */
function hashKeysOf(ch: ConsistentHash, invalid: string[]): readonly HashKeyIr[] | undefined {
  const at = `${AT}.consistentHash`;
  const needs: Readonly<Record<string, keyof ConsistentHash | undefined>> = {
    SourceIP: undefined,
    Header: "header",
    Headers: "headers",
    Cookie: "cookie",
    QueryParams: "queryParams",
  };
  if (!(ch.type in needs)) {
    invalid.push(`${at}.type: ${quote(String(ch.type))} must be one of ${Object.keys(needs).join(", ")}`);
    return undefined;
  }
  for (const field of ["header", "headers", "cookie", "queryParams"] as const) {
    if ((needs[ch.type] === field) !== (ch[field] !== undefined)) {
      invalid.push(`${at}: If consistent hash type is ${field}, the ${field} field must be set.`);
      return undefined;
    }
  }
  switch (ch.type) {
    case "SourceIP":
      return [{ kind: "sourceIP" }];
    case "Header":
      return namedKeys(`${at}.header`, [ch.header], "header", invalid);
    case "Headers":
      return namedKeys(`${at}.headers`, ch.headers, "header", invalid);
    case "QueryParams":
      return namedKeys(`${at}.queryParams`, ch.queryParams, "queryParameter", invalid);
    default:
      return cookieKey(`${at}.cookie`, ch.cookie as Cookie, invalid);
  }
}

/** Header or query parameter keys: a non-empty list of valid, non-empty names. */
function namedKeys(
  at: string,
  items: readonly ({ name: string } | undefined)[] | undefined,
  kind: "header" | "queryParameter",
  invalid: string[],
): HashKeyIr[] | undefined {
  if (!items || items.length === 0) {
    invalid.push(`${at}: must name at least one ${kind === "header" ? "header" : "query parameter"}`);
    return undefined;
  }
  const keys: HashKeyIr[] = [];
  items.forEach((item, i) => {
    const where = items.length === 1 && !at.endsWith("s") ? `${at}.name` : `${at}[${i}].name`;
    const name = item?.name;
    const problem =
      kind === "header" ? headerNameProblem(name as string) : name === "" ? "is empty" : textProblem(name as string);
    if (problem !== undefined || name === undefined)
      invalid.push(`${where}: ${quote(String(name))} ${problem ?? "is missing"}`);
    else keys.push({ kind, name });
  });
  return keys;
}

/** The cookie key: its name, and the TTL and attributes of the cookie Envoy generates. */
function cookieKey(at: string, c: Cookie, invalid: string[]): HashKeyIr[] | undefined {
  const before = invalid.length;
  const nameProblem = typeof c.name === "string" && c.name !== "" ? textProblem(c.name) : "is empty";
  if (nameProblem !== undefined) invalid.push(`${at}.name: ${quote(String(c.name))} ${nameProblem}`);
  const ttlMs = durationOf(`${at}.ttl`, c.ttl, invalid, 0);
  const attributes = Object.entries(c.attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value: String(value) }));
  for (const a of attributes) {
    const problem = a.name === "" ? "is empty" : (textProblem(a.name) ?? textProblem(a.value));
    if (problem !== undefined) invalid.push(`${at}.attributes[${quote(a.name)}]: ${problem}`);
  }
  if (invalid.length > before) return undefined;
  return [
    defined({ kind: "cookie" as const, name: c.name, ttlMs, attributes: attributes.length ? attributes : undefined }),
  ];
}

/** True when `n` (a whole number from 2) is prime. */
function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}
