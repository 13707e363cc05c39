/**
 * The objects policies can target, indexed once per translation: our Gateways and their listeners, the
 * ListenerSets attached to them, and every route with the Gateway listeners it attached to (on first use: a
 * translation without policies never builds it).
 */
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import type { KubeObject } from "../../resources/meta";
import { keyOf } from "../../resources/meta";
import type { ResourceSnapshot } from "../../resources/snapshot";
import type { GatewayState, ListenerSetState, ListenerState } from "../gateway";
import type { TargetReads } from "./targets";
import type { AncestorRef } from "./types";

/** Route kinds a policy may target. */
export const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"] as const;

/** A route and where it attached. */
export interface RouteTarget {
  /** The route object. */
  readonly route: KubeObject<{ readonly rules?: readonly { readonly name?: string }[] }>;
  /** Kind. */
  readonly kind: string;
  /** `namespace/name`. */
  readonly key: string;
  /** The listeners (of our Gateways) it attached to, with their Gateway. */
  readonly listeners: readonly { readonly gateway: GatewayState; readonly listener: ListenerState }[];
  /** `namespace/name` of those Gateways, sorted. */
  readonly gateways: readonly string[];
  /** Their ancestor references (where a policy on the route reports). */
  readonly ancestors: readonly AncestorRef[];
}

/** Lookup tables the engine resolves target references against. */
export class TargetIndex implements TargetReads {
  /** Our accepted Gateways by `namespace/name`. */
  readonly gateways: ReadonlyMap<string, GatewayState>;
  /** Attached ListenerSets by `namespace/name`, with their Gateway. */
  readonly listenerSets = new Map<string, { readonly set: ListenerSetState; readonly gateway: GatewayState }>();
  /** Routes by `Kind/namespace/name` (built on first use). */
  private routeTargets?: Map<string, RouteTarget>;
  /** Every object of a targetable kind by kind, for label selectors (ours or not). */
  readonly byKind = new Map<string, readonly KubeObject[]>();
  /** `kind|namespace|label=value` → the objects carrying that label (built on first use). */
  private byLabel?: Map<string, KubeObject[]>;
  /** `Kind/namespace/name` of every object of {@link byKind} (built on first use). */
  private keys?: Set<string>;

  /** Routes by `Kind/namespace/name`. */
  get routes(): ReadonlyMap<string, RouteTarget> {
    return (this.routeTargets ??= this.routeIndex());
  }

  /** The route `Kind/namespace/name`, with where it attached. */
  route(id: string): RouteTarget | undefined {
    return this.routes.get(id);
  }

  /** Our accepted Gateway `namespace/name`. */
  gateway(key: string): GatewayState | undefined {
    return this.gateways.get(key);
  }

  /** The attached ListenerSet `namespace/name`, with its Gateway. */
  listenerSet(key: string): { readonly set: ListenerSetState; readonly gateway: GatewayState } | undefined {
    return this.listenerSets.get(key);
  }

  /** Whether an object `kind` `namespace/name` exists (ours or not). */
  has(kind: string, key: string): boolean {
    if (!this.keys) {
      this.keys = new Set();
      for (const [k, list] of this.byKind) for (const o of list) this.keys.add(`${k}/${keyOf(o.metadata)}`);
    }
    return this.keys.has(`${kind}/${key}`);
  }

  /**
   * Candidates for a label selector: the objects of `kind` in `namespace` carrying the selector's first
   * matchLabels pair (all of the kind in the namespace when it has none); the caller checks the selector.
   */
  candidates(
    kind: string,
    namespace: string,
    matchLabels: Readonly<Record<string, string>> | undefined,
  ): readonly KubeObject[] {
    const first = Object.entries(matchLabels ?? {})[0];
    if (!first) return (this.byKind.get(kind) ?? []).filter((o) => (o.metadata.namespace ?? "default") === namespace);
    if (!this.byLabel) {
      this.byLabel = new Map();
      for (const [k, list] of this.byKind) {
        for (const o of list) {
          for (const [name, value] of Object.entries(o.metadata.labels ?? {})) {
            const key = `${k}|${o.metadata.namespace ?? "default"}|${name}=${value}`;
            const at = this.byLabel.get(key);
            if (at) at.push(o);
            else this.byLabel.set(key, [o]);
          }
        }
      }
    }
    return this.byLabel.get(`${kind}|${namespace}|${first[0]}=${first[1]}`) ?? [];
  }

