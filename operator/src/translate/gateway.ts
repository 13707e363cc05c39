/** Gateway and its listeners: validate, detect conflicts, and hold what routes attach to each listener. */
import type { Gateway, Listener, RouteGroupKind } from "../resources/gateway-api";
import { GATEWAY_API_GROUP } from "../resources/gateway-api";
import { keyOf, namespaceOf } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import type { RouteEntry } from "./route-entry";

/** Protocols this version can program, with the route kinds each accepts. */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute"],
};

/** A listener during translation. */
export interface ListenerState {
  /** The listener as written. */
  readonly listener: Listener;
  /** Route kinds it accepts. */
  readonly supportedKinds: RouteGroupKind[];
  /** Why it is not accepted, if so. */
  accepted?: { reason: string; message: string };
  /** Why its references do not resolve, if so. */
  resolvedRefs?: { reason: string; message: string };
  /** Why it conflicts with another listener, if so. */
  conflicted?: { reason: string; message: string };
  /** Keys of the routes attached (a route with two parentRefs to one listener counts once). */
  readonly attached: Set<string>;
  /** Route rules attached, with the hostnames they serve on this listener. */
  readonly entries: RouteEntry[];
}

/** A Gateway during translation. */
export interface GatewayState {
  /** The Gateway. */
  readonly gateway: Gateway;
  /** `namespace/name`. */
  readonly key: string;
  /** Listeners in spec order. */
  readonly listeners: ListenerState[];
}

/** True when the listener can carry traffic. */
export function listenerReady(l: ListenerState): boolean {
  return !l.accepted && !l.conflicted;
}

/** Builds the listener states of a Gateway, with protocol, kind and conflict checks. */
export function processGateway(gateway: Gateway): GatewayState {
  const listeners = (gateway.spec.listeners ?? []).map(checkListener);
  markConflicts(listeners);
  return { gateway, key: keyOf(gateway.metadata), listeners };
}

function checkListener(listener: Listener): ListenerState {
  const kinds = SUPPORTED[listener.protocol];
  const state: ListenerState = { listener, supportedKinds: [], attached: new Set(), entries: [] };
  if (!kinds) {
    state.accepted = {
      reason: Reason.UnsupportedProtocol,
      message: `protocol ${listener.protocol} is not supported yet; supported: ${Object.keys(SUPPORTED).join(", ")}`,
    };
    return state;
  }
  const requested = listener.allowedRoutes?.kinds;
  if (!requested || requested.length === 0) {
    state.supportedKinds.push(...kinds.map((kind) => ({ group: GATEWAY_API_GROUP, kind })));
    return state;
  }
  const bad: string[] = [];
  for (const k of requested) {
    const group = k.group ?? GATEWAY_API_GROUP;
    if (group === GATEWAY_API_GROUP && kinds.includes(k.kind)) state.supportedKinds.push({ group, kind: k.kind });
    else bad.push(`${group}/${k.kind}`);
  }
  if (bad.length > 0) {
    state.resolvedRefs = {
      reason: Reason.InvalidRouteKinds,
      message: `route kinds ${bad.join(", ")} are not supported on a ${listener.protocol} listener; use ${kinds.join(", ")}`,
    };
  }
  return state;
}

function markConflicts(listeners: ListenerState[]): void {
  const byPort = new Map<number, ListenerState[]>();
  for (const l of listeners) {
    if (l.accepted) continue;
    const list = byPort.get(l.listener.port) ?? [];
    list.push(l);
    byPort.set(l.listener.port, list);
  }
  for (const [port, group] of byPort) {
    const protocols = new Set(group.map((l) => l.listener.protocol));
    if (protocols.size > 1) {
      for (const l of group) {
        l.conflicted = {
          reason: Reason.ProtocolConflict,
          message: `port ${port} is used with several protocols (${[...protocols].join(", ")}); use one protocol per port`,
        };
      }
      continue;
    }
    const seen = new Map<string, ListenerState>();
    for (const l of group) {
      const host = l.listener.hostname ?? "";
      const other = seen.get(host);
      if (other) {
        const msg = `listeners ${other.listener.name} and ${l.listener.name} both use port ${port} with hostname "${host || "*"}"; give each a distinct hostname`;
        other.conflicted = { reason: Reason.HostnameConflict, message: msg };
        l.conflicted = { reason: Reason.HostnameConflict, message: msg };
      } else seen.set(host, l);
    }
  }
}

/** Renders the Gateway's status after routes have attached. */
export function gatewayStatus(state: GatewayState, addresses: readonly string[]): StatusUpdate {
  const gen = state.gateway.metadata.generation;
  const ready = state.listeners.filter(listenerReady);
  const invalid = state.listeners.length - ready.length;
  const conditions = [
    invalid === 0
      ? condition(CondType.Accepted, true, Reason.Accepted, "The Gateway has been scheduled by Envoy Gateway", gen)
      : condition(
          CondType.Accepted,
          ready.length > 0,
          Reason.ListenersNotValid,
          `${invalid} of ${state.listeners.length} listeners are invalid; see status.listeners`,
          gen,
        ),
    ready.length > 0
      ? condition(CondType.Programmed, true, Reason.Programmed, "Sending translated listeners to the data plane", gen)
      : condition(CondType.Programmed, false, Reason.Invalid, "No listener is valid; see status.listeners", gen),
  ];
  return {
    apiVersion: state.gateway.apiVersion,
    kind: "Gateway",
    namespace: namespaceOf(state.gateway.metadata),
    name: state.gateway.metadata.name,
    status: {
      addresses: ready.length > 0 ? addresses.map((value) => ({ type: "IPAddress", value })) : [],
      conditions,
      listeners: state.listeners.map((l) => listenerStatus(l, gen)),
    },
  };
}

function listenerStatus(l: ListenerState, gen: number | undefined): unknown {
  const ok = listenerReady(l);
  return {
    name: l.listener.name,
    supportedKinds: l.supportedKinds,
    attachedRoutes: l.attached.size,
    conditions: [
      l.accepted
        ? condition(CondType.Accepted, false, l.accepted.reason, l.accepted.message, gen)
        : condition(CondType.Accepted, true, Reason.Accepted, "Listener is accepted", gen),
      ok
        ? condition(CondType.Programmed, true, Reason.Programmed, "Listener is programmed", gen)
        : condition(CondType.Programmed, false, Reason.Invalid, "Listener is invalid; see the other conditions", gen),
      l.resolvedRefs
        ? condition(CondType.ResolvedRefs, false, l.resolvedRefs.reason, l.resolvedRefs.message, gen)
        : condition(CondType.ResolvedRefs, true, Reason.ResolvedRefs, "All references resolved", gen),
      l.conflicted
        ? condition(CondType.Conflicted, true, l.conflicted.reason, l.conflicted.message, gen)
        : condition(CondType.Conflicted, false, Reason.NoConflicts, "No conflicts", gen),
    ],
  };
}
