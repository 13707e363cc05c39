/**
 * The plumbing every route-level policy kind shares between attaching its policies and applying them to the
 * published nodes: one translation per distinct attachment chain, decisions keyed by `gateway|port|route`, the
 * lookup of a node's decision over the Gateways merged into it, and copy-on-change mapping of IR lists.
 */
import type { HttpListenerIr, RouteIr, VirtualHostIr } from "../../ir/xds-ir";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { GatewayState, ListenerState } from "../gateway";
import { hostnameMatches, listenerRank } from "../hostnames";
import type { PolicyStatusBook } from "./ancestors";
import { effectiveSpec, valueAt, type AttachmentSet } from "./engine";
import { PolicyReason } from "./targets";
import type { TargetIndex } from "./target-index";
import type { Attachment, PolicyKindRules, ResolvedTarget } from "./types";

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

/**
 * What applies to each route or chain IR name on each port of each Gateway. Nested maps rather than one map of
 * joined keys: the IR names are looked up as they are (their hashes are cached), with no key string built per
 * route and policy kind.
 */
export class DecisionMap<D> {
  private readonly byGateway = new Map<string, Map<number, Map<string, D>>>();
  private count = 0;

  /** How many decisions there are. */
  get size(): number {
    return this.count;
  }

  /** Records what applies to IR name `name` on `port` of Gateway `gateway` (`namespace/name`). */
  set(gateway: string, port: number, name: string, d: D): void {
    let ports = this.byGateway.get(gateway);
    if (!ports) this.byGateway.set(gateway, (ports = new Map()));
    let names = ports.get(port);
    if (!names) ports.set(port, (names = new Map()));
    if (!names.has(name)) this.count++;
    names.set(name, d);
  }

  /** What applies to IR name `name` on `port` of Gateway `gateway`, if anything. */
  get(gateway: string, port: number, name: string): D | undefined {
    return this.byGateway.get(gateway)?.get(port)?.get(name);
  }

  /** The decisions of one Gateway's port, if any. */
  port(gateway: string, port: number): ReadonlyMap<string, D> | undefined {
    return this.byGateway.get(gateway)?.get(port);
  }
}

/** Decisions by Gateway, port and route or chain IR name, and the Gateways of each node. */
export interface PolicyDecisions<D> {
  /** What applies to each route or chain IR name on each port of each Gateway. */
  readonly byRoute: DecisionMap<D>;
  /** `namespace/name` of the Gateways of each node (a merged class's node has several). */
  readonly gatewaysOf: (node: string) => readonly string[];
}

/**
 * `translate` memoised per distinct chain (its policies and their targets, in order); an empty chain is
 * undefined (no policy applies).
 */
export function chainResolver<T>(
  translate: (chain: readonly Attachment[]) => T | undefined,
): (chain: readonly Attachment[]) => T | undefined {
  // A trie over the chain's attachments by identity: the engine hands out one Attachment object per policy
  // and target, so equal chains walk the same nodes, with no key string built per route.
  const root: ChainNode<T> = { next: new Map() };
  return (chain) => {
    if (chain.length === 0) return undefined;
    let node = root;
    for (const a of chain) {
      let child = node.next.get(a);
      if (!child) node.next.set(a, (child = { next: new Map() }));
      node = child;
    }
    if (!node.done) {
      node.value = translate(chain);
      node.done = true;
    }
    return node.value;
  };
}

/** One node of {@link chainResolver}'s trie. */
interface ChainNode<T> {
  readonly next: Map<Attachment, ChainNode<T>>;
  done?: boolean;
  value?: T;
}

/** The lookup of what applies at `port` to an IR name on node `node` (the first of its Gateways that has it). */
export function nodeLookup<D>(d: PolicyDecisions<D>, node: string): (port: number, name: string) => D | undefined {
  const gws = d.gatewaysOf(node);
  let lastPort: number | undefined;
  let maps: ReadonlyMap<string, D>[] = [];
  return (port, name) => {
    if (port !== lastPort) {
      lastPort = port;
      maps = gws.map((gw) => d.byRoute.port(gw, port)).filter((m): m is ReadonlyMap<string, D> => m !== undefined);
    }
    for (const m of maps) {
      const t = m.get(name);
      if (t) return t;
    }
    return undefined;
  };
}

/** `items` mapped; the same array when no item changed (so untouched listeners stay identical). */
export function mapChanged<T>(items: readonly T[], f: (item: T) => T): readonly T[] {
  let changed = false;
  const out = items.map((x) => {
    const y = f(x);
    changed ||= y !== x;
    return y;
  });
  return changed ? out : items;
}

/**
 * Listener `l` with each route of each virtual host mapped by `f`, and each host's route list then passed through
 * `after` when given (e.g. to add routes); `l` itself, and each untouched virtual host, when nothing changed.
 */
export function mapListenerRoutes(
  l: HttpListenerIr,
  f: (route: RouteIr) => RouteIr,
  after?: (routes: readonly RouteIr[], v: VirtualHostIr) => readonly RouteIr[],
): HttpListenerIr {
  const virtualHosts = mapChanged(l.virtualHosts, (v) => {
    const mapped = mapChanged(v.routes, f);
    const routes = after ? after(mapped, v) : mapped;
    return routes === v.routes ? v : { ...v, routes };
  });
  return virtualHosts === l.virtualHosts ? l : { ...l, virtualHosts };
}

