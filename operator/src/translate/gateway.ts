/** Gateway and its listeners: validate, detect conflicts, and hold what routes attach to each listener. */
import type { DownstreamTlsIr, SecretIr, WeightedDestinationIr } from "../ir/xds-ir";
import type { Gateway, Listener, RouteGroupKind } from "../resources/gateway-api";
import { GATEWAY_API_GROUP } from "../resources/gateway-api";
import { keyOf, namespaceOf } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { resolveListenerTls, type ListenerRefs } from "./listener-tls";
import type { RouteEntry } from "./route-entry";

/** Protocols this version can program, with the route kinds each accepts (the first ones by default). */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute"],
  HTTPS: ["HTTPRoute"],
  TLS: ["TLSRoute", "TCPRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

/** Kinds a listener of each protocol accepts when allowedRoutes.kinds is empty. */
const DEFAULT_KINDS: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute"],
  HTTPS: ["HTTPRoute"],
  TLS: ["TLSRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

/** A TLSRoute, TCPRoute or UDPRoute attached to a listener. */
export interface L4Entry {
  /** Stable name: `tlsroute/ns/name` etc. */
  readonly name: string;
  /** Hostnames it serves on this listener (`*` for any). */
  readonly hostnames: readonly string[];
  /** Weighted destinations (an entry without cluster is an invalid backendRef). */
  readonly destinations: readonly WeightedDestinationIr[];
  /** Precedence tie-breakers: creation time, then `namespace/name` (oldest first). */
  readonly tie: { readonly created: string; readonly key: string };
}

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
  /** Why it cannot be programmed though accepted (e.g. no usable certificate), if so. */
  unprogrammable?: { reason: string; message: string };
  /** TLS termination (HTTPS, TLS Terminate); absent for plaintext and passthrough. */
  tls?: DownstreamTlsIr;
  /** Certificates the listener serves. */
  secrets: readonly SecretIr[];
  /** TLSRoutes, TCPRoutes and UDPRoutes attached. */
  readonly l4: L4Entry[];
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
  return !l.accepted && !l.conflicted && !l.unprogrammable;
}

/** Builds the listener states of a Gateway, with protocol, kind, TLS and conflict checks. */
export function processGateway(gateway: Gateway, refs: ListenerRefs): GatewayState {
  const listeners = (gateway.spec.listeners ?? []).map((l) => checkListener(l));
  for (const l of listeners) if (!l.accepted) checkTls(gateway, l, refs);
  markConflicts(listeners);
  return { gateway, key: keyOf(gateway.metadata), listeners };
}

/** TLS mode per protocol, and certificate resolution for terminating listeners. */
function checkTls(gateway: Gateway, state: ListenerState, refs: ListenerRefs): void {
  const { listener } = state;
  if (listener.protocol !== "HTTPS" && listener.protocol !== "TLS") return;
  const mode = listener.tls?.mode ?? "Terminate";
  if (listener.protocol === "HTTPS" && mode !== "Terminate") {
    state.accepted = {
      reason: Reason.UnsupportedValue,
      message: `an HTTPS listener must use tls.mode Terminate; use protocol TLS for ${mode}`,
    };
    return;
  }
  if (mode === "Passthrough") return;
  const r = resolveListenerTls(gateway, listener, refs);
  state.secrets = r.secrets;
  if (r.tls) state.tls = r.tls;
  if (r.problem) state.resolvedRefs ??= r.problem;
  if (r.notAccepted) state.accepted = r.notAccepted;
  else if (!r.tls) {
    state.unprogrammable = {
      reason: Reason.Invalid,
      message: `listener ${listener.name} has no usable certificate; fix its tls.certificateRefs`,
    };
  }
}

function checkListener(listener: Listener): ListenerState {
  const kinds = SUPPORTED[listener.protocol];
  const state: ListenerState = {
    listener,
    supportedKinds: [],
    attached: new Set(),
    entries: [],
    secrets: [],
    l4: [],
  };
  if (!kinds) {
    state.accepted = {
      reason: Reason.UnsupportedProtocol,
      message: `protocol ${listener.protocol} is not supported yet; supported: ${Object.keys(SUPPORTED).join(", ")}`,
    };
    return state;
  }
  const requested = listener.allowedRoutes?.kinds;
  if (!requested || requested.length === 0) {
    const defaults = DEFAULT_KINDS[listener.protocol] ?? kinds;
    state.supportedKinds.push(...defaults.map((kind) => ({ group: GATEWAY_API_GROUP, kind })));
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

/** Listeners on one port must share a protocol; UDP ports are separate from TCP-based ones. */
function markConflicts(listeners: ListenerState[]): void {
  const byPort = new Map<string, ListenerState[]>();
  for (const l of listeners) {
    if (l.accepted) continue;
    const key = `${l.listener.protocol === "UDP" ? "udp" : "tcp"}/${l.listener.port}`;
    byPort.set(key, [...(byPort.get(key) ?? []), l]);
  }
  for (const group of byPort.values()) {
    const port = group[0].listener.port;
    const protocols = new Set(group.map((l) => l.listener.protocol));
    if (protocols.size > 1) {
      for (const l of group) {
        l.conflicted = {
          reason: Reason.ProtocolConflict,
          message: `port ${port} is used with several protocols (${[...protocols].join(", ")}); use one protocol per port`,
        };
      }
    } else if (protocols.has("TCP") || protocols.has("UDP")) {
      if (group.length > 1) markAll(group, Reason.ProtocolConflict, portMessage(group, port));
    } else markHostnameConflicts(group, port);
  }
}

function portMessage(group: readonly ListenerState[], port: number): string {
  const names = group.map((l) => l.listener.name).join(", ");
  return `listeners ${names} are all ${group[0].listener.protocol} on port ${port}; a ${group[0].listener.protocol} listener needs a port of its own`;
}

function markAll(group: readonly ListenerState[], reason: string, message: string): void {
  for (const l of group) l.conflicted = { reason, message };
}

/** HTTP, HTTPS and TLS listeners sharing a port must have distinct hostnames. */
function markHostnameConflicts(group: readonly ListenerState[], port: number): void {
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
        : condition(
            CondType.Programmed,
            false,
            Reason.Invalid,
            l.unprogrammable?.message ?? "Listener is invalid; see the other conditions",
            gen,
          ),
      l.resolvedRefs
        ? condition(CondType.ResolvedRefs, false, l.resolvedRefs.reason, l.resolvedRefs.message, gen)
        : condition(CondType.ResolvedRefs, true, Reason.ResolvedRefs, "All references resolved", gen),
      l.conflicted
        ? condition(CondType.Conflicted, true, l.conflicted.reason, l.conflicted.message, gen)
        : condition(CondType.Conflicted, false, Reason.NoConflicts, "No conflicts", gen),
    ],
  };
}
