/**
 * envoy.filters.http.custom_response (rank 0), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (response overrides): one filter per override, named `envoy.filters.http.custom_response/<name>`,
 * holding the matcher, `disabled: true` on the HCM; a route turns it on with FilterConfig. Placed first so it sees
 * local replies.
 */
import { CustomResponse } from "../../../../../proto/gen/envoy/extensions/filters/http/custom_response/v3/custom_response";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef, packPartial } from "./registry";

/** CustomResponse, registered for Any packing. */
export const CustomResponseType = registerType(CustomResponse);

/** The custom_response filter's registry entry. */
export const customResponse: HttpFilterDef = {
  name: "envoy.filters.http.custom_response",
  rank: 0,
  configType: CustomResponseType.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(CustomResponseType, {}),
};
