/**
 * Merged Gateways (EnvoyProxy `mergeGateways: true` on a GatewayClass's EnvoyProxy): every Gateway of the
 * class is served by one set of proxies, so by one xDS node named after the class. Pure.
 *
 * Two steps, both run by `translate`:
 * - `markMergedConflicts`, before routes attach: a listener of a younger Gateway whose port an older Gateway
 *   of the class already uses is not accepted (PortUnavailable), unless Envoy can serve both on one
 *   listener, by the rules that hold inside one Gateway: HTTP with HTTP, or HTTPS and TLS with each other,
 *   with distinct hostnames, on the same addresses (and HTTPS listeners validating client certificates alike);
 * - `mergeGatewayIrs`, once the per-Gateway IR is built: one xDS IR and one infra IR per merged class. A port
 *   several Gateways share becomes one Envoy listener built from all their listeners there, as if one Gateway
 *   declared them: virtual hosts for HTTP and HTTPS, one TLS filter chain per HTTPS listener (its own
 *   certificates for its own hostname) and the SNI chains of the TLS listeners.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { ClusterIr, GatewayXdsIr, GenericSecretIr, HttpListenerIr, SecretIr, TcpListenerIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason } from "./conditions";
import { mergesGateways } from "./envoy-proxy";
import { gatewayAccepted, listenerReady, type GatewayState, type ListenerState } from "./gateway";
import { hostnameMatches } from "./hostnames";
import { buildTcpListeners, withTls } from "./l4-listeners";
import { buildHttpListeners } from "./virtual-hosts";
import { reusedHttpListener } from "./gateway-ir";
import { familyFields } from "./proxy-listen";

/** The accepted GatewayClasses whose EnvoyProxy sets `mergeGateways: true`. */
export function mergedClasses(snapshot: ResourceSnapshot, accepted: ReadonlySet<string>): Set<string> {
  return new Set([...accepted].filter((name) => mergesGateways(snapshot, name)));
}

/** A listener that an older Gateway of a merged class holds. */
interface Claim {
  readonly gw: GatewayState;
  readonly l: ListenerState;
}

/**
 * Marks, in each merged class, the listeners of younger Gateways (creation time, then `namespace/name`)
 * that cannot share their port with the listeners older Gateways hold: Accepted=False PortUnavailable and
 * Programmed=False, with a message naming the older Gateway. Conflicts inside one Gateway are already marked.
 * HTTPS and TLS listeners of different Gateways sharing a port whose hostnames overlap get
 * OverlappingTLSConfig, as inside one Gateway.
 */
export function markMergedConflicts(gateways: Iterable<GatewayState>, merged: ReadonlySet<string>): void {
  for (const group of byClass([...gateways], merged, (gw) => gw).values()) {
    const claimed: Claim[] = [];
    for (const gw of [...group].sort(byAge)) {
      if (gw.notAccepted || gw.addresses.length === 0) continue; // serves nothing, holds no port
      const mine: Claim[] = [];
      for (const l of gw.listeners) {
        if (!listenerReady(l)) continue;
        const message = portProblem(gw, l, claimed);
        if (message === undefined) mine.push({ gw, l });
        else {
          l.accepted = { reason: Reason.PortUnavailable, message };
          l.unprogrammable = { reason: Reason.Invalid, message };
        }
      }
      // A Gateway left with no listener of its own is not accepted: its ListenerSets' listeners hold nothing.
      if (gatewayAccepted(gw)) claimed.push(...mine);
    }
    markOverlaps(claimed);
  }
}

/** Why `l` of `gw` cannot have its port, or undefined when it can. */
function portProblem(gw: GatewayState, l: ListenerState, claimed: readonly Claim[]): string | undefined {
  for (const c of claimed) {
    if (portKey(c.l) !== portKey(l)) continue;
    const why = clash(gw, l, c);
    if (why === undefined) continue;
    const other = c.l.listener;
    return (
      `port ${l.listener.port} is already used by ${other.protocol} listener ${other.name} of Gateway ${c.gw.key}, ` +
      `which shares the merged proxies of GatewayClass ${gw.gateway.spec.gatewayClassName} and is older, ${why}; ` +
      "use another port"
    );
  }
  return undefined;
}

/**
 * Why Envoy cannot serve `l` of `gw` and the claimed listener on one listener, or undefined when it can: the
 * rules for listeners on one port of one Gateway (HTTP with HTTP, HTTPS and TLS with each other, distinct
 * hostnames; TCP and UDP alone), plus what one Gateway has by construction: the same addresses, and for
 * HTTPS the same client certificate validation (spec.tls.frontend is per port), because the HTTPS listeners
 * of a port share one route table: a client could otherwise reach a Gateway that asks for a certificate
 * over a connection set up, without one, for another Gateway's hostname.
 */
