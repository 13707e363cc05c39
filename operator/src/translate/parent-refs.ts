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
import { listenerAttachable, ownListeners, ownRouteParts, type GatewayState, type ListenerState } from "./gateway";
import { intersectHostnameOrigins } from "./hostnames";
import type { Guard } from "./isolation";
import type { RouteEntry } from "./route-entry";

/** The part of the translation context parent handling needs. */
export interface ParentContext {
  /** Accepted Gateways by `namespace/name`. */
  readonly gateways: ReadonlyMap<string, GatewayState>;
  /** ListenerSets naming one of our Gateways, by `namespace/name`, with that Gateway; absent means none. */
  readonly listenerSets?: ReadonlyMap<string, GatewayState>;
  /** Namespaces, for allowedRoutes selectors. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Clusters used per Gateway key (filled in). */
  readonly clustersByGateway: Map<string, Map<string, ClusterIr>>;
  /** Controller name written into route parent statuses. */
  readonly controllerName: string;
  /** Isolates each route's translation (a route that throws is rejected alone); absent runs it as is. */
  readonly guard?: Guard;
}

/** A route of any kind, with its parentRefs. */
export type RouteObject = KubeObject<{ readonly parentRefs?: readonly ParentReference[] }>;

/**
 * Runs `accept` for each parentRef naming one of our Gateways (or a ListenerSet of one, passing its
 * Gateway) and assembles the route status (Accepted from `accept`, ResolvedRefs from `refProblem`, then
 * `whenAccepted` where the route is accepted); undefined when no parent is ours.
 */
export function routeStatus(
  route: RouteObject,
  ctx: ParentContext,
  refProblem: RefProblem | undefined,
  accept: (ref: ParentReference, gw: GatewayState) => Condition,
  whenAccepted?: { readonly type: string; readonly reason: string; readonly message: string },
): StatusUpdate | undefined {
  const ns = namespaceOf(route.metadata);
  const refs = route.spec.parentRefs ?? [];
  // not one of our Gateways (undefined): its controller owns this parent's status
  const outcomes = refs.map((ref) => {
    const gw = parentGateway(ref, ns, ctx);
    return gw && accept(ref, gw);
  });
  const inputs: StatusInputs = { controllerName: ctx.controllerName, refProblem, whenAccepted, outcomes };
  const known = statusMemo.get(route);
  if (known && sameStatusInputs(known.inputs, inputs)) return known.status;
  const status = buildRouteStatus(route, refs, inputs);
  statusMemo.set(route, { inputs, status });
  return status;
}

/** What a route's status is built from besides the route object (see {@link statusMemo}). */
interface StatusInputs {
  readonly controllerName: string;
  readonly refProblem: RefProblem | undefined;
  readonly whenAccepted: { readonly type: string; readonly reason: string; readonly message: string } | undefined;
  /** Per parentRef: its Accepted condition, or undefined when it is not one of our Gateways. */
  readonly outcomes: readonly (Condition | undefined)[];
}

/**
 * The last status built per route object, with what it was built from (ADR 0018): an unchanged route attached
 * the same way gets the same status object again, not a new one (statuses are never changed after they are
 * built; a later step replaces one with a copy).
 */
const statusMemo = new WeakMap<
  RouteObject,
  { readonly inputs: StatusInputs; readonly status: StatusUpdate | undefined }
>();

function sameStatusInputs(a: StatusInputs, b: StatusInputs): boolean {
  return (
    a.controllerName === b.controllerName &&
    sameFields(a.refProblem, b.refProblem, ["reason", "message"]) &&
    sameFields(a.whenAccepted, b.whenAccepted, ["type", "reason", "message"]) &&
    a.outcomes.length === b.outcomes.length &&
    a.outcomes.every((x, i) => sameCondition(x, b.outcomes[i]))
  );
}

/** Whether two optional objects are both absent, or both present with equal `fields`. */
function sameFields<T extends object>(a: T | undefined, b: T | undefined, fields: readonly (keyof T)[]): boolean {
  if (a === undefined || b === undefined) return a === b;
  return fields.every((f) => a[f] === b[f]);
}

function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

