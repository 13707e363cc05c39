/**
 * Gateway and its listeners (its own and those of the ListenerSets it allows): validate, detect conflicts,
 * and hold what routes attach to each listener.
 */
import type { DownstreamTlsIr, SecretIr, WeightedDestinationIr } from "../ir/xds-ir";
import type { Namespace } from "../resources/core";
import type { Gateway, Listener, ListenerSet, RouteGroupKind } from "../resources/gateway-api";
import { GATEWAY_API_GROUP } from "../resources/gateway-api";
import { selectorMatches } from "../resources/labels";
import { keyOf, namespaceOf, type Condition } from "../resources/meta";
import {
  gatewayResolvedRefs,
  insecureFrontendCondition,
  resolveBackendClientCertificate,
  type BackendClientCertificate,
} from "./gateway-tls";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { envoyProxyProblem, type EnvoyProxies } from "./envoy-proxy";
import { ENVOY_GATEWAY_GROUP } from "../resources/envoy-gateway";
import { resolveAddresses, type AddressContext } from "./gateway-addresses";
import type { ListenSettings } from "./proxy-listen";
import type { ProxyBackendTls } from "./envoy-proxy-backend-tls";
import { hostnameMatches } from "./hostnames";
import { resolveListenerTls, type ListenerDeclarer, type ListenerRefs } from "./listener-tls";
import type { RouteEntry } from "./route-entry";

