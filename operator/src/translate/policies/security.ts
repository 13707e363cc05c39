/**
 * SecurityPolicy on the attachment engine: it targets Gateways, their listeners, ListenerSets, HTTPRoutes,
 * GRPCRoutes, TCPRoutes and route rules, and asks for authentication, authorization, CORS and CSRF on the traffic
 * of its targets.
 *
 * For every route rule on every listener the most specific winning policy applies (rule, route, listener,
 * ListenerSet, Gateway); a route-level policy with `mergeType` is merged onto the one below it, each field group
 * owned (references resolved, IR objects named) by the policy that set it. The result goes on the route as
 * {@link RouteSecurityIr}; the xDS filters read it from there.
 *
 * Fail closed, always: a policy that cannot be applied (a value that cannot be used, a reference that does not
 * resolve, a field egts does not translate yet) is Accepted=False saying why, and every route it applies to
 * answers 500 (Envoy Gateway's code), every TCP chain closes its connections. Envoy Gateway itself leaves a route
 * open when a route-level policy fails its cross-field validation, and never closes TCP; egts deliberately does not.
 *
 * Work is O(routes) per translation with one translation per distinct policy chain; decisions are made on each
 * Gateway's own IR and applied to the published nodes by {@link applySecurity}, after Gateways of merged classes
 * are combined (as BackendTrafficPolicy does).
 */
import { invalidRuleRoute } from "../httproute-rules";
import type { AuthorizationIr, RouteSecurityIr } from "../../ir/security-ir";
import type {
  ClusterIr,
  GatewayXdsIr,
  GenericSecretIr,
  GeoIpProviderIr,
  HttpListenerIr,
  RouteIr,
  RouteResourceMetadataIr,
  TcpChainIr,
} from "../../ir/xds-ir";
import type { BackendIndex } from "../backends";
import type { KubeObject } from "../../resources/meta";
import type { SecurityPolicySpec } from "../../resources/security-policy";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { GatewayState } from "../gateway";
import type { ListenerRefs } from "../listener-tls";
import type { GatewayIr } from "../merge-gateways";
import type { PolicyStatusBook } from "./ancestors";
import { l4Ref } from "./backend-traffic";
import { acceptRest, attachPolicies, valueAt, type AttachmentSet } from "./engine";
import { securityRuleProblems } from "./security-checks";
import type { OidcInputs, SecurityContext, SecurityOwner } from "./security-context";
import { tcpAuthorizationProblem } from "./security-authz";
import { geoPrerequisiteProblem } from "./security-geoip";
import { envoyProxyForNode } from "../envoy-proxy";
import { geoIpProviderFor } from "../geoip-provider";
import type { ClientIpIr } from "../../ir/client-traffic-http-ir";
import { withOidcPathRoutes } from "./security-oidc-routes";
import { translateSecuritySpec } from "./security-translate";
import type { TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules } from "./types";
import {
  chainResolver,
  changesNoRoute,
  DecisionMap,
  mapListenerRoutes,
  nodeLookup,
  chainOwner,
  mergedChainTranslation,
  routeSectionConflict,
  type PolicyDecisions,
} from "./decisions";
import { forEachRuleRoute, type HostSite, type RouteSites } from "./route-sites";

/** SecurityPolicy's attachment rules (Envoy Gateway v1.9). */
export const SECURITY_RULES: PolicyKindRules = {
  kind: "SecurityPolicy",
  plural: "securityPolicies",
  targetKinds: ["Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TCPRoute"],
  mergeable: true,
  conflictMessage: routeSectionConflict,
  deprecatedFields: {
    targetRef: "targetRefs",
    "extAuth.grpc.backendRef": "extAuth.grpc.backendRefs",
    "extAuth.http.backendRef": "extAuth.http.backendRefs",
  },
};

/** Envoy Gateway's message for a TCPRoute-targeted policy with more than authorization. */
export const TCP_ONLY_AUTHORIZATION =
  "Invalid SecurityPolicy for TCP route: only authorization is supported for TCP (routes/listeners).";