  constructor(gateways: ReadonlyMap<string, GatewayState>, snapshot: ResourceSnapshot) {
    this.gateways = gateways;
    for (const gw of gateways.values()) {
      for (const set of gw.listenerSets) if (!set.rejected) this.listenerSets.set(set.key, { set, gateway: gw });
    }
    const objects: Record<string, readonly KubeObject[]> = {
      Gateway: snapshot.gateways,
      ListenerSet: snapshot.listenerSets ?? [],
      HTTPRoute: snapshot.httpRoutes,
      GRPCRoute: snapshot.grpcRoutes ?? [],
      TCPRoute: snapshot.tcpRoutes,
      UDPRoute: snapshot.udpRoutes,
      TLSRoute: snapshot.tlsRoutes,
    };
    for (const [kind, list] of Object.entries(objects)) this.byKind.set(kind, list);
  }

  /** Every route with where it attached. */
  private routeIndex(): Map<string, RouteTarget> {
    const routes = new Map<string, RouteTarget>();
    const attachedTo = this.attachments();
    const shared = new Map<string, RouteGateways>();
    for (const kind of ROUTE_KINDS) {
      for (const route of this.byKind.get(kind) ?? []) {
        const key = keyOf(route.metadata);
        const listeners = attachedTo.get(`${kind}/${key}`) ?? [];
        const { gateways, ancestors } = routeGateways(listeners, shared);
        routes.set(`${kind}/${key}`, {
          route: route as RouteTarget["route"],
          kind,
          key,
          listeners,
          gateways,
          ancestors,
        });
      }
    }
    lastRouteGateways = shared; // this translation's pairs replace the last one's
    return routes;
  }

  /** `Kind/namespace/name` of each attached route → the listeners it attached to. */
  private attachments(): Map<string, { gateway: GatewayState; listener: ListenerState }[]> {
    const out = new Map<string, { gateway: GatewayState; listener: ListenerState }[]>();
    for (const gateway of this.gateways.values()) {
      for (const listener of gateway.listeners) {
        for (const id of listener.attached) {
          const list = out.get(id);
          if (list) list.push({ gateway, listener });
          else out.set(id, [{ gateway, listener }]);
        }
      }
    }
    return out;
  }
}

/** The Gateways a route attached to and their ancestor references (shared by routes, and across translations). */
interface RouteGateways {
  readonly gateways: readonly string[];
  readonly ancestors: readonly AncestorRef[];
}

/** The last translation's {@link RouteGateways} by their Gateways joined: the same arrays while they are equal. */
let lastRouteGateways = new Map<string, RouteGateways>();

/**
 * The sorted Gateways of `listeners` and their ancestors: one pair of arrays per distinct list of Gateways, the
 * last translation's when it had that list (so a policy's targets can be compared across translations by
 * identity, policies/target-memo.ts). `shared` collects this translation's.
 */
function routeGateways(
  listeners: readonly { readonly gateway: GatewayState }[],
  shared: Map<string, RouteGateways>,
): RouteGateways {
  let id: string;
  if (listeners.length === 0) id = "";
  else if (listeners.length === 1) id = listeners[0].gateway.key;
  else id = [...new Set(listeners.map((l) => l.gateway.key))].sort().join(" ");
  let out = shared.get(id);
  if (out) return out;
  out = lastRouteGateways.get(id);
  if (!out) {
    const gateways = id === "" ? [] : id.split(" ");
    out = { gateways, ancestors: gateways.map((g) => gatewayAncestor(g)) };
  }
  shared.set(id, out);
  return out;
}

/** The ancestor reference of a Gateway, optionally one of its listeners. */
export function gatewayAncestor(gatewayKey: string, sectionName?: string): AncestorRef {
  const [namespace, name] = gatewayKey.split("/");
  return {
    group: GATEWAY_API_GROUP,
    kind: "Gateway",
    namespace,
    name,
    ...(sectionName !== undefined ? { sectionName } : {}),
  };
}

/** The ancestor reference of a ListenerSet, optionally one of its listeners. */
export function listenerSetAncestor(setKey: string, sectionName?: string): AncestorRef {
  return { ...gatewayAncestor(setKey, sectionName), kind: "ListenerSet" };
}

const ANCESTOR_KEYS = new WeakMap<AncestorRef, string>();

/** `group/kind/namespace/name/section` of an ancestor, for maps and sorting (computed once per reference). */
export function ancestorKey(a: AncestorRef): string {
  let key = ANCESTOR_KEYS.get(a);
  if (key === undefined) {
    key = `${a.group}/${a.kind}/${a.namespace}/${a.name}/${a.sectionName ?? ""}`;
    ANCESTOR_KEYS.set(a, key);
  }
  return key;
}
