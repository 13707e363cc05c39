/** HTTPRoute: attach to parent listeners, resolve backends, and turn rules into IR routes. */
import type { ClusterIr, HeaderModIr, RouteIr, RouteMatchIr, WeightedDestinationIr } from "../ir/xds-ir";
import type {
  HTTPHeaderFilter,
  HTTPRoute,
  HTTPRouteMatch,
  HTTPRouteRule,
  ParentReference,
} from "../resources/gateway-api";
import { GATEWAY_API_GROUP } from "../resources/gateway-api";
import type { Namespace } from "../resources/core";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import { BackendIndex, isProblem } from "./backends";
import { condition, CondType, Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { listenerReady, type GatewayState, type ListenerState } from "./gateway";
import { intersectHostnames } from "./hostnames";
import { selectorMatches } from "../resources/labels";

/** What translating the route's rules produced (the same for every parent). */
interface CompiledRules {
  /** One IR route per (rule, match), with its indices. */
  readonly routes: { readonly route: RouteIr; readonly rule: number; readonly match: number }[];
  /** Clusters the rules use. */
  readonly clusters: ClusterIr[];
  /** First unresolved reference, if any. */
  readonly refProblem?: RefProblem;
  /** First unsupported feature, if any (the route is not accepted). */
  readonly unsupported?: string;
}

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
      ? condition(CondType.Accepted, false, Reason.UnsupportedValue, compiled.unsupported, gen)
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
          route: r.route,
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

/** Turns the route's rules into IR routes (independent of parents). */
function compileRules(route: HTTPRoute, backends: BackendIndex): CompiledRules {
  const ns = namespaceOf(route.metadata);
  const routes: CompiledRules["routes"][number][] = [];
  const clusters: ClusterIr[] = [];
  let refProblem: RefProblem | undefined;
  let unsupported: string | undefined;
  // The CRD defaults rules to one rule matching PathPrefix "/" (with no backends: 500).
  const rules: readonly HTTPRouteRule[] = route.spec.rules && route.spec.rules.length > 0 ? route.spec.rules : [{}];
  rules.forEach((rule, ri) => {
    const filters = compileFilters(rule, ri);
    if (typeof filters === "string") {
      unsupported ??= filters;
      return;
    }
    const dests: WeightedDestinationIr[] = [];
    for (const ref of rule.backendRefs ?? []) {
      const weight = ref.weight ?? 1;
      const r = backends.resolve(ref, ns);
      if (isProblem(r)) {
        refProblem ??= r;
        if (weight > 0) dests.push({ weight });
        continue;
      }
      if (ref.filters && ref.filters.length > 0)
        unsupported ??= `rule ${ri}: per-backendRef filters are not supported yet`;
      if (weight > 0) {
        clusters.push(r);
        dests.push({ cluster: r.name, weight });
      }
    }
    const action = actionFor(dests);
    const matches: readonly HTTPRouteMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
    matches.forEach((m, mi) => {
      routes.push({
        rule: ri,
        match: mi,
        route: {
          name: `httproute/${ns}/${route.metadata.name}/rule/${ri}/match/${mi}`,
          match: compileMatch(m),
          action,
          ...filters,
        },
      });
    });
  });
  return { routes, clusters, refProblem, unsupported };
}

/**
 * The spec: with no backendRefs, or when every weight is 0, or every backend is invalid, requests get 500;
 * an invalid backend among valid ones gets its share of requests answered with 500.
 */
function actionFor(dests: WeightedDestinationIr[]): RouteIr["action"] {
  if (dests.length === 0 || dests.every((d) => d.cluster === undefined)) return { kind: "direct", status: 500 };
  return { kind: "forward", destinations: dests };
}

function compileMatch(m: HTTPRouteMatch): RouteMatchIr {
  const path = { type: m.path?.type ?? "PathPrefix", value: m.path?.value ?? "/" } as const;
  return {
    path,
    headers: firstPerName(m.headers ?? [], true).map((h) => ({
      name: h.name,
      type: h.type ?? "Exact",
      value: h.value,
    })),
    queryParams: firstPerName(m.queryParams ?? [], false).map((q) => ({
      name: q.name,
      type: q.type ?? "Exact",
      value: q.value,
    })),
    ...(m.method ? { method: m.method } : {}),
  };
}

/** Returns the rule's header changes, or a message when it uses a filter this version cannot program. */
function compileFilters(rule: HTTPRouteRule, ri: number): Pick<RouteIr, "requestHeaders" | "responseHeaders"> | string {
  const out: { requestHeaders?: HeaderModIr; responseHeaders?: HeaderModIr } = {};
  for (const f of rule.filters ?? []) {
    if (f.type === "RequestHeaderModifier") out.requestHeaders = headerMod(f.requestHeaderModifier);
    else if (f.type === "ResponseHeaderModifier") out.responseHeaders = headerMod(f.responseHeaderModifier);
    else
      return `rule ${ri}: filter type ${f.type} is not supported yet (supported: RequestHeaderModifier, ResponseHeaderModifier)`;
  }
  return out;
}

function headerMod(f: HTTPHeaderFilter | undefined): HeaderModIr {
  return { set: [...(f?.set ?? [])], add: [...(f?.add ?? [])], remove: [...(f?.remove ?? [])] };
}

/**
 * The spec: when a match names the same header (case-insensitive) or query parameter (case-sensitive)
 * twice, only the first entry counts.
 */
function firstPerName<T extends { readonly name: string }>(items: readonly T[], caseInsensitive: boolean): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = caseInsensitive ? i.name.toLowerCase() : i.name;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
