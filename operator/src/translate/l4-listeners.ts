/**
 * Listener IR beyond plain HTTP: TLS filter chains of HTTPS listeners, TCP/TLS listeners (tcp_proxy by
 * SNI) and UDP listeners (udp_proxy), one Envoy listener per port, and the certificates they use.
 */
import type {
  GatewayXdsIr,
  HttpListenerIr,
  SecretIr,
  TcpChainIr,
  TcpListenerIr,
  TlsChainIr,
  UdpListenerIr,
} from "../ir/xds-ir";
import { listenerReady, type GatewayState, type L4Entry, type ListenerState } from "./gateway";
import { compareHostSpecificity, hostnameMatches, listenerRank } from "./hostnames";
import { listenerXdsName } from "./virtual-hosts";

/**
 * Adds the TLS filter chains of the Gateway's HTTPS listeners to the HTTP listener IR of their port, and
 * the chains of the TLS listeners sharing that port (an SNI name goes to the most specific listener
 * hostname matching it, whichever protocol that listener has).
 */
export function withTls(http: readonly HttpListenerIr[], gw: GatewayState): HttpListenerIr[] {
  return http.map((h) => {
    const https = readyOn(gw, h.port, ["HTTPS"]);
    if (https.length === 0) return h;
    const tls: TlsChainIr[] = [];
    for (const l of https) {
      if (l.tls) {
        const serverNames = l.listener.hostname ? [l.listener.hostname] : [];
        tls.push({ name: listenerXdsName(gw, l), serverNames, tls: l.tls });
      }
    }
    const tlsListeners = readyOn(gw, h.port, ["TLS"]);
    const tlsRoutes = tlsListeners.length > 0 ? tcpChains(tlsListeners, https) : [];
    return { ...h, tls: tls.sort(bySpecificity), ...(tlsRoutes.length > 0 ? { tlsRoutes } : {}) };
  });
}

