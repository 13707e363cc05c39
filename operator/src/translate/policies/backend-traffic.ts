/**
 * BackendTrafficPolicy on the attachment engine: it targets Gateways, their listeners, ListenerSets, routes and
 * route rules, and configures how each HTTP or gRPC route rule sends traffic to its backends.
 *
 * For every route rule on every listener, the most specific winning policy applies (rule, route, listener,
 * ListenerSet, Gateway); a route-level policy with `mergeType` is merged onto the one below it. Settings Envoy
 * takes per route (retry, request timeout, per-route filter configs) go on the route; settings Envoy takes only
 * per cluster go on a policy variant of each backend cluster the route forwards to (ADR 0005).
 *
 * A policy that sets a field egts does not implement is Accepted=False naming the fields and is not applied. A
 * policy with a value that cannot be used is Accepted=False and, as Envoy Gateway does, the routes it applies to
 * answer 500. On TCPRoutes, TLSRoutes and UDPRoutes only the cluster-level settings apply (a Warning names the
 * others), and a consistent hash only by client address.
 *
 * Work is O(routes) per translation with one translation per distinct policy chain. The decisions are made on
 * each Gateway's own IR (where every route's listener is known) and applied to the published nodes by
 * {@link applyBackendTraffic}, after Gateways of merged classes are combined.
 */
import { invalidRuleRoute } from "../httproute-rules";
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { ClusterPolicyIr, RouteTrafficIr } from "../../ir/backend-traffic-ir";
import type {
  ClusterIr,
  GatewayXdsIr,
  HeaderModIr,
  HttpListenerIr,
  RouteIr,
  TcpChainIr,
  UpstreamTlsIr,
  WeightedDestinationIr,
} from "../../ir/xds-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { GatewayState } from "../gateway";
import type { GatewayIr } from "../merge-gateways";
import type { PolicyStatusBook } from "./ancestors";
import {
  CLUSTER_FIELDS,
  routingTypeWarning,
  translateClusterSettings,
  variantProblem,
} from "./backend-traffic-cluster";
import { orcaHeadersToRemove } from "./backend-traffic-cluster-lb";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { FILTER_FIELDS, translateRouteFilters } from "./backend-traffic-filters";
import { withInlineBodies } from "./backend-traffic-response-override";
import {
  ROUTE_FIELDS,
  routeStatName,
  translateRouteAction,
  withPolicyTimeouts,
  type RouteActionSettings,
} from "./backend-traffic-route";
import { unimplementedFields } from "./client-traffic-fields";
import {
  chainResolver,
  DecisionMap,
  mapChanged,
  mapListenerRoutes,
  nodeLookup,
  type PolicyDecisions,
} from "./decisions";
import { acceptRest, attachPolicies, effectiveSpec, valueAt, type AttachmentSet } from "./engine";
import { ROUTE_KINDS, type TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules } from "./types";
import { forEachRuleRoute, type RouteRef, type RouteSites } from "./route-sites";
import { TranslationMemo } from "./translation-memo";
import { copyWith, mutableCopy } from "./copy";
import { specContentKey } from "./spec-content";

/** Each BackendTrafficPolicy's own spec translated, reused while it and what it reads are unchanged. */
const MEMO = new TranslationMemo<Translated>();

/** How many BackendTrafficPolicy spec translations the last translation reused (tests, benchmarks). */
export function reusedBackendTrafficTranslations(): number {
  return MEMO.reused;
}

/** What this kind's translation needs beyond the policies. */
export interface BackendTrafficEnv {
  /** The snapshot (objects the policies reference). */
  readonly snapshot: ResourceSnapshot;
  /** The global rate limit service; absent when the EnvoyGateway configuration has no `rateLimit`. */
  readonly rateLimit?: RateLimitServiceSettings;
}

/** Where the rate limit service listens and how the proxies call it (EnvoyGateway `rateLimit`). */
export interface RateLimitServiceSettings {
  /** Host of its gRPC API, as the proxies reach it. */
  readonly host: string;
  /** Port of its gRPC API. */
  readonly port: number;
  /** `rateLimit.timeout` in milliseconds. */
  readonly timeoutMs: number;
  /** `rateLimit.failClosed`. */
  readonly failClosed: boolean;
  /** TLS to the service (in Kubernetes: with the proxy's own xDS client certificate). @default plaintext */
  readonly tls?: UpstreamTlsIr;
}

