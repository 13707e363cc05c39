/**
 * envoy.filters.http.header_mutation (rank 5), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (ClientTrafficPolicy late response headers): one HeaderMutation for the listener with the response
 * mutations; no per-route config (Envoy has HeaderMutationPerRoute, which Envoy Gateway does not use). Before
 * ext_authz, which may read the headers.
 */
import { HeaderMutation } from "../../../../../proto/gen/envoy/extensions/filters/http/header_mutation/v3/header_mutation";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.header_mutation.v3.HeaderMutation`, registered for Any packing. */
export const HeaderMutationType = registerType(
  "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
  HeaderMutation,
);

/** The header_mutation filter's registry entry. */
export const headerMutation: HttpFilterDef = {
  name: "envoy.filters.http.header_mutation",
  rank: 5,
  configType: HeaderMutationType.name,
  placement: "listener",
  sampleConfig: () => packPartial(HeaderMutationType, {}),
};
