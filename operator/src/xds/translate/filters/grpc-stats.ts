/**
 * envoy.filters.http.grpc_stats (rank 306), placement `listener`. Not fed by any IR yet: the listener
 * translation adds `hcmFilters` here when it serves GRPCRoutes.
 *
 * Envoy Gateway: a FilterConfig with `emit_filter_state` and `stats_for_all_methods` on the HCM of listeners
 * that serve HTTP/2 (GRPCRoute), next to grpc_web; no per-route config.
 */
import { FilterConfig } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_stats/v3/config";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** FilterConfig, registered for Any packing. */
export const GrpcStatsType = registerType(FilterConfig);

/** The grpc_stats filter's registry entry. */
export const grpcStats: HttpFilterDef = {
  name: "envoy.filters.http.grpc_stats",
  rank: 306,
  configType: GrpcStatsType.name,
  placement: "listener",
  sampleConfig: () => packPartial(GrpcStatsType, {}),
};
