/**
 * envoy.filters.http.grpc_stats (rank 306), placement `listener`: on where a GRPCRoute is attached, and as
 * EnvoyProxy `telemetry.metrics.enableGRPCStats` says (which wins either way: `true` on every HTTP listener, also
 * for gRPC routed by HTTPRoutes; `false` on none).
 *
 * Envoy Gateway: a FilterConfig with `emit_filter_state` and `stats_for_all_methods` on the HCM of listeners with
 * a GRPCRoute, next to grpc_web; no per-route config. Envoy then counts each gRPC method
 * (`cluster.<name>.grpc.<service>.<method>.success` and friends) and puts the message counts in filter state.
 */
import type { FilterConfig } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_stats/v3/config";
import { registerLazyType } from "../../../../../proto/any";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { type HttpFilterDef, packPartial } from "./registry";

/** FilterConfig, registered for Any packing. */
export const GrpcStatsType = registerLazyType<FilterConfig>(
  "envoy/extensions/filters/http/grpc_stats/v3/config",
  "FilterConfig",
);

const NAME = "envoy.filters.http.grpc_stats";

/** Envoy Gateway's grpc_stats settings: filter state on, a stat for every method. */
const CONFIG = { emitFilterState: true, statsForAllMethods: true };

/** The grpc_stats filter's registry entry. */
export const grpcStats: HttpFilterDef = {
  name: NAME,
  rank: 306,
  configType: GrpcStatsType.name,
  placement: "listener",
  hcmFilters: (listener) =>
    (listener.grpcStats ?? listener.grpcRoutes === true)
      ? [{ name: NAME, typedConfig: packPartial(GrpcStatsType, CONFIG) } as HttpFilter]
      : [],
  sampleConfig: () => packPartial(GrpcStatsType, CONFIG),
};
