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
 * answer 500. Policies on TCPRoutes, UDPRoutes and TLSRoutes are Accepted=False (not implemented yet).
 *
 * Work is O(routes) per translation with one translation per distinct policy chain. The decisions are made on
 * each Gateway's own IR (where every route's listener is known) and applied to the published nodes by
 * {@link applyBackendTraffic}, after Gateways of merged classes are combined.
 */
import { createHash } from "node:crypto";
import type { ClusterPolicyIr, RouteTrafficIr } from "../../ir/backend-traffic-ir";
import type { ClusterIr, GatewayXdsIr, HttpListenerIr, RouteIr, WeightedDestinationIr } from "../../ir/xds-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { GatewayState, ListenerState } from "../gateway";
import { hostnameMatches, listenerRank } from "../hostnames";
import type { GatewayIr } from "../merge-gateways";
import type { PolicyStatusBook } from "./ancestors";
import { CLUSTER_FIELDS, translateClusterSettings } from "./backend-traffic-cluster";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { FILTER_FIELDS, translateRouteFilters } from "./backend-traffic-filters";
import {
  ROUTE_FIELDS,
  translateRouteAction,
  withRequestTimeout,
  type RouteActionSettings,
} from "./backend-traffic-route";
import { unimplementedFields } from "./client-traffic-fields";
import { acceptRest, attachPolicies, effectiveSpec, type AttachmentSet } from "./engine";
import { ROUTE_KINDS, type TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules } from "./types";

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

/** Route kinds whose rules this kind configures today (L4 routes: not yet). */
const HTTP_ROUTE_KINDS: Readonly<Record<string, string>> = { httproute: "HTTPRoute", grpcroute: "GRPCRoute" };

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
}

/** What applies to one route on one Gateway port: a translation, or nothing. */
type Decision = Translated;

/** The decisions of one translation, applied to the published nodes by {@link applyBackendTraffic}. */
export interface BackendTrafficDecisions {
  /** `gateway key|port|route IR name` → what applies there. */
  readonly byRoute: ReadonlyMap<string, Decision>;
  /** `namespace/name` of the Gateways of each node (a merged class's node has several). */
  readonly gatewaysOf: (node: string) => readonly string[];
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
  opts: { readonly snapshot: ResourceSnapshot; readonly nodeOf: (gw: GatewayState) => string },
): BackendTrafficDecisions {
  const set = attachPolicies(policies, BACKEND_TRAFFIC_RULES, index, book);
  const own = new Map<string, Translated>();
  for (const a of set.winners) {
    if (!HTTP_ROUTE_KINDS[a.target.kind.toLowerCase()] && !["Gateway", "ListenerSet"].includes(a.target.kind)) {
      const message = `BackendTrafficPolicy for ${a.target.kind} is not implemented by egts yet: the policy is not applied`;
      for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, message);
      continue;
    }
    const t =
      own.get(a.policyKey) ??
      translate(a.policy.spec as BackendTrafficPolicySpec, a.policyKey, context(a, opts.snapshot));
    own.set(a.policyKey, t);
    reportProblems(a, t, book);
  }
  acceptRest(set, book, BACKEND_TRAFFIC_RULES);

  return decide(set, own, { built, index, book, ...opts });
}

/** What applies to every HTTP and gRPC route of every Gateway (one translation per distinct chain). */
function decide(
  set: AttachmentSet<KubeObject>,
  own: ReadonlyMap<string, Translated>,
  opts: {
    readonly built: readonly GatewayIr[];
    readonly index: TargetIndex;
    readonly book: PolicyStatusBook;
    readonly snapshot: ResourceSnapshot;
    readonly nodeOf: (gw: GatewayState) => string;
  },
): BackendTrafficDecisions {
  const { built, index, book } = opts;
  const byChain = new Map<string, Translated | undefined>();
  const byRoute = new Map<string, Decision>();
  const gateways = new Map<string, string[]>();
  for (const b of built) {
    const node = opts.nodeOf(b.gw);
    gateways.set(node, [...(gateways.get(node) ?? []), b.gw.key]);
    for (const l of b.xds.http) {
      for (const v of l.virtualHosts) {
        for (const r of v.routes) {
          const ref = routeRef(r.name);
          if (!ref) continue;
          const listener = ownerListener(b.gw, l.port, v.domains[0] ?? "*", `${ref.kind}/${ref.key}`, index);
          if (!listener) continue;
          const chain = set.forRouteRule(ref.kind, ref.key, ruleName(ref, index), b.gw, listener);
          if (chain.length === 0) continue;
          const id = chain
            .map((a) => `${a.policyKey}@${a.target.kind}/${a.target.key}#${a.target.sectionName ?? ""}`)
            .join(",");
          let t = byChain.get(id);
          if (!byChain.has(id)) {
            t = chainTranslation(chain, own, book, opts.snapshot);
            byChain.set(id, t);
          }
          if (t) byRoute.set(`${b.gw.key}|${l.port}|${r.name}`, t);
        }
      }
    }
  }
  return { byRoute, gatewaysOf: (node) => gateways.get(node) ?? [] };
}

/** The published nodes with the decisions applied: routes changed, policy variant clusters added. */
export function applyBackendTraffic(xds: readonly GatewayXdsIr[], d: BackendTrafficDecisions): GatewayXdsIr[] {
  if (d.byRoute.size === 0) return [...xds];
  return xds.map((n) => applyToNode(n, d));
}