/** Envoy Gateway's name of the rate limit service's cluster on every proxy that uses it. */
export const RATE_LIMIT_CLUSTER = "ratelimit_cluster";

/** BackendTrafficPolicy's attachment rules (Envoy Gateway v1.9). */
export const BACKEND_TRAFFIC_RULES: PolicyKindRules = {
  kind: "BackendTrafficPolicy",
  plural: "backendTrafficPolicies",
  targetKinds: ["Gateway", "ListenerSet", ...ROUTE_KINDS],
  mergeable: true,
  deprecatedFields: { compression: "compressor" },
};

/** Spec paths egts implements for BackendTrafficPolicy (a path covers everything below it). */
export const BACKEND_TRAFFIC_FIELDS: readonly string[] = [
  "targetRef",
  "targetRefs",
  "targetSelectors",
  "mergeType",
  ...ROUTE_FIELDS,
  ...CLUSTER_FIELDS,
  ...FILTER_FIELDS,
];

/** Route kinds that take the cluster-level settings only, by the prefix of their IR names. */
const L4_ROUTE_KINDS: Readonly<Record<string, string>> = {
  tcproute: "TCPRoute",
  tlsroute: "TLSRoute",
  udproute: "UDPRoute",
};

/** One (effective) spec translated. */
interface Translated {
  /** Fields set that egts does not implement (the policy is not applied). */
  readonly unimplemented: readonly string[];
  /** Values that cannot be used (the routes answer 500). */
  readonly invalid: readonly string[];
  /** Route action settings. */
  readonly action: RouteActionSettings;
  /** Per-route filter settings. */
  readonly traffic?: RouteTrafficIr;
  /** Cluster-level settings and the variant suffix they give. */
  readonly cluster?: { readonly ir: ClusterPolicyIr; readonly suffix: string };
  /** The attachment whose status reports problems found when the settings meet a route's backends. */
  readonly owner?: Attachment;
}

/** What applies to one route on one Gateway port: a translation, or nothing. */
interface Decision {
  /** The translation of the route's policy chain. */
  readonly t: Translated;
  /** The route's stat prefix (`telemetry.metrics.routeStatName` filled in for this route). */
  readonly statPrefix?: string;
}

/** The decisions of one translation, applied to the published nodes by {@link applyBackendTraffic}. */
export interface BackendTrafficDecisions extends PolicyDecisions<Decision> {
  /** The rate limit service's cluster, added to the nodes with a global rate limit. */
  readonly rateLimitCluster?: ClusterIr;
}

/**
 * Attaches the BackendTrafficPolicies, writes their statuses, and decides what applies to every HTTP and gRPC
 * route of every Gateway.
 */
export function attachBackendTrafficPolicies(
  policies: readonly KubeObject[],
  index: TargetIndex,
  book: PolicyStatusBook,
  built: readonly GatewayIr[],
  opts: BackendTrafficEnv & { readonly nodeOf: (gw: GatewayState) => string; readonly sites: RouteSites },
): BackendTrafficDecisions {
  const set = attachPolicies(policies, BACKEND_TRAFFIC_RULES, index, book);
  const own = new Map<string, Translated>();
  // A spec translation reads the policy, ConfigMaps (response bodies) and the rate limit service settings.
  MEMO.begin(opts.snapshot, opts.rateLimit ?? null);
  const shared = new Map<string, Translated>();
  for (const a of set.winners) {
    if (L4_ROUTE_KINDS[a.target.kind.toLowerCase()]) warnHttpOnly(a, book);
    const t =
      own.get(a.policyKey) ??
      owned(
        a,
        MEMO.get(a.policy, () => translateShared(a, opts, shared)),
      );
    own.set(a.policyKey, t);
    reportProblems(a, t, book);
  }
  acceptRest(set, book, BACKEND_TRAFFIC_RULES);

  return decide(set, own, { built, book, ...opts });
}

/** The last translation's {@link owned} value of each attachment, with the spec translation it was made from. */
const OWNED = new WeakMap<Attachment, { readonly base: Translated; readonly t: Translated }>();

