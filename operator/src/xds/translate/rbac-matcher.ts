/**
 * An {@link AuthorizationIr} → the RBAC matcher tree (xds.type.matcher.v3.Matcher) Envoy Gateway sends, shared by
 * the HTTP RBAC filter (per route) and the network RBAC filter (TCP chains).
 *
 * One field matcher per rule, in order: the first rule whose predicate matches decides (its action is
 * envoy.config.rbac.v3.Action ALLOW or DENY, named after the rule); none matching: the default action, named
 * `default`. Inside a rule every condition must hold (and_matcher), values of one condition are alternatives
 * (or_matcher):
 * - methods: `:method` header, exact, case-insensitive;
 * - path: `:path` header; PathPrefix `/` as prefix, other prefixes path-separated and Exact as RE2 patterns that
 *   let a query, fragment or `;` parameters follow; RegularExpression as written; `invert` negates it;
 * - client CIDRs: the source IP input (the client address after X-Forwarded-For / custom header detection on
 *   HTTP, the peer on TCP) with the IP matcher;
 * - JWT: jwt_authn dynamic metadata under the provider's name; each scope in `scope` or `scp` (lists, the JWT
 *   filter normalizes them), each claim by its dotted path (String: one of the values; StringArray: the list holds
 *   one of them);
 * - headers: each header's value exact (case-sensitive), any one value, every header;
 * - geolocations: the internal request headers the geoip filter writes (GEO_HEADERS), any one location, every
 *   field of it; strings case-insensitive, the ASN and the anonymity flags (`true`/`false`) exact;
 * - CEL: the HTTP attributes CEL input with the CEL matcher, the expression pre-parsed (cel_expr_parsed: Envoy
 *   1.36 does not evaluate cel_expr_string).
 * A rule without conditions (not expressible in Envoy Gateway's API) matches any client address.
 */
import type * as Rbac from "../../../../proto/gen/envoy/config/rbac/v3/rbac";
import type { Action } from "../../../../proto/gen/envoy/config/rbac/v3/rbac";
import { protoModule } from "../../../../proto/lazy";
import type {
  DynamicMetadataInput,
  SourceIPInput,
} from "../../../../proto/gen/envoy/extensions/matching/common_inputs/network/v3/network_inputs";
import type { Ip } from "../../../../proto/gen/envoy/extensions/matching/input_matchers/ip/v3/ip";
import type { Metadata } from "../../../../proto/gen/envoy/extensions/matching/input_matchers/metadata/v3/metadata";
import type { HttpRequestHeaderMatchInput } from "../../../../proto/gen/envoy/type/matcher/v3/http_inputs";
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import type { CelMatcher } from "../../../../proto/gen/xds/type/matcher/v3/cel";
import type { HttpAttributesCelMatchInput } from "../../../../proto/gen/xds/type/matcher/v3/http_inputs";
import type {
  Matcher,
  Matcher_MatcherList_Predicate as Predicate,
} from "../../../../proto/gen/xds/type/matcher/v3/matcher";
import { packPartial, registerLazyType } from "../../../../proto/any";
import type { AuthorizationIr, AuthorizationRuleIr, GeoLocationIr } from "../../ir/security-ir";
import { GEO_HEADERS } from "./geoip-headers";
import { parsedCel } from "./cel-parsed";
import { escapeRegex } from "./route-filters";

const ActionType = registerLazyType<Action>("envoy/config/rbac/v3/rbac", "Action");
const SourceIpInputType = registerLazyType<SourceIPInput>(
  "envoy/extensions/matching/common_inputs/network/v3/network_inputs",
  "SourceIPInput",
);
const IpType = registerLazyType<Ip>("envoy/extensions/matching/input_matchers/ip/v3/ip", "Ip");
const HeaderInputType = registerLazyType<HttpRequestHeaderMatchInput>(
  "envoy/type/matcher/v3/http_inputs",
  "HttpRequestHeaderMatchInput",
);
const MetadataInputType = registerLazyType<DynamicMetadataInput>(
  "envoy/extensions/matching/common_inputs/network/v3/network_inputs",
  "DynamicMetadataInput",
);
const MetadataType = registerLazyType<Metadata>(
  "envoy/extensions/matching/input_matchers/metadata/v3/metadata",
  "Metadata",
);
const CelInputType = registerLazyType<HttpAttributesCelMatchInput>(
  "xds/type/matcher/v3/http_inputs",
  "HttpAttributesCelMatchInput",
);
const CelMatcherType = registerLazyType<CelMatcher>("xds/type/matcher/v3/cel", "CelMatcher");

