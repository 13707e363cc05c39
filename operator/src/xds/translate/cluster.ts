/** ClusterIr → Envoy Cluster (+ ClusterLoadAssignment for EDS clusters). */
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
} from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../../../proto/gen/envoy/config/endpoint/v3/endpoint";
import { pack } from "../../../../proto/any";
import type { ClusterIr } from "../../ir/xds-ir";
import { HttpProtocolOptionsType } from "../types";
import { adsConfigSource } from "./config-source";

/** Connect timeout for upstream connections. */
const CONNECT_TIMEOUT = { seconds: 10, nanos: 0 };

/** Builds the Cluster for one backend. EDS for IP endpoints, STRICT_DNS for hostnames. */
export function buildCluster(ir: ClusterIr): Cluster {
  const base = {
    name: ir.name,
    connectTimeout: CONNECT_TIMEOUT,
    typedExtensionProtocolOptions:
      ir.protocol === "h2c" ? { [HttpProtocolOptionsType.name]: pack(HttpProtocolOptionsType, http2Options()) } : {},
  };
  if (ir.discovery === "dns") {
    return Cluster.fromPartial({
      ...base,
      type: Cluster_DiscoveryType.STRICT_DNS,
      dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
      loadAssignment: buildLoadAssignment(ir),
    });
  }
  return Cluster.fromPartial({
    ...base,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: adsConfigSource() },
  });
}

/** Builds the endpoints of a cluster. */
export function buildLoadAssignment(ir: ClusterIr): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName: ir.name,
    endpoints: [
      {
        lbEndpoints: ir.endpoints.map((e) => ({
          endpoint: { address: { socketAddress: { address: e.host, portValue: e.port } } },
        })),
      },
    ],
  });
}

function http2Options(): ReturnType<typeof HttpProtocolOptionsType.codec.fromPartial> {
  return HttpProtocolOptionsType.codec.fromPartial({ explicitHttpConfig: { http2ProtocolOptions: {} } } as never);
}
