/**
 * envoy.filters.http.api_key_auth (rank 7), placement `disabled`. Not fed by any IR yet: the policy kind that needs
 * it adds `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `apiKeyAuth`): one filter holding the credentials, `disabled: true`; a route
 * turns it on with its ApiKeyAuthPerRoute.
 */
import {
  ApiKeyAuth,
  ApiKeyAuthPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/api_key_auth/v3/api_key_auth";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth`, registered for Any packing. */
export const ApiKeyAuthType = registerType(ApiKeyAuth);
/** `envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute`, registered for Any packing. */
export const ApiKeyAuthPerRouteType = registerType(ApiKeyAuthPerRoute);

/** The api_key_auth filter's registry entry. */
export const apiKeyAuth: HttpFilterDef = {
  name: "envoy.filters.http.api_key_auth",
  rank: 7,
  configType: ApiKeyAuthType.name,
  perRouteType: ApiKeyAuthPerRouteType.name,
  placement: "disabled",
  sampleConfig: () =>
    packPartial(ApiKeyAuthType, {
      credentials: [{ key: "egts-sample-key", client: "sample" }],
      keySources: [{ header: "x-api-key" }],
    }),
};
