/**
 * ConnectionIr → the Cluster's upstream connection options (TCP keepalive), per-connection buffer limit, socket
 * buffer sizes (socket options of the upstream bind config), preconnect policy, the HTTP protocol options' idle timeout and max connection duration, the upstream PROXY
 * protocol transport socket wrapped around the cluster's own (TLS or plain), and the DNS settings of hostname
 * backends.
 */
import { Cluster_DnsLookupFamily, type Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { TransportSocket } from "../../../../proto/gen/envoy/config/core/v3/base";
import type { HttpProtocolOptions as CommonHttpProtocolOptions } from "../../../../proto/gen/envoy/config/core/v3/protocol";
import { ProxyProtocolConfig_Version } from "../../../../proto/gen/envoy/config/core/v3/proxy_protocol";
import { pack } from "../../../../proto/any";
import type { ConnectionIr, DnsIr } from "../../ir/backend-traffic-cluster-ir";
import { ProxyProtocolUpstreamTransportType, RawBufferType } from "../extension-types";
import { socketBufferOptions } from "./client-traffic-conn";
import { duration } from "./route-filters";

/** The Cluster fields of connection settings (the transport socket and HTTP options are separate). */
export function connectionFields(c: ConnectionIr): Partial<Cluster> {
  const k = c.tcpKeepalive;
  const pre = c.preconnect;
  return {
    ...(k
      ? {
          upstreamConnectionOptions: {
            tcpKeepalive: {
              keepaliveProbes: k.probes,
              keepaliveTime: k.idleTimeSeconds,
              keepaliveInterval: k.intervalSeconds,
            },
          } as Cluster["upstreamConnectionOptions"],
        }
      : {}),
    ...(c.bufferLimitBytes !== undefined ? { perConnectionBufferLimitBytes: c.bufferLimitBytes } : {}),
    // A BindConfig without a source address binds nothing: Envoy only sets its socket options on each socket.
    ...(c.socketBufferLimitBytes !== undefined
      ? {
          upstreamBindConfig: {
            socketOptions: socketBufferOptions(c.socketBufferLimitBytes),
          } as unknown as Cluster["upstreamBindConfig"],
        }
      : {}),
    ...(pre
      ? {
          preconnectPolicy: {
            perUpstreamPreconnectRatio: pre.perEndpointRatio,
            predictivePreconnectRatio: pre.predictiveRatio,
          },
        }
      : {}),
  };
}

/** The common HTTP protocol options of connection settings (idle timeout, max connection duration). */
export function connectionHttpOptions(c: ConnectionIr | undefined): Partial<CommonHttpProtocolOptions> {
  return {
    ...(c?.idleTimeoutMs !== undefined ? { idleTimeout: duration(c.idleTimeoutMs) } : {}),
    ...(c?.maxConnectionDurationMs !== undefined ? { maxConnectionDuration: duration(c.maxConnectionDurationMs) } : {}),
  };
}

/** `inner` (TLS, or plain when absent) behind a PROXY protocol header of `version`. */
export function proxyProtocolSocket(version: "V1" | "V2", inner: TransportSocket | undefined): TransportSocket {
  const wrapped = inner ?? {
    name: "envoy.transport_sockets.raw_buffer",
    typedConfig: pack(RawBufferType, RawBufferType.codec.fromPartial({} as never)),
  };
  const config = ProxyProtocolUpstreamTransportType.codec.fromPartial({
    config: { version: version === "V1" ? ProxyProtocolConfig_Version.V1 : ProxyProtocolConfig_Version.V2 },
    transportSocket: wrapped,
  } as never);
  return {
    name: "envoy.transport_sockets.upstream_proxy_protocol",
    typedConfig: pack(ProxyProtocolUpstreamTransportType, config),
  } as TransportSocket;
}

/** Envoy's lookup family of each Envoy Gateway one (IPv6Preferred is Envoy's AUTO, as in Envoy Gateway). */
const LOOKUP_FAMILY: Readonly<Record<NonNullable<DnsIr["lookupFamily"]>, Cluster_DnsLookupFamily>> = {
  IPv4: Cluster_DnsLookupFamily.V4_ONLY,
  IPv6: Cluster_DnsLookupFamily.V6_ONLY,
  IPv4Preferred: Cluster_DnsLookupFamily.V4_PREFERRED,
  IPv6Preferred: Cluster_DnsLookupFamily.AUTO,
  IPv4AndIPv6: Cluster_DnsLookupFamily.ALL,
};

/** The DNS fields of a hostname backend's cluster (Envoy's STRICT_DNS refresh rate, TTL use, lookup family). */
export function dnsFields(d: DnsIr): Partial<Cluster> {
  return {
    dnsRefreshRate: duration(d.refreshRateMs),
    respectDnsTtl: d.respectDnsTtl,
    ...(d.lookupFamily ? { dnsLookupFamily: LOOKUP_FAMILY[d.lookupFamily] } : {}),
  };
}