/**
 * `base` (a policy's spec translation) owned by attachment `a`: the last translation's object when the attachment
 * (reused across translations while its targets are: target-memo.ts) and the spec translation are the same.
 */
function owned(a: Attachment, base: Translated): Translated {
  const known = OWNED.get(a);
  if (known?.base === base) return known.t;
  const t = copyWith(base, { owner: a });
  OWNED.set(a, { base, t });
  return t;
}

/** What applies to every route of every Gateway (one translation per distinct chain). */
function decide(
  set: AttachmentSet<KubeObject>,
  own: ReadonlyMap<string, Translated>,
  opts: {
    readonly built: readonly GatewayIr[];
    readonly book: PolicyStatusBook;
    readonly snapshot: ResourceSnapshot;
    readonly rateLimit?: RateLimitServiceSettings;
    readonly nodeOf: (gw: GatewayState) => string;
    readonly sites: RouteSites;
  },
): BackendTrafficDecisions {
  const { built, book, sites } = opts;
  const resolve = chainResolver((chain) => chainTranslation(chain, own, book, opts));
  const byRoute = new DecisionMap<Decision>();
  const gateways = new Map<string, string[]>();
  for (const b of built) {
    let byName: ReadonlyMap<string, ClusterIr> | undefined;
    const clusters = (): ReadonlyMap<string, ClusterIr> => (byName ??= new Map(b.xds.clusters.map((c) => [c.name, c])));
    const node = opts.nodeOf(b.gw);
    gateways.set(node, [...(gateways.get(node) ?? []), b.gw.key]);
    forEachRuleRoute(
      sites,
      b,
      set.routeTargets,
      (site, k, owner) => {
        const { ref, routeId } = site.grouping.rules[k];
        const rule = sites.ruleNameOf(site, k);
        return ruleDecision(resolve(set.forRule(routeId, rule, b.gw, owner)), ref, rule);
      },
      (site, _k, r, d) =>
        byRoute.set(b.gw.key, site.listener.port, r.name, withBackendProblems(d, r, clusters, book), site.host),
    );
    for (const { port, name } of l4Routes(b.xds)) {
      const d = l4Decision(name, b.gw, set, resolve, book);
      if (d) byRoute.set(b.gw.key, port, name, d);
    }
  }
  const rl = opts.rateLimit;
  return {
    byRoute,
    gatewaysOf: (node) => gateways.get(node) ?? [],
    untouched: (v) => sites.untouched(v, byRoute),
    ...(rl ? { rateLimitCluster: rateLimitClusterOf(rl) } : {}),
  };
}

/** The rate limit service's cluster (Envoy Gateway's name), HTTP/2, with its TLS when it has one. */
function rateLimitClusterOf(rl: RateLimitServiceSettings): ClusterIr {
  return {
    name: RATE_LIMIT_CLUSTER,
    // An in-cluster Service name is resolved by Envoy; an address (standalone's loopback) is an endpoint.
    discovery: isIP(rl.host) ? "static" : "dns",
    endpoints: [{ host: rl.host, port: rl.port }],
    protocol: "h2c",
    ...(rl.tls ? { tls: rl.tls } : {}),
  };
}

/**
 * The decision with what the cluster settings cannot do for this route's backends (variantProblem: a gRPC health
 * check on an HTTP/1 backend) added to its invalid values, so the route answers 500 and the policy says why.
 */
function withBackendProblems(
  d: Decision,
  r: RouteIr,
  clustersOf: () => ReadonlyMap<string, ClusterIr>,
  book: PolicyStatusBook,
): Decision {
  const settings = d.t.cluster?.ir;
  if (!settings || r.action.kind !== "forward") return d;
  // Only these settings can meet a problem with a backend (variantProblem, routingTypeWarning).
  if (!settings.healthCheck?.active?.grpc && settings.routingType !== "Service") return d;
  const clusters = clustersOf();
  warnRoutingType(d, r, clusters, book);
  const problems = [
    ...new Set(
      r.action.destinations.flatMap((dst) => {
        const base = dst.cluster !== undefined ? clusters.get(dst.cluster) : undefined;
        const problem = base ? variantProblem(settings, base.protocol) : undefined;
        return problem ? [problem] : [];
      }),
    ),
  ];
  if (problems.length === 0) return d;
  const owner = d.t.owner;
  if (owner)
    for (const m of problems)
      for (const anc of owner.target.ancestors) book.reject(owner.policy, anc, PolicyReason.Invalid, m);
  return { ...d, t: { ...d.t, invalid: [...d.t.invalid, ...problems] } };
}

