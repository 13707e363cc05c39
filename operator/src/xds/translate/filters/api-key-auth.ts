/**
 * envoy.filters.http.api_key_auth (rank 7), placement `disabled`. Not fed by any IR yet.
 *
 * Envoy Gateway (SecurityPolicy `apiKeyAuth`): one filter holding the credentials, `disabled: true`; a route
 * turns it on with its ApiKeyAuthPerRoute. No generated type and no sample config: the proto source we
 * generate from (@grpc/grpc-js-xds 1.14.1's Envoy API) predates this filter; the policy that needs it adds the
 * proto first (proto/generate.mjs).
 */
import type { HttpFilterDef } from "./registry";

/** The api_key_auth filter's registry entry. */
export const apiKeyAuth: HttpFilterDef = {
  name: "envoy.filters.http.api_key_auth",
  rank: 7,
  configType: "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth",
  perRouteType: "envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute",
  placement: "disabled",
};
