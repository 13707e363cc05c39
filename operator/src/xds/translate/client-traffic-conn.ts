/**
 * ClientConnectionIr → Envoy, as Envoy Gateway v1.9 writes it: the connection_limit network filter first in
 * every filter chain (stat prefix of the chain's connection manager or tcp_proxy, delay when closeDelay is
 * set), the Listener's per_connection_buffer_limit_bytes and max_connections_to_accept_per_socket_event over
 * Envoy Gateway's defaults, and SO_RCVBUF / SO_SNDBUF on the listening socket (accepted sockets inherit them).
 */
import type { Filter } from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import { pack } from "../../../../proto/any";
import type { ClientTrafficIr } from "../../ir/client-traffic-ir";
import { ConnectionLimitType } from "../extension-types";
import { keepaliveSocketOptions, prebindOption, SOL_SOCKET } from "./client-traffic";
import { LISTENER_CONNECTION_DEFAULTS, listenerConnectionFields } from "./listener-defaults";
import { duration } from "./route-filters";

/** The connection_limit network filter's name. */
export const CONNECTION_LIMIT_FILTER = "envoy.filters.network.connection_limit";

/** Linux setsockopt names of the socket buffer sizes (level SOL_SOCKET). */
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;

/** `filters` with the policy's connection_limit filter in front (counted under `statPrefix`). */
export function withConnectionLimit(
  ir: ClientTrafficIr | undefined,
  statPrefix: string,
  filters: readonly Filter[],
): Filter[] {
  const l = ir?.connection?.limit;
  if (!l) return [...filters];
  const config = ConnectionLimitType.codec.fromPartial({
    statPrefix,
    maxConnections: l.maxConnections,
    ...(l.closeDelayMs !== undefined ? { delay: duration(l.closeDelayMs) } : {}),
  } as never);
  return [{ name: CONNECTION_LIMIT_FILTER, typedConfig: pack(ConnectionLimitType, config) } as Filter, ...filters];
}

/** Listener fields of the connection settings: Envoy Gateway's defaults, overridden field by field. */
export function connectionListenerFields(ir: ClientTrafficIr | undefined): ReturnType<typeof listenerConnectionFields> {
  const c = ir?.connection;
  return listenerConnectionFields({
    bufferLimitBytes: c?.bufferLimitBytes ?? LISTENER_CONNECTION_DEFAULTS.bufferLimitBytes,
    maxAcceptPerSocketEvent: c?.maxAcceptPerSocketEvent ?? LISTENER_CONNECTION_DEFAULTS.maxAcceptPerSocketEvent,
  });
}

/** Listener.socket_options: TCP keepalive, then the socket buffer sizes; absent when the policy sets neither. */
export function listenerSocketOptions(ir: ClientTrafficIr | undefined): { socketOptions?: unknown[] } {
  const keepalive = keepaliveSocketOptions(ir).socketOptions ?? [];
  const size = ir?.connection?.socketBufferLimitBytes;
  const all = [...keepalive, ...(size !== undefined ? socketBufferOptions(size) : [])];
  return all.length > 0 ? { socketOptions: all } : {};
}

/** SO_RCVBUF and SO_SNDBUF of `bytes`, set before bind (listening sockets, and upstream sockets via BindConfig). */
export function socketBufferOptions(bytes: number): unknown[] {
  return [
    prebindOption("socket-receive-buffer", SOL_SOCKET, SO_RCVBUF, bytes),
    prebindOption("socket-send-buffer", SOL_SOCKET, SO_SNDBUF, bytes),
  ];
}
