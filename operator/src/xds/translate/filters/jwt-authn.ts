/**
 * envoy.filters.http.jwt_authn (rank 10), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `jwt`): one JwtAuthentication on the HCM with every provider and a requirement per
 * route in `requirement_map`; a route selects its requirement with PerRouteConfig.
 */
import {
  JwtAuthentication,
  PerRouteConfig,
} from "../../../../../proto/gen/envoy/extensions/filters/http/jwt_authn/v3/config";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** JwtAuthentication, registered for Any packing. */
export const JwtAuthnType = registerType(JwtAuthentication);
/** PerRouteConfig, registered for Any packing. */
export const JwtAuthnPerRouteType = registerType(PerRouteConfig);

/** The jwt_authn filter's registry entry. */
export const jwtAuthn: HttpFilterDef = {
  name: "envoy.filters.http.jwt_authn",
  rank: 10,
  configType: JwtAuthnType.name,
  perRouteType: JwtAuthnPerRouteType.name,
  placement: "shared",
  sampleConfig: () => packPartial(JwtAuthnType, {}),
};
