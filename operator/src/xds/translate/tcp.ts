/** TcpListenerIr → Envoy Listener whose filter chains (by SNI) proxy connections with tcp_proxy. */
import { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import type { Filter, FilterChain } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import type * as TcpProxyProto from "../../../../proto/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy";
import type { TcpProxy } from "../../../../proto/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy";
import { protoModule } from "../../../../proto/lazy";
import { pack, packPartial } from "../../../../proto/any";
import type { AccessLogIr, ClusterIr, TcpChainIr, TcpListenerIr, WeightedDestinationIr } from "../../ir/xds-ir";
import { accessLogField, listenerAccessLogs, routeAccessLogs } from "./access-log";
import { TcpProxyType } from "../types";
import { INVALID_BACKEND_CLUSTER } from "./route";
import type { ClientTrafficIr } from "../../ir/client-traffic-ir";
import { handshakeTimeoutField, inspectionTimeoutField, tcpProxyTimeouts } from "./client-traffic";
import { connectionListenerFields, listenerSocketOptions, withConnectionLimit } from "./client-traffic-conn";
import { additionalAddresses, listenerAddress, listenerFilters, serverNames } from "./listener";
import { withProxyProtocol } from "./client-traffic-http";
import { downstreamTls, tlsInspector } from "./tls";
import { rbacMatcherOf } from "./rbac-matcher";
import { NetworkRbacType, sniDynamicCluster, sniDynamicFilters } from "./tcp-sni-dfp";

const tcpProxyProto = protoModule<typeof TcpProxyProto>("envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy");

/**
 * Builds the Listener. The TLS inspector reads the SNI whenever a chain matches server names, terminates TLS or
 * forwards by SNI (a dynamic forward proxy cluster among `clusters`). A connection for an invalid backendRef goes
 * to a cluster that does not exist, which Envoy answers by closing it: the spec's "reject the connection",
 * respecting weights.
 */
export function buildTcpListener(
  ir: TcpListenerIr,
  accessLogs?: readonly AccessLogIr[],
  clusters: ReadonlyMap<string, ClusterIr> = new Map(),
): Listener {
  const dynamic = (c: TcpChainIr): ClusterIr | undefined => sniDynamicCluster(c, clusters);
  const inspect = ir.chains.some((c) => c.serverNames.length > 0 || c.tls !== undefined || dynamic(c));
  return Listener.fromPartial({
    name: ir.name,
    address: listenerAddress(ir),
    ...additionalAddresses(ir.additionalAddresses, ir.port),
    ...listenerFilters(withProxyProtocol(ir.clientTraffic, inspect ? [tlsInspector(ir.clientTraffic?.tls)] : [])),
    ...listenerSocketOptions(ir.clientTraffic),
    filterChains: ir.chains.map((c) => tcpChain(c, accessLogs, ir.clientTraffic, dynamic(c))),
    ...connectionListenerFields(ir.clientTraffic),
    ...inspectionTimeoutField(ir.clientTraffic),
    ...accessLogField(listenerAccessLogs(accessLogs)),
  } as never);
}

/**
 * The filter chain of one SNI group: optional TLS termination, the SecurityPolicy's network RBAC (a refused
 * connection is closed), the loopback SNI guard and SNI dynamic forward proxy when it forwards to `dynamic`, the
 * connection limit, then tcp_proxy (logging each connection, with the policy's idle timeout, hashing by client
 * address when the chain's backends hash that way).
 */
export function tcpChain(
  c: TcpChainIr,
  accessLogs?: readonly AccessLogIr[],
  clientTraffic?: ClientTrafficIr,
  dynamic?: ClusterIr,
): Partial<FilterChain> {
  const proxy = tcpProxyProto().TcpProxy.fromPartial({
    ...tcpProxy(c.name, c.destinations),
    // Envoy Gateway: a SourceIP consistent hash is the tcp_proxy's hash policy (the cluster's Maglev reads it).
    ...(c.hashSourceIp ? { hashPolicy: [{ sourceIp: {} }] } : {}),
    ...tcpProxyTimeouts(clientTraffic),
    ...accessLogField(routeAccessLogs(accessLogs)),
  } as never);
  const filters = [
    ...networkRbac(c, proxy.statPrefix),
    ...(dynamic ? sniDynamicFilters(dynamic, proxy.statPrefix) : []),
    ...withConnectionLimit(clientTraffic, proxy.statPrefix, [
      { name: "envoy.filters.network.tcp_proxy", typedConfig: pack(TcpProxyType, proxy) } as Filter,
    ]),
  ];
  return {
    name: c.name,
    ...(c.serverNames.length > 0 ? { filterChainMatch: serverNames(c.serverNames) } : {}),
    ...(c.tls ? { transportSocket: downstreamTls(c.tls, [], clientTraffic?.tls) } : {}),
    ...handshakeTimeoutField(clientTraffic),
    filters,
  } as Partial<FilterChain>;
}

/** The chain's authorization as envoy.filters.network.rbac (the first matching rule decides); none: no filter. */
function networkRbac(c: TcpChainIr, statPrefix: string): Filter[] {
  if (!c.authorization) return [];
  const rbac = packPartial(NetworkRbacType, { statPrefix, matcher: rbacMatcherOf(c.authorization) });
  return [{ name: "envoy.filters.network.rbac", typedConfig: rbac } as Filter];
}

/** tcp_proxy to one cluster, or weighted clusters when there are several destinations. */
export function tcpProxy(statName: string, dests: readonly WeightedDestinationIr[]): TcpProxy {
  const stat = `tcp-${statName.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  if (dests.length <= 1) {
    return tcpProxyProto().TcpProxy.fromPartial({
      statPrefix: stat,
      cluster: dests[0]?.cluster ?? INVALID_BACKEND_CLUSTER,
    });
  }
  return tcpProxyProto().TcpProxy.fromPartial({
    statPrefix: stat,
    weightedClusters: {
      clusters: dests.map((d) => ({ name: d.cluster ?? INVALID_BACKEND_CLUSTER, weight: d.weight })),
    },
  });
}