/** The dynamic metadata namespace of the JWT filter (its payload_in_metadata goes there). */
const JWT_METADATA = "envoy.filters.http.jwt_authn";

/** envoy/config/rbac/v3/rbac (it loads the CEL syntax modules), on first use. */
export const rbacProto = protoModule<typeof Rbac>("envoy/config/rbac/v3/rbac");

let actions: Readonly<Record<"Allow" | "Deny", Any>> | undefined;
/** The two RBAC actions, packed once (on first use). */
export function rbacActions(): Readonly<Record<"Allow" | "Deny", Any>> {
  return (actions ??= {
    Allow: packPartial(ActionType, { name: "ALLOW", action: rbacProto().RBAC_Action.ALLOW }),
    Deny: packPartial(ActionType, { name: "DENY", action: rbacProto().RBAC_Action.DENY }),
  });
}

/** A predicate holding when all of `ps` do. */
function allOf(ps: readonly Predicate[]): Predicate {
  return ps.length === 1 ? ps[0] : ({ andMatcher: { predicate: ps } } as Predicate);
}

/** A predicate holding when one of `ps` does. */
export function anyOf(ps: readonly Predicate[]): Predicate {
  return ps.length === 1 ? ps[0] : ({ orMatcher: { predicate: ps } } as Predicate);
}

/** A single predicate: an input with a custom matcher. */
function custom(inputName: string, input: Any, matcherName: string, matcher: Any): Predicate {
  return {
    singlePredicate: {
      input: { name: inputName, typedConfig: input },
      customMatch: { name: matcherName, typedConfig: matcher },
    },
  } as Predicate;
}

/** A request header's value against a string matcher (xds.type.matcher.v3.StringMatcher). */
export function header(name: string, match: object): Predicate {
  const input = packPartial(HeaderInputType, { headerName: name });
  return { singlePredicate: { input: { name, typedConfig: input }, valueMatch: match } } as Predicate;
}

/** The request's `:path` against an RE2 pattern. */
function pathRegex(regex: string): Predicate {
  return header(":path", { safeRegex: { regex, googleRe2: {} } });
}

/** The rule's path condition, as Envoy Gateway builds it. */
function pathPredicate(path: NonNullable<AuthorizationRuleIr["path"]>): Predicate {
  let p: Predicate;
  if (path.type === "PathPrefix" && path.value === "/") p = header(":path", { prefix: "/" });
  else if (path.type === "PathPrefix")
    p = pathRegex(`^${escapeRegex(path.value.replace(/\/$/, ""))}(/.*|\\?.*|#.*|;.*|$)`);
  else if (path.type === "Exact") p = pathRegex(`^${escapeRegex(path.value)}(\\?.*|#.*|;.*|$)`);
  else p = pathRegex(path.value);
  return path.invert ? ({ notMatcher: p } as Predicate) : p;
}

/** The client address within one of `cidrs`. */
function sourceIp(cidrs: readonly string[]): Predicate {
  const cidrRanges = cidrs.map((c) => {
    const at = c.lastIndexOf("/");
    return { addressPrefix: c.slice(0, at), prefixLen: Number(c.slice(at + 1)) };
  });
  const ip = packPartial(IpType, { cidrRanges, statPrefix: "client_ip" });
  return custom("client_ip", packPartial(SourceIpInputType, {}), "ip_matcher", ip);
}

/** A jwt_authn metadata value (path under the provider's name) against a value matcher. */
function jwtMetadata(name: string, path: readonly string[], value: object): Predicate {
  const input = packPartial(MetadataInputType, { filter: JWT_METADATA, path: path.map((key) => ({ key })) });
  return custom(name, input, `${name}_matcher`, packPartial(MetadataType, { value }));
}

