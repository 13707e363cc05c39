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
import type { GatewayState } from "./gateway";
import { intersectHostnames } from "./hostnames";
import { guarded } from "./isolation";
import {
  allowedListeners,
  noMatchingListenerHostname,
  routeStatus,
  useClusters,
  type ParentContext,
} from "./parent-refs";

/** Context for L4 routes. */
export interface L4RouteContext extends ParentContext {
  /** Backends. */
  readonly backends: BackendIndex;
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
    const r = backends.resolve(ref, ns, kind);
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
  return { destinations, clusters, refProblem, unsupported };
}

/** A route of one kind, with its SNI hostnames (TLSRoute) and its compiled rule. */
interface L4Route {
  readonly kind: L4Kind;
  readonly route: KubeObject<L4RouteSpec>;
  readonly hostnames: readonly string[];
  readonly compiled: CompiledL4;
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
  // Every route that fits attaches and counts, several TCPRoutes or UDPRoutes on one listener too
  // (TCPRouteMultipleRoutesAttachment, UDPRouteMultipleRoutesAttachment): all are Accepted, and the listener IR
  // gives a hostname (a TCP or UDP listener has one, `*`) to the oldest route only (l4-listeners.ts).
  for (const l of allowed) {
    // TCP and UDP listeners have no hostname; a TCPRoute on a TLS listener serves the listener's hostname.
    const hosts = intersectHostnames(l.listener.hostname, hostnames);
    if (hosts.length === 0) continue;
    attached++;
    l.attached.add(`${kind}/${key}`);
    l.l4.push({
      name: `${kind.toLowerCase()}/${key}`,
      hostnames: hosts,
      destinations: compiled.destinations,
      tie: { created: route.metadata.creationTimestamp ?? "", key },
    });
  }
  if (attached === 0) return noMatchingListenerHostname(hostnames, gw, allowed);
  useClusters(ctx, gw.key, compiled.clusters);
  return condition(CondType.Accepted, true, Reason.Accepted, "Route is accepted");
}