/** Envoy Gateway's message for a policy on TCP whose authorization rule needs a request (headers, JWT, CEL). */
export function tcpRuleMessage(problem: string): string {
  return `Invalid SecurityPolicy for TCP route: ${problem}.`;
}

/** The top-level spec fields that act on HTTP requests only (not on a TCPRoute). */
const HTTP_ONLY_GROUPS = ["cors", "csrf", "basicAuth", "apiKeyAuth", "jwt", "oidc", "extAuth"];

/** What this kind's translation needs beyond the policies. */
export interface SecurityEnv {
  /** The snapshot. */
  readonly snapshot: ResourceSnapshot;
  /** Secrets and ConfigMaps, and the ReferenceGrants that allow cross-namespace references. */
  readonly refs: ListenerRefs;
  /** Services and Backends the policies' service backendRefs resolve to. */
  readonly backends: BackendIndex;
  /** The OIDC HMAC secret and provider discovery results; absent: OIDC fails closed. */
  readonly oidc?: OidcInputs;
}

/** One (effective) spec translated. */
interface Translated {
  /** Why it cannot be applied; non-empty: fail closed. */
  readonly problems: readonly string[];
  /** What routes get; absent when the spec sets no feature. */
  readonly security?: RouteSecurityIr;
  /** Clusters of the services the routes' filters call; absent: none. */
  readonly clusters?: readonly ClusterIr[];
  /** Generic secrets the routes' filters read over SDS; absent: none. */
  readonly secrets?: readonly GenericSecretIr[];
  /** The route's resource metadata, for an ext auth that sends it (set per Envoy route). */
  readonly routeMetadata?: RouteResourceMetadataIr;
  /** The problems only left ext auth out (`failOpen`): reported, but the routes are not closed. */
  readonly failOpen?: boolean;
}

/** Whether a translation closes its routes and TCP chains (it has problems that were not bypassed). */
function closes(t: Translated): boolean {
  return t.problems.length > 0 && t.failOpen !== true;
}

/** The decisions of one translation, applied to the published nodes by {@link applySecurity}. */
export type SecurityDecisions = PolicyDecisions<Translated>;

/**
 * Attaches the SecurityPolicies, writes their statuses, and decides what applies to every HTTP, gRPC and TCP
 * route of every Gateway.
 */
export function attachSecurityPolicies(
  policies: readonly KubeObject[],
  index: TargetIndex,
  book: PolicyStatusBook,
  built: readonly GatewayIr[],
  env: SecurityEnv & { readonly nodeOf: (gw: GatewayState) => string; readonly sites: RouteSites },
): SecurityDecisions {
  const set = attachPolicies(policies, SECURITY_RULES, index, book);
  const own = new Map<string, Translated>();
  for (const a of set.winners) {
    const t = own.get(a.policyKey) ?? translateChain([a], a.policyKey, env);
    own.set(a.policyKey, t);
    report(a, t.problems, book);
    if (a.target.kind === "TCPRoute" && tcpProblem(a.policy.spec))
      for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, TCP_ONLY_AUTHORIZATION);
  }
  acceptRest(set, book, SECURITY_RULES);
  return decide(set, own, book, built, { ...env, index });
}

/** Whether a spec sets a field that cannot act on a TCPRoute. */
function tcpProblem(spec: unknown): boolean {
  return HTTP_ONLY_GROUPS.some((g) => valueAt(spec, g) !== undefined);
}

function report(a: Attachment, problems: readonly string[], book: PolicyStatusBook): void {
  for (const m of problems) for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
}

/** Resolves a chain of attachments to its translation (memoised per distinct chain). */
type Resolve = (chain: readonly Attachment[]) => Translated | undefined;

