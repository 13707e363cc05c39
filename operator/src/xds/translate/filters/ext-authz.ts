/**
 * envoy.filters.http.ext_authz (rank 6), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `extAuth`): one filter per policy, `envoy.filters.http.ext_authz/<policy>`,
 * `disabled: true`; a route turns it on with FilterConfig (Envoy Gateway treats ext_authz as having no native
 * per-route config).
 */
import { ExtAuthz } from "../../../../../proto/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef, packPartial, sampleGrpcService } from "./registry";

/** ExtAuthz, registered for Any packing. */
export const ExtAuthzType = registerType(ExtAuthz);

/** The ext_authz filter's registry entry. */
export const extAuthz: HttpFilterDef = {
  name: "envoy.filters.http.ext_authz",
  rank: 6,
  configType: ExtAuthzType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(ExtAuthzType, { grpcService: sampleGrpcService(), transportApiVersion: 2 }),
};
