/**
 * envoy.filters.http.grpc_stats (rank 306), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway: per-method gRPC statistics for the listener; no per-route config.
 */
import { FilterConfig } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_stats/v3/config";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.grpc_stats.v3.FilterConfig`, registered for Any packing. */
export const GrpcStatsType = registerType("envoy.extensions.filters.http.grpc_stats.v3.FilterConfig", FilterConfig);

/** The grpc_stats filter's registry entry. */
export const grpcStats: HttpFilterDef = {
  name: "envoy.filters.http.grpc_stats",
  rank: 306,
  configType: GrpcStatsType.name,
  placement: "listener",
  sampleConfig: () => packPartial(GrpcStatsType, {}),
};
