/**
 * envoy.filters.http.oauth2 (rank 9), placement `disabled`, fed by SecurityPolicy `oidc` (RouteIr.security.oidc).
 *
 * Envoy 1.37.0 has no OAuth2PerRoute, so (as Envoy Gateway did before it) each policy gets its own HCM filter,
 * `envoy.filters.http.oauth2/securitypolicy/<ns>/<name>`, holding the whole OAuth2Config with `disabled: true`;
 * a route under the policy turns it on with an empty FilterConfig. The callback (redirect path) and logout paths
 * are handled by the filter on any route it is on, so the routes of the policy must cover the redirect path.
 * The client and HMAC secrets are SDS generic secrets over ADS (GatewayXdsIr.secrets): a rotated client secret
 * reaches the filter without a listener change. A policy with `forwardIDToken` gets a Lua filter right after its
 * oauth2 filter (oauth2-id-token.ts), turned on by the same routes.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type * as OAuthProto from "../../../../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import type { OAuth2 } from "../../../../../proto/gen/envoy/extensions/filters/http/oauth2/v3/oauth";
import { registerLazyType } from "../../../../../proto/any";
import { protoModule } from "../../../../../proto/lazy";
import type { OidcIr, SecurityHeaderMatchIr } from "../../../ir/security-ir";
import type { RetryIr } from "../../../ir/xds-ir";
import { ID_TOKEN_FILTER_SUFFIX, idTokenFilter, idTokenPrefix } from "./oauth2-id-token";
import { stringMatcherOf } from "../security-fields";
import {
  enableOnRoute,
  namedInstances,
  FilterConfigType,
  type HttpFilterDef,
  packPartial,
  SAMPLE_CLUSTER,
  sampleSdsSecret,
} from "./registry";

/** OAuth2, registered for Any packing. */
export const Oauth2Type = registerLazyType<OAuth2>("envoy/extensions/filters/http/oauth2/v3/oauth", "OAuth2");

const NAME = "envoy.filters.http.oauth2";

/** An SDS secret served over ADS. */
function sds(name: string): object {
  return { name, sdsConfig: { ads: {}, resourceApiVersion: 2 } };
}

function seconds(s: number): object {
  return { seconds: s, nanos: 0 };
}

function headerMatcher(m: SecurityHeaderMatchIr): object {
  return m.value ? { name: m.name, stringMatch: stringMatcherOf(m.value) } : { name: m.name, presentMatch: true };
}

