/**
 * The input resources of a translation with the status the translation gives them, grouped under Envoy Gateway's
 * keys (`gatewayClass`, `gateways`, `httpRoutes`, …, as egctl x translate prints them).
 */
import type { KubeObject } from "../resources/meta";
import type { StatusUpdate } from "../translate/conditions";

/** Envoy Gateway's key for a list of objects of each kind. */
const KEYS: Readonly<Record<string, string>> = {
  Gateway: "gateways",
  ListenerSet: "listenerSets",
  HTTPRoute: "httpRoutes",
  GRPCRoute: "grpcRoutes",
  TLSRoute: "tlsRoutes",
  TCPRoute: "tcpRoutes",
  UDPRoute: "udpRoutes",
  ReferenceGrant: "referenceGrants",
  Namespace: "namespaces",
  Service: "services",
  ServiceImport: "serviceImports",
  EndpointSlice: "endpointSlices",
  Secret: "secrets",
  ConfigMap: "configMaps",
  EnvoyPatchPolicy: "envoyPatchPolicies",
  ClientTrafficPolicy: "clientTrafficPolicies",
  BackendTrafficPolicy: "backendTrafficPolicies",
  SecurityPolicy: "securityPolicies",
  BackendTLSPolicy: "backendTLSPolicies",
  EnvoyExtensionPolicy: "envoyExtensionPolicies",
  Backend: "backends",
  HTTPRouteFilter: "httpFilters",
  ClusterTrustBundle: "clusterTrustBundles",
};

/** `kind/namespace/name`. */
function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ""}/${name}`;
}

/**
 * The status of an object; a namespaced object written without a namespace is in `default` (the translator's
 * status names it so).
 */
export function statusOf(status: ReadonlyMap<string, unknown>, o: KubeObject): unknown {
  const { kind, namespace, name } = { kind: o.kind, ...o.metadata };
  return status.get(keyOf(kind, namespace, name)) ?? (namespace ? undefined : status.get(keyOf(kind, "default", name)));
}

/** Statuses by `kind/namespace/name`, for {@link statusOf}. */
export function statusIndex(statuses: readonly StatusUpdate[]): Map<string, unknown> {
  return new Map(statuses.map((s) => [keyOf(s.kind, s.namespace, s.name), s.status]));
}

/** Whether an EnvoyProxy is the one a GatewayClass's parametersRef names. */
function classParameters(objects: readonly KubeObject[]): Set<string> {
  const refs = new Set<string>();
  for (const o of objects) {
    if (o.kind !== "GatewayClass") continue;
    const ref = (o.spec as { parametersRef?: { kind?: string; name?: string; namespace?: string } } | undefined)
      ?.parametersRef;
    if (ref?.kind === "EnvoyProxy" && ref.name) refs.add(`${ref.namespace ?? ""}/${ref.name}`);
  }
  return refs;
}

/**
 * The objects, each with the status the translation reports for it, under Envoy Gateway's keys. One
 * GatewayClass is `gatewayClass` (several: `gatewayClasses`); the EnvoyProxy a GatewayClass references is
 * `envoyProxyForGatewayClass`, others `envoyProxiesForGateways`. Kinds egts does not read are left out.
 */
export function resourcesWithStatus(
  objects: readonly KubeObject[],
  statuses: readonly StatusUpdate[],
): Record<string, unknown> {
  const status = statusIndex(statuses);
  const fromClass = classParameters(objects);
  const doc: Record<string, unknown[]> = {};
  const add = (key: string, o: unknown): void => {
    (doc[key] ??= []).push(o);
  };
  for (const o of objects) {
    const s = statusOf(status, o);
    const withStatus = s === undefined ? o : { ...o, status: s };
    if (o.kind === "GatewayClass") add("gatewayClasses", withStatus);
    else if (o.kind === "EnvoyProxy") {
      const ofClass = fromClass.has(`${o.metadata.namespace ?? ""}/${o.metadata.name}`);
      add(ofClass ? "envoyProxyForGatewayClass" : "envoyProxiesForGateways", withStatus);
    } else if (KEYS[o.kind]) add(KEYS[o.kind], withStatus);
  }
  const out: Record<string, unknown> = { ...doc };
  for (const single of ["gatewayClasses", "envoyProxyForGatewayClass"]) {
    if (doc[single]?.length === 1) {
      delete out[single];
      out[single === "gatewayClasses" ? "gatewayClass" : single] = doc[single][0];
    }
  }
  return out;
}