/** A Warning on the policy for each backend of the route `routingType: Service` does not apply to. */
function warnRoutingType(
  d: Decision,
  r: RouteIr,
  clusters: ReadonlyMap<string, ClusterIr>,
  book: PolicyStatusBook,
): void {
  const settings = d.t.cluster?.ir;
  const owner = d.t.owner;
  if (settings?.routingType !== "Service" || !owner || r.action.kind !== "forward") return;
  for (const dst of r.action.destinations) {
    const base = dst.cluster !== undefined ? clusters.get(dst.cluster) : undefined;
    const warning = base ? routingTypeWarning(settings, base) : undefined;
    if (warning)
      for (const anc of owner.target.ancestors) book.warn(owner.policy, anc, "UnsupportedRoutingType", warning);
  }
}

/** What applies to one L4 route IR of a Gateway (undefined: no policy). */
function l4Decision(
  name: string,
  gw: GatewayState,
  set: AttachmentSet<KubeObject>,
  resolve: (chain: readonly Attachment[]) => Translated | undefined,
  book: PolicyStatusBook,
): Decision | undefined {
  const ref = l4Ref(name);
  const listener = ref && gw.listeners.find((x) => x.id === ref.listener);
  if (!ref || !listener) return undefined;
  const t = resolve(set.forRouteRule(ref.kind, ref.key, undefined, gw, listener));
  return t ? withL4HashProblem({ t }, ref.kind, book) : undefined;
}

/**
 * The decision for an L4 route with what its consistent hash cannot do there added to its invalid values: a
 * connection has no header, cookie or query parameter, so only SourceIP hashing (the tcp_proxy's or udp_proxy's
 * hash policy, as in Envoy Gateway) applies. Envoy Gateway leaves such a policy without a hash key; here the
 * policy says why (Accepted=False) and, as for other invalid values, the route's connections are refused.
 */
function withL4HashProblem(d: Decision, kind: string, book: PolicyStatusBook): Decision {
  const keys = d.t.cluster?.ir.loadBalancer?.hashKeys ?? [];
  const others = [...new Set(keys.filter((k) => k.kind !== "sourceIP").map((k) => k.kind))];
  if (others.length === 0) return d;
  const problem =
    `spec.loadBalancer.consistentHash: ${kind} backends hash by SourceIP only ` +
    `(a connection has no ${others.join(" or ")} to hash)`;
  const owner = d.t.owner;
  if (owner) for (const anc of owner.target.ancestors) book.reject(owner.policy, anc, PolicyReason.Invalid, problem);
  return { ...d, t: { ...d.t, invalid: [...d.t.invalid, problem] } };
}

/** Whether an applied policy hashes an L4 route's connections by client address (a SourceIP ConsistentHash). */
function l4Hashes(t: Translated): boolean {
  if (t.unimplemented.length > 0 || t.invalid.length > 0) return false;
  return (t.cluster?.ir.loadBalancer?.hashKeys ?? []).some((k) => k.kind === "sourceIP");
}

/**
 * The decision of a translation without a stat prefix, shared by the routes it applies to and kept across
 * translations (with the translation: {@link owned}), so that an unchanged route's rewrite is reused ({@link APPLIED}).
 */
const PLAIN = new WeakMap<Translated, Decision>();

/** What a route rule's translation `t` gives its Envoy routes: the translation and its route stat prefix. */
function ruleDecision(t: Translated | undefined, ref: RouteRef, rule: string | undefined): Decision | undefined {
  if (!t) return undefined;
  const template = t.action.routeStatName;
  if (template === undefined) {
    let d = PLAIN.get(t);
    if (!d) PLAIN.set(t, (d = { t }));
    return d;
  }
  const [namespace, name] = ref.key.split("/");
  return { t, statPrefix: routeStatName(template, { kind: ref.kind, namespace, name, rule }) };
}

