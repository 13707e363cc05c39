/**
 * EnvoyProxy `telemetry.metrics.enableGRPCStats`, carried onto every HTTP listener of the proxies the EnvoyProxy
 * customises. As in Envoy Gateway, when set it decides the grpc_stats filter on each of them (`true`: on, also
 * where gRPC is routed by HTTPRoutes; `false`: off, even where a GRPCRoute is attached); unset, a listener gets the
 * filter when a GRPCRoute is attached (xds/translate/filters/grpc-stats.ts).
 */
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { EnvoyProxy } from "../resources/envoy-proxy";

/** `enableGRPCStats` when it is set to a boolean; undefined otherwise. */
export function grpcStatsFor(spec: EnvoyProxy["spec"] | undefined): boolean | undefined {
  const v = spec?.telemetry?.metrics?.enableGRPCStats;
  return typeof v === "boolean" ? v : undefined;
}

/** The node's IR with `grpcStats` on each HTTP listener (unset: the listeners are left as they are). */
export function withGrpcStats(ir: GatewayXdsIr, grpcStats: boolean | undefined): GatewayXdsIr {
  return grpcStats === undefined ? ir : { ...ir, http: ir.http.map((l) => ({ ...l, grpcStats })) };
}
