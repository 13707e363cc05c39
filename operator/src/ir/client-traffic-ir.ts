/**
 * What a ClientTrafficPolicy makes one Envoy listener do, normalized for Envoy (milliseconds, seconds, plain
 * numbers): the translator (translate/policies/client-traffic.ts) fills it in, the xDS translator
 * (xds/translate/client-traffic.ts) turns it into listener, HCM and tcp_proxy settings. Each field group is
 * absent when the policy does not set it (Envoy's, and Envoy Gateway's, defaults apply).
 */
import type { ClientConnectionIr } from "./client-traffic-conn-ir";
import type { ClientIpIr, HttpSettingsOverrideIr, ListenerHeadersIr, ProxyProtocolIr } from "./client-traffic-http-ir";
import type { ClientTlsIr } from "./client-traffic-tls-ir";

/** Settings from the ClientTrafficPolicy that applies to one Envoy listener. */
export interface ClientTrafficIr {
  /** `namespace/name` of the policy. */
  readonly policy: string;
  /** TCP keepalive on accepted connections (SO_KEEPALIVE and the TCP_KEEP* options). */
  readonly tcpKeepalive?: TcpKeepaliveIr;
  /** HTTP connection manager timeouts (HTTP and HTTPS listeners). */
  readonly httpTimeouts?: HttpClientTimeoutsIr;
  /** tcp_proxy idle timeout in milliseconds (TCP and TLS listeners). */
  readonly tcpIdleTimeoutMs?: number;
  /**
   * timeout.tcp.connectionInspectionTimeout in milliseconds: Listener listener_filters_timeout (every TCP-based
   * listener; it bounds the listener filters, TLS inspector and PROXY protocol, Envoy's default 15 s).
   */
  readonly inspectionTimeoutMs?: number;
  /**
   * timeout.tcp.tlsHandshakeTimeout in milliseconds: FilterChain transport_socket_connect_timeout (every filter
   * chain of the listener; only chains that terminate TLS have a handshake to wait for).
   */
  readonly tlsHandshakeTimeoutMs?: number;
  /**
   * grpc.enableWeb: the grpc_web HTTP filter on the listener (HTTP listeners). Set whenever the policy has `grpc`
   * (an unset enableWeb is false, as in Envoy Gateway), so it overrides the GRPCRoute default either way.
   */
  readonly grpcWeb?: boolean;
  /** PROXY protocol listener filter (every TCP-based listener). */
  readonly proxyProtocol?: ProxyProtocolIr;
  /** Client IP detection (HTTP listeners). */
  readonly clientIp?: ClientIpIr;
  /** Header handling (HTTP listeners). */
  readonly headers?: ListenerHeadersIr;
  /** Overrides of the HTTP connection manager's defaults (HTTP listeners). */
  readonly httpSettings?: HttpSettingsOverrideIr;
  /** healthCheck.path: the health_check filter answers it (HTTP listeners). */
  readonly healthCheckPath?: string;
  /**
   * http1.http10.useDefaultHost, as the policy says it: resolved per listener (its first non-wildcard hostname
   * goes to `httpSettings.http1.http10.defaultHost`) and not passed on to the listeners.
   */
  readonly http10UseDefaultHost?: boolean;
  /** TLS termination settings (HTTPS and TLS listeners). */
  readonly tls?: ClientTlsIr;
  /** Connection limit, buffer limits and accept batching (every TCP-based listener). */
  readonly connection?: ClientConnectionIr;
  /**
   * HTTP/3 (HTTPS listeners): a QUIC listener on the same port over UDP serving the same routes, and an
   * alt-svc response header advertising it.
   */
  readonly http3?: Http3Ir;
}

/** HTTP/3 on an HTTPS listener. */
export interface Http3Ir {
  /**
   * The port clients reach the listener on, advertised in `alt-svc: h3=":<port>"`: the Gateway listener's,
   * also where Envoy binds another (Kubernetes: 443 bound as 10443 behind the Service's 443).
   */
  readonly advertisedPort: number;
}

/** TCP keepalive probes. */
export interface TcpKeepaliveIr {
  /** TCP_KEEPCNT: unanswered probes before the connection is dropped; absent keeps the system's. */
  readonly probes?: number;
  /** TCP_KEEPIDLE in seconds; absent keeps the system's. */
  readonly idleTimeSeconds?: number;
  /** TCP_KEEPINTVL in seconds; absent keeps the system's. */
  readonly intervalSeconds?: number;
}

/** Downstream HTTP timeouts in milliseconds; absent keeps the default. */
export interface HttpClientTimeoutsIr {
  /** HCM request_timeout: the whole request must arrive within it, else 408. */
  readonly requestReceivedMs?: number;
  /** HCM common_http_protocol_options.idle_timeout: a connection with no active stream is closed. */
  readonly idleMs?: number;
  /** HCM request_headers_timeout: the request headers must arrive within it, else 408; 0 disables it. */
  readonly requestHeadersMs?: number;
  /** HCM stream_idle_timeout: a stream with no activity is reset. */
  readonly streamIdleMs?: number;
}
