/**
 * Listeners Envoy cannot bind (a port another process holds, a privileged port without the capability):
 * Envoy NACKs the LDS update with `Error adding/updating listener(s) NAME: cannot bind '…': Address already
 * in use` and applies the rest of it, so the other listeners serve. Those NACKs are recorded here per
 * stream, cleared when Envoy later accepts the listener (an LDS ACK naming it) or the stream ends, and
 * turned into status: the Gateway listeners on that port get Programmed=False (reason Invalid) with
 * Envoy's reason, and the Gateway's Programmed says which listeners Envoy could not program.
 *
 * Such NACKs are not bisected (nack-bisect.ts): no route causes them. Pure but for {@link ListenerFailures}'
 * own state.
 */
import type { Condition } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { CondType, Reason, type StatusUpdate } from "../translate/conditions";
import type { XdsEvent } from "../xds/server/types";
import { TypeUrl } from "../xds/types";

/** Envoy's prefix of an LDS NACK that lists the listeners it could not add or update. */
const LISTENER_ERRORS_PREFIX = "Error adding/updating listener(s) ";

/** Socket errors: the listener's configuration is fine, the host refused the port. */
const SOCKET_ERROR =
  /cannot bind|cannot listen|Address already in use|Permission denied|Cannot assign requested address/i;

/**
 * The listeners an LDS NACK's error_detail reports as failing to bind (`listener name → Envoy's reason`),
 * among the `names` the rejected response carried; undefined when the NACK is anything else (or names a
 * listener for another reason), which is left to the route bisection.
 */
export function listenerBindErrors(error: string, names: readonly string[]): Map<string, string> | undefined {
  if (!error.startsWith(LISTENER_ERRORS_PREFIX)) return undefined;
  const out = new Map<string, string>();
  // Longest first: a name that is a prefix of another ("a/b/http" of "a/b/http-quic") must not take its line.
  const candidates = [...names].sort((a, b) => b.length - a.length);
  for (const line of error.slice(LISTENER_ERRORS_PREFIX.length).split("\n")) {
    if (!line.trim()) continue;
    const name = candidates.find((n) => line.startsWith(`${n}: `));
    if (!name) return undefined;
    const reason = line.slice(name.length + 2).trim();
    if (!SOCKET_ERROR.test(reason)) return undefined;
    out.set(name, reason);
  }
  return out.size > 0 ? out : undefined;
}

/** One listener Envoy could not program. */
export interface ListenerFailure {
  /** Envoy node id: `namespace/name` of the Gateway, or the GatewayClass name of merged Gateways. */
  readonly nodeId: string;
  /** Envoy listener name: that of the first Gateway listener on its port (ADR 0006). */
  readonly listener: string;
  /** Envoy's reason, e.g. `cannot bind '127.0.0.1:8080': Address already in use`. */
  readonly error: string;
}

/**
 * The Gateway port and transport of each Envoy listener name a snapshot can produce: Envoy listeners are named
 * after the first Gateway (or ListenerSet) listener on their port (ADR 0006), `<gw ns>/<gw>/<listener>` or
 * `<gw ns>/<gw>/<ls ns>/<ls>/<listener>`.
 */
function listenerPorts(snapshot: ResourceSnapshot): Map<string, { port: number; udp: boolean }> {
  const out = new Map<string, { port: number; udp: boolean }>();
  const add = (prefix: string, listeners: readonly { name: string; port: number; protocol: string }[]): void => {
    for (const l of listeners) out.set(`${prefix}/${l.name}`, { port: l.port, udp: l.protocol === "UDP" });
  };
  for (const g of snapshot.gateways) add(`${g.metadata.namespace ?? "default"}/${g.metadata.name}`, g.spec.listeners);
  for (const ls of snapshot.listenerSets ?? []) {
    const ns = ls.metadata.namespace ?? "default";
    const parent = ls.spec.parentRef;
    add(`${parent.namespace ?? ns}/${parent.name}/${ns}/${ls.metadata.name}`, ls.spec.listeners);
  }
  return out;
}

/**
 * Applies one LDS answer to a stream's failures: each listener it carried failed (`errors` has it) or
 * was accepted (any other). True when something changed.
 */
function setOutcomes(
  failed: Map<string, string>,
  names: readonly string[],
  errors: ReadonlyMap<string, string>,
): boolean {
  let changed = false;
  for (const name of names) {
    const error = errors.get(name);
    if (error === undefined) changed = failed.delete(name) || changed;
    else if (failed.get(name) !== error) {
      failed.set(name, error);
      changed = true;
    }
  }
  return changed;
}

/** Listeners Envoy could not bind, per stream; see the module comment. */
export class ListenerFailures {
  private readonly byStream = new Map<number, { readonly nodeId: string; readonly failed: Map<string, string> }>();

  /** Records what an xDS event says of listeners; true when the failures changed. */
  apply(e: XdsEvent): boolean {
    if (e.kind === "disconnect") {
      const had = (this.byStream.get(e.streamId)?.failed.size ?? 0) > 0;
      this.byStream.delete(e.streamId);
      return had;
    }
    if ((e.kind !== "ack" && e.kind !== "nack") || e.typeUrl !== TypeUrl.Listener) return false;
    const errors = e.kind === "nack" ? listenerBindErrors(e.error ?? "", e.names ?? []) : new Map<string, string>();
    if (!errors) return false; // another kind of NACK: the bisection's
    let entry = this.byStream.get(e.streamId);
    if (!entry) this.byStream.set(e.streamId, (entry = { nodeId: e.nodeId, failed: new Map() }));
    return setOutcomes(entry.failed, e.names ?? [], errors);
  }

