/** A raw delta ADS stream attempt against our xDS server, for tests of who the server lets in. */
import * as grpc from "@grpc/grpc-js";

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
