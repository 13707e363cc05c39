/**
 * The HTTP filters of every HTTP connection manager, in order, and the upgrades it allows. Filters come from
 * the ranked registry (./filters: one file per filter, Envoy Gateway's order); their per-route config goes
 * in the Route's typed_per_filter_config under the same name.
 */
import type { HttpFilter } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { HttpConnectionManager_UpgradeConfig } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { HttpListenerIr } from "../../ir/xds-ir";
import { buildHttpFilters } from "./filters";

/**
 * The HCM's http_filters for the listener: feature filters in Envoy Gateway's order, moved by the listener's
 * `filterOrder` (its EnvoyProxy's `spec.filterOrder`), the router last.
 */
export function hcmHttpFilters(listener: HttpListenerIr): HttpFilter[] {
  return buildHttpFilters(listener, listener.filterOrder ?? []);
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
