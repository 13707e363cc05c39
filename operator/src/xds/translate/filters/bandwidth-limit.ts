/**
 * envoy.filters.http.bandwidth_limit (rank 304), placement `shared`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy bandwidth limit): a BandwidthLimit on the HCM with only a stat prefix, the
 * route's limit as a BandwidthLimit in typed_per_filter_config.
 */
import { BandwidthLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.bandwidth_limit.v3.BandwidthLimit`, registered for Any packing. */
export const BandwidthLimitType = registerType(
  "envoy.extensions.filters.http.bandwidth_limit.v3.BandwidthLimit",
  BandwidthLimit,
);

/** The bandwidth_limit filter's registry entry. */
export const bandwidthLimit: HttpFilterDef = {
  name: "envoy.filters.http.bandwidth_limit",
  rank: 304,
  configType: BandwidthLimitType.name,
  perRouteType: BandwidthLimitType.name,
  placement: "shared",
  sampleConfig: () => packPartial(BandwidthLimitType, { statPrefix: "bandwidth_limit" }),
};
