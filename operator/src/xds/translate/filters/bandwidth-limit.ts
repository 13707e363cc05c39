/**
 * envoy.filters.http.bandwidth_limit (rank 304), placement `disabled`. Not fed by any IR yet: the policy kind
 * that needs it adds `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway (BackendTrafficPolicy bandwidth limit): two instances, `envoy.filters.http.bandwidth_limit/request`
 * and `/response` (one direction each: a single filter cannot limit both directions differently), each a
 * BandwidthLimit with a stat prefix and `enable_mode: DISABLED`, `disabled: true`; a route's limit for a direction
 * is a BandwidthLimit (REQUEST or RESPONSE mode, `limit_kbps`) in typed_per_filter_config under that instance.
 */
import { BandwidthLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** BandwidthLimit, registered for Any packing. */
export const BandwidthLimitType = registerType(BandwidthLimit);

/** The bandwidth_limit filter's registry entry. */
export const bandwidthLimit: HttpFilterDef = {
  name: "envoy.filters.http.bandwidth_limit",
  rank: 304,
  configType: BandwidthLimitType.name,
  perRouteType: BandwidthLimitType.name,
  placement: "disabled",
  sampleConfig: () => packPartial(BandwidthLimitType, { statPrefix: "bandwidth_limit" }),
};
