/**
 * envoy.filters.http.rbac.dfp_loopback_deny (ranked as rbac, 301), placement `shared`, fed by routes to a dynamic
 * forward proxy (WeightedDestinationIr.dynamic, Backend type DynamicResolver).
 *
 * As Envoy Gateway: an empty RBAC on the HCM when some route of the listener forwards to a dynamic resolver; such a
 * route's RBACPerRoute denies (403) a request whose `:authority` is a loopback name or address (127.0.0.1,
 * localhost, localhost.localdomain, ip6-localhost, ip6-loopback, [::1], ::1, each with an optional port), so that a
 * client cannot make the proxy call its own host.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { RouteIr } from "../../../ir/xds-ir";
import { rbacActions, anyOf, header } from "../rbac-matcher";
import { RbacPerRouteType, RbacType } from "./rbac";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** The filter's name (also the typed_per_filter_config key). */
const NAME = "envoy.filters.http.rbac.dfp_loopback_deny";

/** Envoy Gateway's loopback names and addresses, as RE2 patterns (the `:authority` allows a port after them; the SNI a trailing dot). */
export const LOOPBACK = [
  "127\\.0\\.0\\.1",
  "localhost",
  "localhost\\.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "\\[::1\\]",
  "::1",
];

/** True when the route forwards to a dynamic forward proxy. */
function isDynamic(r: RouteIr): boolean {
  return r.action.kind === "forward" && r.action.destinations.some((d) => d.dynamic === true);
}

/** The per-route RBAC that denies loopback authorities and allows the rest. */
function loopbackDeny(): object {
  const predicate = anyOf(
    LOOPBACK.map((host) => header(":authority", { safeRegex: { googleRe2: {}, regex: `^${host}(?::\\d+)?$` } })),
  );
  return {
    rbac: {
      matcher: {
        matcherList: {
          matchers: [
            { predicate, onMatch: { action: { name: "deny-loopback-host", typedConfig: rbacActions().Deny } } },
          ],
        },
        onNoMatch: { action: { name: "default", typedConfig: rbacActions().Allow } },
      },
    },
  };
}

/** The dfp_loopback_deny filter's registry entry. */
export const dfpLoopbackDeny: HttpFilterDef = {
  name: NAME,
  rank: 301,
  configType: RbacType.name,
  perRouteType: RbacPerRouteType.name,
  placement: "shared",
  hcmFilters: (listener) =>
    listenerHasRoute(listener, isDynamic) ? [{ name: NAME, typedConfig: packPartial(RbacType, {}) } as HttpFilter] : [],
  perRouteConfig: (r) => (isDynamic(r) ? { [NAME]: packPartial(RbacPerRouteType, loopbackDeny()) } : undefined),
  sampleConfig: () => packPartial(RbacType, {}),
};
