/** One accepted Gateway (with its ListenerSets' listeners) → its xDS IR and its proxy's infra IR. */
import { familyFields } from "./proxy-listen";
import type { ProxyInfraIr } from "../ir/infra-ir";
import { isDeepStrictEqual } from "node:util";
import type { ClusterIr, GatewayXdsIr, GenericSecretIr, HttpListenerIr, VirtualHostIr } from "../ir/xds-ir";
import { namespaceOf } from "../resources/meta";
import { gatewayAccepted, listenerReady, type GatewayState } from "./gateway";
import { buildL4Ir, withTls } from "./l4-listeners";
import { buildHttpListeners } from "./virtual-hosts";
import { withClientCertificate } from "./gateway-tls";
import { withProxyBackendTls } from "./envoy-proxy-backend-tls";
import { PassMemo, ReuseMemo } from "./ir-reuse";
import { listWindow, sameReferences, splicedWindow } from "../ir/list-window";

/**
 * Whether two HTTP listeners are equal, their virtual hosts compared by identity (a list a stage noted as made from
 * the other answers without being read: list-window.ts).
 */
function sameHttpListener(a: HttpListenerIr, b: HttpListenerIr): boolean {
  const { virtualHosts: va, ...ra } = a;
  const { virtualHosts: vb, ...rb } = b;
  return sameReferences(va, vb) && isDeepStrictEqual(ra, rb);
}

/** HTTP listeners as built, reused while equal (ADR 0013), by node and name. */
const builtListenerMemo = new ReuseMemo<HttpListenerIr, HttpListenerIr>(sameHttpListener);

/** HTTP listeners as the translation returns them (after policies and the node's settings), likewise. */
const finalListenerMemo = new ReuseMemo<HttpListenerIr, HttpListenerIr>(sameHttpListener);

/**
 * `listener` of node `node`, or the equal one the previous translation built (the same object), so an unchanged
 * listener keeps its identity.
 */
export function reusedHttpListener(node: string, listener: HttpListenerIr): HttpListenerIr {
  return builtListenerMemo.get(`${node}\n${listener.name}`, listener, () => listener);
}

/** Virtual hosts as the translation returns them, reused while equal, their routes compared by identity. */
const finalVirtualHostMemo = new ReuseMemo<VirtualHostIr, VirtualHostIr>((a, b) => {
  const { routes: ra, ...xa } = a;
  const { routes: rb, ...xb } = b;
  return sameReferences(ra, rb) && isDeepStrictEqual(xa, xb);
});

/**
 * The final virtual host returned for a virtual host object (equal to it: the memo's compare holds for both), so
 * an unchanged one costs no lookup by name (ADR 0023).
 */
const finalVirtualHostByInput = new WeakMap<VirtualHostIr, VirtualHostIr>();

/**
 * The last final listener per node and name, with the listener it was returned for and whether its virtual hosts are
 * that listener's, element by element.
 */
const finalByInput = new PassMemo<{
  readonly input: HttpListenerIr;
  readonly output: HttpListenerIr;
  readonly sameHosts: boolean;
}>();

/**
 * The node with every HTTP listener and virtual host equal to the previous translation's final one replaced by
 * it (what the translation returns: IR that a later stage copied without changing it keeps its identity). A listener
 * whose last version was seen looks only at the window of virtual hosts that changed since (list-window.ts).
 */
export function withReusedListeners(node: GatewayXdsIr): GatewayXdsIr {
  let changed = false;
  const http = node.http.map((l) => {
    const prefix = `${node.name}\n${l.name}`;
    // The listener the last translation returned for this one (ADR 0023): nothing to look up per virtual host.
    const known = finalByInput.take(prefix);
    if (known?.input === l) {
      if (known.output !== l) changed = true;
      return known.output;
    }
    const finalHost = (v: VirtualHostIr): VirtualHostIr => {
      const seen = finalVirtualHostByInput.get(v);
      if (seen) return seen;
      const kept = finalVirtualHostMemo.get(`${prefix}\n${v.name}`, v, () => v);
      finalVirtualHostByInput.set(v, kept);
      return kept;
    };
    const { hosts, sameHosts } = known ? windowedHosts(known, l, finalHost) : allHosts(l, finalHost);
    const candidate = sameHosts ? l : { ...l, virtualHosts: hosts };
    const kept = finalListenerMemo.get(prefix, candidate, () => candidate);
    if (kept !== l) changed = true;
    finalByInput.put(prefix, { input: l, output: kept, sameHosts });
    return kept;
  });
  return changed ? { ...node, http } : node;
}

