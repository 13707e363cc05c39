/** An immutable snapshot of every resource a provider knows, the translator's only input. */
import type { Service, EndpointSlice, Namespace } from "./core";
import type { Backend } from "./envoy-gateway";
import type { Gateway, GatewayClass, HTTPRoute } from "./gateway-api";
import type { KubeObject } from "./meta";

/** All resources, grouped by kind. Providers build it; nothing mutates it. */
export interface ResourceSnapshot {
  /** GatewayClasses (all, the translator filters by controller name). */
  readonly gatewayClasses: readonly GatewayClass[];
  /** Gateways. */
  readonly gateways: readonly Gateway[];
  /** HTTPRoutes. */
  readonly httpRoutes: readonly HTTPRoute[];
  /** Envoy Gateway Backends. */
  readonly backends: readonly Backend[];
  /** Services. */
  readonly services: readonly Service[];
  /** EndpointSlices. */
  readonly endpointSlices: readonly EndpointSlice[];
  /** Namespaces (for label selectors). */
  readonly namespaces: readonly Namespace[];
  /** Objects of kinds this version does not handle, kept so they can be reported. */
  readonly unknown: readonly KubeObject[];
}

/** An empty snapshot. */
export const EMPTY_SNAPSHOT: ResourceSnapshot = {
  gatewayClasses: [],
  gateways: [],
  httpRoutes: [],
  backends: [],
  services: [],
  endpointSlices: [],
  namespaces: [],
  unknown: [],
};

/** Sorts objects into a snapshot by kind. */
export function snapshotFromObjects(objects: readonly KubeObject[]): ResourceSnapshot {
  const byKind: Record<string, KubeObject[]> = {};
  for (const o of objects) (byKind[o.kind] ??= []).push(o);
  const known = new Set(["GatewayClass", "Gateway", "HTTPRoute", "Backend", "Service", "EndpointSlice", "Namespace"]);
  return {
    gatewayClasses: (byKind.GatewayClass ?? []) as GatewayClass[],
    gateways: (byKind.Gateway ?? []) as Gateway[],
    httpRoutes: (byKind.HTTPRoute ?? []) as HTTPRoute[],
    backends: (byKind.Backend ?? []) as Backend[],
    services: (byKind.Service ?? []) as Service[],
    endpointSlices: (byKind.EndpointSlice ?? []) as unknown as EndpointSlice[],
    namespaces: (byKind.Namespace ?? []) as Namespace[],
    unknown: objects.filter((o) => !known.has(o.kind)),
  };
}
