/** UdpListenerIr → Envoy UDP Listener with the udp_proxy listener filter (matcher-based route). */
import { SocketAddress_Protocol } from "../../../../proto/gen/envoy/config/core/v3/address";
import {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
} from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../../../proto/gen/envoy/config/endpoint/v3/endpoint";
import { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import type * as UdpProxyProto from "../../../../proto/gen/envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy";
import { protoModule } from "../../../../proto/lazy";
import { pack } from "../../../../proto/any";
import type { AccessLogIr, ClusterIr, UdpListenerIr, WeightedDestinationIr } from "../../ir/xds-ir";
import { accessLogField, listenerAccessLogs, routeAccessLogs } from "./access-log";
import { UdpProxyType, UdpRouteType } from "../types";
import { CONNECT_TIMEOUT, lbEndpoint } from "./cluster";
import { adsConfigSource } from "./config-source";
import { additionalAddresses, listenerAddress } from "./listener";
import { INVALID_BACKEND_CLUSTER } from "./route";

const udpProxyProto = protoModule<typeof UdpProxyProto>("envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy");

/** The weighted cluster of a UDP listener whose route has several backends, and its endpoints (EDS). */
export interface UdpWeightedCluster {
  readonly cluster: Cluster;
  /** Endpoints served over EDS; absent when the cluster resolves hostnames itself (STRICT_DNS). */
  readonly loadAssignment?: ClusterLoadAssignment;
}

/** Name of the weighted cluster of a UDP listener: `<listener name>/weighted`. */
export function udpWeightedClusterName(ir: UdpListenerIr): string {
  return `${ir.name}/weighted`;
}

/**
 * Builds the Listener. udp_proxy routes every datagram to one cluster (its route action has no weighted
 * clusters), so a route with several valid backends gets its own weighted cluster ({@link
 * buildUdpWeightedCluster}); with one, datagrams go to that backend's cluster (the heaviest share, so an
 * invalid heavier share drops everything); with none, to a cluster that does not exist (dropped). Each
 * session is access-logged by udp_proxy (as Envoy Gateway does), and hashed by client address when the route's
 * backends hash that way.
 */
export function buildUdpListener(ir: UdpListenerIr, accessLogs?: readonly AccessLogIr[]): Listener {
  const config = udpProxyProto().UdpProxyConfig.fromPartial({
    statPrefix: `udp-${ir.port}`,
    ...accessLogField(routeAccessLogs(accessLogs)),
    ...(ir.hashSourceIp ? { hashPolicies: [{ sourceIp: true }] } : {}),
    matcher: {
      onNoMatch: {
        action: {
          name: "route",
          typedConfig: pack(UdpRouteType, UdpRouteType.codec.fromPartial({ cluster: udpCluster(ir) } as never)),
        },
      },
    },
  } as never);
  return Listener.fromPartial({
    name: ir.name,
    address: listenerAddress(ir, SocketAddress_Protocol.UDP),
    ...additionalAddresses(ir.additionalAddresses, ir.port, SocketAddress_Protocol.UDP),
    udpListenerConfig: {},
    listenerFilters: [{ name: "envoy.filters.udp_listener.udp_proxy", typedConfig: pack(UdpProxyType, config) }],
    ...accessLogField(listenerAccessLogs(accessLogs)),
  } as never);
}

function validDestinations(ir: UdpListenerIr): (WeightedDestinationIr & { readonly cluster: string })[] {
  return ir.destinations.filter((d): d is WeightedDestinationIr & { cluster: string } => d.cluster !== undefined);
}

function udpCluster(ir: UdpListenerIr): string {
  if (validDestinations(ir).length > 1) return udpWeightedClusterName(ir);
  const heaviest = [...ir.destinations].sort((a, b) => b.weight - a.weight)[0];
  return heaviest?.cluster ?? INVALID_BACKEND_CLUSTER;
}

/**
 * The weighted cluster of a UDP listener with several valid backends, or undefined with fewer than two.
 *
 * Why one cluster for the route here, when HTTP and TCP keep one cluster per backend and weight them in
 * the route (weighted_clusters): udp_proxy's route action names a single cluster. So each backend becomes
 * one locality of this cluster, weighted by its backendRef weight (locality weighted load balancing):
 * Envoy picks a locality by weight for each new session (source address and port), then an endpoint in
 * it. The endpoints are those of the backends' own clusters. The share of an invalid backendRef cannot be
 * dropped this way (a locality without endpoints gets no traffic): it goes to the valid backends, whose
 * route status already says ResolvedRefs=False.
 */
export function buildUdpWeightedCluster(
  ir: UdpListenerIr,
  clusters: ReadonlyMap<string, ClusterIr>,
): UdpWeightedCluster | undefined {
  const dests = validDestinations(ir);
  if (dests.length < 2) return undefined;
  const name = udpWeightedClusterName(ir);
  const members = dests.map((d) => ({ weight: d.weight, cluster: clusters.get(d.cluster) }));
  const loadAssignment = ClusterLoadAssignment.fromPartial({
    clusterName: name,
    endpoints: members.map((m, i) => ({
      locality: { region: name, zone: `${i}`, subZone: m.cluster?.name ?? "" },
      loadBalancingWeight: m.weight,
      lbEndpoints: (m.cluster?.endpoints ?? []).map(lbEndpoint),
    })),
  });
  const base = { name, connectTimeout: CONNECT_TIMEOUT, commonLbConfig: { localityWeightedLbConfig: {} } };
  if (members.some((m) => m.cluster?.discovery === "dns")) {
    const cluster = Cluster.fromPartial({
      ...base,
      type: Cluster_DiscoveryType.STRICT_DNS,
      dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
      loadAssignment,
    });
    return { cluster };
  }
  const cluster = Cluster.fromPartial({
    ...base,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: adsConfigSource() },
  });
  return { cluster, loadAssignment };
}