/** A list value holding `value` (envoy.type.matcher.v3.ValueMatcher). */
function listHolds(value: string): object {
  return { listMatch: { oneOf: { stringMatch: { exact: value } } } };
}

/** The rule's JWT conditions: every scope (in `scope` or `scp`) and every claim (one of its values). */
function jwtPredicates(jwt: NonNullable<AuthorizationRuleIr["jwt"]>): Predicate[] {
  const scopes = jwt.scopes.map((s) =>
    anyOf(["scope", "scp"].map((key) => jwtMetadata("scope", [jwt.provider, key], listHolds(s)))),
  );
  const claims = jwt.claims.map((c) =>
    anyOf(
      c.values.map((v) =>
        jwtMetadata(
          "claim",
          [jwt.provider, ...c.name.split(".")],
          c.valueType === "StringArray" ? listHolds(v) : { stringMatch: { exact: v } },
        ),
      ),
    ),
  );
  return [...scopes, ...claims];
}

/** The CEL expression evaluated on the request's attributes. */
function celPredicate(expr: string): Predicate {
  const matcher = packPartial(CelMatcherType, { exprMatch: { celExprParsed: parsedCel(expr) } });
  return custom("cel", packPartial(CelInputType, {}), "cel_matcher", matcher);
}

/** One geolocation: every field it sets, against the header the geoip filter writes it in. */
function geoLocation(g: GeoLocationIr): Predicate[] {
  const text = (name: string, v: string | undefined): Predicate[] =>
    v === undefined ? [] : [header(name, { exact: v, ignoreCase: true })];
  const exact = (name: string, v: string | number | boolean | undefined): Predicate[] =>
    v === undefined ? [] : [header(name, { exact: String(v) })];
  const a = g.anonymous;
  return [
    ...text(GEO_HEADERS.country, g.country),
    ...text(GEO_HEADERS.region, g.region),
    ...text(GEO_HEADERS.city, g.city),
    ...exact(GEO_HEADERS.asn, g.asn),
    ...text(GEO_HEADERS.isp, g.isp),
    ...exact(GEO_HEADERS.anon, a?.isAnonymous),
    ...exact(GEO_HEADERS.anonVpn, a?.isVPN),
    ...exact(GEO_HEADERS.anonHosting, a?.isHosting),
    ...exact(GEO_HEADERS.anonTor, a?.isTor),
    ...exact(GEO_HEADERS.anonProxy, a?.isProxy),
  ];
}

/** Every condition of `rule`, as one predicate (in Envoy Gateway's order). */
export function rulePredicate(rule: AuthorizationRuleIr): Predicate {
  const ps: Predicate[] = [];
  const methods = rule.methods ?? [];
  if (methods.length > 0) ps.push(anyOf(methods.map((m) => header(":method", { exact: m, ignoreCase: true }))));
  if (rule.path) ps.push(pathPredicate(rule.path));
  if (rule.cidrs) ps.push(sourceIp(rule.cidrs));
  const geo = (rule.geo ?? []).map(geoLocation).filter((p) => p.length > 0);
  if (geo.length > 0) ps.push(anyOf(geo.map(allOf)));
  if (rule.cel !== undefined) ps.push(celPredicate(rule.cel));
  if (rule.jwt) ps.push(...jwtPredicates(rule.jwt));
  for (const h of rule.headers ?? []) ps.push(anyOf(h.values.map((v) => header(h.name, { exact: v }))));
  return ps.length > 0 ? allOf(ps) : sourceIp(["0.0.0.0/0", "::/0"]);
}

/** The RBAC matcher tree (as a fromPartial object) deciding as `authz`: the first matching rule wins. */
export function rbacMatcherOf(authz: AuthorizationIr): Partial<Matcher> {
  const onNoMatch = { action: { name: "default", typedConfig: rbacActions()[authz.defaultAction] } };
  if (authz.rules.length === 0) return { onNoMatch } as Partial<Matcher>;
  const matchers = authz.rules.map((r) => ({
    predicate: rulePredicate(r),
    onMatch: { action: { name: r.name, typedConfig: rbacActions()[r.action] } },
  }));
  return { matcherList: { matchers }, onNoMatch } as Partial<Matcher>;
}
