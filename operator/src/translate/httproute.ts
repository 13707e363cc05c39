/** HTTPRoute: attach to parent listeners, resolve backends, and turn rules into IR routes. */
import type { ClusterIr, RouteIr } from "../ir/xds-ir";
import type { HTTPRoute, ParentReference } from "../resources/gateway-api";
import { GATEWAY_API_GROUP } from "../resources/gateway-api";
import type { Namespace } from "../resources/core";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import type { BackendIndex } from "./backends";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { compileRules, redirectFor, type CompiledRoute, type CompiledRules } from "./httproute-rules";
import { listenerReady, type GatewayState, type ListenerState } from "./gateway";
import { intersectHostnames } from "./hostnames";
import { selectorMatches } from "../resources/labels";

/** Context shared by all routes of one translation. */
export interface RouteContext {
  /** Accepted Gateways by `namespace/name`. */
  readonly gateways: ReadonlyMap<string, GatewayState>;
  /** Backends. */
  readonly backends: BackendIndex;
  /** Namespaces, for allowedRoutes selectors. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Clusters used per Gateway key (filled in). */
  readonly clustersByGateway: Map<string, Map<string, ClusterIr>>;
  /** Controller name written into route parent statuses. */
  readonly controllerName: string;
}

/** Attaches one HTTPRoute to its parents; returns its status (or undefined when no parent is ours). */
export function processHTTPRoute(route: HTTPRoute, ctx: RouteContext): StatusUpdate | undefined {
  const ns = namespaceOf(route.metadata);
  const gen = route.metadata.generation;
  const compiled = compileRules(route, ctx.backends);
  const parents: unknown[] = [];
  for (const ref of route.spec.parentRefs ?? []) {
    if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? "Gateway") !== "Gateway") continue;
    const gw = ctx.gateways.get(`${ref.namespace ?? ns}/${ref.name}`);
    if (!gw) continue; // not one of our Gateways: its controller owns this parent's status
    const accepted = compiled.unsupported
      ? condition(
          CondType.Accepted,
          false,
          compiled.unsupported.reason ?? Reason.UnsupportedValue,
          compiled.unsupported.error,
          gen,
        )
      : attach(route, ref, gw, compiled, ctx);
    const resolved = compiled.refProblem
      ? condition(CondType.ResolvedRefs, false, compiled.refProblem.reason, compiled.refProblem.message, gen)
      : condition(
          CondType.ResolvedRefs,
          true,
          Reason.ResolvedRefs,
          "Resolved all the Object references for the Route",
          gen,
        );
    parents.push({
      parentRef: cleanRef(ref),
      controllerName: ctx.controllerName,
      conditions: [{ ...accepted, observedGeneration: gen }, resolved],
    });
  }
  if (parents.length === 0) return undefined;
  return {
    apiVersion: route.apiVersion,
    kind: "HTTPRoute",
    namespace: ns,
    name: route.metadata.name,
    status: { parents },
  };
}

function cleanRef(ref: ParentReference): ParentReference {
  const out: Record<string, unknown> = { group: ref.group ?? GATEWAY_API_GROUP, kind: ref.kind ?? "Gateway" };
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  out.name = ref.name;
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out as unknown as ParentReference;
}

/** Attaches the compiled rules to the matching listeners of one parent Gateway. */
function attach(
  route: HTTPRoute,
  ref: ParentReference,
  gw: GatewayState,
  compiled: CompiledRules,
  ctx: RouteContext,
): Condition {
  const ns = namespaceOf(route.metadata);
  const candidates = gw.listeners.filter(
    (l) =>
      (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
      (ref.port === undefined || l.listener.port === ref.port),
  );
  if (candidates.length === 0) {
    const what = [ref.sectionName && `sectionName "${ref.sectionName}"`, ref.port && `port ${ref.port}`]
      .filter(Boolean)
      .join(" and ");
    return condition(
      CondType.Accepted,
      false,
      Reason.NoMatchingParent,
      `Gateway ${gw.key} has no listener with ${what}`,
    );
  }
  const allowed = candidates.filter((l) => listenerReady(l) && allowsRoute(l, ns, gw, ctx.namespaces));
  if (allowed.length === 0) {
    return condition(
      CondType.Accepted,
      false,
      Reason.NotAllowedByListeners,
      `no listener of Gateway ${gw.key} (${candidates.map((l) => l.listener.name).join(", ")}) accepts HTTPRoutes from namespace ${ns}; check the listeners' protocol and allowedRoutes`,
    );
  }
  let attached = 0;
  for (const l of allowed) {
    const hosts = intersectHostnames(l.listener.hostname, route.spec.hostnames ?? []);
    if (hosts.length === 0) continue;
    attached++;
    l.attached.add(`HTTPRoute/${keyOf(route.metadata)}`);
    for (const h of hosts) {
      for (const r of compiled.routes) {
        l.entries.push({
          hostname: h,
          route: routeFor(r, l),
          tie: {
            created: route.metadata.creationTimestamp ?? "",
            key: keyOf(route.metadata),
            rule: r.rule,
            match: r.match,
          },
        });
      }
    }
  }
  if (attached === 0) {
    return condition(
      CondType.Accepted,
      false,
      Reason.NoMatchingListenerHostname,
      `none of the route's hostnames (${(route.spec.hostnames ?? []).join(", ")}) match a listener hostname of Gateway ${gw.key} (${allowed.map((l) => l.listener.hostname ?? "*").join(", ")})`,
    );
  }
  const clusters = ctx.clustersByGateway.get(gw.key) ?? new Map<string, ClusterIr>();
  for (const c of compiled.clusters) clusters.set(c.name, c);
  ctx.clustersByGateway.set(gw.key, clusters);
  return condition(CondType.Accepted, true, Reason.Accepted, "Route is accepted");
}

/** The IR route as served on one listener (a redirect's default port is the listener's). */
function routeFor(r: CompiledRoute, l: ListenerState): RouteIr {
  return r.redirect ? redirectFor(r.route, r.redirect, l.listener) : r.route;
}

function allowsRoute(
  l: ListenerState,
  routeNs: string,
  gw: GatewayState,
  namespaces: ReadonlyMap<string, Namespace>,
): boolean {
  if (!l.supportedKinds.some((k) => k.kind === "HTTPRoute")) return false;
  const from = l.listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNs === namespaceOf(gw.gateway.metadata);
  const selector = l.listener.allowedRoutes?.namespaces?.selector ?? {};
  return selectorMatches(selector, namespaces.get(routeNs)?.metadata.labels ?? {});
}
