/**
 * SecurityPolicy `authorization` → the route's {@link AuthorizationIr}, as Envoy Gateway builds it (HTTP routes;
 * TCP chains take the same IR when it holds client CIDRs only, see {@link tcpAuthorizationProblem}).
 *
 * The default action is Deny when unset; rules keep their order (the first match decides) and their names, or
 * get Envoy Gateway's generated one (`securitypolicy/<ns>/<name>/authorization/rule/<index>`, the owning policy's).
 * Client CIDRs are canonicalised (host bits cleared) and a bad one fails the policy with Envoy Gateway's message
 * (`unable to translate authorization rule: invalid CIDR address: …`); so does a path regex RE2 cannot compile,
 * and a CEL expression that does not parse (`invalid CEL expression: <expr>`); egts also refuses CEL comprehension
 * macros, which Envoy 1.36 cannot evaluate. JWT principals read the claims the
 * JWT filter stores under the provider's name; a provider that is not one of `spec.jwt.providers` fails the
 * policy (Envoy Gateway would accept it and the rule would never match, which would let a Deny rule open the
 * route). Envoy Gateway's CEL rules on the rules' shape are checked here too (no API server in standalone mode).
 * `principal.clientIPGeoLocations` become geolocation conditions; their prerequisites (an EnvoyProxy GeoIP provider
 * with the databases the fields need, a ClientTrafficPolicy client IP detection) depend on the listener and are
 * checked per listener (security-geoip.ts).
 */
import { celProblem } from "../cel-check";
import type { AuthorizationIr, AuthorizationRuleIr, GeoLocationIr } from "../../ir/security-ir";
import type {
  Authorization,
  AuthorizationRule,
  ClientIPGeoLocation,
  JWTPrincipal,
} from "../../resources/security-policy";
import { canonicalCidr } from "../cidr-format";
import { re2Problem } from "../regex";
import { describe, headerNameProblem } from "../validate-values";
import { securityIrName, type SecurityContext } from "./security-context";

/** Envoy Gateway's prefix of a rule it cannot translate. */
const RULE_PROBLEM = "unable to translate authorization rule: ";

/** The policy's JWT provider names (the metadata keys claims are read under); undefined when `spec.jwt` is unset. */
export type JwtProviderNames = readonly string[] | undefined;

/**
 * SecurityPolicy `authorization` → the route's authorization; undefined when unset or unusable (`problems` say
 * why). `jwtProviders`: the names of the effective spec's JWT providers.
 */
export function translateAuthorization(
  authz: Authorization | undefined,
  jwtProviders: JwtProviderNames,
  ctx: SecurityContext,
  problems: string[],
): AuthorizationIr | undefined {
  if (!authz) return undefined;
  const owner = ctx.ownerOf("authorization");
  const before = problems.length;
  const rules: AuthorizationRuleIr[] = [];
  for (const [i, rule] of (authz.rules ?? []).entries()) {
    const name =
      rule.name !== undefined && rule.name !== "" ? rule.name : `${securityIrName(owner)}/authorization/rule/${i}`;
    const ir = ruleIr(rule, name, `rules[${i}]`, jwtProviders, problems);
    if (ir) rules.push(ir);
  }
  if (problems.length > before) return undefined;
  return { defaultAction: authz.defaultAction ?? "Deny", rules };
}

/**
 * Why `authz` cannot act on a TCP connection: Envoy Gateway's message for the first rule with a condition only a
 * request has (`rule <i>: CEL not supported for TCP`, `… JWT …`, `… headers …`, `… clientIPGeoLocations …`; egts
 * adds `… operation …`, as a connection has no method or path and the rule would never match); undefined when
 * every rule uses client CIDRs only.
 */
export function tcpAuthorizationProblem(authz: AuthorizationIr): string | undefined {
  for (const [i, r] of authz.rules.entries()) {
    const what =
      r.cel !== undefined
        ? "CEL"
        : r.jwt
          ? "JWT"
          : r.headers
            ? "headers"
            : r.geo
              ? "clientIPGeoLocations"
              : r.methods || r.path
                ? "operation"
                : undefined;
    if (what) return `rule ${i}: ${what} not supported for TCP`;
  }
  return undefined;
}

