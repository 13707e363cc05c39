/**
 * What every route kind does with its parentRefs: pick the listeners a parentRef names, check that they
 * accept the route (protocol/kind, allowedRoutes namespaces), and write the per-parent status.
 */
import type { ClusterIr } from "../ir/xds-ir";
import type { Namespace } from "../resources/core";
import { GATEWAY_API_GROUP, type ParentReference } from "../resources/gateway-api";
import { selectorMatches } from "../resources/labels";
import { namespaceOf, type Condition, type KubeObject } from "../resources/meta";
import { condition, CondType, Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { listenerReady, type GatewayState, type ListenerState } from "./gateway";

/** The part of the translation context parent handling needs. */
export interface ParentContext {
  /** Accepted Gateways by `namespace/name`. */
  readonly gateways: ReadonlyMap<string, GatewayState>;
  /** Namespaces, for allowedRoutes selectors. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Clusters used per Gateway key (filled in). */
  readonly clustersByGateway: Map<string, Map<string, ClusterIr>>;
  /** Controller name written into route parent statuses. */
  readonly controllerName: string;
}

/** A route of any kind, with its parentRefs. */
export type RouteObject = KubeObject<{ readonly parentRefs?: readonly ParentReference[] }>;

/**
 * Runs `accept` for each parentRef naming one of our Gateways and assembles the route status
 * (Accepted from `accept`, ResolvedRefs from `refProblem`); undefined when no parent is ours.
 */
export function routeStatus(
  route: RouteObject,
  ctx: ParentContext,
  refProblem: RefProblem | undefined,
  accept: (ref: ParentReference, gw: GatewayState) => Condition,
): StatusUpdate | undefined {
  const ns = namespaceOf(route.metadata);
  const gen = route.metadata.generation;
  const parents: unknown[] = [];
  for (const ref of route.spec.parentRefs ?? []) {
    if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? "Gateway") !== "Gateway") continue;
    const gw = ctx.gateways.get(`${ref.namespace ?? ns}/${ref.name}`);
    if (!gw) continue; // not one of our Gateways: its controller owns this parent's status
    const resolved = refProblem
      ? condition(CondType.ResolvedRefs, false, refProblem.reason, refProblem.message, gen)
      : condition(
          CondType.ResolvedRefs,
          true,
          Reason.ResolvedRefs,
          "Resolved all the Object references for the Route",
          gen,
        );
    parents.push({
      parentRef: cleanParentRef(ref),
      controllerName: ctx.controllerName,
      conditions: [{ ...accept(ref, gw), observedGeneration: gen }, resolved],
    });
  }
  if (parents.length === 0) return undefined;
  return {
    apiVersion: route.apiVersion,
    kind: route.kind,
    namespace: ns,
    name: route.metadata.name,
    status: { parents },
  };
}

/** The parentRef with its defaults written out, as status.parents[].parentRef. */
export function cleanParentRef(ref: ParentReference): ParentReference {
  const out: Record<string, unknown> = { group: ref.group ?? GATEWAY_API_GROUP, kind: ref.kind ?? "Gateway" };
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  out.name = ref.name;
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out as unknown as ParentReference;
}

/**
 * The listeners of `gw` a parentRef selects (by sectionName and port) that accept a route of `kind` from
 * namespace `routeNs`, or the Accepted=False condition saying why there are none.
 */
export function allowedListeners(
  kind: string,
  routeNs: string,
  ref: ParentReference,
  gw: GatewayState,
  namespaces: ReadonlyMap<string, Namespace>,
): ListenerState[] | Condition {
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
  const allowed = candidates.filter((l) => listenerReady(l) && allowsRoute(l, kind, routeNs, gw, namespaces));
  if (allowed.length > 0) return allowed;
  const names = candidates.map((l) => l.listener.name).join(", ");
  if (kind === "TLSRoute" && !candidates.some((l) => l.listener.protocol === "TLS")) {
    // TLSRoute spec: a listener of the wrong protocol is UnsupportedValue.
    return condition(
      CondType.Accepted,
      false,
      Reason.UnsupportedValue,
      `a TLSRoute attaches only to TLS listeners; listeners ${names} of Gateway ${gw.key} are not TLS`,
    );
  }
  return condition(
    CondType.Accepted,
    false,
    Reason.NotAllowedByListeners,
    `no listener of Gateway ${gw.key} (${names}) accepts ${kind}s from namespace ${routeNs}; check the listeners' protocol and allowedRoutes`,
  );
}

/** True when the listener allows routes of `kind` from `routeNs` (supportedKinds and allowedRoutes.namespaces). */
export function allowsRoute(
  l: ListenerState,
  kind: string,
  routeNs: string,
  gw: GatewayState,
  namespaces: ReadonlyMap<string, Namespace>,
): boolean {
  if (!l.supportedKinds.some((k) => k.kind === kind)) return false;
  const from = l.listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNs === namespaceOf(gw.gateway.metadata);
  const selector = l.listener.allowedRoutes?.namespaces?.selector ?? {};
  return selectorMatches(selector, namespaces.get(routeNs)?.metadata.labels ?? {});
}

/** Records that the Gateway uses these clusters (once a route attached to it). */
export function useClusters(ctx: ParentContext, gatewayKey: string, clusters: readonly ClusterIr[]): void {
  const map = ctx.clustersByGateway.get(gatewayKey) ?? new Map<string, ClusterIr>();
  for (const c of clusters) map.set(c.name, c);
  ctx.clustersByGateway.set(gatewayKey, map);
}
