/**
 * The xDS resource types we serve, registered for Any packing, and the order in which they are pushed.
 */
import { lookupType, registerLazyType, registerType, type RegisteredType } from "../../../proto/any";
import { Cluster } from "../../../proto/gen/envoy/config/cluster/v3/cluster";
import { ClusterLoadAssignment } from "../../../proto/gen/envoy/config/endpoint/v3/endpoint";
import { Listener } from "../../../proto/gen/envoy/config/listener/v3/listener";
import { RouteConfiguration } from "../../../proto/gen/envoy/config/route/v3/route";
import { ScopedRouteConfiguration } from "../../../proto/gen/envoy/config/route/v3/scoped_route";
import { VirtualHost } from "../../../proto/gen/envoy/config/route/v3/route_components";
import { Secret } from "../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import { HttpConnectionManager } from "../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { Router } from "../../../proto/gen/envoy/extensions/filters/http/router/v3/router";
import { TlsInspector } from "../../../proto/gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector";
import type { TcpProxy } from "../../../proto/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy";
import type { UdpProxyConfig } from "../../../proto/gen/envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy";
import { HttpProtocolOptions } from "../../../proto/gen/envoy/extensions/upstreams/http/v3/http_protocol_options";
import type { Cors, CorsPolicy } from "../../../proto/gen/envoy/extensions/filters/http/cors/v3/cors";
import {
  DownstreamTlsContext,
  UpstreamTlsContext,
} from "../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/tls";
import type { Route as UdpRoute } from "../../../proto/gen/envoy/extensions/filters/udp/udp_proxy/v3/route";
import type {
  StatefulSession,
  StatefulSessionPerRoute,
} from "../../../proto/gen/envoy/extensions/filters/http/stateful_session/v3/stateful_session";
import type { CookieBasedSessionState } from "../../../proto/gen/envoy/extensions/http/stateful_session/cookie/v3/cookie";
import type { HeaderBasedSessionState } from "../../../proto/gen/envoy/extensions/http/stateful_session/header/v3/header";
// Extension config types the policy kinds use (listener filters, load balancers, access loggers, tracers, ...).
import "./extension-types";

/** Top-level xDS resource types. */
export const ClusterType = registerType(Cluster);
export const EndpointType = registerType(ClusterLoadAssignment);
export const ListenerType = registerType(Listener);
export const RouteType = registerType(RouteConfiguration);
export const SecretType = registerType(Secret);
/** Virtual hosts served over VHDS (the `vhds` route layout, ADR 0008). */
export const VirtualHostType = registerType(VirtualHost);
/** Routing scopes served over SRDS (the `scoped` route layout, ADR 0020). */
export const ScopedRouteType = registerType(ScopedRouteConfiguration);

/** Extension configs carried inside the top-level resources. */
export const HcmType = registerType(HttpConnectionManager);
export const RouterType = registerType(Router);
export const TcpProxyType = registerLazyType<TcpProxy>(
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy",
  "TcpProxy",
);
export const UdpProxyType = registerLazyType<UdpProxyConfig>(
  "envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy",
  "UdpProxyConfig",
);
export const HttpProtocolOptionsType = registerType(HttpProtocolOptions);
export const CorsType = registerLazyType<Cors>("envoy/extensions/filters/http/cors/v3/cors", "Cors");
export const CorsPolicyType = registerLazyType<CorsPolicy>("envoy/extensions/filters/http/cors/v3/cors", "CorsPolicy");
export const UpstreamTlsContextType = registerType(UpstreamTlsContext);

export const DownstreamTlsContextType = registerType(DownstreamTlsContext);
/** The TLS inspector's config (its generated codec has Envoy 1.36's JA4 field, `enable_ja4_fingerprinting`). */
export const TlsInspectorType = registerType(TlsInspector);
export const UdpRouteType = registerLazyType<UdpRoute>("envoy/extensions/filters/udp/udp_proxy/v3/route", "Route");
export const StatefulSessionType = registerLazyType<StatefulSession>(
  "envoy/extensions/filters/http/stateful_session/v3/stateful_session",
  "StatefulSession",
);
export const StatefulSessionPerRouteType = registerLazyType<StatefulSessionPerRoute>(
  "envoy/extensions/filters/http/stateful_session/v3/stateful_session",
  "StatefulSessionPerRoute",
);
export const CookieSessionStateType = registerLazyType<CookieBasedSessionState>(
  "envoy/extensions/http/stateful_session/cookie/v3/cookie",
  "CookieBasedSessionState",
);
export const HeaderSessionStateType = registerLazyType<HeaderBasedSessionState>(
  "envoy/extensions/http/stateful_session/header/v3/header",
  "HeaderBasedSessionState",
);

/** Type URLs of the resources the delta server serves. */
export const TypeUrl = {
  Cluster: ClusterType.typeUrl,
  Endpoint: EndpointType.typeUrl,
  Listener: ListenerType.typeUrl,
  Route: RouteType.typeUrl,
  Secret: SecretType.typeUrl,
  VirtualHost: VirtualHostType.typeUrl,
  ScopedRoute: ScopedRouteType.typeUrl,
} as const;

/**
 * Push order for additions and updates: secrets and clusters (with their endpoints) must exist
 * before the listeners and routes that refer to them.
 */
export const ADD_ORDER: readonly string[] = [
  TypeUrl.Secret,
  TypeUrl.Cluster,
  TypeUrl.Endpoint,
  TypeUrl.Listener,
  TypeUrl.ScopedRoute,
  TypeUrl.Route,
  TypeUrl.VirtualHost,
];

/** Push order for removals: the reverse, so nothing in use disappears before its users. */
export const REMOVE_ORDER: readonly string[] = [...ADD_ORDER].reverse();

/** Short names used in logs, metrics and golden file names. */
export const SHORT_NAME: Readonly<Record<string, string>> = {
  [TypeUrl.Cluster]: "cds",
  [TypeUrl.Endpoint]: "eds",
  [TypeUrl.Listener]: "lds",
  [TypeUrl.Route]: "rds",
  [TypeUrl.Secret]: "sds",
  [TypeUrl.VirtualHost]: "vhds",
  [TypeUrl.ScopedRoute]: "srds",
};

/** The codec of a registered top-level type; throws for an unknown type URL. */
export function lookupTypeCodec(typeUrl: string): RegisteredType<unknown>["codec"] {
  const t = lookupType(typeUrl);
  if (!t) throw new Error(`unregistered type ${typeUrl}`);
  return t.codec;
}

/** Access log configs: a file, or the process's standard output or error (registered with the extension types). */
export { FileAccessLogType, StdoutAccessLogType, StderrAccessLogType } from "./extension-types";