/**
 * Protocols this version can program, with the route kinds each accepts (all of them when
 * allowedRoutes.kinds is empty). A TLS listener's kinds depend on its mode: see routeKinds.
 */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute", "GRPCRoute"],
  HTTPS: ["HTTPRoute", "GRPCRoute"],
  TLS: ["TLSRoute", "TCPRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

/**
 * The route kinds a listener accepts, or undefined for a protocol we cannot program.
 *
 * TCPRoute on a TLS listener, two expectations reconciled by the listener's mode:
 * - Passthrough: TLSRoute only. The bytes stay encrypted and only a TLSRoute (SNI hostnames) can say where
 *   they go; the Gateway API conformance suite (TLSRouteListenerPassthroughSupportedKinds) asserts that a
 *   Passthrough listener naming TCPRoute in allowedRoutes.kinds is ResolvedRefs=False InvalidRouteKinds and
 *   lists only TLSRoute in supportedKinds.
 * - Terminate: TLSRoute and TCPRoute, both by default. Envoy Gateway serves TLS-terminated TCP this way (its
 *   examples/kubernetes/tls-termination.yaml: a TLS listener in Terminate mode, no kinds, one TCPRoute), and
 *   the suite's Terminate tests only ask that TLSRoute be among the supportedKinds (a superset passes).
 */
function routeKinds(listener: Listener): readonly string[] | undefined {
  if (listener.protocol === "TLS" && listener.tls?.mode === "Passthrough") return ["TLSRoute"];
  return SUPPORTED[listener.protocol];
}

/** A TLSRoute, TCPRoute or UDPRoute attached to a listener. */
export interface L4Entry {
  /** Stable name: `tlsroute/ns/name` etc. */
  readonly name: string;
  /** Hostnames it serves on this listener (`*` for any). */
  readonly hostnames: readonly string[];
  /**
   * For each of `hostnames`, the route's own hostname it comes from (`*` when the route has none): a more
   * specific one wins the SNI name over an older route (GatewayRouteHostnameIntersectionPrecedence).
   */
  readonly origins?: Readonly<Record<string, string>>;
  /** Weighted destinations (an entry without cluster is an invalid backendRef). */
  readonly destinations: readonly WeightedDestinationIr[];
  /** Precedence tie-breakers: creation time, then `namespace/name` (oldest first). */
  readonly tie: { readonly created: string; readonly key: string };
}

/** Who declares a listener: the Gateway itself or one of its ListenerSets. */
export interface ListenerOwner extends ListenerDeclarer {
  /** Name of the Gateway or ListenerSet. */
  readonly name: string;
}

/** A listener during translation. */
export interface ListenerState {
  /** The listener as written. */
  readonly listener: Listener;
  /** The Gateway or ListenerSet that declares it. */
  readonly owner: ListenerOwner;
  /**
   * Unique name among the Gateway's merged listeners: the listener name for the Gateway's own,
   * `listenerset/ns/name/listener` for a ListenerSet's (names repeat across ListenerSets).
   */
  readonly id: string;
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
  /** Other TLS listeners on its port whose hostnames overlap its own (OverlappingTLSConfig), if any. */
  overlapsTls?: string[];
  /** TLS termination (HTTPS, TLS Terminate); absent for plaintext and passthrough. */
  tls?: DownstreamTlsIr;
  /** Certificates the listener serves. */
  secrets: readonly SecretIr[];
  /** TLSRoutes, TCPRoutes and UDPRoutes attached. */
  readonly l4: L4Entry[];
  /**
   * Keys of the routes attached (a route with two parentRefs to one listener counts once). May be the HTTPRoute
   * stage's own set: change it only through {@link ownRouteParts}.
   */
  attached: Set<string>;
  /**
   * Route rules attached, with the hostnames they serve on this listener. May be the HTTPRoute stage's own
   * list: change it only through {@link ownRouteParts}.
   */
  entries: RouteEntry[];
}

/** Listeners whose `attached` and `entries` are the HTTPRoute stage's (route-table.ts), not their own. */
const sharedRouteParts = new WeakSet<ListenerState>();

/**
 * Gives the listener the HTTPRoute stage's set of attached routes and list of entries without copying them
 * (ADR 0023); {@link ownRouteParts} copies them before anything changes them.
 */
export function shareRouteParts(l: ListenerState, attached: Set<string>, entries: RouteEntry[]): void {
  l.attached = attached;
  l.entries = entries;
  sharedRouteParts.add(l);
}

/**
 * The listener's entries as a list that will not change: the HTTPRoute stage's own while shared (never changed in
 * place, and carrying their window against the last ones: list-window.ts `noteWindow`), else a copy.
 */
export function settledEntries(l: ListenerState): readonly RouteEntry[] {
  return sharedRouteParts.has(l) ? l.entries : [...l.entries];
}

/** The listener, with `attached` and `entries` of its own (copies if they were shared), to change. */
export function ownRouteParts(l: ListenerState): ListenerState {
  if (sharedRouteParts.delete(l)) {
    l.attached = new Set(l.attached);
    l.entries = [...l.entries];
  }
  return l;
}

/** A Gateway during translation. */
export interface GatewayState {
  /** The Gateway. */
  readonly gateway: Gateway;
  /** `namespace/name`. */
  readonly key: string;
  /**
   * The merged listeners, in the spec's precedence order: the Gateway's own in spec order, then those of
   * each accepted ListenerSet (oldest first, then by `namespace/name`).
   */
  readonly listeners: ListenerState[];
  /** The ListenerSets naming this Gateway as parent, in precedence order. */
  readonly listenerSets: ListenerSetState[];
  /** Why the Gateway itself is not accepted (e.g. InvalidParameters, UnsupportedAddress), if so. */
  notAccepted?: { reason: string; message: string };
  /** Addresses the listeners bind to and the status reports; empty when none is usable. */
  addresses: readonly string[];
  /** Why the requested addresses cannot all be used (Programmed=False), if so. */
  addressProblem?: { reason: string; message: string };
  /** The certificate presented to TLS backends (spec.tls.backend.clientCertificateRef), when set. */
  backendClientCertificate?: BackendClientCertificate;
  /** Its EnvoyProxy's `backendTLS` (envoy-proxy-backend-tls.ts), when set and the Gateway sets no `tls.backend`. */
  backendTls?: ProxyBackendTls;
  /** Its EnvoyProxy's `ipFamily` and `preserveRouteOrder` (proxy-listen.ts); absent: IPv4, precedence order. */
  listen?: ListenSettings;
}

/** A ListenerSet naming one of our Gateways as parent. */
export interface ListenerSetState {
  /** The ListenerSet. */
  readonly listenerSet: ListenerSet;
  /** `namespace/name`. */
  readonly key: string;
  /** Why it is not attached (NotAllowed, ParentNotAccepted), if so; then it has no listener states. */
  rejected?: { reason: string; message: string };
  /** Its listeners' states (also in the Gateway's merged list), in spec order. */
  readonly listeners: ListenerState[];
}

/** True when the listener can carry traffic. */
export function listenerReady(l: ListenerState): boolean {
  return !l.accepted && !l.conflicted && !l.unprogrammable;
}

/**
 * True when routes attach to the listener (and count in its attachedRoutes): it is accepted and not
 * conflicted, even when it cannot be programmed (e.g. an HTTPS listener whose certificateRefs do not
 * resolve), as the conformance suite's GatewayWithAttachedRoutes asserts. Only ready listeners serve them.
 */
export function listenerAttachable(l: ListenerState): boolean {
  return !l.accepted && !l.conflicted;
}

/** The Gateway's own listeners (not those of its ListenerSets). */
export function ownListeners(gw: GatewayState): ListenerState[] {
  return gw.listeners.filter((l) => l.owner.kind === "Gateway");
}

/** What a Gateway's listeners are checked against. */
export interface GatewayInputs {
  /** Certificates, CA bundles and grants. */
  readonly refs: ListenerRefs;
  /** ListenerSets whose parentRef names this Gateway (any order). */
  readonly listenerSets: readonly ListenerSet[];
  /** Namespaces, for allowedListeners selectors. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Where listeners can bind (spec.addresses). */
  readonly addresses: AddressContext;
  /** The EnvoyProxies that exist, by `namespace/name`. */
  readonly envoyProxies: EnvoyProxies;
}

/**
 * Builds the listener states of a Gateway and of the ListenerSets it allows, with protocol, kind, TLS and
 * conflict checks. Conflicts inside one Gateway or ListenerSet conflict every listener involved; between
 * them, the earlier in precedence (Gateway, then older ListenerSets) keeps its listener.
 */
export function processGateway(gateway: Gateway, inputs: GatewayInputs): GatewayState {
  const gwNs = namespaceOf(gateway.metadata);
  const owner: ListenerOwner = { kind: "Gateway", namespace: gwNs, name: gateway.metadata.name };
  const listeners = (gateway.spec.listeners ?? []).map((l) => checkListener(l, owner, l.name));
  for (const l of listeners) if (!l.accepted) checkTls(gateway, l, inputs.refs);
  markConflicts(listeners);
  const addr = resolveAddresses(gateway, inputs.addresses);
  const state: GatewayState = {
    gateway,
    key: keyOf(gateway.metadata),
    listeners,
    listenerSets: [],
    addresses: addr.addresses,
  };
  const notAccepted = invalidParameters(gateway, inputs.envoyProxies) ?? addr.unsupported;
  if (notAccepted) state.notAccepted = notAccepted;
  if (addr.unusable) state.addressProblem = addr.unusable;
  const backendCert = resolveBackendClientCertificate(gateway, inputs.refs);
  if (backendCert) state.backendClientCertificate = backendCert;
  const ownReady = !notAccepted && listeners.some(listenerReady);
  for (const ls of [...inputs.listenerSets].sort(byPrecedence)) {
    const rejected = listenerSetRejection(gateway, ls, inputs.namespaces, ownReady);
    state.listenerSets.push(attachListenerSet(state, ls, inputs.refs, rejected));
  }
  markOverlappingTls(state.listeners);
  return state;
}

/**
 * The state of one ListenerSet; when it is not rejected, its listeners are checked (alone, then against
 * the listeners of higher precedence already in the Gateway's merged list) and appended to that list.
 */
function attachListenerSet(
  state: GatewayState,
  ls: ListenerSet,
  refs: ListenerRefs,
  rejected: { reason: string; message: string } | undefined,
): ListenerSetState {
  const lsState: ListenerSetState = { listenerSet: ls, key: keyOf(ls.metadata), listeners: [] };
  if (rejected) return { ...lsState, rejected };
  const owner: ListenerOwner = { kind: "ListenerSet", namespace: namespaceOf(ls.metadata), name: ls.metadata.name };
  const mine = (ls.spec.listeners ?? []).map((l) => checkListener(l, owner, `listenerset/${lsState.key}/${l.name}`));
  for (const l of mine) if (!l.accepted) checkTls(state.gateway, l, refs, owner);
  // Listeners of higher precedence first: a listener that conflicts with one of them is the only one marked
  // (ListenerSetProtocolConflict, ListenerSetHostnameConflict); its siblings are then checked among
  // themselves, where, as in a Gateway, conflicting listeners are all marked (none is picked as the winner).
  for (const l of mine) if (!l.accepted) markPrecedenceConflict(l, state.listeners);
  markConflicts(mine.filter((l) => !l.conflicted));
  lsState.listeners.push(...mine);
  state.listeners.push(...mine);
  return lsState;
}

/**
 * spec.infrastructure.parametersRef: Envoy Gateway's EnvoyProxy, in the Gateway's namespace, is the only kind
 * of parameters a Gateway may refer to; another kind, or an EnvoyProxy that does not exist, makes it not
 * accepted (InvalidParameters), as the spec asks, rather than running it with the class's settings.
 */
function invalidParameters(
  gateway: Gateway,
  envoyProxies: EnvoyProxies,
): { reason: string; message: string } | undefined {
  const ref = gateway.spec.infrastructure?.parametersRef;
  if (!ref) return undefined;
  if (ref.group !== ENVOY_GATEWAY_GROUP || ref.kind !== "EnvoyProxy") {
    return {
      reason: Reason.InvalidParameters,
      message: `infrastructure.parametersRef ${ref.group}/${ref.kind} ${ref.name} is not supported; refer to a ${ENVOY_GATEWAY_GROUP} EnvoyProxy or remove it`,
    };
  }
  const key = `${namespaceOf(gateway.metadata)}/${ref.name}`;
  const named = `EnvoyProxy ${key} named in infrastructure.parametersRef`;
  if (!envoyProxies.has(key)) {
    const message = `${named} does not exist; create it in the Gateway's namespace or remove parametersRef`;
    return { reason: Reason.InvalidParameters, message };
  }
  const problem = envoyProxyProblem(envoyProxies.get(key), "Gateway");
  return problem ? { reason: Reason.InvalidParameters, message: `${named} is invalid: ${problem}` } : undefined;
}

/** ListenerSet precedence: oldest first, then `namespace/name`. */
function byPrecedence(a: ListenerSet, b: ListenerSet): number {
  const ca = a.metadata.creationTimestamp ?? "";
  const cb = b.metadata.creationTimestamp ?? "";
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ca < cb ? -1 : ca > cb ? 1 : ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Why a ListenerSet may not attach: the Gateway's allowedListeners (None by default), or a parent not accepted. */
function listenerSetRejection(
  gateway: Gateway,
  ls: ListenerSet,
  namespaces: ReadonlyMap<string, Namespace>,
  parentHasListeners: boolean,
): { reason: string; message: string } | undefined {
  const gwKey = keyOf(gateway.metadata);
  const lsNs = namespaceOf(ls.metadata);
  const from = gateway.spec.allowedListeners?.namespaces?.from ?? "None";
  const ok = allowsListenerSetFrom(gateway, lsNs, namespaces);
  if (!ok) {
    return {
      reason: Reason.NotAllowed,
      message:
        from === "None"
          ? `Gateway ${gwKey} does not allow ListenerSets; set its spec.allowedListeners.namespaces.from`
          : `Gateway ${gwKey} allows ListenerSets from ${from === "Same" ? "its own namespace" : "namespaces matching its selector"} only, not from ${lsNs}`,
    };
  }
  if (!parentHasListeners) {
    return { reason: Reason.ParentNotAccepted, message: `parent Gateway ${gwKey} is not accepted` };
  }
  return undefined;
}

/** True when the Gateway's allowedListeners admits ListenerSets from namespace `lsNs`. */
function allowsListenerSetFrom(gateway: Gateway, lsNs: string, namespaces: ReadonlyMap<string, Namespace>): boolean {
  const allowed = gateway.spec.allowedListeners?.namespaces;
  switch (allowed?.from ?? "None") {
    case "All":
      return true;
    case "Same":
      return lsNs === namespaceOf(gateway.metadata);
    case "Selector":
      return selectorMatches(allowed?.selector ?? {}, namespaces.get(lsNs)?.metadata.labels ?? {});
    default:
      return false;
  }
}

/** TLS mode per protocol, and certificate resolution for terminating listeners. */
function checkTls(gateway: Gateway, state: ListenerState, refs: ListenerRefs, declarer?: ListenerDeclarer): void {
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
  const r = resolveListenerTls(gateway, listener, refs, declarer);
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

function checkListener(listener: Listener, owner: ListenerOwner, id: string): ListenerState {
  const kinds = routeKinds(listener);
  const state: ListenerState = {
    listener,
    owner,
    id,
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
    const on =
      listener.protocol === "TLS"
        ? `TLS listener in ${listener.tls?.mode ?? "Terminate"} mode`
        : `${listener.protocol} listener`;
    state.resolvedRefs = {
      reason: Reason.InvalidRouteKinds,
      message: `route kinds ${bad.join(", ")} are not supported on a ${on}; use ${kinds.join(", ")}`,
    };
  }
  return state;
}

/** The port space of a listener: UDP ports are separate from TCP-based ones. */
function portKey(l: ListenerState): string {
  return `${l.listener.protocol === "UDP" ? "udp" : "tcp"}/${l.listener.port}`;
}

/**
 * Protocols that can share a port: HTTPS and TLS listeners are told apart by SNI (one Envoy listener whose
 * filter chains either terminate HTTPS or proxy the TLS stream).
 */
function compatibleProtocols(protocols: ReadonlySet<string>): boolean {
  return protocols.size === 1 || [...protocols].every((p) => p === "HTTPS" || p === "TLS");
}

/**
 * Listeners on one port must share a protocol (HTTPS and TLS excepted) and, for HTTP, HTTPS and TLS,
 * have distinct hostnames; a TCP or UDP listener needs its port alone.
 */
function markConflicts(listeners: ListenerState[]): void {
  const byPort = new Map<string, ListenerState[]>();
  for (const l of listeners) {
    if (l.accepted) continue;
    const key = portKey(l);
    byPort.set(key, [...(byPort.get(key) ?? []), l]);
  }
  for (const group of byPort.values()) {
    const port = group[0].listener.port;
    const protocols = new Set(group.map((l) => l.listener.protocol));
    if (!compatibleProtocols(protocols)) {
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

/**
 * A ListenerSet listener against the listeners of higher precedence (the Gateway's, older ListenerSets'):
 * when they are not distinct, only the ListenerSet listener is conflicted (and not accepted).
 */
function markPrecedenceConflict(l: ListenerState, earlier: readonly ListenerState[]): void {
  const { port, protocol } = l.listener;
  for (const o of earlier) {
    if (o.accepted || o.conflicted || portKey(o) !== portKey(l)) continue;
    const by = o.owner.kind === "Gateway" ? "the Gateway" : `ListenerSet ${o.owner.namespace}/${o.owner.name}`;
    const other = o.listener.protocol;
    if (!compatibleProtocols(new Set([protocol, other])) || protocol === "TCP" || protocol === "UDP") {
      l.conflicted = {
        reason: Reason.ProtocolConflict,
        message: `port ${port} is already used by ${other} listener ${o.listener.name} of ${by}, which takes precedence; use another port`,
      };
      return;
    }
    if ((o.listener.hostname ?? "") === (l.listener.hostname ?? "")) {
      l.conflicted = {
        reason: Reason.HostnameConflict,
        message: `hostname "${l.listener.hostname ?? "*"}" on port ${port} is already used by listener ${o.listener.name} of ${by}, which takes precedence; use another hostname or port`,
      };
      return;
    }
  }
}

/**
 * OverlappingTLSConfig: TLS listeners (HTTPS or TLS) on one port whose hostnames overlap without being
 * equal (`*.example.com` and `foo.example.com`; no hostname overlaps every hostname). Clients that coalesce
 * connections may send a request for one listener over a connection set up for the other.
 */
function markOverlappingTls(listeners: readonly ListenerState[]): void {
  const tls = listeners.filter(
    (l) => listenerReady(l) && (l.listener.protocol === "HTTPS" || l.listener.protocol === "TLS"),
  );
  for (const a of tls) {
    for (const b of tls) {
      if (a === b || portKey(a) !== portKey(b)) continue;
      const ha = a.listener.hostname;
      const hb = b.listener.hostname;
      if (ha !== hb && (hostnameMatches(ha, hb ?? "*") || hostnameMatches(hb, ha ?? "*"))) {
        (a.overlapsTls ??= []).push(b.id);
      }
    }
  }
}

/** True when the Gateway is accepted: valid as a whole, with at least one valid listener of its own. */
export function gatewayAccepted(state: GatewayState): boolean {
  return !state.notAccepted && ownListeners(state).some(listenerReady);
}

/** Renders the Gateway's status after routes have attached. */
export function gatewayStatus(state: GatewayState): StatusUpdate {
  const gen = state.gateway.metadata.generation;
  const own = ownListeners(state);
  const ready = own.filter(listenerReady);
  const invalid = own.length - ready.length;
  const accepted = gatewayAccepted(state);
  const conditions = [
    state.notAccepted
      ? condition(CondType.Accepted, false, state.notAccepted.reason, state.notAccepted.message, gen)
      : invalid === 0
        ? condition(CondType.Accepted, true, Reason.Accepted, "The Gateway has been scheduled by Envoy Gateway", gen)
        : condition(
            CondType.Accepted,
            ready.length > 0,
            Reason.ListenersNotValid,
            `${invalid} of ${own.length} listeners are invalid; see status.listeners`,
            gen,
          ),
    programmedCondition(state, accepted, gen),
    ...gatewayTlsConditions(state, gen),
  ];
  const attachedSets = state.listenerSets.filter((ls) => !ls.rejected && ls.listeners.some(listenerReady)).length;
  const reportSets = state.listenerSets.length > 0 || state.gateway.spec.allowedListeners !== undefined;
  return {
    apiVersion: state.gateway.apiVersion,
    kind: "Gateway",
    namespace: namespaceOf(state.gateway.metadata),
    name: state.gateway.metadata.name,
    status: {
      addresses: accepted ? state.addresses.map((value) => ({ type: "IPAddress", value })) : [],
      conditions,
      listeners: own.map((l) => listenerStatus(l, gen)),
      ...(reportSets ? { attachedListenerSets: attachedSets } : {}),
    },
  };
}

/** Conditions from spec.tls: ResolvedRefs (backend client certificate) and InsecureFrontendValidationMode. */
function gatewayTlsConditions(state: GatewayState, gen: number | undefined): Condition[] {
  const unresolved = ownListeners(state).filter((l) => l.resolvedRefs).length;
  return [
    gatewayResolvedRefs(state.backendClientCertificate, unresolved, gen),
    insecureFrontendCondition(state.gateway, gen),
  ].filter((c): c is Condition => c !== undefined);
}

function programmedCondition(state: GatewayState, accepted: boolean, gen: number | undefined): Condition {
  if (state.addressProblem) {
    return condition(CondType.Programmed, false, state.addressProblem.reason, state.addressProblem.message, gen);
  }
  if (accepted) {
    return condition(
      CondType.Programmed,
      true,
      Reason.Programmed,
      "Sending translated listeners to the data plane",
      gen,
    );
  }
  const message = state.notAccepted ? "The Gateway is not accepted" : "No listener is valid; see status.listeners";
  return condition(CondType.Programmed, false, Reason.Invalid, message, gen);
}

/** Renders a ListenerSet's status (Accepted, Programmed, listeners) after routes have attached. */
export function listenerSetStatus(ls: ListenerSetState): StatusUpdate {
  const gen = ls.listenerSet.metadata.generation;
  const base = {
    apiVersion: ls.listenerSet.apiVersion,
    kind: "ListenerSet",
    namespace: namespaceOf(ls.listenerSet.metadata),
    name: ls.listenerSet.metadata.name,
  };
  if (ls.rejected) {
    const { reason, message } = ls.rejected;
    const programmedReason = reason === Reason.ParentNotAccepted ? Reason.ParentNotProgrammed : reason;
    return {
      ...base,
      status: {
        conditions: [
          condition(CondType.Accepted, false, reason, message, gen),
          condition(CondType.Programmed, false, programmedReason, message, gen),
        ],
      },
    };
  }
  const ready = ls.listeners.filter(listenerReady).length;
  const invalid = ls.listeners.length - ready;
  const summary = `${invalid} of ${ls.listeners.length} listeners are invalid; see status.listeners`;
  const conditions =
    ready === 0
      ? [
          condition(CondType.Accepted, false, Reason.ListenersNotValid, summary, gen),
          condition(CondType.Programmed, false, Reason.ListenersNotValid, summary, gen),
        ]
      : [
          invalid === 0
            ? condition(CondType.Accepted, true, Reason.Accepted, "ListenerSet is accepted", gen)
            : condition(CondType.Accepted, true, Reason.ListenersNotValid, summary, gen),
          condition(CondType.Programmed, true, Reason.Programmed, "ListenerSet is programmed", gen),
        ];
  return { ...base, status: { conditions, listeners: ls.listeners.map((l) => listenerStatus(l, gen)) } };
}

/**
 * A listener's status. A conflicted listener is neither accepted nor programmed, with the conflict's
 * reason (the spec: indistinct listeners must not be accepted, none of them picked as the winner).
 */
function listenerStatus(l: ListenerState, gen: number | undefined): unknown {
  const ok = listenerReady(l);
  const conflict = l.conflicted;
  const conditions = [
    l.accepted
      ? condition(CondType.Accepted, false, l.accepted.reason, l.accepted.message, gen)
      : conflict
        ? condition(CondType.Accepted, false, conflict.reason, conflict.message, gen)
        : condition(CondType.Accepted, true, Reason.Accepted, "Listener is accepted", gen),
    ok
      ? condition(CondType.Programmed, true, Reason.Programmed, "Listener is programmed", gen)
      : conflict && !l.accepted
        ? condition(CondType.Programmed, false, conflict.reason, conflict.message, gen)
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
    conflict
      ? condition(CondType.Conflicted, true, conflict.reason, conflict.message, gen)
      : condition(CondType.Conflicted, false, Reason.NoConflicts, "No conflicts", gen),
  ];
  if (l.overlapsTls) {
    conditions.push(
      condition(
        CondType.OverlappingTLSConfig,
        true,
        Reason.OverlappingHostnames,
        `hostname "${l.listener.hostname ?? "*"}" overlaps the hostnames of TLS listeners ${l.overlapsTls.join(", ")} on port ${l.listener.port}; clients reusing connections may reach the wrong listener`,
        gen,
      ),
    );
  }
  return { name: l.listener.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attached.size, conditions };
}
