/** A raw delta ADS stream attempt against our xDS server, for tests of who the server lets in. */
import * as grpc from "@grpc/grpc-js";
import { DELTA_ADS_PATH, deltaRequestCodec } from "../../operator/src/xds/server";
import { TypeUrl } from "../../operator/src/xds/types";
import { DeltaDiscoveryRequest } from "../../proto/gen/envoy/service/discovery/v3/discovery";

/** Tries one delta ADS stream to the server; resolves the gRPC status it ends with (or OK on a response). */
export function tryStream(port: number, credentials: grpc.ChannelCredentials): Promise<grpc.status> {
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, {
    "grpc.ssl_target_name_override": "envoy-gateway",
  });
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(
      "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const done = (code: grpc.status): void => {
      call.cancel();
      client.close();
      resolve(code);
    };
    call.on("data", () => done(grpc.status.OK));
    call.on("error", (e: grpc.ServiceError) => done(e.code));
    call.write(Buffer.alloc(0));
    setTimeout(() => done(grpc.status.DEADLINE_EXCEEDED), 5000);
  });
}

/** Where and how {@link tryNodeStream} connects. */
export interface NodeStreamTarget {
  /** "host:port" of the xDS server. */
  readonly address: string;
  /** Channel credentials (the proxy's client certificate, or insecure). */
  readonly credentials: grpc.ChannelCredentials;
  /** Name the server certificate carries. @default none (the address's host) */
  readonly serverName?: string;
  /** The `authorization` header to send. @default none */
  readonly authorization?: string;
}

/**
 * Opens one delta ADS stream asking for `nodeId`'s clusters; resolves OK once the server answers, else the gRPC
 * status the stream ends with (DEADLINE_EXCEEDED after 10 s), with its details.
 */
export function tryNodeStream(
  target: NodeStreamTarget,
  nodeId: string,
): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(target.address, target.credentials, {
    ...(target.serverName ? { "grpc.ssl_target_name_override": target.serverName } : {}),
  });
  const metadata = new grpc.Metadata();
  if (target.authorization !== undefined) metadata.set("authorization", target.authorization);
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(DELTA_ADS_PATH, deltaRequestCodec.serialize, (b: Buffer) => b, metadata);
    const timer = setTimeout(() => done(grpc.status.DEADLINE_EXCEEDED, "no answer in 10 s"), 10_000);
    const done = (code: grpc.status, details: string): void => {
      clearTimeout(timer);
      call.cancel();
      client.close();
      resolve({ code, details });
    };
    call.on("data", () => done(grpc.status.OK, ""));
    call.on("error", (e: grpc.ServiceError) => done(e.code, e.details));
    call.write(DeltaDiscoveryRequest.fromPartial({ node: { id: nodeId }, typeUrl: TypeUrl.Cluster }));
  });
}
