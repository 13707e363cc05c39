/**
 * envoy.filters.http.health_check (rank 1), placement `listener`, fed by ClientTrafficPolicy `healthCheck.path`.
 *
 * As Envoy Gateway writes it: one filter for the listener, `pass_through_mode: false`, matching `:path` exactly;
 * no per-route config. Envoy answers the path itself (200, or 503 while draining or failed) without routing it
 * to a backend. Placed before the others so the answer depends only on Envoy's health.
 */
import type { HealthCheck } from "../../../../../proto/gen/envoy/extensions/filters/http/health_check/v3/health_check";
import { registerLazyType } from "../../../../../proto/any";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { type HttpFilterDef, packPartial } from "./registry";

/** HealthCheck, registered for Any packing. */
export const HealthCheckType = registerLazyType<HealthCheck>(
  "envoy/extensions/filters/http/health_check/v3/health_check",
  "HealthCheck",
);

const NAME = "envoy.filters.http.health_check";

/** The health_check filter's registry entry. */
export const healthCheck: HttpFilterDef = {
  name: NAME,
  rank: 1,
  configType: HealthCheckType.name,
  placement: "listener",
  hcmFilters: (listener) => {
    const path = listener.clientTraffic?.healthCheckPath;
    if (path === undefined) return [];
    const config = { passThroughMode: false, headers: [{ name: ":path", stringMatch: { exact: path } }] };
    return [{ name: NAME, typedConfig: packPartial(HealthCheckType, config) } as HttpFilter];
  },
  sampleConfig: () =>
    packPartial(HealthCheckType, {
      passThroughMode: false,
      headers: [{ name: ":path", stringMatch: { exact: "/egts-sample-health" } }],
    }),
};
