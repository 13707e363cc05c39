/**
 * envoy.filters.http.oauth2 (rank 9), placement `disabled`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (SecurityPolicy `oidc`): one filter per policy, `envoy.filters.http.oauth2/<policy>`, `disabled:
 * true`; a route turns it on with FilterConfig (no native per-route config).
 */
import { OAuth2 } from "../../../../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import { registerType } from "../../../../../proto/any";
import { FilterConfigType, type HttpFilterDef, packPartial, SAMPLE_CLUSTER, sampleSdsSecret } from "./registry";

/** OAuth2, registered for Any packing. */
export const Oauth2Type = registerType(OAuth2);

/** The oauth2 filter's registry entry. */
export const oauth2: HttpFilterDef = {
  name: "envoy.filters.http.oauth2",
  rank: 9,
  configType: Oauth2Type.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  sampleConfig: () =>
    packPartial(Oauth2Type, {
      config: {
        tokenEndpoint: { uri: "https://idp.example/token", cluster: SAMPLE_CLUSTER, timeout: { seconds: 5, nanos: 0 } },
        authorizationEndpoint: "https://idp.example/authorize",
        credentials: { clientId: "egts", tokenSecret: sampleSdsSecret(), hmacSecret: sampleSdsSecret() },
        redirectUri: "https://app.example/oauth2/callback",
        redirectPathMatcher: { path: { exact: "/oauth2/callback" } },
        signoutPath: { path: { exact: "/logout" } },
      },
    }),
};
