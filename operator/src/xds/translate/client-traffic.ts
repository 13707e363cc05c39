/**
 * ClientTrafficIr → Envoy settings: listener socket options (TCP keepalive), the HTTP connection manager's
 * settings (defaults with the policy's overrides), tcp_proxy idle timeout. Each function returns the fields to spread into the proto it names;
 * empty when the IR sets nothing there.
 */
import { SocketOption_SocketState } from "../../../../proto/gen/envoy/config/core/v3/socket_option";
import type { Duration } from "../../../../proto/gen/google/protobuf/duration";
import type { ClientConnectionIr } from "../../ir/client-traffic-conn-ir";
import type { ClientTrafficIr, HttpClientTimeoutsIr } from "../../ir/client-traffic-ir";
import {
  HTTP_LISTENER_DEFAULTS,
  withOverrides,
  type HttpListenerOverrides,
  type HttpListenerSettings,
} from "./listener-defaults";
import { duration } from "./route-filters";

/** Linux setsockopt levels and names (Envoy's listeners run on Linux). */
export const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;

/** One integer socket option set on the listening socket before bind (accepted sockets inherit it). */
export function prebindOption(description: string, level: number, name: number, intValue: number): unknown {
  return { description, level, name, intValue, state: SocketOption_SocketState.STATE_PREBIND };
}

/**
 * Listener.socket_options for TCP keepalive, set on the listening socket before bind: accepted connections
 * inherit them.
 */
export function keepaliveSocketOptions(ir: ClientTrafficIr | undefined): { socketOptions?: unknown[] } {
  const k = ir?.tcpKeepalive;
  if (!k) return {};
  return {
    socketOptions: [
      prebindOption("socket-enable-keepalive", SOL_SOCKET, SO_KEEPALIVE, 1),
      ...(k.probes !== undefined ? [prebindOption("socket-keepalive-probes", IPPROTO_TCP, TCP_KEEPCNT, k.probes)] : []),
      ...(k.idleTimeSeconds !== undefined
        ? [prebindOption("socket-keepalive-idle", IPPROTO_TCP, TCP_KEEPIDLE, k.idleTimeSeconds)]
        : []),
      ...(k.intervalSeconds !== undefined
        ? [prebindOption("socket-keepalive-interval", IPPROTO_TCP, TCP_KEEPINTVL, k.intervalSeconds)]
        : []),
    ],
  };
}

/**
 * The listener's HTTP connection manager settings: Envoy Gateway's defaults with the policy's overrides (its
 * header, path, client IP and HTTP/1 and HTTP/2 settings, its timeouts and its per-connection HTTP limits)
 * spread over them.
 */
export function httpListenerSettings(ir: ClientTrafficIr | undefined): HttpListenerSettings {
  return withOverrides(HTTP_LISTENER_DEFAULTS, {
    ...ir?.httpSettings,
    ...timeoutOverrides(ir?.httpTimeouts),
    ...connectionOverrides(ir?.connection),
  });
}

function timeoutOverrides(t: HttpClientTimeoutsIr | undefined): HttpListenerOverrides {
  return {
    ...(t?.requestReceivedMs !== undefined ? { requestTimeoutMs: t.requestReceivedMs } : {}),
    ...(t?.requestHeadersMs !== undefined ? { requestHeadersTimeoutMs: t.requestHeadersMs } : {}),
    ...(t?.streamIdleMs !== undefined ? { streamIdleTimeoutMs: t.streamIdleMs } : {}),
    ...(t?.idleMs !== undefined ? { idleTimeoutMs: t.idleMs } : {}),
  };
}

function connectionOverrides(c: ClientConnectionIr | undefined): HttpListenerOverrides {
  return {
    ...(c?.maxConnectionDurationMs !== undefined ? { maxConnectionDurationMs: c.maxConnectionDurationMs } : {}),
    ...(c?.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: c.maxRequestsPerConnection } : {}),
    ...(c?.maxStreamDurationMs !== undefined ? { maxStreamDurationMs: c.maxStreamDurationMs } : {}),
  };
}

/** Listener.listener_filters_timeout: timeout.tcp.connectionInspectionTimeout, absent when the policy does not set it. */
export function inspectionTimeoutField(ir: ClientTrafficIr | undefined): { listenerFiltersTimeout?: Duration } {
  const ms = ir?.inspectionTimeoutMs;
  return ms !== undefined ? { listenerFiltersTimeout: duration(ms) } : {};
}

/** FilterChain.transport_socket_connect_timeout: timeout.tcp.tlsHandshakeTimeout, absent when not set. */
export function handshakeTimeoutField(ir: ClientTrafficIr | undefined): { transportSocketConnectTimeout?: Duration } {
  const ms = ir?.tlsHandshakeTimeoutMs;
  return ms !== undefined ? { transportSocketConnectTimeout: duration(ms) } : {};
}

/** TcpProxy fields for the downstream TCP idle timeout. */
export function tcpProxyTimeouts(ir: ClientTrafficIr | undefined): Record<string, unknown> {
  return ir?.tcpIdleTimeoutMs !== undefined ? { idleTimeout: duration(ir.tcpIdleTimeoutMs) } : {};
}
