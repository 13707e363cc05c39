/**
 * HttpListenerIr → Envoy Listener with an HTTP connection manager that fetches its routes over RDS.
 * Plain HTTP: the connection manager is the default filter chain. HTTPS: one filter chain per HTTPS listener
 * (matched by SNI), each terminating TLS and running the same connection manager.
 */
import { requestIdField } from "./request-id";
import { Listener } from "../../../../proto/gen/envoy/config/listener/v3/listener";
import {
  FilterChainMatch,
  type Filter,
  type FilterChain,
} from "../../../../proto/gen/envoy/config/listener/v3/listener_components";
import {
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
} from "../../../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { pack } from "../../../../proto/any";
import type { AccessLogIr, ClusterIr, HttpListenerIr } from "../../ir/xds-ir";
import { accessLogField, listenerAccessLogs, routeAccessLogs } from "./access-log";
import { HcmType } from "../types";
import { adsConfigSource } from "./config-source";
import { hcmHttpFilters, hcmRouteOptions } from "./http-filters";
import { hcmSettingFields } from "./listener-defaults";
import { handshakeTimeoutField, httpListenerSettings, inspectionTimeoutField } from "./client-traffic";
import { connectionListenerFields, listenerSocketOptions, withConnectionLimit } from "./client-traffic-conn";
import { clientHttpFields, withProxyProtocol } from "./client-traffic-http";
import { geoEarlyMutations } from "./geoip-headers";
import { tcpChain } from "./tcp";
import { tracingField } from "./tracing";
import { sniDynamicCluster } from "./tcp-sni-dfp";
import { downstreamTls, tlsInspector } from "./tls";
import type { SocketAddress_Protocol } from "../../../../proto/gen/envoy/config/core/v3/address";

/** ALPN offered on HTTPS listeners. */
const HTTPS_ALPN = ["h2", "http/1.1"];

/**
 * Builds the Listener. It only names its RouteConfiguration, so route changes never touch the
 * listener (a listener update drains connections; a route update does not). `clusters` tells which TLSRoute
 * chains sharing the port forward by SNI (a dynamic forward proxy cluster; see tcp-sni-dfp.ts).
 */
export function buildHttpListener(
  ir: HttpListenerIr,
  accessLogs?: readonly AccessLogIr[],
  clusters: ReadonlyMap<string, ClusterIr> = new Map(),
): Listener {
  // The connection limit comes first in each chain, counted under the connection manager's stat prefix. Each
  // HTTPS chain's connection manager reads its own listener's RouteConfiguration.
  const filters = (routeConfig: string): Filter[] =>
    withConnectionLimit(ir.clientTraffic, hcmStatPrefix(ir), [
      hcmFilter(ir, accessLogs, HttpConnectionManager_CodecType.AUTO, routeConfig),
    ]);
  // Plaintext HTTP: the connection manager is the listener's default filter chain, named after the listener
  // (Envoy Gateway's shape, which EnvoyPatchPolicy paths such as /default_filter_chain/filters/0 rely on).
  const plain: Partial<FilterChain> | undefined = ir.tls
    ? undefined
    : { name: ir.name, ...handshakeTimeoutField(ir.clientTraffic), filters: filters(ir.name) };
  const filterChains = (ir.tls ?? []).map((c): Partial<FilterChain> => ({
    name: c.name,
    ...(c.serverNames.length > 0 ? { filterChainMatch: serverNames(c.serverNames) } : {}),
    transportSocket: downstreamTls(c.tls, HTTPS_ALPN, ir.clientTraffic?.tls),
    ...handshakeTimeoutField(ir.clientTraffic),
    filters: filters(c.name),
  }));
  // TLS listeners on the same port: their SNI names are proxied as streams (see tcp.ts).
  filterChains.push(
    ...(ir.tlsRoutes ?? []).map((c) => tcpChain(c, accessLogs, ir.clientTraffic, sniDynamicCluster(c, clusters))),
  );
  return Listener.fromPartial({
    name: ir.name,
    address: listenerAddress(ir),
    ...additionalAddresses(ir.additionalAddresses, ir.port),
    ...listenerFilters(withProxyProtocol(ir.clientTraffic, ir.tls ? [tlsInspector(ir.clientTraffic?.tls)] : [])),
    ...listenerSocketOptions(ir.clientTraffic),
    filterChains,
    ...(plain ? { defaultFilterChain: plain } : {}),
    ...connectionListenerFields(ir.clientTraffic),
    ...inspectionTimeoutField(ir.clientTraffic),
    ...accessLogField(listenerAccessLogs(accessLogs)),
  } as never);
}

