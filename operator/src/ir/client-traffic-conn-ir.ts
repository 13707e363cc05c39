/**
 * ClientTrafficPolicy's `connection` settings, normalized for Envoy (bytes, milliseconds): the translator
 * (translate/policies/client-traffic-conn.ts) fills them in, the xDS translator
 * (xds/translate/client-traffic-conn.ts) turns them into Listener fields, socket options and the
 * connection_limit network filter. Every field is absent when the policy does not set it.
 */

/** Downstream connection settings of one Envoy listener (every TCP-based listener: HTTP, HTTPS, TLS, TCP). */
export interface ClientConnectionIr {
  /** Most concurrent connections per filter chain (the connection_limit network filter, first in the chain). */
  readonly limit?: ConnectionLimitIr;
  /** Listener per_connection_buffer_limit_bytes; overrides Envoy Gateway's default (32 KiB). */
  readonly bufferLimitBytes?: number;
  /** SO_RCVBUF and SO_SNDBUF of accepted sockets, in bytes (the kernel doubles them). */
  readonly socketBufferLimitBytes?: number;
  /** Listener max_connections_to_accept_per_socket_event; 0 removes the limit (Envoy's default). */
  readonly maxAcceptPerSocketEvent?: number;
  /**
   * connectionLimit.maxConnectionDuration in milliseconds: HCM common_http_protocol_options.max_connection_duration
   * (HTTP listeners only).
   */
  readonly maxConnectionDurationMs?: number;
  /**
   * connectionLimit.maxRequestsPerConnection: HCM common_http_protocol_options.max_requests_per_connection (HTTP
   * listeners only); the connection is closed after that many requests.
   */
  readonly maxRequestsPerConnection?: number;
  /**
   * connectionLimit.maxStreamDuration in milliseconds: HCM common_http_protocol_options.max_stream_duration (HTTP
   * listeners only); an older stream is reset.
   */
  readonly maxStreamDurationMs?: number;
}

/** The connection_limit filter's settings. */
export interface ConnectionLimitIr {
  /** max_connections: connections over it are closed. */
  readonly maxConnections: number;
  /** delay before a connection over the limit is closed, in milliseconds; absent closes at once. */
  readonly closeDelayMs?: number;
}
