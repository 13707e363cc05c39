/**
 * envoy.filters.http.csrf (rank 4), placement `shared`, fed by SecurityPolicy `csrf` (RouteIr.security.csrf).
 *
 * As Envoy Gateway: one CsrfPolicy on the HCM enforcing 0 %, present when some route of the listener has CSRF;
 * the route's CsrfPolicy in typed_per_filter_config. Envoy rolls FilterEnabled and ShadowEnabled separately and
 * shadows only requests FilterEnabled did not pick, so FilterEnabled carries the enforced share (the complement of
 * the shadow fraction) and ShadowEnabled is 100 % when a shadow fraction is set. After cors (preflights answered
 * first), before authentication.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { CsrfPolicy } from "../../../../../proto/gen/envoy/extensions/filters/http/csrf/v3/csrf";
import { registerLazyType } from "../../../../../proto/any";
import type { CsrfIr } from "../../../ir/security-ir";
import { fractionalPercentOf, stringMatcherOf } from "../security-fields";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** CsrfPolicy, registered for Any packing. */
export const CsrfType = registerLazyType<CsrfPolicy>("envoy/extensions/filters/http/csrf/v3/csrf", "CsrfPolicy");

/** Name of Envoy's CSRF filter (also the typed_per_filter_config key). */
export const CSRF_FILTER = "envoy.filters.http.csrf";

/** The route's CsrfPolicy (as a fromPartial object). */
function routePolicy(c: CsrfIr): object {
  return {
    filterEnabled: { defaultValue: fractionalPercentOf(c.enforced) },
    ...(c.shadow ? { shadowEnabled: { defaultValue: fractionalPercentOf(c.shadow) } } : {}),
    additionalOrigins: c.additionalOrigins.map(stringMatcherOf),
  };
}

/** The csrf filter's registry entry. */
export const csrf: HttpFilterDef = {
  name: CSRF_FILTER,
  rank: 4,
  configType: CsrfType.name,
  perRouteType: CsrfType.name,
  placement: "shared",
  hcmFilters: (listener) =>
    listenerHasRoute(listener, (r) => r.security?.csrf !== undefined)
      ? [
          {
            name: CSRF_FILTER,
            typedConfig: packPartial(CsrfType, { filterEnabled: { defaultValue: { numerator: 0, denominator: 0 } } }),
          } as HttpFilter,
        ]
      : [],
  perRouteConfig: (r) =>
    r.security?.csrf ? { [CSRF_FILTER]: packPartial(CsrfType, routePolicy(r.security.csrf)) } : undefined,
  sampleConfig: () => packPartial(CsrfType, { filterEnabled: { defaultValue: { numerator: 0, denominator: 0 } } }),
};
