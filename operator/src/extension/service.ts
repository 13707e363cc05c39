/**
 * Hand-written gRPC service definition of Envoy Gateway's extension server API (`envoygateway.extension.
 * EnvoyGatewayExtension`, our copy in proto/extension/), using the ts-proto codecs, for the client egts calls
 * (client.ts) and for servers written with @grpc/grpc-js (the tests' extension server).
 */
import type * as grpc from "@grpc/grpc-js";
import {
  PostClusterModifyRequest,
  PostClusterModifyResponse,
  PostEndpointsModifyRequest,
  PostEndpointsModifyResponse,
  PostHTTPListenerModifyRequest,
  PostHTTPListenerModifyResponse,
  PostRouteModifyRequest,
  PostRouteModifyResponse,
  PostTranslateModifyRequest,
  PostTranslateModifyResponse,
  PostVirtualHostModifyRequest,
  PostVirtualHostModifyResponse,
} from "../../../proto/gen/extension/service";
import { codec } from "../xds/server/service";

/** Fully-qualified service name. */
export const EXTENSION_SERVICE = "envoygateway.extension.EnvoyGatewayExtension";

/** Each method's request and response types. */
export interface ExtensionMethods {
  PostRouteModify: [PostRouteModifyRequest, PostRouteModifyResponse];
  PostVirtualHostModify: [PostVirtualHostModifyRequest, PostVirtualHostModifyResponse];
  PostHTTPListenerModify: [PostHTTPListenerModifyRequest, PostHTTPListenerModifyResponse];
  PostClusterModify: [PostClusterModifyRequest, PostClusterModifyResponse];
  PostEndpointsModify: [PostEndpointsModifyRequest, PostEndpointsModifyResponse];
  PostTranslateModify: [PostTranslateModifyRequest, PostTranslateModifyResponse];
}

/** A method name. */
export type ExtensionMethod = keyof ExtensionMethods;

type Fns<T> = { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T };

function method<Req, Res>(name: ExtensionMethod, req: Fns<Req>, res: Fns<Res>): grpc.MethodDefinition<Req, Res> {
  const rq = codec(req);
  const rs = codec(res);
  return {
    path: `/${EXTENSION_SERVICE}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: rq.serialize,
    requestDeserialize: rq.deserialize,
    responseSerialize: rs.serialize,
    responseDeserialize: rs.deserialize,
    originalName: name,
  };
}

/** The service definition, usable with `grpc.Server.addService` and for client calls. */
export const ExtensionServiceDefinition = {
  PostRouteModify: method("PostRouteModify", PostRouteModifyRequest, PostRouteModifyResponse),
  PostVirtualHostModify: method("PostVirtualHostModify", PostVirtualHostModifyRequest, PostVirtualHostModifyResponse),
  PostHTTPListenerModify: method(
    "PostHTTPListenerModify",
    PostHTTPListenerModifyRequest,
    PostHTTPListenerModifyResponse,
  ),
  PostClusterModify: method("PostClusterModify", PostClusterModifyRequest, PostClusterModifyResponse),
  PostEndpointsModify: method("PostEndpointsModify", PostEndpointsModifyRequest, PostEndpointsModifyResponse),
  PostTranslateModify: method("PostTranslateModify", PostTranslateModifyRequest, PostTranslateModifyResponse),
} satisfies { [M in ExtensionMethod]: grpc.MethodDefinition<ExtensionMethods[M][0], ExtensionMethods[M][1]> };
