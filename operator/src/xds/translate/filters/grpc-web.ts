/**
 * envoy.filters.http.grpc_web (rank 305), placement `listener`: on by default where a GRPCRoute is attached,
 * and as ClientTrafficPolicy `grpc.enableWeb` says (which wins either way).
 *
 * Envoy Gateway: an empty GrpcWeb on the HCM of the listener (no per-route config): gRPC-Web requests
 * (`application/grpc-web*`, over HTTP/1.1 or HTTP/2) are translated to gRPC for the backend and the answer back,
 * trailers in the body.
 */
import type { GrpcWeb } from "../../../../../proto/gen/envoy/extensions/filters/http/grpc_web/v3/grpc_web";
import { registerLazyType } from "../../../../../proto/any";
import type { HttpFilter } from "../../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { type HttpFilterDef, packPartial } from "./registry";

/** GrpcWeb, registered for Any packing. */
export const GrpcWebType = registerLazyType<GrpcWeb>("envoy/extensions/filters/http/grpc_web/v3/grpc_web", "GrpcWeb");

const NAME = "envoy.filters.http.grpc_web";

/** The grpc_web filter's registry entry. */
export const grpcWeb: HttpFilterDef = {
  name: NAME,
  rank: 305,
  configType: GrpcWebType.name,
  placement: "listener",
  hcmFilters: (listener) =>
    (listener.clientTraffic?.grpcWeb ?? listener.grpcRoutes === true)
      ? [{ name: NAME, typedConfig: packPartial(GrpcWebType, {}) } as HttpFilter]
      : [],
  sampleConfig: () => packPartial(GrpcWebType, {}),
};