/** The status of a route whose parentRefs were accepted as `inputs.outcomes` says; undefined when none is ours. */
function buildRouteStatus(
  route: RouteObject,
  refs: readonly ParentReference[],
  { controllerName, refProblem, whenAccepted, outcomes }: StatusInputs,
): StatusUpdate | undefined {
  const gen = route.metadata.generation;
  const parents: unknown[] = [];
  for (const [i, ref] of refs.entries()) {
    const accepted = outcomes[i];
    if (!accepted) continue;
    // A condition that only holds for an accepted route (PartiallyInvalid), after the others.
    const extra =
      whenAccepted && accepted.status === "True"
        ? [condition(whenAccepted.type, true, whenAccepted.reason, whenAccepted.message, gen)]
        : [];
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
      controllerName,
      conditions: [{ ...accepted, observedGeneration: gen }, resolved, ...extra],
    });
  }
  if (parents.length === 0) return undefined;
  return {
    apiVersion: route.apiVersion,
    kind: route.kind,
    namespace: namespaceOf(route.metadata),
    name: route.metadata.name,
    status: { parents },
  };
}

/** The Gateway a parentRef (to a Gateway or a ListenerSet) leads to, if it is one of ours. */
export function parentGateway(ref: ParentReference, routeNs: string, ctx: ParentContext): GatewayState | undefined {
  if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP) return undefined;
  const key = `${ref.namespace ?? routeNs}/${ref.name}`;
  const kind = ref.kind ?? "Gateway";
  if (kind === "Gateway") return ctx.gateways.get(key);
  return kind === "ListenerSet" ? ctx.listenerSets?.get(key) : undefined;
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
 * The listeners a parentRef selects (the Gateway's own, or a ListenerSet's; then by sectionName and port)
 * that accept a route of `kind` from namespace `routeNs`, or the Accepted=False condition saying why
 * there are none. `gw` is the Gateway the parentRef leads to.
 */
export function allowedListeners(
  kind: string,
  routeNs: string,
  ref: ParentReference,
  gw: GatewayState,
  namespaces: ReadonlyMap<string, Namespace>,
): ListenerState[] | Condition {
  const parent = selectedParent(ref, routeNs, gw);
  if (parent.rejected) {
    return condition(
      CondType.Accepted,
      false,
      Reason.NotAllowedByListeners,
      `${parent.what} is not attached to Gateway ${gw.key}: ${parent.rejected}`,
    );
  }
  const candidates = parent.listeners.filter(
    (l) =>
      (ref.sectionName === undefined || l.listener.name === ref.sectionName) &&
      (ref.port === undefined || l.listener.port === ref.port),
  );
  if (candidates.length === 0) {
    const what = [ref.sectionName && `sectionName "${ref.sectionName}"`, ref.port && `port ${ref.port}`]
      .filter(Boolean)
      .join(" and ");
    return condition(CondType.Accepted, false, Reason.NoMatchingParent, `${parent.what} has no listener with ${what}`);
  }
  // Attachable, not only ready: a route counts on an accepted listener that cannot be programmed.
  const allowed = candidates.filter((l) => listenerAttachable(l) && allowsRoute(l, kind, routeNs, gw, namespaces));
  if (allowed.length > 0) return allowed;
  const names = candidates.map((l) => l.listener.name).join(", ");
  // A listener whose protocol does not take this kind is NotAllowedByListeners too: a TLSRoute on HTTP or HTTPS
  // listeners (TLSRouteInvalidNoMatchingListener; the TLSRoute doc comment says UnsupportedValue, but the v1.7.0
  // suite asserts NotAllowedByListeners), a TCPRoute on an HTTP listener (TCPRouteInvalidNonTCPListener).
  return condition(
    CondType.Accepted,
    false,
    Reason.NotAllowedByListeners,
    `no listener of ${parent.what} (${names}) accepts ${kind}s from namespace ${routeNs}; check the listeners' protocol and allowedRoutes`,
  );
}

/** The listeners of the Gateway or ListenerSet a parentRef names, or why that ListenerSet is not attached. */
function selectedParent(
  ref: ParentReference,
  routeNs: string,
  gw: GatewayState,
): { what: string; listeners: readonly ListenerState[]; rejected?: string } {
  if ((ref.kind ?? "Gateway") === "Gateway") return { what: `Gateway ${gw.key}`, listeners: ownListeners(gw) };
  const key = `${ref.namespace ?? routeNs}/${ref.name}`;
  const ls = gw.listenerSets.find((s) => s.key === key);
  return { what: `ListenerSet ${key}`, listeners: ls?.listeners ?? [], rejected: ls?.rejected?.message };
}

/**
 * True when the listener allows routes of `kind` from `routeNs` (supportedKinds and allowedRoutes.namespaces;
 * "Same" is the namespace of the Gateway or ListenerSet that declares the listener).
 */
