/**
 * BackendTrafficPolicy `loadBalancer` → LoadBalancerIr: RoundRobin, Random, LeastRequest (with slowStart) and
 * ConsistentHash (Maglev; the key from the source IP, headers, a cookie or query parameters; tableSize). The
 * BackendUtilization and DynamicModule types, endpointOverride and zoneAware are not implemented: a policy
 * using them is refused with a message naming them. Checks follow Envoy Gateway v1.9's schema rules (the file
 * provider has no API server to run them) and what Envoy refuses (empty or invalid names, a table size that is
 * not a prime).
 */
import type { HashKeyIr, LoadBalancerIr } from "../../ir/backend-traffic-cluster-ir";
import type { ConsistentHash, Cookie, LoadBalancer } from "../../resources/backend-cluster";
import { headerNameProblem, quote, textProblem } from "../validate-values";
import { defined, durationOf } from "./backend-traffic-values";

/** The `loadBalancer` paths implemented. */
export const LOAD_BALANCER_FIELDS: readonly string[] = [
  "loadBalancer.type",
  "loadBalancer.consistentHash",
  "loadBalancer.slowStart",
];

const TYPES: readonly LoadBalancerIr["type"][] = ["RoundRobin", "Random", "LeastRequest", "ConsistentHash"];
/** Envoy's largest Maglev table (and Envoy Gateway's limit). */
const MAX_TABLE_SIZE = 5_000_011;
const AT = "spec.loadBalancer";

/** The load balancer of `lb`; undefined when it is not set or is unusable (then reported). */
export function loadBalancerOf(lb: LoadBalancer | undefined, invalid: string[]): LoadBalancerIr | undefined {
  if (!lb) return undefined;
  const type = lb.type as LoadBalancerIr["type"];
  if (!TYPES.includes(type)) {
    invalid.push(`${AT}.type: ${quote(String(lb.type))} is not implemented (supported: ${TYPES.join(", ")})`);
    return undefined;
  }
  const before = invalid.length;
  if ((type === "ConsistentHash") !== (lb.consistentHash !== undefined)) {
    invalid.push(`${AT}: If LoadBalancer type is consistentHash, consistentHash field needs to be set.`);
  }
  if (lb.slowStart !== undefined && (type === "Random" || type === "ConsistentHash")) {
    invalid.push(
      `${AT}.slowStart: Currently SlowStart is only supported for RoundRobin, LeastRequest, and BackendUtilization load balancers.`,
    );
  }
  const slowStartWindowMs = durationOf(`${AT}.slowStart.window`, lb.slowStart?.window, invalid);
  if (lb.slowStart !== undefined && lb.slowStart.window === undefined) {
    invalid.push(`${AT}.slowStart.window: must be set`);
  }
  const hash = type === "ConsistentHash" && lb.consistentHash ? consistentHashOf(lb.consistentHash, invalid) : {};
  if (invalid.length > before) return undefined;
  return defined<LoadBalancerIr>({ type, slowStartWindowMs, ...hash });
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
