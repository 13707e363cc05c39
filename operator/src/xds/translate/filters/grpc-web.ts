/**
 * envoy.filters.http.grpc_web (rank 305), placement `listener`. Not fed by any IR yet: the policy kind that needs it adds
 * `hcmFilters` and `perRouteConfig` here.
 *
 * Envoy Gateway: gRPC-Web translation for the listener; GrpcWeb has no settings and Envoy no per-route message (a
 * route can only disable it with FilterConfig).
 */
import { GrpcWeb } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_web/v3/grpc_web";
import { registerType } from "../../../../../proto/any";
import { type HttpFilterDef, packPartial } from "./registry";

/** `envoy.extensions.filters.http.grpc_web.v3.GrpcWeb`, registered for Any packing. */
export const GrpcWebType = registerType("envoy.extensions.filters.http.grpc_web.v3.GrpcWeb", GrpcWeb);

/** The grpc_web filter's registry entry. */
export const grpcWeb: HttpFilterDef = {
  name: "envoy.filters.http.grpc_web",
  rank: 305,
  configType: GrpcWebType.name,
  placement: "listener",
  sampleConfig: () => packPartial(GrpcWebType, {}),
};
