/** UdpListenerIr → Envoy UDP Listener with the udp_proxy listener filter (matcher-based route). */
import { SocketAddress_Protocol } from "../../../../proto/gen/envoy/config/core/v3/address";
import { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import { UdpProxyConfig } from "../../../../proto/gen/envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy";
import { pack } from "../../../../proto/any";
import type { UdpListenerIr, WeightedDestinationIr } from "../../ir/xds-ir";
import { UdpProxyType, UdpRouteType } from "../types";
import { additionalAddresses } from "./listener";
import { INVALID_BACKEND_CLUSTER } from "./route";

/**
 * Builds the Listener. udp_proxy routes every datagram to one cluster (it has no weighted clusters), so
 * the heaviest destination is used; with none, datagrams go to a cluster that does not exist (dropped).
 */
export function buildUdpListener(ir: UdpListenerIr): Listener {
  const config = UdpProxyConfig.fromPartial({
    statPrefix: `udp-${ir.port}`,
    matcher: {
      onNoMatch: {
        action: {
          name: "route",
          typedConfig: pack(
            UdpRouteType,
            UdpRouteType.codec.fromPartial({ cluster: udpCluster(ir.destinations) } as never),
          ),
        },
      },
    },
  } as never);
  return Listener.fromPartial({
    name: ir.name,
    address: { socketAddress: { address: ir.address, portValue: ir.port, protocol: SocketAddress_Protocol.UDP } },
    ...additionalAddresses(ir.additionalAddresses, ir.port, SocketAddress_Protocol.UDP),
    udpListenerConfig: {},
    listenerFilters: [{ name: "envoy.filters.udp_listener.udp_proxy", typedConfig: pack(UdpProxyType, config) }],
  } as never);
}

function udpCluster(dests: readonly WeightedDestinationIr[]): string {
  const heaviest = [...dests].sort((a, b) => b.weight - a.weight)[0];
  return heaviest?.cluster ?? INVALID_BACKEND_CLUSTER;
}