  /** The listeners some open stream could not bind, one entry per node and listener. */
  list(): ListenerFailure[] {
    const out = new Map<string, ListenerFailure>();
    for (const { nodeId, failed } of this.byStream.values()) {
      for (const [listener, error] of failed) out.set(`${nodeId}\n${listener}`, { nodeId, listener, error });
    }
    return [...out.values()];
  }
}

interface ListenerStatusBody {
  readonly name: string;
  readonly conditions: readonly Condition[];
  readonly [key: string]: unknown;
}

interface GatewayStatusBody {
  readonly conditions?: readonly Condition[];
  readonly listeners?: readonly ListenerStatusBody[];
  readonly [key: string]: unknown;
}

/** Replaces the condition of `c.type`, keeping its observedGeneration. */
function replaceCondition(conditions: readonly Condition[], c: Omit<Condition, "observedGeneration">): Condition[] {
  return conditions.map((old) => (old.type === c.type ? { ...old, ...c } : old));
}

/** The Gateways (`namespace/name`) a node serves: itself, or every Gateway of its class when merged. */
function gatewaysOfNode(nodeId: string, snapshot: ResourceSnapshot): string[] {
  if (nodeId.includes("/")) return [nodeId];
  return snapshot.gateways
    .filter((g) => g.spec.gatewayClassName === nodeId)
    .map((g) => `${g.metadata.namespace ?? "default"}/${g.metadata.name}`);
}

/**
 * Gateway and ListenerSet statuses with the listeners Envoy could not bind: each of their listeners on that
 * port (UDP for a UDP Envoy listener, the others otherwise) gets Programmed=False, reason Invalid, with
 * Envoy's reason; the Gateway (or ListenerSet) gets Programmed=False, reason Invalid, naming them (the
 * other listeners keep serving).
 */
export function withListenerFailures(
  statuses: readonly StatusUpdate[],
  failures: readonly ListenerFailure[],
  snapshot: ResourceSnapshot,
): readonly StatusUpdate[] {
  // No failure: the very list (the status log compares it with the last by reference, list-window.ts).
  if (failures.length === 0) return statuses;
  const byGateway = new Map<string, { port: number; udp: boolean; error: string }[]>();
  const ports = listenerPorts(snapshot);
  for (const f of failures) {
    const where = ports.get(f.listener);
    if (!where) continue;
    for (const gw of gatewaysOfNode(f.nodeId, snapshot)) {
      byGateway.set(gw, [...(byGateway.get(gw) ?? []), { ...where, error: f.error }]);
    }
  }
  return statuses.map((u) => {
    const owner = listenersOwner(u, snapshot);
    const failed = owner && byGateway.get(owner.gateway);
    return failed && owner ? markFailed(u, failed, owner.listeners) : u;
  });
}

/**
 * The Gateway (`namespace/name`) whose proxy serves the listeners of a Gateway or ListenerSet status, and
 * those listeners' specs; undefined for other kinds or an object not in the snapshot.
 */
function listenersOwner(
  u: StatusUpdate,
  snapshot: ResourceSnapshot,
): { gateway: string; listeners: ResourceSnapshot["gateways"][number]["spec"]["listeners"] } | undefined {
  const ns = u.namespace ?? "default";
  const same = (m: { name: string; namespace?: string }): boolean =>
    m.name === u.name && (m.namespace ?? "default") === ns;
  if (u.kind === "Gateway") {
    const g = snapshot.gateways.find((x) => same(x.metadata));
    return g && { gateway: `${ns}/${u.name}`, listeners: g.spec.listeners };
  }
  if (u.kind !== "ListenerSet") return undefined;
  const ls = (snapshot.listenerSets ?? []).find((x) => same(x.metadata));
  const parent = ls?.spec.parentRef;
  return parent && ls && { gateway: `${parent.namespace ?? ns}/${parent.name}`, listeners: ls.spec.listeners };
}

/** A Gateway's or ListenerSet's status with its failed listeners marked (see {@link withListenerFailures}). */
function markFailed(
  u: StatusUpdate,
  failed: readonly { port: number; udp: boolean; error: string }[],
  specListeners: ResourceSnapshot["gateways"][number]["spec"]["listeners"],
): StatusUpdate {
  const status = u.status as GatewayStatusBody;
  const names: string[] = [];
  const listeners = (status.listeners ?? []).map((l) => {
    const spec = specListeners.find((s) => s.name === l.name);
    const f = spec && failed.find((x) => x.port === spec.port && x.udp === (spec.protocol === "UDP"));
    const programmed = l.conditions.find((c) => c.type === CondType.Programmed);
    if (!f || programmed?.status !== "True") return l;
    names.push(`${l.name} (${f.error})`);
    const message = `Envoy could not program the listener: ${f.error}`;
    return {
      ...l,
      conditions: replaceCondition(l.conditions, { ...programmed, status: "False", reason: Reason.Invalid, message }),
    };
  });
  if (names.length === 0) return u;
  const total = status.listeners?.length ?? 0;
  const message = `Envoy could not program ${names.length} of ${total} listeners: ${names.join("; ")}. The other listeners serve`;
  const conditions = replaceCondition(status.conditions ?? [], {
    type: CondType.Programmed,
    status: "False",
    reason: Reason.Invalid,
    message,
  });
  return { ...u, status: { ...status, conditions, listeners } };
}