/** Listener.address: the listener's address and port (with `ipv4_compat` for a DualStack `::`). */
export function listenerAddress(
  ir: { readonly address: string; readonly port: number; readonly ipv4Compat?: true },
  protocol?: SocketAddress_Protocol,
): { socketAddress: Record<string, unknown> } {
  return {
    socketAddress: {
      address: ir.address,
      portValue: ir.port,
      ...(protocol ? { protocol } : {}),
      ...(ir.ipv4Compat ? { ipv4Compat: true } : {}),
    },
  };
}

/** Listener.additional_addresses: more addresses to bind, on the same port (and socket protocol). */
export function additionalAddresses(
  addresses: readonly string[] | undefined,
  port: number,
  protocol?: SocketAddress_Protocol,
): { additionalAddresses?: unknown[] } {
  if (!addresses || addresses.length === 0) return {};
  const socket = (address: string): unknown => ({ address, portValue: port, ...(protocol ? { protocol } : {}) });
  return { additionalAddresses: addresses.map((a) => ({ address: { socketAddress: socket(a) } })) };
}

/** Listener.listener_filters, absent when there are none. */
export function listenerFilters(filters: readonly unknown[]): { listenerFilters?: unknown[] } {
  return filters.length > 0 ? { listenerFilters: [...filters] } : {};
}

/** A filter chain match on SNI names (other fields at their defaults). */
export function serverNames(names: readonly string[]): FilterChainMatch {
  return FilterChainMatch.fromPartial({ serverNames: [...names] });
}

/** The connection manager's stat prefix: `http-<port>` or `https-<port>`. */
export function hcmStatPrefix(ir: HttpListenerIr): string {
  return `${ir.tls ? "https" : "http"}-${ir.port}`;
}

/**
 * The HTTP connection manager of an HTTP listener: routes over RDS (the RouteConfiguration `routeConfig`, the
 * listener's own by default; an HTTPS filter chain's), the registry's HTTP filters, and one settings object (Envoy
 * Gateway's defaults with the ClientTrafficPolicy's overrides spread over them). `codec` is AUTO for TCP listeners
 * (HTTP/1.1 and HTTP/2); a QUIC listener passes HTTP3.
 */
export function buildHcm(
  ir: HttpListenerIr,
  accessLogs: readonly AccessLogIr[] | undefined,
  codec: HttpConnectionManager_CodecType = HttpConnectionManager_CodecType.AUTO,
  routeConfig: string = ir.name,
): HttpConnectionManager {
  return HttpConnectionManager.fromPartial({
    ...accessLogField(routeAccessLogs(accessLogs)),
    statPrefix: hcmStatPrefix(ir),
    codecType: codec,
    ...(codec === HttpConnectionManager_CodecType.HTTP3 ? { http3ProtocolOptions: {} } : {}),
    rds: { routeConfigName: routeConfig, configSource: adsConfigSource() },
    httpFilters: hcmHttpFilters(ir),
    ...tracingField(ir.tracing),
    ...requestIdField(ir.requestId),
    ...hcmRouteOptions(),
    ...hcmSettingFields(httpListenerSettings(ir.clientTraffic)),
    ...withGeoEarlyMutations(clientHttpFields(ir.clientTraffic), ir),
  } as never);
}

/** The policy's HCM fields with the geolocation headers' removal after its early header mutations. */
function withGeoEarlyMutations(fields: Record<string, unknown>, ir: HttpListenerIr): Record<string, unknown> {
  const geo = geoEarlyMutations(ir);
  if (geo.length === 0) return fields;
  const own = (fields.earlyHeaderMutationExtensions as unknown[] | undefined) ?? [];
  return { ...fields, earlyHeaderMutationExtensions: [...own, ...geo] };
}

/** buildHcm as the listener's network filter. */
export function hcmFilter(
  ir: HttpListenerIr,
  accessLogs: readonly AccessLogIr[] | undefined,
  codec: HttpConnectionManager_CodecType = HttpConnectionManager_CodecType.AUTO,
  routeConfig: string = ir.name,
): Filter {
  const hcm = buildHcm(ir, accessLogs, codec, routeConfig);
  return { name: "envoy.filters.network.http_connection_manager", typedConfig: pack(HcmType, hcm) } as Filter;
}