/**
 * The decider of HTTP and gRPC route IRs on one Gateway: for a route IR name on a port and virtual host, the
 * attachment chain of its route rule on the listener it belongs to, turned into a decision by `decide`. Envoy
 * routes of one rule (one per match) on one port and host share one decision.
 */
export function routeRuleDecider<T>(
  gw: GatewayState,
  set: AttachmentSet<KubeObject>,
  index: TargetIndex,
  decide: (chain: readonly Attachment[], ref: RouteRef, rule: string | undefined) => T | undefined,
): (port: number, host: string, routeName: string) => T | undefined {
  if (set.winners.length === 0) return () => undefined; // no policy of this kind attached: nothing to decide
  // port → host → the route name up to its match segment (one rule) → decision.
  const byRule = new Map<number, Map<string, Map<string, T | undefined>>>();
  return (port, host, routeName) => {
    let hosts = byRule.get(port);
    if (!hosts) byRule.set(port, (hosts = new Map()));
    let rules = hosts.get(host);
    if (!rules) hosts.set(host, (rules = new Map()));
    const cut = routeName.indexOf("/match/");
    const id = cut < 0 ? routeName : routeName.slice(0, cut);
    if (rules.has(id)) return rules.get(id);
    const ref = routeRef(routeName);
    let t: T | undefined;
    // Most routes have no policy of this kind in reach: decided without looking for their listener.
    if (ref && set.mayApplyToRoute(ref.kind, ref.key)) {
      const listener = ownerListener(gw, port, host, `${ref.kind}/${ref.key}`, index);
      const rule = ruleName(ref, index);
      t = listener && decide(set.forRouteRule(ref.kind, ref.key, rule, gw, listener), ref, rule);
    }
    rules.set(id, t);
    return t;
  };
}

/** `httproute/ns/name/rule/R/match/M` → the route's kind, key and rule segment. */
export function routeRef(name: string): RouteRef | undefined {
  const parts = name.split("/", 5); // kind/ns/name/rule/<rule>: the rest (matches) is not needed
  const kind = HTTP_ROUTE_KINDS[parts[0]];
  if (!kind || parts.length < 3) return undefined;
  return { kind, key: `${parts[1]}/${parts[2]}`, ...(parts[3] === "rule" ? { rule: parts[4] } : {}) };
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
  const attached = (index.routes.get(routeId)?.listeners ?? [])
    .filter((x) => x.gateway === gw && x.listener.listener.port === port)
    .map((x) => x.listener);
  const covering = attached.filter((l) => hostnameMatches(l.listener.hostname, host));
  const pool = covering.length > 0 ? covering : attached;
  return [...pool].sort((a, b) => listenerRank(b.listener.hostname) - listenerRank(a.listener.hostname))[0];
}

/**
 * Envoy Gateway's Conflicted message of the kinds that name the section's owner (SecurityPolicy,
 * EnvoyExtensionPolicy): `Unable to target RouteRule <route>/<rule>, another <kind> has already attached to it`.
 */
export function routeSectionConflict(rules: PolicyKindRules, t: ResolvedTarget): string {
  const what =
    t.sectionName === undefined
      ? `${t.kind} ${t.name}`
      : t.scope === "RouteRule"
        ? `RouteRule ${t.name}/${t.sectionName}`
        : `Listener ${t.name}/${t.sectionName}`;
  return `Unable to target ${what}, another ${rules.kind} has already attached to it`;
}

/**
 * The translation of a chain for the mergeable kinds: when its head sets `mergeType` (and `merges` allows it), the
 * effective spec of the chain (the head merged onto the policies below it) translated as `policy` `a+b` by
 * `translate`, its problems reported on the head's ancestors; otherwise the head's own translation from `own`.
 */
export function mergedChainTranslation<T extends { readonly problems: readonly string[] }>(
  chain: readonly Attachment[],
  own: ReadonlyMap<string, T>,
  book: PolicyStatusBook,
  translate: (policy: string, spec: unknown) => T,
  merges = true,
): T | undefined {
  const head = chain[0];
  const mergeType = (head.policy.spec as { mergeType?: unknown } | undefined)?.mergeType;
  if (mergeType === undefined || chain.length < 2 || !merges) return own.get(head.policyKey);
  const policy = [...new Set(chain.map((a) => a.policyKey))].join("+");
  const t = translate(policy, effectiveSpec(chain, book));
  for (const m of t.problems)
    for (const anc of head.target.ancestors) book.reject(head.policy, anc, PolicyReason.Invalid, m);
  return t;
}

/**
 * The policy of `chain` owning the top-level spec field `field` after a merge: the first that sets it (and whose
 * value passes `has`, when given), else the head. Its namespace resolves the field's references.
 */
export function chainOwner(
  chain: readonly Attachment[],
  field: string,
  has?: (value: unknown) => boolean,
): { readonly namespace: string; readonly name: string } {
  const sets = (x: Attachment): boolean => {
    const v = valueAt(x.policy.spec, field);
    return v !== undefined && (has?.(v) ?? true);
  };
  const a = chain.find(sets) ?? chain[0];
  return { namespace: namespaceOf(a.policy.metadata), name: a.policy.metadata.name };
}
