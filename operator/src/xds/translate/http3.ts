/**
 * HTTP/3 (ClientTrafficPolicy `http3`) → the QUIC listener of an HTTPS listener, and the alt-svc response
 * header advertising it. As Envoy Gateway does: the QUIC listener is `<listener name>-quic` on the same address
 * and port over UDP, one filter chain per TLS chain (the same certificates and server names, ALPN h3, in the
 * QUIC transport socket), and a connection manager identical to the TCP one but for its HTTP3 codec, fetching
 * the same RouteConfiguration; every route answers with `alt-svc: h3=":<port>"; ma=86400`.
 *
 * Envoy refuses over QUIC what only TCP has: the QUIC listener gets no listener filters (no PROXY protocol,
 * no TLS inspector: QUIC reads the SNI itself), no TCP socket options, and no chain that asks for a client
 * certificate (client authentication is not supported over QUIC); the policy translator turns HTTP/3 off
 * where a chain does, so this only guards.
 */
import { SocketAddress_Protocol } from "../../../../proto/gen/envoy/config/core/v3/address";
import {
  HeaderValueOption_HeaderAppendAction,
  type HeaderValueOption,
  type TransportSocket,
} from "../../../../proto/gen/envoy/config/core/v3/base";
import { Listener, Listener_DrainType } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import type { FilterChain } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import { pack } from "../../../../proto/any";
import type { AccessLogIr, HttpListenerIr, TlsChainIr } from "../../ir/xds-ir";
import type { ClientTlsIr } from "../../ir/client-traffic-tls-ir";
import { HttpConnectionManager_CodecType } from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { QuicDownstreamTransportType } from "../extension-types";
import { accessLogField, listenerAccessLogs } from "./access-log";
import { additionalAddresses, hcmFilter, listenerAddress, serverNames } from "./listener";
import { downstreamTlsContext } from "./tls";

/** ALPN of QUIC connections (RFC 9114). */
const H3_ALPN = ["h3"];

/** How long clients may remember the advertisement (alt-svc `ma`, seconds), as Envoy Gateway writes it. */
const ALT_SVC_MAX_AGE_SECONDS = 86400;

/** The name of an HTTPS listener's QUIC listener. */
export function quicListenerName(ir: HttpListenerIr): string {
  return `${ir.name}-quic`;
}

/** The TLS chains served over QUIC too: none when HTTP/3 is off. */
function quicChains(ir: HttpListenerIr): readonly TlsChainIr[] {
  if (!ir.clientTraffic?.http3 || !ir.tls) return [];
  return ir.tls.filter((c) => c.tls.clientValidation === undefined);
}

/** Whether the listener serves HTTP/3 (and advertises it). */
export function servesHttp3(ir: HttpListenerIr): boolean {
  return quicChains(ir).length > 0;
}

/** The QUIC listener of an HTTPS listener with HTTP/3 on; undefined otherwise. */
export function buildQuicListener(ir: HttpListenerIr, accessLogs?: readonly AccessLogIr[]): Listener | undefined {
  const chains = quicChains(ir);
  if (chains.length === 0) return undefined;
  const filterChains = chains.map((c): Partial<FilterChain> => ({
    name: c.name,
    ...(c.serverNames.length > 0 ? { filterChainMatch: serverNames(c.serverNames) } : {}),
    transportSocket: quicTransport(c, ir.clientTraffic?.tls),
    filters: [hcmFilter(ir, accessLogs, HttpConnectionManager_CodecType.HTTP3, c.name)],
  }));
  return Listener.fromPartial({
    name: quicListenerName(ir),
    address: listenerAddress(ir, SocketAddress_Protocol.UDP),
    ...additionalAddresses(ir.additionalAddresses, ir.port, SocketAddress_Protocol.UDP),
    udpListenerConfig: { downstreamSocketConfig: {}, quicOptions: {} },
    filterChains,
    drainType: Listener_DrainType.MODIFY_ONLY,
    ...accessLogField(listenerAccessLogs(accessLogs)),
  } as never);
}

/** The QUIC transport socket: the chain's TLS context (certificates over SDS), offering h3. */
function quicTransport(c: TlsChainIr, client: ClientTlsIr | undefined): TransportSocket {
  // The TLS context is the TCP chain's (one builder for both), with QUIC's ALPN.
  const tls = downstreamTlsContext(c.tls, H3_ALPN, client ? { ...client, alpnProtocols: undefined } : undefined);
  return {
    name: "envoy.transport_sockets.quic",
    typedConfig: pack(
      QuicDownstreamTransportType,
      QuicDownstreamTransportType.codec.fromPartial({
        downstreamTlsContext: tls,
      } as never),
    ),
  };
}

/**
 * Route.response_headers_to_add advertising HTTP/3 on the port clients use (the Gateway's, not the bound
 * one); empty when HTTP/3 is off.
 */
export function altSvcHeaders(ir: HttpListenerIr): HeaderValueOption[] {
  const advertised = ir.clientTraffic?.http3?.advertisedPort;
  if (advertised === undefined || !servesHttp3(ir)) return [];
  return [
    {
      header: { key: "alt-svc", value: `h3=":${advertised}"; ma=${ALT_SVC_MAX_AGE_SECONDS}` },
      // Envoy Gateway's `append: true`: a backend's own alt-svc is kept next to ours.
      appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
    } as HeaderValueOption,
  ];
}