/** What applies to every route and TCP chain of every Gateway (one translation per distinct chain). */
function decide(
  set: AttachmentSet<KubeObject>,
  own: ReadonlyMap<string, Translated>,
  book: PolicyStatusBook,
  built: readonly GatewayIr[],
  env: SecurityEnv & {
    readonly index: TargetIndex;
    readonly nodeOf: (gw: GatewayState) => string;
    readonly sites: RouteSites;
  },
): SecurityDecisions {
  const resolve: Resolve = chainResolver((chain) => chainTranslation(chain, own, book, env));
  const byRoute = new DecisionMap<Translated>();
  const gateways = new Map<string, string[]>();
  // Policies that set no feature (and merge nothing) change no HTTP route: their routes are not visited.
  const noHttpChange = changesNoRoute(set.winners, own, changesRoutes);
  for (const b of built) {
    const node = env.nodeOf(b.gw);
    gateways.set(node, [...(gateways.get(node) ?? []), b.gw.key]);
    const geo = { provider: geoIpProviderFor(envoyProxyForNode(env.snapshot, node)), book };
    // Per listener: the geolocation prerequisites depend on its ClientTrafficPolicy's client IP detection.
    const onListener = (l: HttpListenerIr): Resolve => {
      return (chain) => geoChecked(chain, resolve(chain), l.clientTraffic?.clientIp, geo);
    };
    if (!noHttpChange) decideHttp(b, set, env.sites, onListener, byRoute);
    decideTcp(b, set, resolve, byRoute, book);
  }
  return {
    byRoute,
    gatewaysOf: (node) => gateways.get(node) ?? [],
    untouched: (v) => env.sites.untouched(v, byRoute),
  };
}

/** What the per-listener geolocation prerequisites are checked against (security-geoip.ts). */
interface GeoInputs {
  /** The GeoIP databases of the Gateway's proxies (EnvoyProxy `spec.geoIP`). */
  readonly provider: GeoIpProviderIr | undefined;
  /** Where a policy failing them is reported. */
  readonly book: PolicyStatusBook;
}

/** The decisions for one Gateway's HTTP and gRPC routes, into `out`. */
function decideHttp(
  b: GatewayIr,
  set: AttachmentSet<KubeObject>,
  sites: RouteSites,
  onListener: (l: HttpListenerIr) => Resolve,
  out: DecisionMap<Translated>,
): void {
  const resolvers = new Map<HttpListenerIr, Resolve>();
  forEachRuleRoute(
    sites,
    b,
    set.routeTargets,
    (site, k, owner) => {
      let resolve = resolvers.get(site.listener);
      if (!resolve) resolvers.set(site.listener, (resolve = onListener(site.listener)));
      const t = resolve(set.forRule(site.grouping.rules[k].routeId, sites.ruleNameOf(site, k), b.gw, owner));
      return t && changesRoutes(t) ? t : undefined;
    },
    (site, k, r, t) => out.set(b.gw.key, site.listener.port, r.name, withRouteMetadata(t, site, k, sites), site.host),
  );
}

/**
 * `t` on one listener: closed, and reported on the policy that owns authorization, when its geolocation conditions
 * lack a prerequisite there (Envoy Gateway checks them per listener too).
 */
function geoChecked(
  chain: readonly Attachment[],
  t: Translated | undefined,
  detection: ClientIpIr | undefined,
  geo: GeoInputs,
): Translated | undefined {
  const authz = t && !closes(t) ? t.security?.authorization : undefined;
  const bad = authz ? geoPrerequisiteProblem(authz, detection, geo.provider) : undefined;
  if (!bad) return t;
  const owner = chain.find((a) => valueAt(a.policy.spec, "authorization") !== undefined) ?? chain[0];
  report(owner, [`Authorization: ${bad}.`], geo.book);
  return { problems: [bad] };
}

/** Envoy Gateway's prefix of the annotations it copies into route metadata (without the prefix). */
const EG_ANNOTATION_PREFIX = "gateway.envoyproxy.io/";

/**
 * `t` for one Envoy route (of rule `k` of `site`), with the route resource's metadata when its ext auth sends route
 * metadata (`includeRouteMetadata`): kind, name, namespace, the rule's name, and its `gateway.envoyproxy.io/`
 * annotations.
 */