function clash(gw: GatewayState, l: ListenerState, c: Claim): string | undefined {
  const mine = l.listener.protocol;
  const theirs = c.l.listener.protocol;
  const alone = [mine, theirs].find((p) => p === "TCP" || p === "UDP");
  if (alone) return `and a ${alone} listener needs a port of its own`;
  if (!compatibleProtocols(mine, theirs)) {
    return `and ${mine} cannot share a port with ${theirs} (only HTTP with HTTP, or HTTPS and TLS with each other)`;
  }
  if ((l.listener.hostname ?? "") === (c.l.listener.hostname ?? "")) {
    return `with the same hostname "${c.l.listener.hostname ?? "*"}"`;
  }
  if (gw.addresses.join(",") !== c.gw.addresses.join(",")) return "on other addresses";
  if (mine === "HTTPS" && theirs === "HTTPS" && !sameClientValidation(l, c.l)) {
    return "and validates client certificates differently (spec.tls.frontend)";
  }
  return undefined;
}

/** Protocols one Envoy listener serves together: the same one, or HTTPS and TLS (told apart by SNI). */
function compatibleProtocols(a: string, b: string): boolean {
  const tls = (p: string): boolean => p === "HTTPS" || p === "TLS";
  return a === b || (tls(a) && tls(b));
}

function sameClientValidation(a: ListenerState, b: ListenerState): boolean {
  return JSON.stringify(a.tls?.clientValidation ?? null) === JSON.stringify(b.tls?.clientValidation ?? null);
}

/**
 * OverlappingTLSConfig between Gateways: HTTPS and TLS listeners of different Gateways on one port whose
 * hostnames overlap without being equal (each names the other as `namespace/gateway/listener`).
 */
function markOverlaps(claimed: readonly Claim[]): void {
  const tls = claimed.filter((c) => c.l.listener.protocol === "HTTPS" || c.l.listener.protocol === "TLS");
  for (const a of tls) {
    for (const b of tls) {
      if (a.gw === b.gw || portKey(a.l) !== portKey(b.l)) continue;
      const ha = a.l.listener.hostname;
      const hb = b.l.listener.hostname;
      if (hostnameMatches(ha, hb ?? "*") || hostnameMatches(hb, ha ?? "*")) {
        (a.l.overlapsTls ??= []).push(`${b.gw.key}/${b.l.id}`);
      }
    }
  }
}

/** The port space of a listener: UDP ports are separate from TCP-based ones. */
function portKey(l: ListenerState): string {
  return `${l.listener.protocol === "UDP" ? "udp" : "tcp"}/${l.listener.port}`;
}

/** One Gateway's translation. */
export interface GatewayIr {
  /** The Gateway's state (its listeners, with routes attached). */
  readonly gw: GatewayState;
  /** Its xDS IR. */
  readonly xds: GatewayXdsIr;
  /** Its proxy. */
  readonly infra: ProxyInfraIr;
}

/**
 * The IR to publish: Gateways of merged classes become one xDS IR and one proxy per class (named after the
 * class), the others pass through. Both lists sorted by name.
 */
export function mergeGatewayIrs(
  built: readonly GatewayIr[],
  merged: ReadonlySet<string>,
): { readonly xds: GatewayXdsIr[]; readonly infra: ProxyInfraIr[] } {
  const xds: GatewayXdsIr[] = [];
  const infra: ProxyInfraIr[] = [];
  for (const b of built) {
    if (merged.has(b.gw.gateway.spec.gatewayClassName)) continue;
    xds.push(b.xds);
    infra.push(b.infra);
  }
  for (const [className, group] of byClass(built, merged, (b) => b.gw)) {
    const sorted = [...group].sort((a, b) => cmp(a.gw.key, b.gw.key));
    xds.push(mergeXds(className, sorted));
    infra.push(mergeInfra(className, sorted));
  }
  return { xds: xds.sort((a, b) => cmp(a.name, b.name)), infra: infra.sort((a, b) => cmp(a.name, b.name)) };
}

