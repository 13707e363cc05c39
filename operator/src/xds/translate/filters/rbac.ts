/**
 * envoy.filters.http.rbac (rank 301), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `authorization`): one empty RBAC on the HCM when a route has authorization; the
 * route's rules as RBACPerRoute.
 */
import { RBAC, RBACPerRoute } from "../../../../../proto/gen/envoy/extensions/filters/http/rbac/v3/rbac";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** RBAC, registered for Any packing. */
export const RbacType = registerType(RBAC);
/** RBACPerRoute, registered for Any packing. */
export const RbacPerRouteType = registerType(RBACPerRoute);

/** The rbac filter's registry entry. */
export const rbac: HttpFilterDef = {
  name: "envoy.filters.http.rbac",
  rank: 301,
  configType: RbacType.name,
  perRouteType: RbacPerRouteType.name,
  placement: "shared",
  sampleConfig: () => packPartial(RbacType, {}),
};