function withRouteMetadata(t: Translated, site: HostSite, k: number, sites: RouteSites): Translated {
  if (!t.security?.extAuth?.includeRouteMetadata) return t;
  const { ref, routeId } = site.grouping.rules[k];
  const [namespace, name] = ref.key.split("/");
  const rule = sites.ruleNameOf(site, k);
  const all = sites.routeObject(routeId)?.metadata.annotations ?? {};
  const annotations = Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith(EG_ANNOTATION_PREFIX))
      .map(([k, v]) => [k.slice(EG_ANNOTATION_PREFIX.length), v]),
  );
  const metadata: RouteResourceMetadataIr = {
    kind: ref.kind,
    name,
    namespace,
    ...(rule !== undefined ? { sectionName: rule } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return { ...t, routeMetadata: metadata };
}

/**
 * The route kinds whose chains are TCP connections a policy's authorization acts on: TCPRoutes, and (as Envoy
 * Gateway's TCP listeners include them) TLSRoutes, which a Gateway or listener policy covers.
 */
const TCP_KINDS = new Set(["TCPRoute", "TLSRoute"]);

/**
 * Whether a translation changes an HTTP route it applies to (see {@link applySecurity}): it closes the route, secures
 * it, or brings clusters or secrets to the node. One that does none of these (a policy setting no feature) is not
 * recorded as a decision, so its routes, and their virtual hosts, are left as they are without being looked at.
 */
function changesRoutes(t: Translated): boolean {
  if (closes(t) || t.security !== undefined) return true;
  return (t.clusters?.length ?? 0) > 0 || (t.secrets?.length ?? 0) > 0;
}

/** The decisions for one Gateway's TCPRoute and TLSRoute chains, into `out`. */
function decideTcp(
  b: GatewayIr,
  set: AttachmentSet<KubeObject>,
  resolve: Resolve,
  out: DecisionMap<Translated>,
  book: PolicyStatusBook,
): void {
  for (const l of b.xds.tcp ?? []) {
    for (const c of l.chains) {
      const ref = l4Ref(c.name);
      const listener = ref && TCP_KINDS.has(ref.kind) ? b.gw.listeners.find((x) => x.id === ref.listener) : undefined;
      const chain = ref && listener ? set.forRouteRule(ref.kind, ref.key, undefined, b.gw, listener) : [];
      const t = resolve(chain);
      if (!t) continue;
      const tcp = tcpTranslation(chain[0], t);
      if (tcp.rule) report(chain[0], tcp.problems, book);
      out.set(b.gw.key, l.port, c.name, tcp);
    }
  }
}

/**
 * A TCP chain's translation: a TCPRoute-targeted policy with HTTP-only fields fails closed there, and so does
 * authorization with a rule TCP cannot check (`rule`: that is why, to report). Only authorization acts on TCP.
 */
function tcpTranslation(head: Attachment, t: Translated): Translated & { readonly rule?: true } {
  if (head.target.kind === "TCPRoute" && tcpProblem(head.policy.spec))
    return { problems: [...t.problems, TCP_ONLY_AUTHORIZATION] };
  const authz = !closes(t) ? t.security?.authorization : undefined;
  const bad = authz ? tcpAuthorizationProblem(authz) : undefined;
  return bad ? { problems: [tcpRuleMessage(bad)], rule: true } : t;
}

/** The translation of a chain's effective spec (one per distinct chain); undefined when it changes nothing. */
function chainTranslation(
  chain: readonly Attachment[],
  own: ReadonlyMap<string, Translated>,
  book: PolicyStatusBook,
  env: SecurityEnv,
): Translated | undefined {
  // A head that breaks the CEL rules (e.g. mergeType Replace) is not merged: its own problems say why.
  const merges = securityRuleProblems(chain[0].policy.spec as SecurityPolicySpec).length === 0;
  return mergedChainTranslation(
    chain,
    own,
    book,
    (policy, spec) => translateChain(chain, policy, env, spec as SecurityPolicySpec),
    merges,
  );
}

/**
 * Translates the effective spec of `chain` (the head's own spec unless given), each field group owned by the
 * first policy of the chain that sets it.
 */
function translateChain(
  chain: readonly Attachment[],
  policy: string,
  env: SecurityEnv,
  spec: SecurityPolicySpec = chain[0].policy.spec as SecurityPolicySpec,
): Translated {
  const ownerOf = (group: string, has?: (value: unknown) => boolean): SecurityOwner => chainOwner(chain, group, has);
  const ctx: SecurityContext = {
    snapshot: env.snapshot,
    refs: env.refs,
    ownerOf,
    backends: env.backends,
    clusters: [],
    secrets: [],
    ...(env.oidc ? { oidc: env.oidc } : {}),
  };
  const rules = securityRuleProblems((chain[0].policy.spec ?? {}) as SecurityPolicySpec);
  const t = translateSecuritySpec(spec ?? {}, policy, ctx);
  return rules.length > 0 ? { problems: [...rules, ...t.problems] } : t;
}

/** The published nodes with the decisions applied: routes secured or answering 500, TCP chains closed. */
export function applySecurity(xds: readonly GatewayXdsIr[], d: SecurityDecisions): GatewayXdsIr[] {
  if (d.byRoute.size === 0) return [...xds];
  return xds.map((n) => applyToNode(n, d));
}

function applyToNode(n: GatewayXdsIr, d: SecurityDecisions): GatewayXdsIr {
  const lookup = nodeLookup(d, n.name);
  const clusters = new Map<string, ClusterIr>();
  const secrets = new Map<string, GenericSecretIr>();
  const used = (t: Translated | undefined): Translated | undefined => {
    if (t && !closes(t)) {
      for (const c of t.clusters ?? []) if (!clusters.has(c.name)) clusters.set(c.name, c);
      for (const s of t.secrets ?? []) if (!secrets.has(s.name)) secrets.set(s.name, s);
    }
    return t;
  };
  const http = n.http.map((l) =>
    mapListenerRoutes(
      l,
      (r) => {
        const t = used(lookup(l.port, r.name));
        return t ? applyToRoute(r, t) : r;
      },
      (routes, v) => withOidcPathRoutes(routes, v.domains),
      d.untouched,
    ),
  );
  const tcp = n.tcp?.map((l) => ({ ...l, chains: l.chains.map((c) => applyToChain(c, lookup(l.port, c.name))) }));
  const own = new Set(n.clusters.map((c) => c.name));
  const added = [...clusters.values()].filter((c) => !own.has(c.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    ...n,
    http,
    ...(tcp ? { tcp } : {}),
    ...(added.length > 0 ? { clusters: [...n.clusters, ...added] } : {}),
    ...withSecrets(n, secrets),
  };
}

/** The node's served secrets with `more` added (sorted by name), or nothing to change. */
function withSecrets(n: GatewayXdsIr, more: ReadonlyMap<string, GenericSecretIr>): Partial<GatewayXdsIr> {
  const own = new Set((n.secrets ?? []).map((s) => s.name));
  const added = [...more.values()].filter((s) => !own.has(s.name));
  if (added.length === 0) return {};
  return { secrets: [...(n.secrets ?? []), ...added].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/** One route under a policy: secured, or answering 500 when the policy cannot be applied. */
function applyToRoute(r: RouteIr, t: Translated): RouteIr {
  if (closes(t)) return invalidRuleRoute(r);
  if (!t.security) return r;
  return { ...r, security: t.security, ...(t.routeMetadata ? { metadata: t.routeMetadata } : {}) };
}

/** One TCP chain under a policy: its authorization, or no destinations (connections close) when invalid. */
function applyToChain(c: TcpChainIr, t: Translated | undefined): TcpChainIr {
  if (!t) return c;
  if (closes(t)) return { ...c, destinations: [] };
  const authorization: AuthorizationIr | undefined = t.security?.authorization;
  return authorization ? { ...c, authorization } : c;
}