/** The L4 route IRs of a node: TCP and TLS chains (`<kind>/ns/name/<listener id>`) and UDP listeners' routes. */
function l4Routes(n: GatewayXdsIr): { readonly port: number; readonly name: string }[] {
  return [
    ...(n.tcp ?? []).flatMap((l) => l.chains.map((c) => ({ port: l.port, name: c.name }))),
    ...n.http.flatMap((l) => (l.tlsRoutes ?? []).map((c) => ({ port: l.port, name: c.name }))),
    ...(n.udp ?? []).map((l) => ({ port: l.port, name: `${l.route}/udp` })),
  ];
}

/** `tcproute/ns/name/<listener id>` → the route's kind, key and listener id. */
export function l4Ref(name: string): { kind: string; key: string; listener: string } | undefined {
  const parts = name.split("/");
  const kind = L4_ROUTE_KINDS[parts[0]];
  if (!kind || parts.length < 4) return undefined;
  return { kind, key: `${parts[1]}/${parts[2]}`, listener: parts.slice(3).join("/") };
}

/** The published nodes with the decisions applied: routes changed, policy variant clusters added. */
export function applyBackendTraffic(xds: readonly GatewayXdsIr[], d: BackendTrafficDecisions): GatewayXdsIr[] {
  if (d.byRoute.size === 0) return [...xds];
  return xds.map((n) => applyToNode(n, d));
}

function applyToNode(n: GatewayXdsIr, d: BackendTrafficDecisions): GatewayXdsIr {
  const lookup = nodeLookup(d, n.name);
  const variants = new Variants(n.clusters);
  const http = n.http.map((listener): HttpListenerIr => {
    const l = mapListenerRoutes(
      listener,
      (r) => {
        const decision = lookup(listener.port, r.name);
        return decision ? appliedRoute(r, decision, variants) : r;
      },
      undefined,
      d.untouched,
    );
    const tlsRoutes = l.tlsRoutes && mapChanged(l.tlsRoutes, (c) => applyToChain(c, lookup(l.port, c.name), variants));
    return tlsRoutes === l.tlsRoutes ? l : { ...l, tlsRoutes };
  });
  const tcp = n.tcp?.map((l) => {
    const chains = mapChanged(l.chains, (c) => applyToChain(c, lookup(l.port, c.name), variants));
    return chains === l.chains ? l : { ...l, chains };
  });
  const udp = n.udp?.map((l) => {
    const decision = lookup(l.port, `${l.route}/udp`);
    const destinations = decision ? l4Destinations(l.destinations, decision.t, variants) : l.destinations;
    const hash = decision !== undefined && l4Hashes(decision.t);
    if (destinations === l.destinations && !hash) return l;
    return { ...l, destinations, ...(hash ? { hashSourceIp: true as const } : {}) };
  });
  return {
    ...n,
    http,
    ...(tcp ? { tcp } : {}),
    ...(udp ? { udp } : {}),
    clusters: [...n.clusters, ...variants.added(), ...rateLimitClusterFor(http, d)],
  };
}

/** The rate limit service's cluster when a route of these listeners has a global rate limit. */
function rateLimitClusterFor(http: readonly HttpListenerIr[], d: BackendTrafficDecisions): ClusterIr[] {
  if (!d.rateLimitCluster) return [];
  const used = http.some((l) => l.virtualHosts.some((v) => v.routes.some((r) => r.traffic?.globalRateLimit)));
  return used ? [d.rateLimitCluster] : [];
}

/**
 * One TCP or TLS chain with a policy applied: its backends' policy variants (hashing connections by client address
 * under a SourceIP consistent hash); none for an invalid policy.
 */
function applyToChain(c: TcpChainIr, decision: Decision | undefined, variants: Variants): TcpChainIr {
  if (!decision) return c;
  const destinations = l4Destinations(c.destinations, decision.t, variants);
  const hash = l4Hashes(decision.t);
  if (destinations === c.destinations && !hash) return c;
  return { ...c, destinations, ...(hash ? { hashSourceIp: true as const } : {}) };
}

/** An L4 route's destinations under a policy: unchanged, policy variants, or none (invalid: connections close). */
function l4Destinations(
  destinations: readonly WeightedDestinationIr[],
  t: Translated,
  variants: Variants,
): readonly WeightedDestinationIr[] {
  if (t.unimplemented.length > 0) return destinations;
  if (t.invalid.length > 0) return [];
  return t.cluster ? variants.of(destinations, t.cluster) : destinations;
}