/**
 * Envoy Gateway's CEL rules on one rule's shape (`<path>: <message>`), the first broken one. One is relaxed: its
 * CRD wants a principal or cel in every rule, while its own task page (HTTP Header and Method Based
 * Authorization) allows GET and POST with a rule that has only an operation; egts follows the page, and refuses
 * only a rule with no condition at all.
 */
function shapeProblem(rule: AuthorizationRule, where: string, jwtProviders: JwtProviderNames): string | undefined {
  const p = rule.principal;
  if (p === undefined && rule.cel === undefined && rule.operation === undefined)
    return `spec.authorization.${where}: at least one of principal, cel or operation must be specified`;
  if (p && [p.clientCIDRs, p.jwt, p.headers, p.clientIPGeoLocations].every((x) => x === undefined))
    return `spec.authorization.${where}.principal: at least one of clientCIDRs, jwt, headers, or clientIPGeoLocations must be specified`;
  const op = rule.operation;
  if (op && op.methods === undefined && op.path === undefined)
    return `spec.authorization.${where}.operation: at least one of methods or path must be specified`;
  return p?.jwt ? jwtProblem(p.jwt, `spec.authorization.${where}.principal.jwt`, jwtProviders) : undefined;
}

/** Why a JWT principal cannot be used: no claims nor scopes, no `spec.jwt`, or a provider it does not define. */
function jwtProblem(jwt: JWTPrincipal, where: string, jwtProviders: JwtProviderNames): string | undefined {
  if (jwt.claims === undefined && jwt.scopes === undefined)
    return `${where}: at least one of claims or scopes must be specified`;
  if (jwtProviders === undefined) return "spec: if authorization.rules.principal.jwt is used, jwt must be defined";
  if (!jwtProviders.includes(jwt.provider))
    return `${where}.provider: ${JSON.stringify(jwt.provider)} is not one of spec.jwt.providers (${jwtProviders.join(", ")})`;
  return undefined;
}

/** Why a value of `rule` cannot be used (the first one), or undefined. */
function ruleProblem(rule: AuthorizationRule, where: string, jwtProviders: JwtProviderNames): string | undefined {
  const cel = rule.cel === undefined ? undefined : celProblem(rule.cel, `spec.authorization.${where}.cel`);
  const geo = (rule.principal?.clientIPGeoLocations ?? [])
    .map((g, j) => geoProblem(g, `spec.authorization.${where}.principal.clientIPGeoLocations[${j}]`))
    .find((p) => p !== undefined);
  return shapeProblem(rule, where, jwtProviders) ?? valueProblem(rule, where) ?? cel ?? geo;
}

/** Envoy Gateway's CRD rules on one geolocation (`<path>: <message>`), the first broken one. */
function geoProblem(g: ClientIPGeoLocation, where: string): string | undefined {
  const fields = [g.country, g.region, g.city, g.asn, g.isp, g.anonymous];
  if (fields.every((x) => x === undefined))
    return `${where}: at least one of country, region, city, asn, isp, or anonymous must be specified`;
  const a = g.anonymous;
  if (a && [a.isAnonymous, a.isVPN, a.isHosting, a.isTor, a.isProxy].every((x) => x === undefined))
    return `${where}.anonymous: at least one of isAnonymous, isVPN, isHosting, isTor, or isProxy must be specified`;
  const strings: readonly (readonly [string, string | undefined, RegExp])[] = [
    ["country", g.country, /^[A-Za-z]{2}$/],
    ["region", g.region, /^[A-Za-z0-9-]{1,16}$/],
    ["city", g.city, /^.{1,128}$/su],
    ["isp", g.isp, /^.{1,256}$/su],
  ];
  for (const [name, value, re] of strings) {
    if (value !== undefined && (typeof value !== "string" || !re.test(value)))
      return `${where}.${name}: ${JSON.stringify(value)} does not match ${re.source}`;
  }
  if (g.asn !== undefined && !(Number.isInteger(g.asn) && g.asn >= 1 && g.asn <= 0xffffffff))
    return `${where}.asn: ${JSON.stringify(g.asn)} must be a whole number from 1 to 4294967295`;
  return undefined;
}

