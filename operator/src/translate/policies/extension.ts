/**
 * EnvoyExtensionPolicy on the attachment engine: it targets Gateways, their listeners, ListenerSets, routes and
 * route rules, and runs extensions (Lua, external processors and dynamic modules; Wasm is refused by name) on the
 * HTTP and gRPC traffic of its targets.
 *
 * For every route rule on every listener the most specific winning policy applies (rule, route, listener,
 * ListenerSet, Gateway); a route-level policy with `mergeType` is merged onto the one below it, each list owned
 * (references resolved, IR objects named) by the policy that set it. The result goes on the route as
 * {@link RouteExtensionsIr}; the xDS filters read it from there, and the clusters of its external processors are
 * added to the nodes whose routes use them. A policy that cannot be applied is
 * Accepted=False saying why and its routes answer 500, as in Envoy Gateway (a Lua error always; an ext_proc or
 * Wasm error unless the failing entries fail open).
 *
 * L4 routes (TCP, UDP, TLS) can be targeted, as in Envoy Gateway's CRD, but the extensions act on HTTP only: such
 * an attachment is Accepted=False saying the policy does nothing there.
 */
import { invalidRuleRoute } from "../httproute-rules";
import type { RouteExtensionsIr } from "../../ir/extension-ir";
import type { ClusterIr, GatewayXdsIr, RouteIr, UpstreamTlsIr } from "../../ir/xds-ir";
import type { WasmModules } from "../wasm-sources";
import { withWasmCluster } from "./extension-wasm";
import type { EnvoyExtensionPolicySpec } from "../../resources/envoy-extension-policy";
import type { DynamicModuleEntry, LuaValidation } from "../../resources/envoy-proxy";
import type { KubeObject } from "../../resources/meta";
import type { BackendIndex } from "../backends";
import type { ExtensionApiGates } from "../extension-gates";
import type { GatewayState } from "../gateway";
import type { ListenerRefs } from "../listener-tls";
import type { GatewayIr } from "../merge-gateways";
import type { PolicyStatusBook } from "./ancestors";
import {
  chainOwner,
  chainResolver,
  changesNoRoute,
  DecisionMap,
  mergedChainTranslation,
  mapListenerRoutes,
  nodeLookup,
  routeSectionConflict,
  type PolicyDecisions,
} from "./decisions";
import { acceptRest, attachPolicies } from "./engine";
import type { ExtensionContext } from "./extension-context";
import { hasExtensions, translateExtensionSpec, type ExtensionTranslation } from "./extension-translate";
import type { TargetIndex } from "./target-index";
import { ROUTE_KINDS } from "./target-index";
import { forEachRuleRoute, type RouteSites } from "./route-sites";
import { PolicyReason } from "./targets";
import type { Attachment, PolicyKindRules } from "./types";

/** EnvoyExtensionPolicy's attachment rules (Envoy Gateway v1.9). */
export const ENVOY_EXTENSION_RULES: PolicyKindRules = {
  kind: "EnvoyExtensionPolicy",
  plural: "envoyExtensionPolicies",
  targetKinds: ["Gateway", "ListenerSet", ...ROUTE_KINDS],
  mergeable: true,
  conflictMessage: routeSectionConflict,
};

/** The route kinds whose traffic the extensions act on. */
const HTTP_KINDS = new Set(["HTTPRoute", "GRPCRoute"]);

/** What this kind's translation needs beyond the policies. */
export interface ExtensionEnv {
  /** Secrets and ConfigMaps, and the ReferenceGrants. */
  readonly refs: ListenerRefs;
  /** The EnvoyGateway configuration's switches. */
  readonly gates: ExtensionApiGates;
  /** Services and Backends (external processors' backendRefs). */
  readonly backends: BackendIndex;
  /** The `dynamicModules` allowlist of a Gateway's EnvoyProxy (by `namespace/name`). */
  readonly dynamicModulesOf: (gateway: string) => readonly DynamicModuleEntry[];
  /** The `luaValidation` of a Gateway's EnvoyProxy (by `namespace/name`); absent: Strict. */
  readonly luaValidationOf?: (gateway: string) => LuaValidation | undefined;
  /** The node a Gateway is published on. */
  readonly nodeOf: (gw: GatewayState) => string;
  /** The Wasm modules fetched so far; absent: every `wasm` entry fails. */
  readonly wasm?: WasmModules;
  /** Where the route rules of the built Gateways are (shared by the route-level kinds). */
  readonly sites: RouteSites;
}

/** The decisions of one translation, applied to the published nodes by {@link applyExtensions}. */
export type ExtensionDecisions = PolicyDecisions<ExtensionTranslation>;