/** Cluster-level settings of a translation and the variant suffix they give. */
type ClusterSettings = NonNullable<Translated["cluster"]>;

/** A route action that forwards to weighted destinations. */
type ForwardAction = Extract<RouteIr["action"], { readonly kind: "forward" }>;

/** The policy variants of a node's backend clusters (ADR 0005), made on first use. */
class Variants {
  private readonly clusters: ReadonlyMap<string, ClusterIr>;
  private readonly made = new Map<string, ClusterIr>();
  /** Per settings (few), the variant of each action (one map per settings, not one per action). */
  private readonly actions = new Map<ClusterSettings, Map<ForwardAction, ForwardAction>>();
  /** Per settings, the variant name of each base cluster name. */
  private readonly names = new Map<ClusterSettings, Map<string, string>>();

  constructor(clusters: readonly ClusterIr[]) {
    this.clusters = new Map(clusters.map((c) => [c.name, c]));
  }

  /** `destinations` sent to the variants with `settings` of their clusters. */
  of(destinations: readonly WeightedDestinationIr[], settings: ClusterSettings): WeightedDestinationIr[] {
    return destinations.map((dst): WeightedDestinationIr => {
      const base = dst.cluster !== undefined ? this.clusters.get(dst.cluster) : undefined;
      return base ? copyWith(dst, { cluster: this.variantOf(base, settings) }) : dst;
    });
  }

  /** The name of `base`'s variant with `settings`, made on first use. */
  private variantOf(base: ClusterIr, settings: ClusterSettings): string {
    let names = this.names.get(settings);
    if (!names) this.names.set(settings, (names = new Map()));
    let name = names.get(base.name);
    if (name === undefined) {
      name = `${base.name}/btp-${settings.suffix}`;
      names.set(base.name, name);
      if (!this.made.has(name)) {
        const service = settings.ir.routingType === "Service" ? base.serviceAddress : undefined;
        const endpoints = service ? [service] : base.endpoints;
        this.made.set(name, { ...base, name, endpoints, policy: settings.ir });
      }
    }
    return name;
  }

  /**
   * A forward action sent to the variants with `settings`: one per action and settings (the Envoy routes of one rule
   * share their action, and so share its variant).
   */
  action(a: ForwardAction, settings: ClusterSettings): ForwardAction {
    let byAction = this.actions.get(settings);
    if (!byAction) this.actions.set(settings, (byAction = new Map()));
    let out = byAction.get(a);
    if (!out) byAction.set(a, (out = copyWith(a, { destinations: this.of(a.destinations, settings) })));
    return out;
  }

  /**
   * Whether `done` (an earlier translation's `action(a, settings)`) is what {@link action} gives here (the same
   * variant names); if so, its variants are made as `action` would make them, and it stands for `a`'s variant.
   */
  replay(a: ForwardAction, settings: ClusterSettings, done: ForwardAction): boolean {
    const byAction = this.actions.get(settings);
    const made = byAction?.get(a);
    if (made) return sameClusters(made, done);
    const dsts = a.destinations;
    if (dsts.length !== done.destinations.length) return false;
    const bases = dsts.map((dst) => (dst.cluster !== undefined ? this.clusters.get(dst.cluster) : undefined));
    for (let i = 0; i < dsts.length; i++) {
      const base = bases[i];
      const name = base ? `${base.name}/btp-${settings.suffix}` : dsts[i].cluster;
      if (name !== done.destinations[i].cluster) return false;
    }
    for (const base of bases) if (base) this.variantOf(base, settings);
    if (byAction) byAction.set(a, done);
    else this.actions.set(settings, new Map([[a, done]]));
    return true;
  }