/**
 * One node's xDS IR for the Gateways of a class: a port one Gateway uses keeps that Gateway's listener, a
 * port several share gets one listener `<class>/<port>` (see `sharedListeners`); clusters and secrets are
 * deduplicated by name. A secret's name is its Secret's (`namespace/name`), so two Gateways naming
 * one Secret share its SDS resource, and different Secrets never collide. A cluster that presents a Gateway's
 * backend client certificate is named after it too (`withCertificateClusters`), so each Gateway's routes
 * keep their own certificate while Gateways presenting the same one share the cluster.
 */
function mergeXds(className: string, ungrouped: readonly GatewayIr[]): GatewayXdsIr {
  const group = ungrouped.map((g) => withCertificateClusters(g));
  const shared = sharedPorts(group);
  const own = <L extends { readonly port: number }>(ls: readonly L[] | undefined): L[] =>
    (ls ?? []).filter((l) => !shared.has(l.port));
  const joint = [...shared].map((port) => sharedListeners(className, port, group));
  const http = [...group.flatMap((g) => own(g.xds.http)), ...joint.flatMap((j) => j.http)].sort(byPort);
  const tcp = [...group.flatMap((g) => own(g.xds.tcp)), ...joint.flatMap((j) => j.tcp)].sort(byPort);
  const udp = group.flatMap((g) => g.xds.udp ?? []).sort(byPort);
  const secrets = uniqueByName<SecretIr | GenericSecretIr>(group.flatMap((g) => g.xds.secrets ?? []));
  return {
    name: className,
    http,
    ...(tcp.length > 0 ? { tcp } : {}),
    ...(udp.length > 0 ? { udp } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
    clusters: uniqueByName<ClusterIr>(group.flatMap((g) => g.xds.clusters)),
  };
}

/**
 * The TCP-based ports (HTTP, HTTPS, TLS, TCP) that listeners of several Gateways use. UDP ports are never
 * shared: a UDP listener serves one route, so markMergedConflicts leaves a UDP port to one Gateway.
 */
function sharedPorts(group: readonly GatewayIr[]): Set<number> {
  const users = new Map<number, number>();
  for (const g of group) {
    for (const port of new Set(tcpBased(g).map((l) => l.port))) users.set(port, (users.get(port) ?? 0) + 1);
  }
  return new Set([...users].filter(([, n]) => n > 1).map(([port]) => port));
}

function tcpBased(g: GatewayIr): readonly { readonly port: number }[] {
  return [...g.xds.http, ...(g.xds.tcp ?? [])];
}

/**
 * The listener of a port several Gateways share, built as for one Gateway (`<class>` in place of
 * `namespace/name`) from all their ready listeners on that port (markMergedConflicts left only compatible
 * ones, with distinct hostnames and the same addresses): HTTP or HTTPS virtual hosts, where a host goes to
 * the most specific listener hostname, whichever Gateway declares it; a TLS filter chain per HTTPS listener
 * with that listener's certificates; and the SNI chains of TLS listeners (an HTTP listener IR when the port
 * has an HTTPS listener, else a TCP one). Listener ids get their Gateway's key, as names repeat across
 * Gateways; the oldest Gateway's listeners come first (the precedence between Gateways).
 */
function sharedListeners(
  className: string,
  port: number,
  group: readonly RenamedIr[],
): { readonly http: HttpListenerIr[]; readonly tcp: TcpListenerIr[] } {
  const using = group.filter((g) => tcpBased(g).some((l) => l.port === port)).sort((a, b) => byAge(a.gw, b.gw));
  const users = using.map((g) => g.gw);
  const listeners = using.flatMap(({ gw, renames }) =>
    gw.listeners
      .filter((l) => listenerReady(l) && l.listener.port === port && l.listener.protocol !== "UDP")
      .map((l): ListenerState => ({
        ...l,
        id: `${gw.key}/${l.id}`,
        ...(renames ? { entries: renameClusterRefs(l.entries, renames), l4: renameClusterRefs(l.l4, renames) } : {}),
      })),
  );
  const joint: GatewayState = { ...users[0], key: className, listeners };
  const [address, ...more] = users[0].addresses;
  // A fresh array per listener: the IR stays plain data with no shared parts.
  const extra = (): { additionalAddresses?: string[]; ipv4Compat?: true } => ({
    ...(more.length > 0 ? { additionalAddresses: [...more] } : {}),
    ...familyFields(joint, address),
  });
  return {
    http: withTls(buildHttpListeners(joint, address), joint).map((l) =>
      reusedHttpListener(joint.key, { ...l, ...extra() }),
    ),
    tcp: buildTcpListeners(joint, address).map((l) => ({ ...l, ...extra() })),
  };
}

/**
 * The class's proxy: the union of the Gateways' ports, and of their `spec.infrastructure` labels and
 * annotations, the older Gateway's value winning a key both set (the spec asks for every Gateway's labels
 * on the objects created for it; here the objects serve them all). Envoy Gateway defines nothing for this:
 * its translator starts one infra IR per Gateway under the class's key, so the Gateway it happens to
 * translate last replaces the others' labels and annotations (envoyproxy/gateway#6501 reports a merged
 * Service's annotations flapping between Gateways); the union keeps all of them, deterministically.
 */
function mergeInfra(className: string, group: readonly GatewayIr[]): ProxyInfraIr {
  const ports = new Map<string, ProxyInfraIr["ports"][number]>();
  for (const g of group) {
    for (const p of g.infra.ports) {
      const key = `${p.protocol}/${p.port}`;
      if (!ports.has(key)) ports.set(key, { ...p, name: `${g.gw.key}/${p.name}` });
    }
  }
  const oldestFirst = [...group].sort((a, b) => byAge(a.gw, b.gw));
  const labels = union(oldestFirst.map((g) => g.infra.labels));
  const annotations = union(oldestFirst.map((g) => g.infra.annotations));
  return {
    name: className,
    namespace: "",
    gatewayName: "",
    ports: [...ports.values()].sort((a, b) => a.port - b.port || cmp(a.protocol, b.protocol)),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    gatewayClass: className,
    gateways: group.map((g) => g.gw.key),
  };
}

/** The union of maps, the first to set a key winning it, with sorted keys; undefined when empty. */
function union(maps: readonly (Readonly<Record<string, string>> | undefined)[]): Record<string, string> | undefined {
  const out = new Map<string, string>();
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) if (!out.has(k)) out.set(k, v);
  return out.size > 0 ? Object.fromEntries([...out].sort(([a], [b]) => cmp(a, b))) : undefined;
}

