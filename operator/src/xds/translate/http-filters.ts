/**
 * The HTTP filters of every HTTP connection manager, in order, and the upgrades it allows. A feature that
 * needs an HTTP filter registers it here (one entry); its per-route config goes in the Route's
 * typed_per_filter_config under the same name. Filters without per-route config do nothing.
 */
import type { HttpFilter } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { HttpConnectionManager_UpgradeConfig } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Router } from "../../../../proto/gen/envoy/extensions/filters/http/router/v3/router";
import { pack } from "../../../../proto/any";
import { CorsType, RouterType, StatefulSessionType } from "../types";

/** Name of Envoy's CORS filter (also the typed_per_filter_config key). */
export const CORS_FILTER = "envoy.filters.http.cors";

/** Name of Envoy's stateful session filter (session persistence; per-route config only). */
export const STATEFUL_SESSION_FILTER = "envoy.filters.http.stateful_session";

/** Name of the router, always last. */
export const ROUTER_FILTER = "envoy.filters.http.router";

/** The HCM's http_filters: feature filters first, the router (with `router`'s settings) last. */
export function hcmHttpFilters(router: Partial<Router> = {}): HttpFilter[] {
  return [
    { name: CORS_FILTER, typedConfig: pack(CorsType, CorsType.codec.fromPartial({} as never)) },
    // Without a session_state the filter does nothing; routes with session persistence configure it.
    {
      name: STATEFUL_SESSION_FILTER,
      typedConfig: pack(StatefulSessionType, StatefulSessionType.codec.fromPartial({} as never)),
    },
    { name: ROUTER_FILTER, typedConfig: pack(RouterType, RouterType.codec.fromPartial(router as never)) },
  ] as HttpFilter[];
}

/**
 * HCM options routes rely on: WebSocket upgrades are allowed. The Host header keeps its port: backends see
 * the Host the client sent (`example.com:8080`, as the Gateway API conformance suite asserts); virtual hosts
 * match without the port (the route configuration's `ignore_port_in_host_matching`), and redirects set
 * their port explicitly.
 */
export function hcmRouteOptions(): { upgradeConfigs: HttpConnectionManager_UpgradeConfig[] } {
  return { upgradeConfigs: hcmUpgradeConfigs() };
}

/**
 * Upgrades the HCM allows: WebSocket, for every route (as Envoy Gateway does), so a backend that speaks
 * WebSocket (e.g. a Service port with appProtocol kubernetes.io/ws) can be reached through any route.
 */
export function hcmUpgradeConfigs(): HttpConnectionManager_UpgradeConfig[] {
  return [{ upgradeType: "websocket", filters: [] }] as unknown as HttpConnectionManager_UpgradeConfig[];
}