  /** The variants made, by name. */
  added(): ClusterIr[] {
    return [...this.made.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}

/** The last translation's {@link applyToRoute} of each route object, with the decision it applied. */
const APPLIED = new WeakMap<RouteIr, { readonly d: Decision; readonly out: RouteIr }>();

/**
 * {@link applyToRoute}, the last translation's route when the route object and the decision are the same and its
 * policy variants are what this node makes of the route's destinations (they are made again here, for the node's
 * cluster list).
 */
function appliedRoute(r: RouteIr, d: Decision, variants: Variants): RouteIr {
  const known = APPLIED.get(r);
  if (known?.d === d) {
    const t = d.t;
    const replayed =
      t.unimplemented.length > 0 ||
      t.invalid.length > 0 ||
      !t.cluster ||
      r.action.kind !== "forward" ||
      (known.out.action.kind === "forward" && variants.replay(r.action, t.cluster, known.out.action));
    if (replayed) return known.out;
  }
  const out = applyToRoute(r, d, variants);
  APPLIED.set(r, { d, out });
  return out;
}

/** One route with a policy's translation applied. */
function applyToRoute(r: RouteIr, d: Decision, variants: Variants): RouteIr {
  const t = d.t;
  if (t.unimplemented.length > 0) return r;
  if (t.invalid.length > 0) return invalidRuleRoute(r);
  const timeouts = withPolicyTimeouts(r.timeouts, t.action.timeouts);
  const responseHeaders = withRemoved(r.responseHeaders, orcaHeadersToRemove(t.cluster?.ir.loadBalancer));
  const action = t.cluster && r.action.kind === "forward" ? variants.action(r.action, t.cluster) : r.action;
  // One copy, its fields set in the order of the spread it replaces (copy.ts: this runs for every Envoy route a
  // policy reaches).
  const out = mutableCopy(r);
  out.action = action;
  if (t.action.retry) out.retry = t.action.retry;
  if (timeouts) out.timeouts = timeouts;
  if (t.traffic) out.traffic = t.traffic;
  if (d.statPrefix !== undefined) out.statPrefix = d.statPrefix;
  if (t.action.upgrades) out.upgrades = t.action.upgrades;
  if (t.action.tracing) out.tracing = t.action.tracing;
  if (responseHeaders) out.responseHeaders = responseHeaders;
  return out;
}

/** Whether two forward actions send to the same clusters. */
function sameClusters(a: ForwardAction, b: ForwardAction): boolean {
  return (
    a.destinations.length === b.destinations.length &&
    a.destinations.every((dst, i) => dst.cluster === b.destinations[i].cluster)
  );
}

/** `mods` also removing `names` (those it does not remove yet); unchanged when there are none. */
function withRemoved(mods: HeaderModIr | undefined, names: readonly string[]): HeaderModIr | undefined {
  if (names.length === 0) return mods;
  const extra = names.filter((n) => !(mods?.remove ?? []).includes(n));
  if (extra.length === 0) return mods;
  return { set: mods?.set ?? [], add: mods?.add ?? [], remove: [...(mods?.remove ?? []), ...extra] };
}

/** The translation of a chain's effective spec (one per distinct chain); undefined when it changes nothing. */
function chainTranslation(
  chain: readonly Attachment[],
  own: ReadonlyMap<string, Translated>,
  book: PolicyStatusBook,
  env: BackendTrafficEnv,
): Translated | undefined {
  const head = chain[0];
  const merges = (head.policy.spec as { mergeType?: unknown } | undefined)?.mergeType !== undefined && chain.length > 1;
  if (!merges) return own.get(head.policyKey);
  // Each policy's ConfigMap bodies are read in its own namespace before the specs are merged; a body that
  // cannot be read is a problem of the merged policy when its responseOverride is the one the merge kept.
  const unread: { readonly overrides: string; readonly problems: readonly string[] }[] = [];
  const inlined = chain.map((a) => {
    const r = withInlineBodies(a.policy.spec as BackendTrafficPolicySpec, context(a, env));
    if (r.problems.length > 0)
      unread.push({ overrides: JSON.stringify(r.spec.responseOverride), problems: r.problems });
    return r.spec === a.policy.spec ? a : { ...a, policy: { ...a.policy, spec: r.spec } };
  });
  const spec = effectiveSpec(inlined, book) as BackendTrafficPolicySpec;
  const keys = [...new Set(chain.map((a) => a.policyKey))].join("+");
  const kept = JSON.stringify(spec.responseOverride);
  const problems = unread.filter((u) => u.overrides === kept).flatMap((u) => u.problems);
  // With unreadable bodies the kept overrides are not looked up again (in the head's namespace).
  const { responseOverride: _unread, ...rest } = spec;
  const merged = translate(problems.length > 0 ? rest : spec, keys, context(head, env));
  const t = { ...merged, invalid: [...problems, ...merged.invalid], owner: head };
  reportProblems(head, t, book);
  return t;
}

/**
 * The translation of `a`'s own spec, shared in this translation with every policy in the same namespace whose spec
 * is equal apart from its targets (spec-content.ts): a spec's translation depends on the policy only through its
 * namespace (references) and its `namespace/name`, which goes into the route filters' `policy` (set here for each
 * policy) and into a global rate limit's shared domain (a spec with `rateLimit.global` is translated alone).
 */
function translateShared(a: Attachment, env: BackendTrafficEnv, shared: Map<string, Translated>): Translated {
  const spec = a.policy.spec as BackendTrafficPolicySpec;
  const key = spec.rateLimit?.global === undefined ? specContentKey(namespaceOf(a.policy.metadata), spec) : undefined;
  const known = key !== undefined ? shared.get(key) : undefined;
  if (known)
    return known.traffic ? copyWith(known, { traffic: copyWith(known.traffic, { policy: a.policyKey }) }) : known;
  const t = translate(spec, a.policyKey, context(a, env));
  if (key !== undefined) shared.set(key, t);
  return t;
}

/** Translates one spec. */
function translate(spec: BackendTrafficPolicySpec, policy: string, ctx: BackendTrafficContext): Translated {
  const unimplemented = unimplementedFields(spec, BACKEND_TRAFFIC_FIELDS);
  const invalid: string[] = [];
  const action = translateRouteAction(spec, invalid);
  const filters = translateRouteFilters(spec, ctx, invalid);
  const cluster = translateClusterSettings(spec, ctx, invalid);
  return {
    unimplemented,
    invalid,
    action,
    ...(filters ? { traffic: { policy, ...filters } } : {}),
    ...(cluster ? { cluster: { ir: cluster, suffix: variantSuffix(cluster) } } : {}),
  };
}

/** Suffixes by the JSON they hash (a pure function of it: policies with equal settings hash once). */
const SUFFIXES = new Map<string, string>();

/** A short content hash of cluster settings: equal settings, equal variant. */
export function variantSuffix(ir: ClusterPolicyIr): string {
  const json = stableJson(ir);
  let suffix = SUFFIXES.get(json);
  if (suffix === undefined) {
    if (SUFFIXES.size >= 4096) SUFFIXES.clear(); // bounded: settings of past translations are dropped
    suffix = createHash("sha256").update(json).digest("hex").slice(0, 10);
    SUFFIXES.set(json, suffix);
  }
  return suffix;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function context(a: Attachment, env: BackendTrafficEnv): BackendTrafficContext {
  const rl = env.rateLimit;
  return {
    namespace: namespaceOf(a.policy.metadata),
    policy: a.policyKey,
    snapshot: env.snapshot,
    ...(rl
      ? { rateLimitService: { cluster: RATE_LIMIT_CLUSTER, timeoutMs: rl.timeoutMs, failClosed: rl.failClosed } }
      : {}),
  };
}

/** The spec paths that act on HTTP requests only (route action and per-route filter settings). */
const HTTP_ONLY_FIELDS: readonly string[] = [...ROUTE_FIELDS, ...FILTER_FIELDS];

/**
 * A policy on a TCPRoute, TLSRoute or UDPRoute applies its cluster-level settings; the fields that act on HTTP
 * requests have nothing to act on there (Envoy Gateway drops them silently): a Warning names them.
 */
function warnHttpOnly(a: Attachment, book: PolicyStatusBook): void {
  const fields = HTTP_ONLY_FIELDS.filter((p) => valueAt(a.policy.spec, p) !== undefined).map((p) => `spec.${p}`);
  if (fields.length === 0) return;
  const message = `${fields.join(", ")}: only for HTTP and gRPC routes, not applied to ${a.target.kind} ${a.target.key}`;
  for (const anc of a.target.ancestors) book.warn(a.policy, anc, "UnsupportedField", message);
}

function reportProblems(a: Attachment, t: Translated, book: PolicyStatusBook): void {
  const messages = [
    ...(t.unimplemented.length > 0 ? [`${t.unimplemented.join(", ")}: not implemented by egts`] : []),
    ...t.invalid,
  ];
  for (const m of messages) for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
}
