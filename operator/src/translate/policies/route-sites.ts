/**
 * Where the HTTP and gRPC route rules of each built Gateway ended up, for the route-level policy kinds
 * (BackendTrafficPolicy, SecurityPolicy, EnvoyExtensionPolicy): per virtual host, its Envoy routes grouped by the
 * route rule they come from, and per route, the virtual hosts that hold it. One index per translation, shared by
 * the kinds, so that a kind whose policies all target routes (the common case) decides only the virtual hosts of
 * the routes they target, and the rule of a route is decided once per virtual host whatever the kind.
 *
 * The grouping of one virtual host depends only on its route names, so it is memoised per virtual host object (a
 * virtual host the translator hands out again is not parsed again). Everything that depends on the translation
 * (the listener a rule belongs to, the rule's name) lives in the per-translation index.
 */
import type { HttpListenerIr, RouteIr, VirtualHostIr } from "../../ir/xds-ir";
import type { KubeObject } from "../../resources/meta";
import type { GatewayState, ListenerState } from "../gateway";
import { hostnameMatches, listenerRank } from "../hostnames";
import type { GatewayIr } from "../merge-gateways";
import type { TargetIndex } from "./target-index";

/** Route kinds whose rules take HTTP settings, by the prefix of their IR names. */
const HTTP_ROUTE_KINDS: Readonly<Record<string, string>> = { httproute: "HTTPRoute", grpcroute: "GRPCRoute" };

/** The route an HTTP or gRPC route IR name (`<kind>/ns/name[/rule/<rule>/…]`) comes from. */
export interface RouteRef {
  /** HTTPRoute or GRPCRoute. */
  readonly kind: string;
  /** `namespace/name`. */
  readonly key: string;
  /** The rule segment of the IR name (the rule's index), if any. */
  readonly rule?: string;
}

/** One route rule within one virtual host. */
interface HostRule {
  /** The route and rule segment. */
  readonly ref: RouteRef;
  /** `Kind/namespace/name` of the route (the target index's key). */
  readonly routeId: string;
}

/** A virtual host's routes grouped by rule (a pure function of its route names, memoised per object). */
interface HostGrouping {
  /** Per route of the host (same index): its rule in {@link rules}, or -1 (not from an HTTP or gRPC route rule). */
  readonly ruleOf: readonly number[];
  /** The distinct rules, in order of their first route. */
  readonly rules: readonly HostRule[];
}

/** One virtual host of one Envoy listener of a Gateway, in this translation. */
export interface HostSite {
  /** The Envoy listener. */
  readonly listener: HttpListenerIr;
  /** The virtual host. */
  readonly host: VirtualHostIr;
  /** Its routes grouped by rule. */
  readonly grouping: HostGrouping;
  /** Per rule of {@link grouping}: the Gateway listener it belongs to (looked up on first use). */
  readonly owners: (ListenerState | null | undefined)[];
  /** Per rule of {@link grouping}: its sectionName (looked up on first use; null: none). */
  readonly ruleNames: (string | null | undefined)[];
}

/** The sites of one Gateway. */
interface GatewaySites {
  /** Every virtual host of every HTTP listener, in IR order. */
  readonly hosts: readonly HostSite[];
  /** `Kind/namespace/name` of a route → the indices in {@link hosts} of the virtual hosts holding its rules, ascending. */
  readonly byRoute: ReadonlyMap<string, readonly number[]>;
}

const GROUPINGS = new WeakMap<VirtualHostIr, HostGrouping>();

/** `httproute/ns/name/rule/R/match/M` → the route's kind, key and rule segment. */
export function routeRef(name: string): RouteRef | undefined {
  const parts = name.split("/", 5); // kind/ns/name/rule/<rule>: the rest (matches) is not needed
  const kind = HTTP_ROUTE_KINDS[parts[0]];
  if (!kind || parts.length < 3) return undefined;
  return { kind, key: `${parts[1]}/${parts[2]}`, ...(parts[3] === "rule" ? { rule: parts[4] } : {}) };
}

/** The routes of `v` grouped by the rule their name names (up to its `/match/` segment). */
function grouping(v: VirtualHostIr): HostGrouping {
  const known = GROUPINGS.get(v);
  if (known) return known;
  const ruleOf: number[] = [];
  const rules: HostRule[] = [];
  const ids: string[] = [];
  for (const r of v.routes) {
    const cut = r.name.indexOf("/match/");
    const id = cut < 0 ? r.name : r.name.slice(0, cut);
    let at = ids.indexOf(id);
    if (at < 0) {
      const ref = routeRef(r.name);
      if (ref) {
        at = rules.length;
        ids.push(id);
        rules.push({ ref, routeId: `${ref.kind}/${ref.key}` });
      }
    }
    ruleOf.push(at);
  }
  const g = { ruleOf, rules };
  GROUPINGS.set(v, g);
  return g;
}

/** The route rules of every built Gateway, indexed on first use (one per translation). */
export class RouteSites {
  private readonly byGateway = new Map<GatewayIr, GatewaySites>();
  /** Every virtual host of the Gateways indexed so far. */
  private readonly hosts = new Set<VirtualHostIr>();

  constructor(private readonly index: TargetIndex) {}

  /** The sites of one built Gateway. */
  of(b: GatewayIr): GatewaySites {
    let s = this.byGateway.get(b);
    if (!s) {
      this.byGateway.set(b, (s = sitesOf(b)));
      for (const h of s.hosts) this.hosts.add(h.host);
    }
    return s;
  }