function applyToNode(n: GatewayXdsIr, d: BackendTrafficDecisions): GatewayXdsIr {
  const gws = d.gatewaysOf(n.name);
  const clusters = new Map(n.clusters.map((c) => [c.name, c]));
  const variants = new Map<string, ClusterIr>();
  let changed = false;
  const http = n.http.map((l): HttpListenerIr => {
    let touched = false;
    const virtualHosts = l.virtualHosts.map((v) => {
      let hit = false;
      const routes = v.routes.map((r) => {
        const t = decisionFor(d, gws, l.port, r.name);
        if (!t) return r;
        hit = true;
        return applyToRoute(r, t, clusters, variants);
      });
      touched ||= hit;
      return hit ? { ...v, routes } : v;
    });
    changed ||= touched;
    return touched ? { ...l, virtualHosts } : l;
  });
  if (!changed) return n;
  return {
    ...n,
    http,
    clusters: [...n.clusters, ...[...variants.values()].sort((a, b) => (a.name < b.name ? -1 : 1))],
  };
}

function decisionFor(
  d: BackendTrafficDecisions,
  gws: readonly string[],
  port: number,
  route: string,
): Decision | undefined {
  for (const gw of gws) {
    const t = d.byRoute.get(`${gw}|${port}|${route}`);
    if (t) return t;
  }
  return undefined;
}

/** One route with a policy's translation applied. */
function applyToRoute(
  r: RouteIr,
  t: Translated,
  clusters: ReadonlyMap<string, ClusterIr>,
  variants: Map<string, ClusterIr>,
): RouteIr {
  if (t.unimplemented.length > 0) return r;
  if (t.invalid.length > 0) return { name: r.name, match: r.match, action: { kind: "direct", status: 500 } };
  const timeouts = withRequestTimeout(r.timeouts, t.action.requestTimeoutMs);
  let action = r.action;
  if (t.cluster && action.kind === "forward") {
    const c = t.cluster;
    const destinations = action.destinations.map((dst): WeightedDestinationIr => {
      const base = dst.cluster !== undefined ? clusters.get(dst.cluster) : undefined;
      if (!base) return dst;
      const name = `${base.name}/btp-${c.suffix}`;
      if (!variants.has(name)) {
        variants.set(name, {
          ...base,
          name,
          policy: c.ir,
          ...(base.discovery === "static" ? { edsServiceName: base.edsServiceName ?? base.name } : {}),
        });
      }
      return { ...dst, cluster: name };
    });
    action = { ...action, destinations };
  }
  return {
    ...r,
    action,
    ...(t.action.retry ? { retry: t.action.retry } : {}),
    ...(timeouts ? { timeouts } : {}),
    ...(t.traffic ? { traffic: t.traffic } : {}),
  };
}

/** The translation of a chain's effective spec (one per distinct chain); undefined when it changes nothing. */
function chainTranslation(
  chain: readonly Attachment[],
  own: ReadonlyMap<string, Translated>,
  book: PolicyStatusBook,
  snapshot: ResourceSnapshot,
): Translated | undefined {
  const head = chain[0];
  const merges = (head.policy.spec as { mergeType?: unknown } | undefined)?.mergeType !== undefined && chain.length > 1;
  if (!merges) return own.get(head.policyKey);
  const spec = effectiveSpec(chain, book) as BackendTrafficPolicySpec;
  const keys = [...new Set(chain.map((a) => a.policyKey))].join("+");
  const t = translate(spec, keys, context(head, snapshot));
  reportProblems(head, t, book);
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

/** A short content hash of cluster settings: equal settings, equal variant. */
export function variantSuffix(ir: ClusterPolicyIr): string {
  return createHash("sha256").update(stableJson(ir)).digest("hex").slice(0, 10);
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

function context(a: Attachment, snapshot: ResourceSnapshot): BackendTrafficContext {
  return { namespace: namespaceOf(a.policy.metadata), snapshot };
}

function reportProblems(a: Attachment, t: Translated, book: PolicyStatusBook): void {
  const messages = [
    ...(t.unimplemented.length > 0 ? [`${t.unimplemented.join(", ")}: not implemented by egts`] : []),
    ...t.invalid,
  ];
  for (const m of messages) for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
}

/** `httproute/ns/name/rule/R/match/M` → the route's kind, key and rule segment. */
function routeRef(name: string): { kind: string; key: string; rule?: string } | undefined {
  const parts = name.split("/");
  const kind = HTTP_ROUTE_KINDS[parts[0]];
  if (!kind || parts.length < 3) return undefined;
  return { kind, key: `${parts[1]}/${parts[2]}`, ...(parts[3] === "rule" ? { rule: parts[4] } : {}) };
}

/** The rule's name for sectionName targets: the segment, when the route has a rule of that name. */
function ruleName(ref: { kind: string; key: string; rule?: string }, index: TargetIndex): string | undefined {
  if (ref.rule === undefined) return undefined;
  const route = index.routes.get(`${ref.kind}/${ref.key}`);
  return (route?.route.spec?.rules ?? []).some((r) => r.name === ref.rule) ? ref.rule : undefined;
}

/**
 * The Gateway listener a route's virtual host belongs to on `port`: among the listeners the route attached to
 * there, the most specific one whose hostname covers the host (as virtual-hosts.ts assigns hosts).
 */
function ownerListener(
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
