/**
 * The plumbing every route-level policy kind shares between attaching its policies and applying them to the
 * published nodes: one translation per distinct attachment chain, decisions keyed by `gateway|port|route`, the
 * lookup of a node's decision over the Gateways merged into it, and copy-on-change mapping of IR lists.
 */
import type { HttpListenerIr, RouteIr, VirtualHostIr } from "../../ir/xds-ir";
import { namespaceOf } from "../../resources/meta";
import type { PolicyStatusBook } from "./ancestors";
import { effectiveSpec, valueAt } from "./engine";
import { copyWith, sameItems } from "./copy";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules, ResolvedTarget } from "./types";

/**
 * What applies to each route or chain IR name on each port of each Gateway. Nested maps rather than one map of
 * joined keys: the IR names are looked up as they are (their hashes are cached), with no key string built per
 * route and policy kind.
 */
export class DecisionMap<D> {
  private readonly byGateway = new Map<string, Map<number, Map<string, D>>>();
  /** The virtual hosts (of the Gateways' own IR) holding a route with a decision. */
  private readonly hosts = new Set<VirtualHostIr>();
  private count = 0;
  /** The names of the last Gateway and port set (consecutive sets are mostly on one port). */
  private last?: { readonly gateway: string; readonly port: number; readonly names: Map<string, D> };

  /** How many decisions there are. */
  get size(): number {
    return this.count;
  }

  /**
   * Records what applies to IR name `name` on `port` of Gateway `gateway` (`namespace/name`), in virtual host
   * `host` of the Gateway's IR when it is a route of one.
   */
  set(gateway: string, port: number, name: string, d: D, host?: VirtualHostIr): void {
    const names = this.namesAt(gateway, port);
    if (!names.has(name)) this.count++;
    names.set(name, d);
    if (host) this.hosts.add(host);
  }

  /** What applies to IR name `name` on `port` of Gateway `gateway`, if anything. */
  get(gateway: string, port: number, name: string): D | undefined {
    return this.byGateway.get(gateway)?.get(port)?.get(name);
  }

  /** The decisions of one Gateway's port, if any. */
  port(gateway: string, port: number): ReadonlyMap<string, D> | undefined {
    return this.byGateway.get(gateway)?.get(port);
  }

  /** Whether a route of virtual host `v` (an object of a Gateway's own IR) has a decision. */
  reaches(v: VirtualHostIr): boolean {
    return this.hosts.has(v);
  }

  private namesAt(gateway: string, port: number): Map<string, D> {
    const last = this.last;
    if (last && last.gateway === gateway && last.port === port) return last.names;
    let ports = this.byGateway.get(gateway);
    if (!ports) this.byGateway.set(gateway, (ports = new Map()));
    let names = ports.get(port);
    if (!names) ports.set(port, (names = new Map()));
    this.last = { gateway, port, names };
    return names;
  }
}

/** Decisions by Gateway, port and route or chain IR name, and the Gateways of each node. */
export interface PolicyDecisions<D> {
  /** What applies to each route or chain IR name on each port of each Gateway. */
  readonly byRoute: DecisionMap<D>;
  /** `namespace/name` of the Gateways of each node (a merged class's node has several). */
  readonly gatewaysOf: (node: string) => readonly string[];
  /**
   * Whether virtual host `v` of a published node is one of the Gateways' own (not rebuilt by a merge) that no
   * decision reaches: applying the decisions leaves it as it is, without looking up its routes.
   */
  readonly untouched: (v: VirtualHostIr) => boolean;
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

/** `items` mapped; the same array when no item changed (so untouched listeners stay identical, and cost no copy). */
export function mapChanged<T>(items: readonly T[], f: (item: T) => T): readonly T[] {
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    const y = f(x);
    if (out) out.push(y);
    else if (y !== x) {
      out = items.slice(0, i);
      out.push(y);
    }
  }
  return out ?? items;
}

/**
 * Listener `l` with each route of each virtual host mapped by `f`, and each host's route list then passed through
 * `after` when given (e.g. to add routes); `l` itself, and each untouched virtual host, when nothing changed. A host
 * `skip` says no decision reaches is left as it is, without calling `f` or `after`.
 */
export function mapListenerRoutes(
  l: HttpListenerIr,
  f: (route: RouteIr) => RouteIr,
  after?: (routes: readonly RouteIr[], v: VirtualHostIr) => readonly RouteIr[],
  skip?: (v: VirtualHostIr) => boolean,
): HttpListenerIr {
  const virtualHosts = mapChanged(l.virtualHosts, (v) => {
    if (skip?.(v)) return v;
    const mapped = mapChanged(v.routes, f);
    const routes = after ? after(mapped, v) : mapped;
    return routes === v.routes ? v : withItems(HOSTS, v, "routes", routes);
  });
  return virtualHosts === l.virtualHosts ? l : withItems(LISTENERS, l, "virtualHosts", virtualHosts);
}

/** The last translation's copy of each virtual host with other routes, and those routes. */
const HOSTS = new WeakMap<VirtualHostIr, { readonly items: readonly unknown[]; readonly out: VirtualHostIr }>();
/** The last translation's copy of each listener with other virtual hosts, and those hosts. */
const LISTENERS = new WeakMap<HttpListenerIr, { readonly items: readonly unknown[]; readonly out: HttpListenerIr }>();

/**
 * `o` with its list `field` replaced by `items`: the last translation's copy when `o` is the same object and the
 * items are the same objects (so a virtual host or listener no change reached keeps its identity across
 * translations, and the xDS build downstream can reuse what it made of it).
 */
function withItems<T extends object, K extends keyof T>(
  memo: WeakMap<T, { readonly items: readonly unknown[]; readonly out: T }>,
  o: T,
  field: K,
  items: T[K] & readonly unknown[],
): T {
  const known = memo.get(o);
  if (known && sameItems(known.items, items)) return known.out;
  const out = copyWith(o, { [field]: items } as unknown as Partial<T>);
  memo.set(o, { items, out });
  return out;
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

/**
 * Whether no route can get a decision from `set`: every winner's own translation (in `own`; absent: none) changes no
 * route (`changes`) and no winner sets `mergeType` (a merged chain is translated anew, and may change routes). Then a
 * chain's translation is its head's own, a no-op, and the kind need not visit the routes at all.
 */
export function changesNoRoute<T>(
  winners: readonly Attachment[],
  own: ReadonlyMap<string, T>,
  changes: (t: T) => boolean,
): boolean {
  return winners.every((a) => {
    const t = own.get(a.policyKey);
    const mergeType = (a.policy.spec as { mergeType?: unknown } | undefined)?.mergeType;
    return (t === undefined || !changes(t)) && mergeType === undefined;
  });
}
