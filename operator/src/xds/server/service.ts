/**
 * Hand-written gRPC service definition for `envoy.service.discovery.v3.AggregatedDiscoveryService`, using
 * the ts-proto codecs as (de)serializers, plus a small typed client used by tests and tools.
 */
import * as grpc from "@grpc/grpc-js";
import {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from "../../../../proto/gen/envoy/service/discovery/v3/discovery";
import { toBuffer } from "../../../../proto/any";

/** Fully-qualified ADS service name. */
export const ADS_SERVICE = "envoy.service.discovery.v3.AggregatedDiscoveryService";
/** Path of the delta (incremental) ADS method. */
export const DELTA_ADS_PATH = `/${ADS_SERVICE}/DeltaAggregatedResources`;
/** Path of the state-of-the-world ADS method. */
export const SOTW_ADS_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;

/** A gRPC (de)serializer pair from a ts-proto message's encode/decode. */
export function codec<T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }): {
  serialize: (m: T) => Buffer;
  deserialize: (b: Buffer) => T;
} {
  return {
    serialize: (m: T): Buffer => toBuffer(fns.encode(m).finish()),
    deserialize: (b: Buffer): T => fns.decode(b),
  };
}

/** Codec for delta requests. */
export const deltaRequestCodec = codec(DeltaDiscoveryRequest);
/** Codec for delta responses. */
export const deltaResponseCodec = codec(DeltaDiscoveryResponse);
const sotwRequestCodec = codec(DiscoveryRequest);
const sotwResponseCodec = codec(DiscoveryResponse);

/** The ADS service definition, usable with `grpc.Server.addService`. */
export const AggregatedDiscoveryServiceDefinition = {
  deltaAggregatedResources: {
    path: DELTA_ADS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: deltaRequestCodec.serialize,
    requestDeserialize: deltaRequestCodec.deserialize,
    responseSerialize: deltaResponseCodec.serialize,
    responseDeserialize: deltaResponseCodec.deserialize,
    originalName: "DeltaAggregatedResources",
  },
  streamAggregatedResources: {
    path: SOTW_ADS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: sotwRequestCodec.serialize,
    requestDeserialize: sotwRequestCodec.deserialize,
    responseSerialize: sotwResponseCodec.serialize,
    responseDeserialize: sotwResponseCodec.deserialize,
    originalName: "StreamAggregatedResources",
  },
} satisfies grpc.ServiceDefinition;

/** Path of the delta VHDS method: Envoy fetches a route configuration's virtual hosts on it (ADR 0008). */
export const DELTA_VHDS_PATH = "/envoy.service.route.v3.VirtualHostDiscoveryService/DeltaVirtualHosts";

/** The VHDS service definition (delta only; Envoy has no other VHDS transport). */
export const VirtualHostDiscoveryServiceDefinition = {
  deltaVirtualHosts: {
    ...AggregatedDiscoveryServiceDefinition.deltaAggregatedResources,
    path: DELTA_VHDS_PATH,
    originalName: "DeltaVirtualHosts",
  },
} satisfies grpc.ServiceDefinition;

/** A minimal typed ADS client (delta only), for tests and debugging tools. */
export class AdsClient {
  private readonly client: grpc.Client;

  /** Connects (lazily) to `address` ("host:port"); insecure credentials unless given. */
  constructor(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.client = new grpc.Client(address, credentials, {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    });
  }

  /** Opens a DeltaAggregatedResources stream. */
  deltaAggregatedResources(): grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
    return this.client.makeBidiStreamRequest(
      DELTA_ADS_PATH,
      deltaRequestCodec.serialize,
      deltaResponseCodec.deserialize,
    );
  }

  /** Opens a StreamAggregatedResources (state of the world) stream. */
  streamAggregatedResources(): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> {
    return this.client.makeBidiStreamRequest(SOTW_ADS_PATH, sotwRequestCodec.serialize, sotwResponseCodec.deserialize);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
