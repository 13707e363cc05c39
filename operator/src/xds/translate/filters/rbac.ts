/**
 * envoy.filters.http.rbac (rank 301), placement `shared`, fed by SecurityPolicy `authorization`
 * (RouteIr.security.authorization).
 *
 * As Envoy Gateway: one empty RBAC on the HCM (no rules: lets everything through) when some route of the listener
 * has authorization; the route's rules as RBACPerRoute, a matcher tree where the first matching rule decides (see
 * rbac-matcher.ts); a denied request gets Envoy's 403 `RBAC: access denied`.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { RBAC, RBACPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/rbac/v3/rbac";
import { registerLazyType } from "../../../../../proto/any";
import { rbacMatcherOf } from "../rbac-matcher";
import type { AuthorizationIr } from "../../../ir/security-ir";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** RBAC, registered for Any packing. */
export const RbacType = registerLazyType<RBAC>("envoy/extensions/filters/http/rbac/v3/rbac", "RBAC");
/** RBACPerRoute, registered for Any packing. */
export const RbacPerRouteType = registerLazyType<RBACPerRoute>(
  "envoy/extensions/filters/http/rbac/v3/rbac",
  "RBACPerRoute",
);

/** Name of Envoy's RBAC filter (also the typed_per_filter_config key). */
const NAME = "envoy.filters.http.rbac";

/**
 * Rules using every kind of condition (methods, path, client CIDRs, headers, CEL, JWT claims and scopes), so that
 * the registry's Envoy test proves Envoy builds each matcher input and matcher in the HTTP RBAC filter.
 */
const SAMPLE_AUTHORIZATION: AuthorizationIr = {
  defaultAction: "Deny",
  rules: [
    {
      name: "jwt",
      action: "Allow",
      methods: ["GET"],
      path: { type: "PathPrefix", value: "/api", invert: false },
      jwt: {
        provider: "sample",
        claims: [
          { name: "org.team", valueType: "String", values: ["a", "b"] },
          { name: "groups", valueType: "StringArray", values: ["dev"] },
        ],
        scopes: ["read"],
      },
    },
    {
      name: "cel",
      action: "Deny",
      cidrs: ["10.0.0.0/8"],
      headers: [{ name: "x-team", values: ["a"] }],
      cel: "has(request.headers.authorization) && request.path.startsWith('/admin')",
    },
  ],
};

/** The rbac filter's registry entry. */
export const rbac: HttpFilterDef = {
  name: NAME,
  rank: 301,
  configType: RbacType.name,
  perRouteType: RbacPerRouteType.name,
  placement: "shared",
  hcmFilters: (listener) =>
    listenerHasRoute(listener, (r) => r.security?.authorization !== undefined)
      ? [{ name: NAME, typedConfig: packPartial(RbacType, {}) } as HttpFilter]
      : [],
  perRouteConfig: (r) => {
    const a = r.security?.authorization;
    return a ? { [NAME]: packPartial(RbacPerRouteType, { rbac: { matcher: rbacMatcherOf(a) } }) } : undefined;
  },
  sampleConfig: () => packPartial(RbacType, { matcher: rbacMatcherOf(SAMPLE_AUTHORIZATION) }),
};
