/** envoy.filters.http.router (rank 310): the terminal filter, always last, on every HTTP connection manager. */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { RouterType } from "../../types";
import { routerSettingFields } from "../listener-defaults";
import { httpListenerSettings } from "../client-traffic";
import { packPartial, type HttpFilterDef } from "./registry";

/** Name of the router, always last. */
export const ROUTER_FILTER = "envoy.filters.http.router";

/** The router's registry entry. */
export const router: HttpFilterDef = {
  name: ROUTER_FILTER,
  rank: 310,
  configType: RouterType.name,
  placement: "listener",
  // The router's settings: Envoy Gateway's listener defaults (listener-defaults.ts), then the listener's
  // ClientTrafficPolicy (headers.enableEnvoyHeaders → suppress_envoy_headers).
  hcmFilters: (listener) => [
    {
      name: ROUTER_FILTER,
      typedConfig: packPartial(RouterType, routerSettingFields(httpListenerSettings(listener.clientTraffic))),
    } as HttpFilter,
  ],
  sampleConfig: () => packPartial(RouterType, {}),
};