/** The TCP and UDP listeners and the certificates of a Gateway; each absent when empty (HTTP-only IR reads as before). */
export function buildL4Ir(gw: GatewayState, address: string): Pick<GatewayXdsIr, "tcp" | "udp" | "secrets"> {
  const tcp = buildTcpListeners(gw, address);
  const udp = buildUdpListeners(gw, address);
  const secrets = gatewaySecrets(gw);
  return {
    ...(tcp.length > 0 ? { tcp } : {}),
    ...(udp.length > 0 ? { udp } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
  };
}

/**
 * One TCP listener IR per port of the Gateway's ready TLS and TCP listeners (not shared with HTTPS ones), named
 * after the first of them (Envoy Gateway's name, ADR 0006).
 */
export function buildTcpListeners(gw: GatewayState, address: string): TcpListenerIr[] {
  const https = new Set(portsOf(gw, ["HTTPS"]));
  return portsOf(gw, ["TLS", "TCP"])
    .filter((port) => !https.has(port))
    .map((port) => {
      const listeners = readyOn(gw, port, ["TLS", "TCP"]);
      return { name: listenerXdsName(gw, listeners[0]), address, port, chains: tcpChains(listeners) };
    });
}

/** One UDP listener IR per port: the oldest attached UDPRoute wins the port (a UDP port has one route). */
export function buildUdpListeners(gw: GatewayState, address: string): UdpListenerIr[] {
  return portsOf(gw, ["UDP"]).map((port) => {
    const listeners = readyOn(gw, port, ["UDP"]);
    const entries = listeners.flatMap((l) => l.l4);
    const winner = [...entries].sort(byAge)[0];
    return {
      name: listenerXdsName(gw, listeners[0]),
      address,
      port,
      route: winner?.name ?? "none",
      destinations: winner ? [...winner.destinations] : [],
    };
  });
}

/** The certificates of the Gateway's ready listeners, deduplicated and sorted by name. */
export function gatewaySecrets(gw: GatewayState): SecretIr[] {
  const byName = new Map<string, SecretIr>();
  for (const l of gw.listeners) if (listenerReady(l) && l.tls) for (const s of l.secrets) byName.set(s.name, s);
  return [...byName.values()].sort((a, b) => cmp(a.name, b.name));
}

/**
 * The filter chains of one port. Every SNI name goes to one route: the most specific listener hostname
 * owns a name, and among its routes the one whose own hostname is most specific, then the oldest (then
 * `namespace/name`). A listener with no route still gets a chain that refuses connections, so its hostname
 * never falls through to another listener.
 * A name that an HTTPS listener on the same port (`https`) matches more specifically is left to it.
 */
function tcpChains(listeners: readonly ListenerState[], https: readonly ListenerState[] = []): TcpChainIr[] {
  const owner = sniOwners(listeners, https);
  const chains = new Map<string, TcpChainIr & { serverNames: string[] }>();
  for (const [host, { l, e }] of owner) {
    const id = `${e.name}/${l.id}`;
    const chain = chains.get(id) ?? {
      name: id,
      serverNames: [],
      destinations: e.destinations,
      ...(l.tls ? { tls: l.tls } : {}),
    };
    if (host !== "*") chain.serverNames.push(host);
    chains.set(id, chain);
  }
  for (const l of listeners) {
    const host = l.listener.hostname ?? "*";
    if (owner.has(host)) continue;
    chains.set(`listener/${l.id}`, {
      name: `listener/${l.id}`,
      serverNames: host === "*" ? [] : [host],
      destinations: [],
      ...(l.tls ? { tls: l.tls } : {}),
    });
  }
  return [...chains.values()]
    .map((c) => ({ ...c, serverNames: [...c.serverNames].sort(compareHostSpecificity) }))
    .sort(bySpecificity);
}

/** Which listener and route own each SNI name (see tcpChains). */
function sniOwners(
  listeners: readonly ListenerState[],
  https: readonly ListenerState[],
): Map<string, { l: ListenerState; e: L4Entry }> {
  const owner = new Map<string, { l: ListenerState; e: L4Entry }>();
  const toHttps = (l: ListenerState, h: string): boolean =>
    https.some(
      (x) =>
        hostnameMatches(x.listener.hostname, h) &&
        listenerRank(x.listener.hostname) > listenerRank(l.listener.hostname),
    );
  // Most specific listener hostname first (then in the order given): it owns the names it matches.
  const bySpecificHostname = [...listeners].sort(
    (a, b) => listenerRank(b.listener.hostname) - listenerRank(a.listener.hostname),
  );
  for (const l of bySpecificHostname) {
    // Per SNI name: the route whose own hostname is most specific, then the oldest.
    const claims = l.l4
      .flatMap((e) => e.hostnames.map((h) => ({ h, e, origin: e.origins?.[h] ?? "*" })))
      .sort((a, b) => compareHostSpecificity(a.origin, b.origin) || byAge(a.e, b.e));
    for (const { h, e } of claims) if (!owner.has(h) && !toHttps(l, h)) owner.set(h, { l, e });
  }
  return owner;
}

function readyOn(gw: GatewayState, port: number, protocols: readonly string[]): ListenerState[] {
  return gw.listeners.filter(
    (l) => listenerReady(l) && l.listener.port === port && protocols.includes(l.listener.protocol),
  );
}

function portsOf(gw: GatewayState, protocols: readonly string[]): number[] {
  const ports = new Set<number>();
  for (const l of gw.listeners)
    if (listenerReady(l) && protocols.includes(l.listener.protocol)) ports.add(l.listener.port);
  return [...ports].sort((a, b) => a - b);
}

/** Chains with server names first (most specific first), the catch-all chain last. */
function bySpecificity(
  a: { readonly serverNames: readonly string[] },
  b: { readonly serverNames: readonly string[] },
): number {
  const ha = a.serverNames[0];
  const hb = b.serverNames[0];
  if (ha === undefined || hb === undefined) return Number(ha === undefined) - Number(hb === undefined);
  return compareHostSpecificity(ha, hb);
}

function byAge(a: L4Entry, b: L4Entry): number {
  return cmp(a.tie.created, b.tie.created) || cmp(a.tie.key, b.tie.key);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
