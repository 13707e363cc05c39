/**
 * envoy.filters.http.api_key_auth (rank 7), placement `disabled`, fed by SecurityPolicy `apiKeyAuth`
 * (RouteIr.security.apiKeyAuth).
 *
 * As Envoy Gateway: one unnamed filter, `disabled: true`, built from the first route's config; each route turns it
 * on with its ApiKeyAuthPerRoute (credentials, key sources in `extractFrom` order, and `forwarding` when a client
 * ID header is set or the key is to be removed).
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type {
  ApiKeyAuth,
  ApiKeyAuthPerRoute,
} from "../../../../../proto/gen/envoy/extensions/filters/http/api_key_auth/v3/api_key_auth";
import { registerLazyType } from "../../../../../proto/any";
import type { ApiKeyAuthIr } from "../../../ir/security-ir";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth`, registered for Any packing. */
export const ApiKeyAuthType = registerLazyType<ApiKeyAuth>(
  "envoy/extensions/filters/http/api_key_auth/v3/api_key_auth",
  "ApiKeyAuth",
);
/** `envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute`, registered for Any packing. */
export const ApiKeyAuthPerRouteType = registerLazyType<ApiKeyAuthPerRoute>(
  "envoy/extensions/filters/http/api_key_auth/v3/api_key_auth",
  "ApiKeyAuthPerRoute",
);

const NAME = "envoy.filters.http.api_key_auth";

/** Credentials and key sources (as fromPartial objects). */
function common(a: ApiKeyAuthIr): object {
  return {
    credentials: a.credentials.map((c) => ({ key: c.key, client: c.client })),
    keySources: a.sources,
  };
}

/** The api_key_auth filter's registry entry. */
export const apiKeyAuth: HttpFilterDef = {
  name: NAME,
  rank: 7,
  configType: ApiKeyAuthType.name,
  perRouteType: ApiKeyAuthPerRouteType.name,
  placement: "disabled",
  hcmFilters: (listener) => {
    const first = listener.virtualHosts.flatMap((v) => v.routes).find((r) => r.security?.apiKeyAuth);
    const a = first?.security?.apiKeyAuth;
    return a ? [{ name: NAME, typedConfig: packPartial(ApiKeyAuthType, common(a)), disabled: true } as HttpFilter] : [];
  },
  perRouteConfig: (r) => {
    const a = r.security?.apiKeyAuth;
    if (!a) return undefined;
    const forwarding =
      a.forwardClientIdHeader !== undefined || a.hideCredentials
        ? { forwarding: { header: a.forwardClientIdHeader ?? "", hideCredentials: a.hideCredentials } }
        : {};
    return { [NAME]: packPartial(ApiKeyAuthPerRouteType, { ...common(a), ...forwarding }) };
  },
  sampleConfig: () =>
    packPartial(ApiKeyAuthType, {
      credentials: [{ key: "egts-sample-key", client: "sample" }],
      keySources: [{ header: "x-api-key" }],
    }),
};