  /**
   * Whether virtual host `v` is one of an indexed Gateway's own, which no decision of `d` reaches (a host of a
   * Gateway no route-level kind decided on, or one a merge rebuilt, is not known here: it is looked at in full).
   */
  untouched(v: VirtualHostIr, d: { reaches(v: VirtualHostIr): boolean }): boolean {
    return this.hosts.has(v) && !d.reaches(v);
  }

  /**
   * The virtual hosts of `b` (indices into `of(b).hosts`, ascending) holding a rule of one of `routes`
   * (`Kind/namespace/name`); every virtual host when `routes` is undefined.
   */
  reached(b: GatewayIr, routes: ReadonlySet<string> | undefined): readonly number[] {
    const sites = this.of(b);
    if (routes === undefined) return sites.hosts.map((_, i) => i);
    const out = new Set<number>();
    for (const id of routes) for (const i of sites.byRoute.get(id) ?? []) out.add(i);
    return [...out].sort((x, y) => x - y);
  }

  /** The Gateway listener rule `i` of `site` belongs to (see {@link ownerListener}). */
  listenerOf(gw: GatewayState, site: HostSite, i: number): ListenerState | undefined {
    let l = site.owners[i];
    if (l === undefined) {
      const rule = site.grouping.rules[i];
      l = ownerListener(gw, site.listener.port, site.host.domains[0] ?? "*", rule.routeId, this.index) ?? null;
      site.owners[i] = l;
    }
    return l ?? undefined;
  }

  /** The route object of `Kind/namespace/name`, if the target index has it. */
  routeObject(routeId: string): KubeObject | undefined {
    return this.index.routes.get(routeId)?.route;
  }

  /** The sectionName of rule `i` of `site` (see {@link ruleName}). */
  ruleNameOf(site: HostSite, i: number): string | undefined {
    let n = site.ruleNames[i];
    if (n === undefined) {
      n = ruleName(site.grouping.rules[i].ref, this.index) ?? null;
      site.ruleNames[i] = n;
    }
    return n ?? undefined;
  }
}

function sitesOf(b: GatewayIr): GatewaySites {
  const hosts: HostSite[] = [];
  const byRoute = new Map<string, number[]>();
  for (const listener of b.xds.http) {
    for (const host of listener.virtualHosts) {
      const g = grouping(host);
      const at = hosts.length;
      hosts.push({ listener, host, grouping: g, owners: [], ruleNames: [] });
      for (const rule of g.rules) {
        const list = byRoute.get(rule.routeId);
        if (!list) byRoute.set(rule.routeId, [at]);
        else if (list[list.length - 1] !== at) list.push(at);
      }
    }
  }
  return { hosts, byRoute };
}

/** The rule's name for sectionName targets: the name of the rule at the segment's index, if it has one. */
export function ruleName(ref: RouteRef, index: TargetIndex): string | undefined {
  if (ref.rule === undefined) return undefined;
  const route = index.routes.get(`${ref.kind}/${ref.key}`);
  const name = route?.route.spec?.rules?.[Number(ref.rule)]?.name;
  return name === undefined || name === "" ? undefined : name;
}

/**
 * The Gateway listener a route's virtual host belongs to on `port`: among the listeners the route attached to
 * there, the most specific one whose hostname covers the host (as virtual-hosts.ts assigns hosts).
 */
export function ownerListener(
  gw: GatewayState,
  port: number,
  host: string,
  routeId: string,
  index: TargetIndex,
): ListenerState | undefined {
  const all = index.routes.get(routeId)?.listeners ?? [];
  let only: ListenerState | undefined;
  let count = 0;
  for (const x of all) {
    if (x.gateway === gw && x.listener.listener.port === port) {
      only = x.listener;
      count++;
    }
  }
  if (count <= 1) return only; // the common case: one listener of the Gateway there
  const attached = all.filter((x) => x.gateway === gw && x.listener.listener.port === port).map((x) => x.listener);
  const covering = attached.filter((l) => hostnameMatches(l.listener.hostname, host));
  const pool = covering.length > 0 ? covering : attached;
  return [...pool].sort((a, b) => listenerRank(b.listener.hostname) - listenerRank(a.listener.hostname))[0];
}

/**
 * Calls `each` for every Envoy route of `b` some winner of a kind may apply to, in IR order, with the decision of
 * its rule (`decide`, given the Gateway listener the rule belongs to), made once per rule and virtual host. `routes` are the routes
 * every winner targets (`Kind/namespace/name`), or undefined when a winner targets a Gateway, ListenerSet or
 * listener (then every route is visited).
 */
export function forEachRuleRoute<T>(
  sites: RouteSites,
  b: GatewayIr,
  routes: ReadonlySet<string> | undefined,
  decide: (site: HostSite, rule: number, owner: ListenerState) => T | undefined,
  each: (site: HostSite, rule: number, r: RouteIr, t: T) => void,
): void {
  if (routes !== undefined && routes.size === 0) return; // no winner: nothing to decide (nor to index)
  const all = sites.of(b).hosts;
  for (const at of sites.reached(b, routes)) {
    const site = all[at];
    const { ruleOf, rules } = site.grouping;
    const decided: (T | undefined)[] = [];
    const done: boolean[] = [];
    const list = site.host.routes;
    for (let i = 0; i < list.length; i++) {
      const k = ruleOf[i];
      if (k < 0 || (routes !== undefined && !routes.has(rules[k].routeId))) continue;
      if (!done[k]) {
        const owner = sites.listenerOf(b.gw, site, k);
        decided[k] = owner && decide(site, k, owner);
        done[k] = true;
      }
      const t = decided[k];
      if (t !== undefined) each(site, k, list[i], t);
    }
  }
}
