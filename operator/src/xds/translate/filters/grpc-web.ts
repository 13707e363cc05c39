/**
 * envoy.filters.http.grpc_web (rank 305), placement `listener`. Not fed by any IR yet: the listener translation
 * adds `hcmFilters` here when it serves GRPCRoutes.
 *
 * Envoy Gateway: an empty GrpcWeb on the HCM of listeners that serve HTTP/2 (GRPCRoute); Envoy has no per-route
 * message for it.
 */
import { GrpcWeb } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_web/v3/grpc_web";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** GrpcWeb, registered for Any packing. */
export const GrpcWebType = registerType(GrpcWeb);

/** The grpc_web filter's registry entry. */
export const grpcWeb: HttpFilterDef = {
  name: "envoy.filters.http.grpc_web",
  rank: 305,
  configType: GrpcWebType.name,
  placement: "listener",
  sampleConfig: () => packPartial(GrpcWebType, {}),
};
