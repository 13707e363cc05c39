/**
 * envoy.filters.http.cors (rank 3). Placement `shared`, as Envoy Gateway: an empty Cors config on the HCM,
 * the policy per route (CorsPolicy in typed_per_filter_config). We put the filter on every HTTP connection
 * manager (so the listener does not change when the first CORS route appears); Envoy Gateway adds it when
 * some route of the listener has CORS. Without a route policy the filter does nothing. A route's policy comes
 * from its HTTPRoute CORS filter, else from its SecurityPolicy `cors`.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../../proto/any";
import type { CorsIr } from "../../../ir/xds-ir";
import { CorsPolicyType, CorsType } from "../../types";
import { packPartial, type HttpFilterDef } from "./registry";

/** Name of Envoy's CORS filter (also the typed_per_filter_config key). */
export const CORS_FILTER = "envoy.filters.http.cors";

/** The Route's typed_per_filter_config entry for a CORS policy. */
export function corsPerFilterConfig(c: CorsIr): Record<string, Any> {
  const policy = CorsPolicyType.codec.fromPartial({
    allowOriginStringMatch: c.allowOrigins.map((o) =>
      o.type === "Exact" ? { exact: o.value } : { safeRegex: { regex: o.value } },
    ),
    // Joined with ", " as Envoy Gateway joins them (Envoy sends each string as the header's value).
    allowMethods: c.allowMethods.join(", "),
    allowHeaders: c.allowHeaders.join(", "),
    exposeHeaders: c.exposeHeaders.join(", "),
    ...(c.maxAgeSeconds !== undefined ? { maxAge: String(c.maxAgeSeconds) } : {}),
    allowCredentials: c.allowCredentials,
    // A preflight from an origin that is not allowed is answered by Envoy (without CORS headers),
    // not passed to the backend.
    forwardNotMatchingPreflights: false,
  } as never);
  return { [CORS_FILTER]: pack(CorsPolicyType, policy) };
}

/** The CORS filter's registry entry. */
export const cors: HttpFilterDef = {
  name: CORS_FILTER,
  rank: 3,
  configType: CorsType.name,
  perRouteType: CorsPolicyType.name,
  placement: "shared",
  hcmFilters: () => [{ name: CORS_FILTER, typedConfig: packPartial(CorsType, {}) } as HttpFilter],
  // An HTTPRoute CORS filter wins over the route's SecurityPolicy CORS (as in Envoy Gateway).
  perRouteConfig: (r) => {
    const c = r.cors ?? r.security?.cors;
    return c ? corsPerFilterConfig(c) : undefined;
  },
  sampleConfig: () => packPartial(CorsType, {}),
};
