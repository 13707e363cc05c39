/**
 * TLSRoute, TCPRoute and UDPRoute: attach to TLS/TCP/UDP listeners and resolve weighted backends.
 * They differ only in the listener kinds they fit and in TLSRoute's SNI hostnames.
 */
import type { ClusterIr, WeightedDestinationIr } from "../ir/xds-ir";
import type { L4RouteSpec, ParentReference, TLSRoute, TCPRoute, UDPRoute } from "../resources/gateway-api";
import type { ResourceSnapshot } from "../resources/snapshot";
import { keyOf, namespaceOf, type Condition, type KubeObject } from "../resources/meta";
import { isProblem, type BackendIndex } from "./backends";
import { condition, CondType, Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { ownRouteParts, type GatewayState, type ListenerState } from "./gateway";
import { intersectHostnameOrigins } from "./hostnames";
import { guarded } from "./isolation";
import {
  allowedListeners,
  noMatchingListenerHostname,
  parentGateway,
  routeStatus,
  useClusters,
  type ParentContext,
} from "./parent-refs";

/** Context for L4 routes. */
export interface L4RouteContext extends ParentContext {
  /** Backends. */
  readonly backends: BackendIndex;
  /** Listeners → `Kind/namespace/name` of the TCPRoute or UDPRoute that gets their traffic (see oldestRoutes). */
  readonly oldest?: ReadonlyMap<ListenerState, string>;
}

/**
 * TCPRoutes and UDPRoutes have no hostname to tell them apart, so on one listener (TCP, UDP, or TLS in
 * Terminate mode) the oldest of them (then by `namespace/name`) gets the traffic. Every one of them still
 * attaches, counts in attachedRoutes and is Accepted (TCPRouteMultipleRoutesAttachment,
 * UDPRouteMultipleRoutesAttachment); the others' Accepted message names the route that has the traffic.
 */
function oldestRoutes(
  snapshot: Pick<ResourceSnapshot, "tcpRoutes" | "udpRoutes">,
  ctx: ParentContext,
): Map<ListenerState, string> {
  const oldest = new Map<ListenerState, string>();
  const routes = [
    ...(snapshot.tcpRoutes ?? []).map((route) => ({ kind: "TCPRoute" as const, route })),
    ...(snapshot.udpRoutes ?? []).map((route) => ({ kind: "UDPRoute" as const, route })),
  ].sort((a, b) => cmpAge(a.route, b.route));
  for (const { kind, route } of routes) {
    if ((route.spec.rules ?? []).length > 1) continue; // not accepted anywhere
    const ns = namespaceOf(route.metadata);
    for (const ref of route.spec.parentRefs ?? []) {
      const gw = parentGateway(ref, ns, ctx);
      const allowed = gw ? allowedListeners(kind, ns, ref, gw, ctx.namespaces) : [];
      if (!Array.isArray(allowed)) continue;
      for (const l of allowed) if (!oldest.has(l)) oldest.set(l, `${kind} ${keyOf(route.metadata)}`);
    }
  }
  return oldest;
}

function cmpAge(a: KubeObject<unknown>, b: KubeObject<unknown>): number {
  const ca = a.metadata.creationTimestamp ?? "";
  const cb = b.metadata.creationTimestamp ?? "";
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ca < cb ? -1 : ca > cb ? 1 : ka < kb ? -1 : ka > kb ? 1 : 0;
}

type L4Kind = "TLSRoute" | "TCPRoute" | "UDPRoute";

/** The route's single rule, resolved (the same for every parent). */
interface CompiledL4 {
  readonly destinations: WeightedDestinationIr[];
  readonly clusters: ClusterIr[];
  readonly refProblem?: RefProblem;
  readonly unsupported?: string;
}

/** Processes every TLSRoute, TCPRoute and UDPRoute (each kind sorted by `namespace/name`); returns their statuses. */
export function processL4Routes(
  snapshot: Pick<ResourceSnapshot, "tlsRoutes" | "tcpRoutes" | "udpRoutes">,
  ctx: L4RouteContext,
): StatusUpdate[] {
  ctx = { ...ctx, oldest: oldestRoutes(snapshot, ctx) };
  const statuses = [
    ...sorted(snapshot.tlsRoutes).map((r) => guarded(ctx, r, () => processTLSRoute(r, ctx))),
    ...sorted(snapshot.tcpRoutes).map((r) => guarded(ctx, r, () => processTCPRoute(r, ctx))),
    ...sorted(snapshot.udpRoutes).map((r) => guarded(ctx, r, () => processUDPRoute(r, ctx))),
  ];
  return statuses.filter((s): s is StatusUpdate => s !== undefined);
}

function sorted<T extends KubeObject<unknown>>(items: readonly T[] | undefined): T[] {
  return [...(items ?? [])].sort((a, b) => {
    const ka = keyOf(a.metadata);
    const kb = keyOf(b.metadata);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Attaches a TLSRoute (SNI hostnames) to TLS listeners. */
export function processTLSRoute(route: TLSRoute, ctx: L4RouteContext): StatusUpdate | undefined {
  return processL4Route("TLSRoute", route, route.spec.hostnames ?? [], ctx);
}

/** Attaches a TCPRoute to TCP (or TLS) listeners. */
export function processTCPRoute(route: TCPRoute, ctx: L4RouteContext): StatusUpdate | undefined {
  return processL4Route("TCPRoute", route, [], ctx);
}

/** Attaches a UDPRoute to UDP listeners. */
export function processUDPRoute(route: UDPRoute, ctx: L4RouteContext): StatusUpdate | undefined {
  return processL4Route("UDPRoute", route, [], ctx);
}

function processL4Route(
  kind: L4Kind,
  route: KubeObject<L4RouteSpec>,
  hostnames: readonly string[],
  ctx: L4RouteContext,
): StatusUpdate | undefined {
  const compiled = compile(kind, route, ctx.backends);
  return routeStatus(route, ctx, compiled.refProblem, (ref, gw) =>
    compiled.unsupported
      ? condition(CondType.Accepted, false, Reason.UnsupportedValue, compiled.unsupported)
      : attach({ kind, route, hostnames, compiled }, ref, gw, ctx),
  );
}

function compile(kind: L4Kind, route: KubeObject<L4RouteSpec>, backends: BackendIndex): CompiledL4 {
  const ns = namespaceOf(route.metadata);
  const rules = route.spec.rules ?? [];
  const destinations: WeightedDestinationIr[] = [];
  const clusters: ClusterIr[] = [];
  let refProblem: RefProblem | undefined;
  for (const ref of rules[0]?.backendRefs ?? []) {
    const weight = ref.weight ?? 1;
    const r = l4Problem(kind, backends.resolve(ref, ns, kind));
    if (isProblem(r)) {
      refProblem ??= r;
      if (weight > 0) destinations.push({ weight });
    } else if (weight > 0) {
      clusters.push(r);
      destinations.push({ cluster: r.name, weight });
    }
  }
  const unsupported =
    rules.length > 1 ? `${kind} with ${rules.length} rules: only one rule is supported; merge the rules` : undefined;
  // Envoy Gateway: the SNI dynamic forward proxy takes the whole route, so it cannot share it with other backends.
  if (clusters.some((c) => c.discovery === "dynamic") && destinations.length > 1) {
    const message = "dynamic resolver is not supported for multiple backendRefs";
    return { destinations: [], clusters: [], refProblem: { reason: Reason.InvalidBackendRef, message }, unsupported };
  }
  return { destinations, clusters, refProblem, unsupported };
}

/**
 * The cluster, or why an L4 route cannot use it: a DynamicResolver Backend except on a TLSRoute (a TCP or UDP
 * stream carries no name to resolve; a TLSRoute forwards by SNI), and unix sockets on UDP routes.
 */
function l4Problem(kind: L4Kind, r: ClusterIr | RefProblem): ClusterIr | RefProblem {
  if (isProblem(r)) return r;
  if (r.discovery === "dynamic" && kind !== "TLSRoute") {
    return {
      reason: Reason.UnsupportedValue,
      message: `${r.name}: a DynamicResolver Backend is supported on HTTPRoute, GRPCRoute and TLSRoute only (not on ${kind})`,
    };
  }
  if (kind === "UDPRoute" && r.endpoints.some((e) => e.pipe)) {
    return { reason: Reason.UnsupportedValue, message: `${r.name}: unix socket endpoints cannot take UDP traffic` };
  }
  return r;
}

/** A route of one kind, with its SNI hostnames (TLSRoute) and its compiled rule. */
interface L4Route {
  readonly kind: L4Kind;
  readonly route: KubeObject<L4RouteSpec>;
  readonly hostnames: readonly string[];
  readonly compiled: CompiledL4;
}

/**
 * The listeners a route may use: all of `allowed`, except that a route to a DynamicResolver forwards by SNI and needs
 * the client's TLS bytes, so only passthrough listeners take it (Envoy Gateway); none of them: refused.
 */
function sniListeners(compiled: CompiledL4, allowed: GatewayState["listeners"]): GatewayState["listeners"] | Condition {
  if (!compiled.clusters.some((c) => c.discovery === "dynamic")) return allowed;
  const passthrough = allowed.filter((l) => l.listener.tls?.mode === "Passthrough");
  if (passthrough.length > 0 || allowed.length === 0) return passthrough;
  const message = "Dynamic resolver backend is only supported with TLS passthrough listeners";
  return condition(CondType.Accepted, false, Reason.UnsupportedValue, message);
}

function attach(
  { kind, route, hostnames, compiled }: L4Route,
  ref: ParentReference,
  gw: GatewayState,
  ctx: L4RouteContext,
): Condition {
  const ns = namespaceOf(route.metadata);
  const allowed = allowedListeners(kind, ns, ref, gw, ctx.namespaces);
  if (!Array.isArray(allowed)) return allowed;
  const key = keyOf(route.metadata);
  let attached = 0;
  const shadowed: string[] = [];
  // Every route that fits attaches and counts, several TCPRoutes or UDPRoutes on one listener too
  // (TCPRouteMultipleRoutesAttachment, UDPRouteMultipleRoutesAttachment): all are Accepted, and the listener IR
  // gives a hostname (a TCP or UDP listener has one, `*`) to the oldest route only (l4-listeners.ts).
  const usable = sniListeners(compiled, allowed);
  if (!Array.isArray(usable)) return usable;
  for (const l of usable) {
    const oldest = kind === "TLSRoute" ? undefined : ctx.oldest?.get(l);
    if (oldest !== undefined && oldest !== `${kind} ${key}`)
      shadowed.push(`listener ${l.listener.name} (older ${oldest} has them)`);
    // TCP and UDP listeners have no hostname; a TCPRoute on a TLS listener serves the listener's hostname.
    const hosts = intersectHostnameOrigins(l.listener.hostname, hostnames);
    if (hosts.size === 0) continue;
    attached++;
    ownRouteParts(l).attached.add(`${kind}/${key}`);
    l.l4.push({
      name: `${kind.toLowerCase()}/${key}`,
      hostnames: [...hosts.keys()],
      origins: Object.fromEntries(hosts),
      destinations: compiled.destinations,
      tie: { created: route.metadata.creationTimestamp ?? "", key },
    });
  }
  if (attached === 0) return noMatchingListenerHostname(hostnames, gw, allowed);
  useClusters(ctx, gw.key, compiled.clusters);
  const unit = kind === "UDPRoute" ? "datagrams" : "connections";
  const message =
    shadowed.length === 0
      ? "Route is accepted"
      : `Route is accepted, but gets no ${unit} on ${shadowed.join(", ")} of Gateway ${gw.key}: ` +
        `a listener sends all its ${unit} to its oldest ${kind}`;
  return condition(CondType.Accepted, true, Reason.Accepted, message);
}