/** Items of the merged classes, by class name. */
function byClass<T>(
  items: readonly T[],
  merged: ReadonlySet<string>,
  stateOf: (item: T) => GatewayState,
): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const className = stateOf(item).gateway.spec.gatewayClassName;
    if (merged.has(className)) out.set(className, [...(out.get(className) ?? []), item]);
  }
  return new Map([...out.entries()].sort(([a], [b]) => cmp(a, b)));
}

/** Oldest first, then by `namespace/name` (the spec's precedence between Gateways). */
function byAge(a: GatewayState, b: GatewayState): number {
  return (
    cmp(a.gateway.metadata.creationTimestamp ?? "", b.gateway.metadata.creationTimestamp ?? "") || cmp(a.key, b.key)
  );
}

function byPort<L extends { readonly port: number }>(a: L, b: L): number {
  return a.port - b.port;
}

/** The first item of each name, sorted by name. */
/** A Gateway's IR with its clusters renamed (see withCertificateClusters), and the renames. */
interface RenamedIr extends GatewayIr {
  /** Old cluster name → new, for the routes built again from the Gateway's listeners. */
  readonly renames?: ReadonlyMap<string, string>;
}

/**
 * The Gateway's IR with every cluster that presents its backend client certificate (spec.tls.backend)
 * renamed `<cluster>/client-certificate/<secret>`, and every route destination and mirror pointing at it
 * renamed alike: one backend used by merged Gateways with different certificates is two upstream
 * configurations, and sharing the plain name would give every Gateway the certificate of whichever came first.
 */
function withCertificateClusters(g: GatewayIr): RenamedIr {
  const renames = new Map<string, string>();
  for (const c of g.xds.clusters) {
    const cert = c.tls?.clientCertificate;
    if (cert) renames.set(c.name, `${c.name}/client-certificate/${cert.name}`);
  }
  if (renames.size === 0) return g;
  const { clusters, ...listeners } = g.xds;
  const xds = {
    ...renameClusterRefs(listeners, renames),
    clusters: clusters.map((c) => ({ ...c, name: renames.get(c.name) ?? c.name })),
  };
  return { ...g, xds, renames };
}

/** `v` with every `cluster` field (route destinations, mirrors) renamed by `renames`. */
function renameClusterRefs<T>(v: T, renames: ReadonlyMap<string, string>): T {
  if (Array.isArray(v)) return v.map((x: unknown) => renameClusterRefs(x, renames)) as T;
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === "cluster" && typeof x === "string" ? (renames.get(x) ?? x) : renameClusterRefs(x, renames);
  }
  return out as T;
}

function uniqueByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()].sort((a, b) => cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