/** Every virtual host of `l` as `finalHost` gives it, and whether each is the same object. */
function allHosts(
  l: HttpListenerIr,
  finalHost: (v: VirtualHostIr) => VirtualHostIr,
): { hosts: readonly VirtualHostIr[]; sameHosts: boolean } {
  const hosts = l.virtualHosts.map(finalHost);
  return { hosts, sameHosts: hosts.every((v, i) => v === l.virtualHosts[i]) };
}

/**
 * {@link allHosts} from the last listener's answer: the virtual hosts outside the window that changed since its input
 * are what it returned for them (its output's hosts stand one for one for its input's).
 */
function windowedHosts(
  known: { readonly input: HttpListenerIr; readonly output: HttpListenerIr; readonly sameHosts: boolean },
  l: HttpListenerIr,
  finalHost: (v: VirtualHostIr) => VirtualHostIr,
): { hosts: readonly VirtualHostIr[]; sameHosts: boolean } {
  const before = known.input.virtualHosts;
  if (known.output.virtualHosts.length !== before.length) return allHosts(l, finalHost);
  const w = listWindow(before, l.virtualHosts);
  const middle: VirtualHostIr[] = [];
  let sameHosts = known.sameHosts;
  for (let i = w.from; i < w.afterTo; i++) {
    const v = finalHost(l.virtualHosts[i]);
    middle.push(v);
    sameHosts &&= v === l.virtualHosts[i];
  }
  return { hosts: splicedWindow(known.output.virtualHosts, w, middle), sameHosts };
}

/** The L4 IR with the routes' secrets added to its served secrets (sorted by name). */
function withRouteSecrets<T extends Pick<GatewayXdsIr, "secrets">>(l4: T, more: readonly GenericSecretIr[]): T {
  if (more.length === 0) return l4;
  const all = [...(l4.secrets ?? []), ...more];
  return { ...l4, secrets: all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/**
 * The IR of a Gateway, or undefined when it is not accepted or has no usable address (nothing to serve).
 * `routeSecrets` are the generic secrets its routes' filters read. @default none
 */
export function buildGatewayIr(
  gw: GatewayState,
  clusters: readonly ClusterIr[],
  routeSecrets: readonly GenericSecretIr[] = [],
): { readonly xds: GatewayXdsIr; readonly infra: ProxyInfraIr } | undefined {
  const [address, ...more] = gw.addresses;
  if (!gatewayAccepted(gw) || address === undefined) return undefined;
  // A fresh array per listener: the IR stays plain data with no shared parts.
  const extra = (): { additionalAddresses?: string[]; ipv4Compat?: true } => ({
    ...(more.length > 0 ? { additionalAddresses: [...more] } : {}),
    ...familyFields(gw, address),
  });
  const l4 = withRouteSecrets(buildL4Ir(gw, address), routeSecrets);
  // The backend client certificate goes to the clusters that originate TLS.
  // Else the EnvoyProxy's backendTLS (certificate and parameters), under what each cluster sets itself.
  const tlsClusters = withProxyBackendTls(
    withClientCertificate(clusters, gw.backendClientCertificate?.secret),
    gw.backendTls,
  );
  const xds: GatewayXdsIr = {
    name: gw.key,
    http: withTls(buildHttpListeners(gw, address), gw).map((l) => reusedHttpListener(gw.key, { ...l, ...extra() })),
    ...l4,
    ...(l4.tcp ? { tcp: l4.tcp.map((l) => ({ ...l, ...extra() })) } : {}),
    ...(l4.udp ? { udp: l4.udp.map((l) => ({ ...l, ...extra() })) } : {}),
    clusters: tlsClusters,
  };
  const infra = gw.gateway.spec.infrastructure;
  return {
    xds,
    infra: {
      name: gw.key,
      namespace: namespaceOf(gw.gateway.metadata),
      gatewayName: gw.gateway.metadata.name,
      ports: gw.listeners
        .filter(listenerReady)
        .map(({ id, listener: l }) => ({ name: id, port: l.port, protocol: l.protocol })),
      ...(infra?.labels && Object.keys(infra.labels).length > 0 ? { labels: { ...infra.labels } } : {}),
      ...(infra?.annotations && Object.keys(infra.annotations).length > 0
        ? { annotations: { ...infra.annotations } }
        : {}),
    },
  };
}
