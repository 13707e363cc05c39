/**
 * GRPCRoutes and HTTPRoutes never share a hostname on a listener (GRPCRouteSpec.hostnames, GEP-1016 "Cross
 * Serving"; the spec forbids merging the two kinds' rules). When routes of both kinds attached to one
 * listener have intersecting hostnames, the oldest route (then the first by `namespace/name`) keeps the
 * listener and the other is detached from it. A parentRef whose listeners all detached the route gets
 * Accepted=False.
 */
import type { ParentReference } from "../resources/gateway-api";
import type { Condition } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { ownRouteParts, type GatewayState, type ListenerState } from "./gateway";
import { hostnameMatches } from "./hostnames";
import { allowedListeners, parentGateway, type ParentContext } from "./parent-refs";

type Kind = "HTTPRoute" | "GRPCRoute";

/** One route attached to one listener, with the hostnames it serves there. */
interface Attachment {
  readonly kind: Kind;
  /** `namespace/name`. */
  readonly key: string;
  readonly created: string;
  readonly hosts: string[];
}

/** Route id (`Kind/namespace/name`) → Gateway key → the listeners it lost, each with the route it lost to. */
export type Rejections = Map<string, Map<string, { listener: ListenerState; rival: Attachment }[]>>;

/** Detaches the loser of every GRPCRoute/HTTPRoute hostname overlap, listener by listener. */
export function detachGrpcHttpConflicts(gateways: Iterable<GatewayState>): Rejections {
  const rejections: Rejections = new Map();
  for (const gw of gateways) {
    for (const l of gw.listeners) {
      for (const { loser, rival } of listenerConflicts(l)) {
        const id = `${loser.kind}/${loser.key}`;
        ownRouteParts(l).attached.delete(id);
        l.entries = l.entries.filter((e) => !(kindOf(e) === loser.kind && e.tie.key === loser.key));
        const byGateway = rejections.get(id) ?? new Map<string, { listener: ListenerState; rival: Attachment }[]>();
        byGateway.set(gw.key, [...(byGateway.get(gw.key) ?? []), { listener: l, rival }]);
        rejections.set(id, byGateway);
      }
    }
  }
  return rejections;
}

/** The routes of one listener that lose to an older route of the other kind with an overlapping hostname. */
function listenerConflicts(l: ListenerState): { loser: Attachment; rival: Attachment }[] {
  const routes = new Map<string, Attachment>();
  for (const e of l.entries) {
    const kind = kindOf(e);
    const id = `${kind}/${e.tie.key}`;
    const a = routes.get(id) ?? { kind, key: e.tie.key, created: e.tie.created, hosts: [] };
    if (!a.hosts.includes(e.hostname)) a.hosts.push(e.hostname);
    routes.set(id, a);
  }
  const all = [...routes.values()];
  if (!all.some((a) => a.kind === "GRPCRoute") || !all.some((a) => a.kind === "HTTPRoute")) return [];
  const kept: Attachment[] = [];
  const out: { loser: Attachment; rival: Attachment }[] = [];
  for (const a of all.sort(byAge)) {
    const rival = kept.find((k) => k.kind !== a.kind && overlaps(k.hosts, a.hosts));
    if (rival) out.push({ loser: a, rival });
    else kept.push(a);
  }
  return out;
}

/**
 * Replaces, in `statuses`, the Accepted condition of each parent whose selected listeners all detached the
 * route (and that was accepted before) with Accepted=False, reason HostnameConflict.
 */
export function rejectConflictedParents(statuses: StatusUpdate[], rejections: Rejections, ctx: ParentContext): void {
  if (rejections.size === 0) return;
  statuses.forEach((s, i) => {
    const id = `${s.kind}/${s.namespace ?? "default"}/${s.name}`;
    const byGateway = rejections.get(id);
    if (!byGateway || (s.kind !== "HTTPRoute" && s.kind !== "GRPCRoute")) return;
    const status = s.status as { parents: ParentStatus[] };
    const route = { kind: s.kind as Kind, ns: s.namespace ?? "default", id };
    const parents = status.parents.map((p) => rejectParent(p, route, byGateway, ctx));
    statuses[i] = { ...s, status: { ...status, parents } };
  });
}

/** One entry of a route's status.parents. */
interface ParentStatus {
  readonly parentRef: ParentReference;
  readonly conditions: readonly Condition[];
}

function rejectParent(
  p: ParentStatus,
  route: { readonly kind: Kind; readonly ns: string; readonly id: string },
  byGateway: NonNullable<ReturnType<Rejections["get"]>>,
  ctx: ParentContext,
): ParentStatus {
  const accepted = p.conditions.find((c) => c.type === CondType.Accepted);
  const gw = parentGateway(p.parentRef, route.ns, ctx);
  const lost = gw ? byGateway.get(gw.key) : undefined;
  if (accepted?.status !== "True" || !gw || !lost) return p;
  const listeners = allowedListeners(route.kind, route.ns, p.parentRef, gw, ctx.namespaces);
  if (!Array.isArray(listeners) || listeners.some((l) => l.attached.has(route.id))) return p;
  const loss = lost.find((x) => listeners.includes(x.listener));
  if (!loss) return p;
  const message =
    `${route.kind} ${route.id.slice(route.kind.length + 1)} is detached from listener ${loss.listener.listener.name}: ` +
    `its hostnames overlap those of ${loss.rival.kind} ${loss.rival.key}, which is older (or first by namespace/name); ` +
    `a GRPCRoute and an HTTPRoute cannot share a hostname on a listener`;
  const rejected = condition(CondType.Accepted, false, Reason.HostnameConflict, message, accepted.observedGeneration);
  return { ...p, conditions: p.conditions.map((c) => (c === accepted ? rejected : c)) };
}

function kindOf(e: ListenerState["entries"][number]): Kind {
  return e.grpc ? "GRPCRoute" : "HTTPRoute";
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => hostnameMatches(x, y) || hostnameMatches(y, x)));
}

/** Oldest first, then `namespace/name`, then kind (for a GRPCRoute and an HTTPRoute of the same name). */
function byAge(a: Attachment, b: Attachment): number {
  return cmp(a.created, b.created) || cmp(a.key, b.key) || cmp(a.kind, b.kind);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