export function allowsRoute(
  l: ListenerState,
  kind: string,
  routeNs: string,
  _gw: GatewayState,
  namespaces: ReadonlyMap<string, Namespace>,
): boolean {
  if (!l.supportedKinds.some((k) => k.kind === kind)) return false;
  const from = l.listener.allowedRoutes?.namespaces?.from ?? "Same";
  if (from === "All") return true;
  if (from === "Same") return routeNs === l.owner.namespace;
  const selector = l.listener.allowedRoutes?.namespaces?.selector ?? {};
  return selectorMatches(selector, namespaces.get(routeNs)?.metadata.labels ?? {});
}

/**
 * Records that the Gateway uses these clusters (once a route attached to it). A backend that a GRPCRoute
 * (or its Service's appProtocol) reaches over h2c stays h2c when another route uses it too: one cluster
 * per backend, and a backend that serves gRPC speaks HTTP/2.
 */
export function useClusters(ctx: ParentContext, gatewayKey: string, clusters: readonly ClusterIr[]): void {
  const map = ctx.clustersByGateway.get(gatewayKey) ?? new Map<string, ClusterIr>();
  for (const c of clusters) map.set(c.name, map.get(c.name)?.protocol === "h2c" ? { ...c, protocol: "h2c" } : c);
  ctx.clustersByGateway.set(gatewayKey, map);
}

/**
 * Attaches an HTTP-style route (`id`, e.g. `HTTPRoute/ns/name`) to every allowed listener whose hostname
 * intersects the route's: each such listener counts it as attached (unless `counted` is false: an
 * Accepted=False route whose matches are served as errors) and gets `entriesFor(hostname, origin, listener)`
 * for each intersected hostname (`origin`: the route hostname it comes from, which each entry carries), through
 * `into` (default: added to the listener). Returns how many listeners took the route.
 */
export function attachByHostname(
  allowed: readonly ListenerState[],
  hostnames: readonly string[],
  id: string,
  entriesFor: (hostname: string, origin: string, l: ListenerState) => readonly RouteEntry[],
  { counted = true, into = addToListener }: { readonly counted?: boolean; readonly into?: AttachSink } = {},
): number {
  let attached = 0;
  for (const l of allowed) {
    const hosts = hostnameOrigins(l.listener.hostname, hostnames);
    if (hosts.size === 0) continue;
    attached++;
    const lists = [...hosts].map(([hostname, origin]) => entriesFor(hostname, origin, l));
    // attachedRoutes counts only Accepted routes
    into(l, counted ? id : undefined, lists.length === 1 ? lists[0] : lists.flat());
  }
  return attached;
}

/**
 * Where an attachment goes: listener `l` takes `entries` and, when `id` is set, counts the route as attached.
 * The default adds them to the listener; the HTTPRoute stage records them per route (route-table.ts).
 */
export type AttachSink = (l: ListenerState, id: string | undefined, entries: readonly RouteEntry[]) => void;

/** The {@link AttachSink} that adds to the listener itself. */
export function addToListener(l: ListenerState, id: string | undefined, entries: readonly RouteEntry[]): void {
  ownRouteParts(l);
  if (id !== undefined) l.attached.add(id);
  for (const e of entries) l.entries.push(e);
}

/** Accepted=False NoMatchingListenerHostname, naming the route's hostnames and those of the Gateway's listeners. */
export function noMatchingListenerHostname(
  hostnames: readonly string[],
  gw: GatewayState,
  allowed: readonly ListenerState[],
): Condition {
  return condition(
    CondType.Accepted,
    false,
    Reason.NoMatchingListenerHostname,
    `none of the route's hostnames (${hostnames.join(", ")}) match a listener hostname of Gateway ${gw.key} (${allowed.map((l) => l.listener.hostname ?? "*").join(", ")})`,
  );
}

/**
 * intersectHostnameOrigins, kept per route hostname list (the same array while its route object is: ADR 0018) and
 * listener hostname; the maps returned are never changed.
 */
function hostnameOrigins(listener: string | undefined, hostnames: readonly string[]): ReadonlyMap<string, string> {
  if (hostnames.length === 0) return intersectHostnameOrigins(listener, hostnames); // often a new `[]` each time
  let byListener = originsByHostnames.get(hostnames);
  if (!byListener) originsByHostnames.set(hostnames, (byListener = new Map()));
  let hosts = byListener.get(listener);
  if (!hosts) byListener.set(listener, (hosts = intersectHostnameOrigins(listener, hostnames)));
  return hosts;
}

const originsByHostnames = new WeakMap<readonly string[], Map<string | undefined, ReadonlyMap<string, string>>>();
