/**
 * envoy.filters.http.health_check (rank 1), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (ClientTrafficPolicy `healthCheck.path`): one filter for the listener, `pass_through_mode: false`,
 * matching `:path` exactly; no per-route config. Placed before the others so the answer depends only on draining.
 */
import { HealthCheck } from "../../../../../proto/gen/envoy/extensions/filters/http/health_check/v3/health_check";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** HealthCheck, registered for Any packing. */
export const HealthCheckType = registerType(HealthCheck);

/** The health_check filter's registry entry. */
export const healthCheck: HttpFilterDef = {
  name: "envoy.filters.http.health_check",
  rank: 1,
  configType: HealthCheckType.name,
  placement: "listener",
  sampleConfig: () =>
    packPartial(HealthCheckType, {
      passThroughMode: false,
      headers: [{ name: ":path", stringMatch: { exact: "/egts-sample-health" } }],
    }),
};
