/** Listeners sharing a port become one Envoy listener; their attached routes become ordered virtual hosts. */
import type { HttpListenerIr, RouteIr, VirtualHostIr } from "../ir/xds-ir";
import { virtualHostName } from "../ir/xds-names";
import { listenerReady, settledEntries, type GatewayState, type ListenerState } from "./gateway";
import { compareHostSpecificity, hostnameMatches, listenerRank } from "./hostnames";
import { PassMemo, ReuseMemo } from "./ir-reuse";
import type { RouteEntry } from "./route-entry";
import { listWindow, noteCopy, noteWindow, unchangedWindow, WindowTracker, type ListWindow } from "../ir/list-window";
import { partitionPoint } from "../ir/partition-point";

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
    .map(([port, listeners]) => {
      const built = virtualHosts(gw, listeners);
      return {
        name: listenerXdsName(gw, listeners[0]),
        address,
        port,
        virtualHosts: copied(built.virtualHosts),
        ...(built.grpc.some((n) => n > 0) ? { grpcRoutes: true as const } : {}),
      };
    });
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
function virtualHosts(gw: GatewayState, listeners: readonly ListenerState[]): GroupBuild {
  const sorted = [...listeners].sort((a, b) => listenerRank(b.listener.hostname) - listenerRank(a.listener.hostname));
  const xdsNames = new Map(listeners.map((l) => [l, listenerXdsName(gw, l)]));
  const preserveOrder = gw.listen?.preserveRouteOrder === true;
  const group: Group = { sorted, fallback: xdsNames.get(listeners[0]) ?? "", xdsNames, preserveOrder };
  const key = `${gw.key}\n${group.fallback}`;
  const signature = JSON.stringify([preserveOrder, sorted.map((l) => [xdsNames.get(l), l.listener.hostname])]);
  const last = groupBuilds.take(key);
  const same = last?.signature === signature ? last : undefined;
  const built = (same && patched(same, group)) || buildGroup(group, signature, same);
  groupBuilds.put(key, built);
  return built;
}

/** Listeners sharing a port, most specific hostname first, and what their virtual hosts are named after. */
interface Group {
  readonly sorted: readonly ListenerState[];
  readonly xdsNames: ReadonlyMap<ListenerState, string>;
  /** The xDS name of the first listener of the port (names a host no listener owns). */
  readonly fallback: string;
  readonly preserveOrder: boolean;
}

/** What the last translation built for a group of listeners (ADR 0023), for the next one to patch. */
interface GroupBuild {
  /** The listeners' names and hostnames, and the route order setting: patched only while the same. */
  readonly signature: string;
  /** Each sorted listener's entries (never changed afterwards: gateway.ts `settledEntries`). */
  readonly entries: readonly (readonly RouteEntry[])[];
  /** Each sorted listener's entries by hostname (changed in place by the next patch, which replaces it). */
  readonly index: readonly EntryIndex[];
  /** The hosts, in virtual host order. */
  readonly hosts: readonly string[];
  readonly virtualHosts: readonly VirtualHostIr[];
  /**
   * How many GRPCRoute entries each sorted listener has (its RouteConfiguration then gets the gRPC-Web and
   * gRPC-stats settings): counted over the changed windows only when patched.
   */
  readonly grpc: readonly number[];
}

/** The last build per Gateway and port. */
const groupBuilds = new PassMemo<GroupBuild>();

/** Every virtual host of a group, built (or reused from {@link virtualHostMemo}) host by host. */
function buildGroup(group: Group, signature: string, last: GroupBuild | undefined): GroupBuild {
  const { sorted } = group;
  const hosts = new Set<string>();
  // Every listener hostname gets a virtual host, even with no routes: a request for it must not fall
  // through to a less specific listener's routes (the most specific listener hostname wins).
  for (const l of sorted) if (l.listener.hostname) hosts.add(l.listener.hostname);
  for (const l of sorted) for (const e of l.entries) hosts.add(e.hostname);
  const index = sorted.map((l) => indexEntries(l.entries));
  const ordered = [...hosts].sort(compareHostSpecificity);
  return {
    signature,
    entries: sorted.map(settledEntries),
    index,
    hosts: ordered,
    virtualHosts: ordered.map((host) => virtualHost(group, index, host, last)),
    grpc: sorted.map((l) => grpcEntries(l.entries, 0, l.entries.length)),
  };
}

/**
 * The virtual host of `host`: the routes of the most specific listener whose hostname matches it. The last build
 * of the same listeners (`last`) gives its own when the entries are the same (patched builds do not refresh
 * {@link virtualHostMemo} for the hosts they keep).
 */
function virtualHost(group: Group, index: readonly EntryIndex[], host: string, last?: GroupBuild): VirtualHostIr {
  const at = group.sorted.findIndex((l) => hostnameMatches(l.listener.hostname, host));
  const entries = at >= 0 ? entriesFor(index[at], host) : [];
  const name = virtualHostName((at >= 0 ? group.xdsNames.get(group.sorted[at]) : undefined) ?? group.fallback, host);
  const preserveOrder = group.preserveOrder;
  const kept = last ? hostIndex(last.hosts, host) : undefined;
  if (last && kept?.found) {
    const vh = last.virtualHosts[kept.at];
    const before = at >= 0 ? entriesFor(last.index[at], host) : [];
    if (vh.name === name && sameEntries(before, entries)) return vh;
  }
  return virtualHostMemo.get(name, { host, entries, preserveOrder }, () => ({
    name,
    domains: [host],
    routes: sortRoutes(entries, preserveOrder),
  }));
}

/** At most this many hostnames changed: patch the last build; more: build again. */
const MAX_PATCHED_HOSTS = 64;