/** The token request's retry (Envoy Gateway's non-route retry policy). */
function retryPolicy(r: RetryIr): object {
  return {
    retryOn: (r.policy?.retryOn ?? ["connect-failure", "refused-stream", "unavailable", "cancelled"]).join(","),
    numRetries: r.attempts,
    ...(r.backoffMs !== undefined
      ? {
          retryBackOff: {
            baseInterval: { seconds: Math.floor(r.backoffMs / 1000), nanos: (r.backoffMs % 1000) * 1e6 },
            ...(r.policy?.maxBackoffMs !== undefined
              ? {
                  maxInterval: {
                    seconds: Math.floor(r.policy.maxBackoffMs / 1000),
                    nanos: (r.policy.maxBackoffMs % 1000) * 1e6,
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

const oauthProto = protoModule<typeof OAuthProto>("envoy/extensions/filters/http/oauth2/v3/oauth");

/** OidcIr's SameSite as Envoy's enum. */
function sameSite(s: NonNullable<OidcIr["sameSite"]>): OAuthProto.CookieConfig_SameSite {
  const { CookieConfig_SameSite: values } = oauthProto();
  return s === "Lax" ? values.LAX : s === "Strict" ? values.STRICT : values.NONE;
}

/** SameSite on all seven cookies, when set. */
function cookieConfigs(o: OidcIr): object {
  if (!o.sameSite) return {};
  const c = { sameSite: sameSite(o.sameSite) };
  return {
    cookieConfigs: {
      bearerTokenCookieConfig: c,
      oauthHmacCookieConfig: c,
      oauthExpiresCookieConfig: c,
      idTokenCookieConfig: c,
      refreshTokenCookieConfig: c,
      oauthNonceCookieConfig: c,
      codeVerifierCookieConfig: c,
    },
  };
}

/** The OAuth2Config of one policy (as a fromPartial object). */
export function oauth2Config(o: OidcIr): object {
  return {
    statPrefix: o.name,
    tokenEndpoint: { uri: o.tokenEndpoint, cluster: o.tokenCluster, timeout: millis(o.timeoutMs) },
    ...(o.retry ? { retryPolicy: retryPolicy(o.retry) } : {}),
    authorizationEndpoint: o.authorizationEndpoint,
    credentials: {
      clientId: o.clientId,
      tokenSecret: sds(o.clientSecretSds),
      hmacSecret: sds(o.hmacSds),
      cookieNames: o.cookieNames,
      ...(o.cookieDomain !== undefined ? { cookieDomain: o.cookieDomain } : {}),
    },
    redirectUri: o.redirectUri,
    redirectPathMatcher: { path: { exact: o.redirectPath } },
    signoutPath: { path: { exact: o.logoutPath } },
    forwardBearerToken: o.forwardAccessToken,
    // Envoy removes the Authorization header by default; it is kept unless the access token or the ID token
    // (Envoy Gateway: forwardIDToken on Authorization) replaces it.
    preserveAuthorizationHeader:
      !o.forwardAccessToken && (o.forwardIdTokenHeader === undefined || idTokenPrefix(o.forwardIdTokenHeader) === ""),
    passThroughMatcher: o.passThrough.map(headerMatcher),
    authScopes: o.scopes,
    resources: o.resources,
    authType: oauthProto().OAuth2Config_AuthType.BASIC_AUTH,
    useRefreshToken: o.refreshToken,
    ...(o.defaultTokenTtlS !== undefined ? { defaultExpiresIn: seconds(o.defaultTokenTtlS) } : {}),
    denyRedirectMatcher: o.denyRedirect.map(headerMatcher),
    ...(o.defaultRefreshTtlS !== undefined ? { defaultRefreshTokenExpiresIn: seconds(o.defaultRefreshTtlS) } : {}),
    ...cookieConfigs(o),
    ...(o.endSessionEndpoint !== undefined ? { endSessionEndpoint: o.endSessionEndpoint } : {}),
    ...(o.csrfTtlS !== undefined ? { csrfTokenExpiresIn: seconds(o.csrfTtlS) } : {}),
    ...(o.disableEncryption ? { disableTokenEncryption: true } : {}),
  };
}

function millis(ms: number): object {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** The oauth2 filter's registry entry. */
export const oauth2: HttpFilterDef = {
  name: NAME,
  rank: 9,
  configType: Oauth2Type.name,
  perRouteType: FilterConfigType.name,
  placement: "disabled",
  hcmFilters: (listener) =>
    [...namedInstances(listener, NAME, (r) => (r.security?.oidc ? [r.security.oidc] : []))].flatMap(([name, o]) => {
      const filter = { name, typedConfig: packPartial(Oauth2Type, { config: oauth2Config(o) }), disabled: true };
      const idToken = idTokenFilter(name, o);
      return idToken ? [filter as HttpFilter, idToken] : [filter as HttpFilter];
    }),
  perRouteConfig: (r) => {
    const o = r.security?.oidc;
    if (!o) return undefined;
    const name = `${NAME}/${o.name}`;
    return o.forwardIdTokenHeader === undefined
      ? { [name]: enableOnRoute() }
      : { [name]: enableOnRoute(), [`${name}/${ID_TOKEN_FILTER_SUFFIX}`]: enableOnRoute() };
  },
  sampleConfig: () =>
    packPartial(Oauth2Type, {
      config: {
        tokenEndpoint: { uri: "https://idp.example/token", cluster: SAMPLE_CLUSTER, timeout: { seconds: 5, nanos: 0 } },
        authorizationEndpoint: "https://idp.example/authorize",
        credentials: { clientId: "egts", tokenSecret: sampleSdsSecret(), hmacSecret: sampleSdsSecret() },
        redirectUri: "https://app.example/oauth2/callback",
        redirectPathMatcher: { path: { exact: "/oauth2/callback" } },
        signoutPath: { path: { exact: "/logout" } },
        authScopes: ["openid"],
        endSessionEndpoint: "https://idp.example/logout",
        csrfTokenExpiresIn: { seconds: 600, nanos: 0 },
        disableTokenEncryption: true,
      },
    }),
};
