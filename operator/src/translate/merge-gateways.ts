/**
 * Merged Gateways (EnvoyProxy `mergeGateways: true` on a GatewayClass's EnvoyProxy): every Gateway of the
 * class is served by one set of proxies, so by one xDS node named after the class. Pure.
 *
 * Two steps, both run by `translate`:
 * - `markMergedConflicts`, before routes attach: a listener of a younger Gateway whose port an older Gateway
 *   of the class already uses is not accepted (PortUnavailable), unless Envoy can serve both on one
 *   listener: plain HTTP with distinct hostnames on the same addresses;
 * - `mergeGatewayIrs`, once the per-Gateway IR is built: one xDS IR and one infra IR per merged class.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { ClusterIr, GatewayXdsIr, HttpListenerIr, SecretIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason } from "./conditions";
import { mergesGateways } from "./envoy-proxy";
import { listenerReady, type GatewayState, type ListenerState } from "./gateway";
import { virtualHosts } from "./virtual-hosts";

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
      claimed.push(...mine);
    }
  }
}

/** Why `l` of `gw` cannot have its port, or undefined when it can. */
function portProblem(gw: GatewayState, l: ListenerState, claimed: readonly Claim[]): string | undefined {
  const clash = claimed.find((c) => portKey(c.l) === portKey(l) && !shareable(gw, l, c));
  if (!clash) return undefined;
  const { port, protocol } = l.listener;
  const other = clash.l.listener;
  const why =
    protocol === "HTTP" && other.protocol === "HTTP" && sameHostname(l, clash.l)
      ? `with the same hostname "${other.hostname ?? "*"}"`
      : protocol === "HTTP" && other.protocol === "HTTP"
        ? "on other addresses"
        : "and only HTTP listeners with distinct hostnames can share a port between Gateways";
  return (
    `port ${port} is already used by ${other.protocol} listener ${other.name} of Gateway ${clash.gw.key}, ` +
    `which shares the merged proxies of GatewayClass ${gw.gateway.spec.gatewayClassName} and is older, ${why}; ` +
    "use another port"
  );
}

/** Envoy serves both on one listener: plain HTTP, distinct hostnames, the same addresses. */
function shareable(gw: GatewayState, l: ListenerState, c: Claim): boolean {
  return (
    l.listener.protocol === "HTTP" &&
    c.l.listener.protocol === "HTTP" &&
    !sameHostname(l, c.l) &&
    gw.addresses.join(",") === c.gw.addresses.join(",")
  );
}

function sameHostname(a: ListenerState, b: ListenerState): boolean {
  return (a.listener.hostname ?? "") === (b.listener.hostname ?? "");
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

/** One node's xDS IR for the Gateways of a class: listeners by port, clusters and secrets deduplicated. */
function mergeXds(className: string, group: readonly GatewayIr[]): GatewayXdsIr {
  const tcp = group.flatMap((g) => g.xds.tcp ?? []).sort(byPort);
  const udp = group.flatMap((g) => g.xds.udp ?? []).sort(byPort);
  const secrets = uniqueByName<SecretIr>(group.flatMap((g) => g.xds.secrets ?? []));
  return {
    name: className,
    http: mergeHttp(className, group),
    ...(tcp.length > 0 ? { tcp } : {}),
    ...(udp.length > 0 ? { udp } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
    clusters: uniqueByName<ClusterIr>(group.flatMap((g) => g.xds.clusters)),
  };
}

/**
 * HTTP listeners: one per port. A port several Gateways use (only plain HTTP with distinct hostnames gets
 * this far) becomes one listener `<class>/<port>` whose virtual hosts are built from all their listeners,
 * so a host goes to the most specific listener hostname, whichever Gateway declares it.
 */
function mergeHttp(className: string, group: readonly GatewayIr[]): HttpListenerIr[] {
  const byPortNumber = new Map<number, GatewayIr[]>();
  for (const g of group) {
    for (const h of g.xds.http) byPortNumber.set(h.port, [...(byPortNumber.get(h.port) ?? []), g]);
  }
  return [...byPortNumber.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, users]) => {
      const first = users[0].xds.http.find((h) => h.port === port) as HttpListenerIr;
      if (users.length === 1) return first;
      const name = `${className}/${port}`;
      const listeners = users.flatMap((u) =>
        u.gw.listeners.filter((l) => listenerReady(l) && l.listener.protocol === "HTTP" && l.listener.port === port),
      );
      return {
        name,
        address: first.address,
        port,
        virtualHosts: virtualHosts(name, listeners),
        ...(first.additionalAddresses ? { additionalAddresses: [...first.additionalAddresses] } : {}),
      };
    });
}

/** The class's proxy: the union of the Gateways' ports. */
function mergeInfra(className: string, group: readonly GatewayIr[]): ProxyInfraIr {
  const ports = new Map<string, ProxyInfraIr["ports"][number]>();
  for (const g of group) {
    for (const p of g.infra.ports) {
      const key = `${p.protocol}/${p.port}`;
      if (!ports.has(key)) ports.set(key, { ...p, name: `${g.gw.key}/${p.name}` });
    }
  }
  return {
    name: className,
    namespace: "",
    gatewayName: "",
    ports: [...ports.values()].sort((a, b) => a.port - b.port || cmp(a.protocol, b.protocol)),
    gatewayClass: className,
    gateways: group.map((g) => g.gw.key),
  };
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
function uniqueByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()].sort((a, b) => cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
