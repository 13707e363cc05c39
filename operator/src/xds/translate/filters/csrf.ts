/**
 * envoy.filters.http.csrf (rank 4), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy CSRF): one CsrfPolicy on the HCM enforcing 0 %, present when a route has CSRF; the
 * route's CsrfPolicy in typed_per_filter_config. After cors (preflights answered first), before authentication.
 */
import { CsrfPolicy } from "../../../../../proto/gen/envoy/extensions/filters/http/csrf/v3/csrf";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** CsrfPolicy, registered for Any packing. */
export const CsrfType = registerType(CsrfPolicy);

/** The csrf filter's registry entry. */
export const csrf: HttpFilterDef = {
  name: "envoy.filters.http.csrf",
  rank: 4,
  configType: CsrfType.name,
  perRouteType: CsrfType.name,
  placement: "shared",
  sampleConfig: () => packPartial(CsrfType, { filterEnabled: { defaultValue: { numerator: 0, denominator: 0 } } }),
};
