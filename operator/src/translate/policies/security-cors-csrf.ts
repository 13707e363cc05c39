/**
 * SecurityPolicy `cors` and `csrf` → their route IR, as Envoy Gateway builds them: an origin with `*` becomes an
 * RE2 pattern (`*` spans any characters), others match exactly; a method or header list with `*` becomes `*`
 * alone (Envoy treats `*` among other values as a literal); CSRF origins lose their scheme (Envoy compares the
 * Origin's host and port with the request's) and the shadow fraction's complement is enforced.
 *
 * The CRD's rules are checked here too (standalone mode has no API server): the Origin pattern, and the
 * shadow fraction's numerator at most its denominator. Envoy Gateway's translator has no CORS or CSRF error (the
 * API server refuses what breaks the CRD), so every problem here is `spec.cors.<path> …` / `spec.csrf.<path> …`,
 * without a group prefix.
 */
import type { CsrfIr, PercentIr, SecurityStringMatchIr } from "../../ir/security-ir";
import type { CorsIr } from "../../ir/xds-ir";
import type { CSRF, CORS } from "../../resources/security-policy";
import { parseDuration } from "../duration";
import { originMatcher } from "../filters/cors";
import { describe, headerNameProblem } from "../validate-values";

/** The CRD's Origin pattern (`*`, or `scheme://host[:port]` whose host may be `*` or start with `*.`). */
const ORIGIN = /^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)$/;

/** Problems of a list of origins (`field`: its spec path) against the CRD's pattern and length. */
function originProblems(field: string, origins: readonly string[], problems: string[]): void {
  for (const [i, o] of origins.entries()) {
    if (typeof o !== "string" || o.length > 253 || !ORIGIN.test(o))
      problems.push(`${field}[${i}] ${JSON.stringify(o)} is not an origin (scheme://host[:port], * allowed)`);
  }
}

/** Methods and header names that are `*` or RFC 7230 tokens (they go into response headers). */
function tokenProblems(cors: CORS, problems: string[]): void {
  for (const field of ["allowMethods", "allowHeaders", "exposeHeaders"] as const) {
    for (const [i, v] of (cors[field] ?? []).entries()) {
      const bad = v === "*" ? undefined : describe(`spec.cors.${field}[${i}]`, v, headerNameProblem(v));
      if (bad) problems.push(bad);
    }
  }
}

/** `*` alone when the list has it (Envoy: a `*` among other values is a literal). */
function wildcardList(values: readonly string[] | undefined): string[] {
  const list = [...(values ?? [])];
  return list.includes("*") ? ["*"] : list;
}

/** SecurityPolicy `cors` → the route's CORS policy; undefined when unset or invalid (problems say why). */
export function translateSecurityCors(cors: CORS | undefined, problems: string[]): CorsIr | undefined {
  if (!cors) return undefined;
  const before = problems.length;
  const origins = cors.allowOrigins ?? [];
  originProblems("spec.cors.allowOrigins", origins, problems);
  tokenProblems(cors, problems);
  let maxAgeSeconds: number | undefined;
  if (cors.maxAge !== undefined) {
    const ms = parseDuration(cors.maxAge);
    if (ms === undefined) problems.push(`spec.cors.maxAge ${JSON.stringify(cors.maxAge)} is not a duration`);
    else maxAgeSeconds = Math.floor(ms / 1000);
  }
  if (problems.length > before) return undefined;
  return {
    allowOrigins: origins.map(originMatcher),
    allowMethods: wildcardList(cors.allowMethods),
    allowHeaders: wildcardList(cors.allowHeaders),
    exposeHeaders: [...(cors.exposeHeaders ?? [])],
    ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
    allowCredentials: cors.allowCredentials === true,
  };
}

/** SecurityPolicy `csrf` → the route's CSRF checks; undefined when unset or invalid (problems say why). */
export function translateSecurityCsrf(csrf: CSRF | undefined, problems: string[]): CsrfIr | undefined {
  if (!csrf) return undefined;
  const before = problems.length;
  const origins = csrf.additionalOrigins ?? [];
  originProblems("spec.csrf.additionalOrigins", origins, problems);
  if (origins.length > 16)
    problems.push(`spec.csrf.additionalOrigins: must have at most 16 items (${origins.length} given)`);
  const shadow = csrf.shadowFraction;
  const denominator = shadow?.denominator ?? 100;
  if (shadow) fractionProblems(shadow.numerator, denominator, problems);
  if (problems.length > before) return undefined;
  return {
    enforced: shadow
      ? percentOf(denominator - shadow.numerator, denominator)
      : { numerator: 100, denominator: "HUNDRED" },
    ...(shadow ? { shadow: { numerator: 100, denominator: "HUNDRED" as const } } : {}),
    additionalOrigins: origins.map(csrfOrigin),
  };
}

/** The CRD's rules on `shadowFraction`. */
function fractionProblems(numerator: number, denominator: number, problems: string[]): void {
  if (!(Number.isInteger(numerator) && Number.isInteger(denominator) && numerator >= 0))
    problems.push("spec.csrf.shadowFraction: numerator and denominator must be non-negative integers");
  else if (denominator < 1 || numerator > denominator)
    problems.push("spec.csrf.shadowFraction: numerator must be less than or equal to denominator");
}

/** A CSRF origin: the scheme dropped, `*` as an RE2 pattern. */
function csrfOrigin(origin: string): SecurityStringMatchIr {
  const cut = origin.indexOf("://");
  const hostAndPort = cut < 0 ? origin : origin.slice(cut + 3);
  const m = originMatcher(hostAndPort);
  return { type: m.type, value: m.value };
}

/** A fraction as Envoy's FractionalPercent (Envoy Gateway's conversion: exact denominators kept, else millionths). */
export function percentOf(numerator: number, denominator: number): PercentIr {
  switch (denominator) {
    case 100:
      return { numerator, denominator: "HUNDRED" };
    case 1000:
      return { numerator: numerator * 10, denominator: "TEN_THOUSAND" };
    case 10_000:
      return { numerator, denominator: "TEN_THOUSAND" };
    case 100_000:
      return { numerator: numerator * 10, denominator: "MILLION" };
    case 1_000_000:
      return { numerator, denominator: "MILLION" };
    default:
      return { numerator: Math.floor((numerator * 1_000_000) / denominator), denominator: "MILLION" };
  }
}
