/** Listeners sharing a port become one Envoy listener; their attached routes become ordered virtual hosts. */
import type { HttpListenerIr, RouteIr, VirtualHostIr } from "../ir/xds-ir";
import { virtualHostName } from "../ir/xds-names";
import { listenerReady, type GatewayState, type ListenerState } from "./gateway";
import { compareHostSpecificity, hostnameMatches, listenerRank } from "./hostnames";
import { ReuseMemo } from "./ir-reuse";
import type { RouteEntry } from "./route-entry";

/** What a virtual host is built from: its host, its entries (in attach order) and the route order setting. */
interface VirtualHostInput {
  readonly host: string;
  readonly entries: readonly RouteEntry[];
  readonly preserveOrder: boolean;
}

/** Virtual hosts reused while their host, entries and order setting are the same (ADR 0013), by name. */
const virtualHostMemo = new ReuseMemo<VirtualHostInput, VirtualHostIr>(
  (a, b) => a.host === b.host && a.preserveOrder === b.preserveOrder && sameEntries(a.entries, b.entries),
);

/**
 * How many route entries the virtual host reuse compared field by field since the process started (tests): an
 * unchanged route attached the same way gives the same entry objects (ADR 0018), compared by identity alone.
 */
export const entryCompares = { byFields: 0 };

/** Whether two entry lists would sort to the same routes: every field the order and the output read. */
function sameEntries(a: readonly RouteEntry[], b: readonly RouteEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue; // stable entries (ADR 0018): an unchanged route attached the same way
    entryCompares.byFields++;
    if (
      x.route !== y.route ||
      x.hostname !== y.hostname ||
      x.origin !== y.origin ||
      x.tie.created !== y.tie.created ||
      x.tie.key !== y.tie.key ||
      x.tie.rule !== y.tie.rule ||
      x.tie.match !== y.tie.match ||
      !(x.grpc === y.grpc || (x.grpc !== undefined && y.grpc !== undefined && sameKey(x.grpc, y.grpc)))
    )
      return false;
  }
  return true;
}

function sameKey(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Builds one HTTP listener IR per port of the Gateway, named as Envoy Gateway names it: after the first listener
 * (in Gateway order) on the port (ADR 0006). Its RouteConfiguration has the same name.
 */
export function buildHttpListeners(gw: GatewayState, address: string): HttpListenerIr[] {
  const byPort = new Map<number, ListenerState[]>();
  for (const l of gw.listeners) {
    if (!listenerReady(l) || (l.listener.protocol !== "HTTP" && l.listener.protocol !== "HTTPS")) continue;
    byPort.set(l.listener.port, [...(byPort.get(l.listener.port) ?? []), l]);
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, listeners]) => ({
      name: listenerXdsName(gw, listeners[0]),
      address,
      port,
      virtualHosts: virtualHosts(gw, listeners),
      ...(listeners.some((l) => l.entries.some((e) => e.grpc)) ? { grpcRoutes: true as const } : {}),
    }));
}

/**
 * Envoy Gateway's xDS name of a listener: `<gateway namespace>/<gateway>/<listener>`, and
 * `<gateway namespace>/<gateway>/<listenerset namespace>/<listenerset>/<listener>` for a ListenerSet's. Under
 * mergeGateways the joint Gateway's key is the GatewayClass name (no `/`) and each listener's id already starts
 * with its own Gateway's key, as Envoy Gateway's names do.
 */
export function listenerXdsName(gw: GatewayState, l: ListenerState): string {
  const id = gw.key.includes("/") ? `${gw.key}/${l.id}` : l.id;
  return id.replace("/listenerset/", "/");
}

/**
 * One virtual host per distinct hostname, named `<listener>/<host part>` after the listener that owns it. A
 * request for host H is served by the most specific listener whose hostname matches H, and within it by every
 * route whose hostname covers H, in precedence order.
 */
export function virtualHosts(gw: GatewayState, listeners: readonly ListenerState[]): VirtualHostIr[] {
  const sorted = [...listeners].sort((a, b) => listenerRank(b.listener.hostname) - listenerRank(a.listener.hostname));
  const hosts = new Set<string>();
  // Every listener hostname gets a virtual host, even with no routes: a request for it must not fall
  // through to a less specific listener's routes (the most specific listener hostname wins).
  for (const l of sorted) if (l.listener.hostname) hosts.add(l.listener.hostname);
  for (const l of sorted) for (const e of l.entries) hosts.add(e.hostname);
  const index = new Map(sorted.map((l) => [l, indexEntries(l.entries)]));
  const xdsNames = new Map(listeners.map((l) => [l, listenerXdsName(gw, l)]));
  const preserveOrder = gw.listen?.preserveRouteOrder === true;
  return [...hosts].sort(compareHostSpecificity).map((host) => {
    const owner = sorted.find((l) => hostnameMatches(l.listener.hostname, host));
    const idx = owner ? index.get(owner) : undefined;
    const entries = idx ? entriesFor(idx, host) : [];
    const name = virtualHostName(xdsNames.get(owner ?? listeners[0]) ?? "", host);
    return virtualHostMemo.get(name, { host, entries, preserveOrder }, () => ({
      name,
      domains: [host],
      routes: sortRoutes(entries, preserveOrder),
    }));
  });
}

