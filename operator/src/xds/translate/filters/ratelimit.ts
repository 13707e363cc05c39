/**
 * envoy.filters.http.ratelimit (rank 303), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `rateLimit.global`): one RateLimit for the listener pointing at the rate
 * limit service (EnvoyGateway `rateLimit`), domain per listener; routes carry their descriptors as `rate_limits` in
 * the route action, not in typed_per_filter_config. Its `enable_x_ratelimit_headers` comes from the listener's
 * ClientTrafficPolicy (`headers.disableRateLimitHeaders`): see {@link xRateLimitHeaders}, which the `hcmFilters`
 * to come must use.
 */
import {
  RateLimit,
  RateLimit_XRateLimitHeadersRFCVersion as XRateLimitHeaders,
} from "../../../../../proto/gen/envoy/extensions/filters/http/ratelimit/v3/rate_limit";
import type { HttpListenerIr } from "../../../ir/xds-ir";
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

/**
 * The global ratelimit filter's `enable_x_ratelimit_headers` for a listener, as Envoy Gateway sets it: the
 * X-RateLimit-Limit / -Remaining / -Reset response headers (draft 03) unless the listener's ClientTrafficPolicy
 * sets `headers.disableRateLimitHeaders`.
 */
export function xRateLimitHeaders(listener: HttpListenerIr): XRateLimitHeaders {
  return listener.clientTraffic?.headers?.disableRateLimitHeaders
    ? XRateLimitHeaders.OFF
    : XRateLimitHeaders.DRAFT_VERSION_03;
}