/**
 * The last build with the virtual hosts of the hostnames whose entries changed built again (and added or
 * removed), the others the same objects; undefined when a wildcard entry changed (it reaches many hosts) or
 * too many hostnames did. The listeners' entries are compared with the last build's by identity (stable
 * entries, ADR 0018): only the part between their common start and end changed.
 */
function patched(last: GroupBuild, group: Group): GroupBuild | undefined {
  const { sorted } = group;
  const found = touchedHosts(last, sorted);
  if (!found) return undefined;
  const { touched, changed } = found;
  if (changed.length === 0) return last;
  const entries = [...last.entries];
  const grpc = [...last.grpc];
  for (const { i, w } of changed) {
    grpc[i] += grpcEntries(sorted[i].entries, w.from, w.afterTo) - grpcEntries(last.entries[i], w.from, w.beforeTo);
    entries[i] = settledEntries(sorted[i]);
    reindex(last, i, w, sorted[i].entries, touched);
  }
  const hosts = [...last.hosts];
  const vhs = [...last.virtualHosts];
  const out = { hosts, vhs, window: new WindowTracker(vhs.length) };
  for (const h of touched) patchHost(last, group, out, h);
  // The encode stage finds the changed virtual hosts from this window, not by comparing every one.
  noteWindow(last.virtualHosts, vhs, out.window.window(vhs.length));
  return { signature: last.signature, entries, index: last.index, hosts, virtualHosts: vhs, grpc };
}

/** A copy of `list` that carries its windows ({@link noteCopy}). */
function copied<T>(list: readonly T[]): T[] {
  const copy = [...list];
  noteCopy(list, copy);
  return copy;
}

/** How many of `list[from, to)` are GRPCRoute entries. */
function grpcEntries(list: readonly RouteEntry[], from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (list[k].grpc) n++;
  return n;
}

/** Listener `i`'s exact-hostname buckets of the `touched` hostnames, from its new entries `list` (window `w` changed). */
function reindex(
  last: GroupBuild,
  i: number,
  w: ListWindow,
  list: readonly RouteEntry[],
  touched: ReadonlySet<string>,
): void {
  const exact = last.index[i].exact;
  const window = list.slice(w.from, w.afterTo);
  // How many entries of each hostname the changed window of the last list held (counted by position: an entry
  // object may be in a list twice).
  const wasInWindow = new Map<string, number>();
  for (let k = w.from; k < w.beforeTo; k++) {
    const h = last.entries[i][k].hostname;
    wasInWindow.set(h, (wasInWindow.get(h) ?? 0) + 1);
  }
  for (const h of touched) {
    // A hostname whose entries were all inside the changed window has none outside it now either: its bucket is
    // the window's entries of it (no pass over the whole list).
    const inWindow = (exact.get(h)?.length ?? 0) === (wasInWindow.get(h) ?? 0);
    const bucket = (inWindow ? window : list).filter((e) => e.hostname === h);
    if (bucket.length > 0) exact.set(h, bucket);
    else exact.delete(h);
  }
}

/**
 * Hostname `h`'s virtual host in `out.hosts`/`out.vhs` (sorted by hostname): built again, added, or removed; the
 * edit noted in `out.window`.
 */
function patchHost(
  last: GroupBuild,
  group: Group,
  out: { readonly hosts: string[]; readonly vhs: VirtualHostIr[]; readonly window: WindowTracker },
  h: string,
): void {
  const { hosts, vhs, window } = out;
  const present = group.sorted.some((l) => l.listener.hostname === h) || last.index.some((x) => x.exact.has(h));
  const { at, found: there } = hostIndex(hosts, h);
  if (there && !present) {
    window.edit(vhs.length, at, 1);
    hosts.splice(at, 1);
    vhs.splice(at, 1);
  } else if (present) {
    const vh = virtualHost(group, last.index, h);
    window.edit(vhs.length, at, there ? 1 : 0);
    if (there) vhs[at] = vh;
    else {
      hosts.splice(at, 0, h);
      vhs.splice(at, 0, vh);
    }
  }
}

/**
 * The hostnames of the entries that changed since the last build and the listeners (indexes) whose entries did, with
 * the window of each list that changed;
 * undefined when that cannot be patched: a wildcard entry changed, too many hostnames did, or most of a list.
 */
function touchedHosts(
  last: GroupBuild,
  sorted: readonly ListenerState[],
): { touched: Set<string>; changed: { readonly i: number; readonly w: ListWindow }[] } | undefined {
  const touched = new Set<string>();
  const changed: { i: number; w: ListWindow }[] = [];
  for (const [i, l] of sorted.entries()) {
    const w = listWindow(last.entries[i], l.entries);
    if (unchangedWindow(w)) continue;
    // Most of the list new (fresh objects): build again, as a first translation does.
    if (w.beforeTo - w.from + (w.afterTo - w.from) > l.entries.length) return undefined;
    changed.push({ i, w });
    const windows = [
      [last.entries[i], w.beforeTo],
      [l.entries, w.afterTo],
    ] as const;
    for (const [list, end] of windows)
      for (let k = w.from; k < end; k++) {
        if (isWildcard(list[k].hostname)) return undefined;
        touched.add(list[k].hostname);
      }
    if (touched.size > MAX_PATCHED_HOSTS) return undefined;
  }
  return { touched, changed };
}

/** Where `host` is (found) or goes in hosts sorted by compareHostSpecificity. */
function hostIndex(hosts: readonly string[], host: string): { at: number; found: boolean } {
  const at = partitionPoint(hosts.length, (i) => compareHostSpecificity(hosts[i], host) < 0);
  return { at, found: at < hosts.length && hosts[at] === host };
}

function isWildcard(h: string): boolean {
  return h === "*" || h.startsWith("*.");
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
    if (isWildcard(e.hostname)) wildcard.push(e);
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
