/**
 * envoy.filters.http.local_ratelimit (rank 302), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy `rateLimit.local`): one LocalRateLimit on the HCM with only a stat prefix (no
 * bucket: it limits nothing); the route's buckets and descriptors as a LocalRateLimit in typed_per_filter_config.
 */
import { LocalRateLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** LocalRateLimit, registered for Any packing. */
export const LocalRatelimitType = registerType(LocalRateLimit);

/** The local_ratelimit filter's registry entry. */
export const localRatelimit: HttpFilterDef = {
  name: "envoy.filters.http.local_ratelimit",
  rank: 302,
  configType: LocalRatelimitType.name,
  perRouteType: LocalRatelimitType.name,
  placement: "shared",
  sampleConfig: () => packPartial(LocalRatelimitType, { statPrefix: "http_local_rate_limiter" }),
};
