/**
 * envoy.filters.http.ratelimit (rank 303), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `rateLimit.global`): one RateLimit for the listener pointing at the rate
 * limit service (EnvoyGateway `rateLimit`), domain per listener; routes carry their descriptors as `rate_limits` in
 * the route action, not in typed_per_filter_config.
 */
import { RateLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/ratelimit/v3/rate_limit";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial, sampleGrpcService } from "./registry";

/** RateLimit, registered for Any packing. */
export const RatelimitType = registerType(RateLimit);

/** The ratelimit filter's registry entry. */
export const ratelimit: HttpFilterDef = {
  name: "envoy.filters.http.ratelimit",
  rank: 303,
  configType: RatelimitType.name,
  placement: "listener",
  sampleConfig: () =>
    packPartial(RatelimitType, {
      domain: "egts-sample",
      rateLimitService: { grpcService: sampleGrpcService(), transportApiVersion: 2 },
    }),
};
