/**
 * The registry's filters in Envoy Gateway's order, and the two things the xDS builders ask of it: the HCM's
 * `http_filters` for a listener, and a route's `typed_per_filter_config`. Adding a filter is one file in this
 * folder plus one line in {@link HTTP_FILTERS}.
 */
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import type { HttpListenerIr, RouteIr } from "../../../ir/xds-ir";
import { apiKeyAuth } from "./api-key-auth";
import { bandwidthLimit } from "./bandwidth-limit";
import { basicAuth } from "./basic-auth";
import { buffer } from "./buffer";
import { compressor } from "./compressor";
import { cors } from "./cors";
import { credentialInjector } from "./credential-injector";
import { csrf } from "./csrf";
import { customResponse } from "./custom-response";
import { dfpLoopbackDeny } from "./dfp-loopback-deny";
import { dynamicForwardProxy } from "./dynamic-forward-proxy";
import { dynamicModules } from "./dynamic-modules";
import { extAuthz } from "./ext-authz";
import { extProc } from "./ext-proc";
import { fault } from "./fault";
import { geoip } from "./geoip";
import { grpcStats } from "./grpc-stats";
import { grpcWeb } from "./grpc-web";
import { headerMutation } from "./header-mutation";
import { healthCheck } from "./health-check";
import { jwtAuthn } from "./jwt-authn";
import { localRatelimit } from "./local-ratelimit";
import { lua } from "./lua";
import { oauth2 } from "./oauth2";
import { ratelimit } from "./ratelimit";
import { rbac } from "./rbac";
import { applyFilterOrder, filterView, sortHttpFilters, type FilterPosition, type HttpFilterDef } from "./registry";
import { router } from "./router";
import { statefulSession } from "./stateful-session";
import { wasm } from "./wasm";

/** Every HTTP filter, in Envoy Gateway's order (by rank; the router last). */
export const HTTP_FILTERS: readonly HttpFilterDef[] = [
  customResponse,
  healthCheck,
  fault,
  cors,
  csrf,
  headerMutation,
  extAuthz,
  apiKeyAuth,
  basicAuth,
  oauth2,
  jwtAuthn,
  statefulSession,
  buffer,
  lua,
  extProc,
  wasm,
  dynamicModules,
  geoip,
  rbac,
  dfpLoopbackDeny,
  localRatelimit,
  ratelimit,
  bandwidthLimit,
  grpcWeb,
  grpcStats,
  credentialInjector,
  compressor,
  dynamicForwardProxy,
  router,
];

/**
 * The HCM's `http_filters` for a listener: every registered filter the listener needs, sorted by rank (then
 * name), then moved by `filterOrder` (EnvoyProxy `spec.filterOrder`; empty keeps Envoy Gateway's order). The
 * filters scan only the routes they can read ({@link filterView}).
 */
export function buildHttpFilters(listener: HttpListenerIr, filterOrder: readonly FilterPosition[] = []): HttpFilter[] {
  const view = filterView(listener);
  const all = HTTP_FILTERS.flatMap((d) => d.hcmFilters?.(view) ?? []);
  return applyFilterOrder(sortHttpFilters(HTTP_FILTERS, all), filterOrder);
}

/** A route's `typed_per_filter_config` on `listener`, in registry order; undefined when no filter configures the route. */
export function routePerFilterConfig(route: RouteIr, listener: HttpListenerIr): Record<string, Any> | undefined {
  const view = filterView(listener);
  let out: Record<string, Any> | undefined;
  for (const d of HTTP_FILTERS) {
    const entries = d.perRouteConfig?.(route, view);
    if (entries) out = { ...out, ...entries };
  }
  return out;
}

/**
 * Everything the filters' per-route configs read from `listener` (each filter's `routeContext`), as JSON: two
 * listeners (or two passes of one) with the same context give an unchanged route the same per-route configs.
 */
export function filtersRouteContext(listener: HttpListenerIr): string {
  const view = filterView(listener);
  return JSON.stringify(HTTP_FILTERS.map((d) => (d.routeContext ? (d.routeContext(view) ?? null) : 0)));
}

export type { FilterPosition, HttpFilterDef } from "./registry";
