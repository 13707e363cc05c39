/**
 * envoy.filters.http.bandwidth_limit (rank 304), placement `disabled`, fed by BackendTrafficPolicy
 * `bandwidthLimit` (`RouteIr.traffic.bandwidthLimit`).
 *
 * As Envoy Gateway: two instances, `envoy.filters.http.bandwidth_limit/request` and `/response` (one direction
 * each: one filter cannot limit both directions differently), each a BandwidthLimit with a stat prefix and
 * `enable_mode: DISABLED`, `disabled: true`, present when some route of the listener limits that direction; a
 * route's limit for a direction is a BandwidthLimit (REQUEST or RESPONSE mode, `limit_kbps` in KiB/s, response
 * trailers when asked) in typed_per_filter_config under that instance.
 */
import type * as BandwidthLimitProto from "../../../../../proto/gen/envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit";
import type { BandwidthLimit } from "../../../../../proto/gen/envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import type { Any } from "../../../../../proto/gen/google/protobuf/any";
import { registerLazyType } from "../../../../../proto/any";
import { protoModule } from "../../../../../proto/lazy";
import type { BandwidthLimitIr } from "../../../ir/bandwidth-limit-ir";
import { type HttpFilterDef, listenerHasRoute, packPartial } from "./registry";

/** BandwidthLimit, registered for Any packing. */
export const BandwidthLimitType = registerLazyType<BandwidthLimit>(
  "envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit",
  "BandwidthLimit",
);

const bandwidthLimitProto = protoModule<typeof BandwidthLimitProto>(
  "envoy/extensions/filters/http/bandwidth_limit/v3/bandwidth_limit",
);
const enableMode = (): typeof BandwidthLimitProto.BandwidthLimit_EnableMode =>
  bandwidthLimitProto().BandwidthLimit_EnableMode;

const NAME = "envoy.filters.http.bandwidth_limit";
const REQUEST = `${NAME}/request`;
const RESPONSE = `${NAME}/response`;
const STAT_PREFIX = "http_bandwidth_limiter";

/** The bandwidth_limit filter's registry entry. */
export const bandwidthLimit: HttpFilterDef = {
  name: NAME,
  rank: 304,
  configType: BandwidthLimitType.name,
  perRouteType: BandwidthLimitType.name,
  placement: "disabled",
  hcmFilters: (listener) => {
    const request = listenerHasRoute(listener, (r) => r.traffic?.bandwidthLimit?.requestKibps !== undefined);
    const response = listenerHasRoute(listener, (r) => r.traffic?.bandwidthLimit?.response !== undefined);
    if (!request && !response) return [];
    const off = packPartial(BandwidthLimitType, { statPrefix: STAT_PREFIX, enableMode: enableMode().DISABLED });
    const filter = (name: string): HttpFilter => ({ name, typedConfig: off, disabled: true }) as HttpFilter;
    return [...(request ? [filter(REQUEST)] : []), ...(response ? [filter(RESPONSE)] : [])];
  },
  perRouteConfig: (route) => {
    const bl = route.traffic?.bandwidthLimit;
    return bl ? perRoute(bl) : undefined;
  },
  sampleConfig: () => packPartial(BandwidthLimitType, { statPrefix: "bandwidth_limit" }),
};

function perRoute(bl: BandwidthLimitIr): Record<string, Any> {
  const out: Record<string, Any> = {};
  if (bl.requestKibps !== undefined) {
    out[REQUEST] = packPartial(BandwidthLimitType, {
      statPrefix: STAT_PREFIX,
      enableMode: enableMode().REQUEST,
      limitKbps: bl.requestKibps,
    });
  }
  if (bl.response) {
    out[RESPONSE] = packPartial(BandwidthLimitType, {
      statPrefix: STAT_PREFIX,
      enableMode: enableMode().RESPONSE,
      limitKbps: bl.response.kibps,
      ...(bl.response.trailerPrefix !== undefined
        ? { enableResponseTrailers: true, responseTrailerPrefix: bl.response.trailerPrefix }
        : {}),
    });
  }
  return out;
}