/** A listener's entries bucketed by exact hostname, with the (usually few) wildcard ones apart. */
interface EntryIndex {
  readonly exact: Map<string, RouteEntry[]>;
  readonly wildcard: RouteEntry[];
}

function indexEntries(entries: readonly RouteEntry[]): EntryIndex {
  const exact = new Map<string, RouteEntry[]>();
  const wildcard: RouteEntry[] = [];
  for (const e of entries) {
    if (e.hostname === "*" || e.hostname.startsWith("*.")) wildcard.push(e);
    else {
      const list = exact.get(e.hostname);
      if (list) list.push(e);
      else exact.set(e.hostname, [e]);
    }
  }
  return { exact, wildcard };
}

/**
 * The entries whose hostname covers `host`: O(entries for host + wildcard entries), not O(all entries). The
 * list may be the index's own (never changed afterwards).
 */
function entriesFor(idx: EntryIndex, host: string): readonly RouteEntry[] {
  const exact = host.startsWith("*.") || host === "*" ? undefined : idx.exact.get(host);
  if (idx.wildcard.length === 0) return exact ?? [];
  const out = [...(exact ?? [])];
  for (const e of idx.wildcard) if (hostnameMatches(e.hostname, host)) out.push(e);
  return out;
}

/**
 * Sorts entries by the Gateway API's precedence rules, or in the order written with EnvoyProxy `preserveRouteOrder`
 * (oldest route first, then `namespace/name`, rules and matches in order), and drops duplicates of the same route.
 */
export function sortRoutes(entries: readonly RouteEntry[], preserveOrder = false): RouteIr[] {
  const sorted = [...entries].sort(preserveOrder ? compareWritten : comparePrecedence);
  const seen = new Set<string>();
  const out: RouteIr[] = [];
  for (const e of sorted) {
    if (seen.has(e.route.name)) continue;
    seen.add(e.route.name);
    out.push(e.route);
  }
  return out;
}

const PATH_RANK = { Exact: 3, RegularExpression: 2, PathPrefix: 1 } as const;

/**
 * Precedence (spec, HTTPRouteRule): hostname specificity, then that of the route's own hostname it came
 * from (GatewayRouteHostnameIntersectionPrecedence); Exact path over prefix (regex, being
 * implementation-specific, sits between); longer paths; method match; more header matches; more query
 * matches; then the oldest route, then `namespace/name`, then rule and match order. GRPCRoute entries
 * compare by their own key (GRPCRouteRule: service, method, header matches) in place of the path, method,
 * header and query comparisons.
 */
function comparePrecedence(a: RouteEntry, b: RouteEntry): number {
  return (
    compareHostSpecificity(a.hostname, b.hostname) ||
    compareHostSpecificity(a.origin ?? "*", b.origin ?? "*") ||
    (a.grpc && b.grpc ? compareKeys(b.grpc, a.grpc) : compareHttpMatch(a, b)) ||
    cmp(a.tie.created, b.tie.created) ||
    cmp(a.tie.key, b.tie.key) ||
    a.tie.rule - b.tie.rule ||
    a.tie.match - b.tie.match
  );
}

/** The order routes are written in: the oldest route, then `namespace/name`, then rule and match order. */
function compareWritten(a: RouteEntry, b: RouteEntry): number {
  return (
    cmp(a.tie.created, b.tie.created) ||
    cmp(a.tie.key, b.tie.key) ||
    a.tie.rule - b.tie.rule ||
    a.tie.match - b.tie.match
  );
}

function compareHttpMatch(a: RouteEntry, b: RouteEntry): number {
  const ma = a.route.match;
  const mb = b.route.match;
  return (
    PATH_RANK[mb.path.type] - PATH_RANK[ma.path.type] ||
    mb.path.value.length - ma.path.value.length ||
    Number(mb.method !== undefined) - Number(ma.method !== undefined) ||
    mb.headers.length - ma.headers.length ||
    mb.queryParams.length - ma.queryParams.length ||
    // Beyond the spec's order: a route with more HTTPRouteFilter cookie conditions is more specific.
    (mb.cookies?.length ?? 0) - (ma.cookies?.length ?? 0)
  );
}

/** Element-wise comparison of two precedence keys of equal length. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