/** Attaches the EnvoyExtensionPolicies, writes their statuses, and decides what applies to every HTTP route. */
export function attachExtensionPolicies(
  policies: readonly KubeObject[],
  index: TargetIndex,
  book: PolicyStatusBook,
  built: readonly GatewayIr[],
  env: ExtensionEnv,
): ExtensionDecisions {
  const set = attachPolicies(policies, ENVOY_EXTENSION_RULES, index, book);
  const own = new Map<string, ExtensionTranslation>();
  for (const a of set.winners) {
    if (!HTTP_KINDS.has(a.target.kind) && (ROUTE_KINDS as readonly string[]).includes(a.target.kind)) {
      const m = `${a.target.kind} ${a.target.key}: EnvoyExtensionPolicy extensions act on HTTP traffic only; the policy does nothing for this route`;
      for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
      continue;
    }
    const t = own.get(a.policyKey) ?? translateChain([a], a.policyKey, env);
    own.set(a.policyKey, t);
    report(a, t.problems, book);
  }
  acceptRest(set, book, ENVOY_EXTENSION_RULES);
  const resolve = chainResolver((chain) => chainTranslation(chain, own, book, env));
  const byRoute = new DecisionMap<ExtensionTranslation>();
  const gateways = new Map<string, string[]>();
  // Policies that set no extension (and merge nothing) change no route: their routes are not visited.
  const noChange = changesNoRoute(set.winners, own, changesRoutes);
  for (const b of built) {
    const node = env.nodeOf(b.gw);
    gateways.set(node, [...(gateways.get(node) ?? []), b.gw.key]);
    if (noChange) continue;
    forEachRuleRoute(
      env.sites,
      b,
      set.routeTargets,
      (site, k, owner) => {
        const { routeId } = site.grouping.rules[k];
        const t = resolve(set.forRule(routeId, env.sites.ruleNameOf(site, k), b.gw, owner));
        return t && changesRoutes(t) ? t : undefined;
      },
      (site, _k, r, t) => byRoute.set(b.gw.key, site.listener.port, r.name, t, site.host),
    );
  }
  return {
    byRoute,
    gatewaysOf: (node) => gateways.get(node) ?? [],
    untouched: (v) => env.sites.untouched(v, byRoute),
  };
}

/**
 * Whether a translation changes a route it applies to (see {@link applyExtensions}): it fails (the route answers
 * 500), or it runs an extension or adds a cluster. One that does neither (a policy setting no extension) is not
 * recorded as a decision, so its routes, and their virtual hosts, are left as they are without being looked at.
 */
function changesRoutes(t: ExtensionTranslation): boolean {
  if (t.failed) return true;
  return t.extensions !== undefined && (hasExtensions(t.extensions) || (t.clusters?.length ?? 0) > 0);
}

function report(a: Attachment, problems: readonly string[], book: PolicyStatusBook): void {
  for (const m of problems) for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, m);
}

/** The translation of a chain's effective spec (one per distinct chain). */
function chainTranslation(
  chain: readonly Attachment[],
  own: ReadonlyMap<string, ExtensionTranslation>,
  book: PolicyStatusBook,
  env: ExtensionEnv,
): ExtensionTranslation | undefined {
  return mergedChainTranslation(chain, own, book, (policy, spec) =>
    translateChain(chain, policy, env, spec as EnvoyExtensionPolicySpec),
  );
}

/** Translates the effective spec of `chain`, each list owned by the first policy of the chain that sets it. */
function translateChain(
  chain: readonly Attachment[],
  policy: string,
  env: ExtensionEnv,
  spec: EnvoyExtensionPolicySpec = chain[0].policy.spec as EnvoyExtensionPolicySpec,
): ExtensionTranslation {
  // The allowlist and Lua validation of the head's first Gateway: a route attached to Gateways with different
  // EnvoyProxies is translated once, against the first one's.
  const gateway = chain[0].target.gateways[0];
  const ctx: ExtensionContext = {
    refs: env.refs,
    gates: env.gates,
    backends: env.backends,
    dynamicModules: gateway !== undefined ? env.dynamicModulesOf(gateway) : [],
    luaValidation: (gateway !== undefined ? env.luaValidationOf?.(gateway) : undefined) ?? "Strict",
    ownerOf: (list) => chainOwner(chain, list),
    ...(env.wasm ? { wasm: env.wasm } : {}),
  };
  return translateExtensionSpec(spec ?? {}, policy, ctx);
}

/** The published nodes with the decisions applied: routes running their extensions, or answering 500. */
export function applyExtensions(
  xds: readonly GatewayXdsIr[],
  d: ExtensionDecisions,
  wasmTls?: UpstreamTlsIr,
): GatewayXdsIr[] {
  if (d.byRoute.size === 0) return [...xds];
  return xds.map((n) => {
    const lookup = nodeLookup(d, n.name);
    const clusters = new Map<string, ClusterIr>();
    const http = n.http.map((l) =>
      mapListenerRoutes(
        l,
        (r) => {
          const t = lookup(l.port, r.name);
          if (t && !t.failed && t.extensions) for (const c of t.clusters ?? []) clusters.set(c.name, c);
          return t ? applyToRoute(r, t) : r;
        },
        undefined,
        d.untouched,
      ),
    );
    const own = new Set(n.clusters.map((c) => c.name));
    const added = [...clusters.values()].filter((c) => !own.has(c.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    return withWasmCluster(
      { ...n, http, ...(added.length > 0 ? { clusters: [...n.clusters, ...added] } : {}) },
      wasmTls,
    );
  });
}

/** One route under a policy: its extensions, or a 500 when the policy cannot be applied. */
function applyToRoute(r: RouteIr, t: ExtensionTranslation): RouteIr {
  if (t.failed) return invalidRuleRoute(r);
  const extensions: RouteExtensionsIr | undefined = t.extensions;
  return extensions && hasExtensions(extensions) ? { ...r, extensions } : r;
}
