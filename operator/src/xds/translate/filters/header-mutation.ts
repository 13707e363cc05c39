/**
 * envoy.filters.http.header_mutation (rank 5), placement `listener`: on the listeners whose ClientTrafficPolicy sets
 * `headers.lateResponseHeaders`.
 *
 * Envoy Gateway (ClientTrafficPolicy late response headers): one HeaderMutation for the listener with the response
 * mutations; no per-route config (Envoy has HeaderMutationPerRoute, which Envoy Gateway does not use). Before
 * ext_authz, which may read the headers.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { HeaderMutation } from "../../../../../proto/gen/envoy/extensions/filters/http/header_mutation/v3/header_mutation";
import { registerLazyType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";
import { headerMutations } from "../client-traffic-http";

/** `envoy.extensions.filters.http.header_mutation.v3.HeaderMutation`, registered for Any packing. */
export const HeaderMutationType = registerLazyType<HeaderMutation>(
  "envoy/extensions/filters/http/header_mutation/v3/header_mutation",
  "HeaderMutation",
);

/** The header_mutation filter's registry entry. */
export const headerMutation: HttpFilterDef = {
  name: "envoy.filters.http.header_mutation",
  rank: 5,
  configType: HeaderMutationType.name,
  placement: "listener",
  hcmFilters: (listener) => {
    const late = listener.clientTraffic?.headers?.lateResponse;
    if (!late) return [];
    const config = { mutations: { responseMutations: headerMutations(late) } };
    return [
      {
        name: "envoy.filters.http.header_mutation",
        typedConfig: packPartial(HeaderMutationType, config),
      } as HttpFilter,
    ];
  },
  sampleConfig: () => packPartial(HeaderMutationType, {}),
};