/** Why a CIDR, path regex or header name of `rule` cannot be used (the first one), or undefined. */
function valueProblem(rule: AuthorizationRule, where: string): string | undefined {
  const badCidr = (rule.principal?.clientCIDRs ?? []).find((c) => !canonicalCidr(c));
  if (badCidr !== undefined) return `${RULE_PROBLEM}invalid CIDR address: ${badCidr}`;
  const path = rule.operation?.path;
  const badRegex = path?.type === "RegularExpression" ? re2Problem(path.value) : undefined;
  if (badRegex) return `${RULE_PROBLEM}regex ${JSON.stringify(path?.value)} is invalid: ${badRegex}`;
  for (const [j, h] of (rule.principal?.headers ?? []).entries()) {
    const bad = describe(`${where}.principal.headers[${j}].name`, h.name, headerNameProblem(h.name));
    if (bad) return bad;
  }
  return undefined;
}

/** A JWT principal → its IR (claims default to String values). */
function jwtIr(jwt: JWTPrincipal): NonNullable<AuthorizationRuleIr["jwt"]> {
  return {
    provider: jwt.provider,
    claims: (jwt.claims ?? []).map((c) => ({
      name: c.name,
      valueType: c.valueType ?? "String",
      values: [...c.values],
    })),
    scopes: [...(jwt.scopes ?? [])],
  };
}

/** One rule → its IR; undefined (with a problem) when a value cannot be used. */
function ruleIr(
  rule: AuthorizationRule,
  name: string,
  where: string,
  jwtProviders: JwtProviderNames,
  problems: string[],
): AuthorizationRuleIr | undefined {
  const bad = ruleProblem(rule, where, jwtProviders);
  if (bad) {
    problems.push(bad);
    return undefined;
  }
  return { name, action: rule.action, ...operationIr(rule), ...principalIr(rule) };
}

/** The methods and path of a rule's operation, as IR fields (absent when unset). */
function operationIr(rule: AuthorizationRule): Pick<AuthorizationRuleIr, "methods" | "path"> {
  const methods = rule.operation?.methods ?? [];
  const path = rule.operation?.path;
  return {
    ...(methods.length > 0 ? { methods: [...methods] } : {}),
    ...(path
      ? { path: { type: path.type ?? "PathPrefix", value: path.value || "/", invert: path.invert === true } }
      : {}),
  };
}

/** A geolocation → its IR (only the fields it sets). */
function geoIr(g: ClientIPGeoLocation): GeoLocationIr {
  const a = g.anonymous;
  const flags = a
    ? Object.fromEntries(
        (["isAnonymous", "isVPN", "isHosting", "isTor", "isProxy"] as const)
          .filter((k) => a[k] !== undefined)
          .map((k) => [k, a[k]]),
      )
    : undefined;
  return {
    ...(g.country !== undefined ? { country: g.country } : {}),
    ...(g.region !== undefined ? { region: g.region } : {}),
    ...(g.city !== undefined ? { city: g.city } : {}),
    ...(g.asn !== undefined ? { asn: g.asn } : {}),
    ...(g.isp !== undefined ? { isp: g.isp } : {}),
    ...(flags ? { anonymous: flags } : {}),
  };
}

/** The principal conditions and CEL expression of a rule, as IR fields (absent when unset). */
function principalIr(rule: AuthorizationRule): Pick<AuthorizationRuleIr, "cidrs" | "jwt" | "headers" | "cel" | "geo"> {
  const cidrs = (rule.principal?.clientCIDRs ?? []).map((c) => canonicalCidr(c)?.cidr ?? c);
  const headers = rule.principal?.headers ?? [];
  const jwt = rule.principal?.jwt;
  const geo = rule.principal?.clientIPGeoLocations ?? [];
  return {
    ...(cidrs.length > 0 ? { cidrs } : {}),
    ...(jwt ? { jwt: jwtIr(jwt) } : {}),
    ...(headers.length > 0 ? { headers: headers.map((h) => ({ name: h.name, values: [...h.values] })) } : {}),
    ...(rule.cel !== undefined ? { cel: rule.cel } : {}),
    ...(geo.length > 0 ? { geo: geo.map(geoIr) } : {}),
  };
}
