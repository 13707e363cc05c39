/**
 * ClientTrafficIr → Envoy settings: listener socket options (TCP keepalive), HTTP connection manager
 * timeouts, tcp_proxy idle timeout. Each function returns the fields to spread into the proto it names;
 * empty when the IR sets nothing there.
 */
import { SocketOption_SocketState } from "../../../../proto/gen/envoy/config/core/v3/socket_option";
import type { ClientTrafficIr } from "../../ir/client-traffic-ir";
import { duration } from "./route-filters";

/** Linux setsockopt levels and names (Envoy's listeners run on Linux). */
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;

/**
 * Listener.socket_options for TCP keepalive, set on the listening socket before bind: accepted connections
 * inherit them.
 */
export function keepaliveSocketOptions(ir: ClientTrafficIr | undefined): { socketOptions?: unknown[] } {
  const k = ir?.tcpKeepalive;
  if (!k) return {};
  const opt = (description: string, level: number, name: number, intValue: number): unknown => ({
    description,
    level,
    name,
    intValue,
    state: SocketOption_SocketState.STATE_PREBIND,
  });
  return {
    socketOptions: [
      opt("socket-enable-keepalive", SOL_SOCKET, SO_KEEPALIVE, 1),
      ...(k.probes !== undefined ? [opt("socket-keepalive-probes", IPPROTO_TCP, TCP_KEEPCNT, k.probes)] : []),
      ...(k.idleTimeSeconds !== undefined
        ? [opt("socket-keepalive-idle", IPPROTO_TCP, TCP_KEEPIDLE, k.idleTimeSeconds)]
        : []),
      ...(k.intervalSeconds !== undefined
        ? [opt("socket-keepalive-interval", IPPROTO_TCP, TCP_KEEPINTVL, k.intervalSeconds)]
        : []),
    ],
  };
}

/** HttpConnectionManager fields for the downstream HTTP timeouts. */
export function hcmTimeouts(ir: ClientTrafficIr | undefined): Record<string, unknown> {
  const t = ir?.httpTimeouts;
  if (!t) return {};
  return {
    ...(t.requestReceivedMs !== undefined ? { requestTimeout: duration(t.requestReceivedMs) } : {}),
    ...(t.streamIdleMs !== undefined ? { streamIdleTimeout: duration(t.streamIdleMs) } : {}),
    ...(t.idleMs !== undefined ? { commonHttpProtocolOptions: { idleTimeout: duration(t.idleMs) } } : {}),
  };
}

/** TcpProxy fields for the downstream TCP idle timeout. */
export function tcpProxyTimeouts(ir: ClientTrafficIr | undefined): Record<string, unknown> {
  return ir?.tcpIdleTimeoutMs !== undefined ? { idleTimeout: duration(ir.tcpIdleTimeoutMs) } : {};
}
