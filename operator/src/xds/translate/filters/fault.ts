/**
 * envoy.filters.http.fault (rank 2), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `faultInjection`): one empty HTTPFault on the HCM when a route injects
 * faults; the route's delay/abort as an HTTPFault in typed_per_filter_config.
 */
import { HTTPFault } from "../../../../../proto/gen/envoy/extensions/filters/http/fault/v3/fault";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** HTTPFault, registered for Any packing. */
export const FaultType = registerType(HTTPFault);

/** The fault filter's registry entry. */
export const fault: HttpFilterDef = {
  name: "envoy.filters.http.fault",
  rank: 2,
  configType: FaultType.name,
  perRouteType: FaultType.name,
  placement: "shared",
  sampleConfig: () => packPartial(FaultType, {}),
};
