/** An immutable snapshot of every resource a provider knows, the translator's only input. */
import type { ConfigMap, Secret, Service, EndpointSlice, Namespace } from "./core";
import type { Backend } from "./envoy-gateway";
import type {
  BackendTLSPolicy,
  Gateway,
  GatewayClass,
  GRPCRoute,
  HTTPRoute,
  ListenerSet,
  ReferenceGrant,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from "./gateway-api";
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
  /** ReferenceGrants (v1 or v1beta1): the cross-namespace references their namespaces allow. */
  readonly referenceGrants: readonly ReferenceGrant[];
  /** BackendTLSPolicies (v1). */
  readonly backendTLSPolicies: readonly BackendTLSPolicy[];
  /** ConfigMaps (CA bundles for BackendTLSPolicy). */
  readonly configMaps: readonly ConfigMap[];
  /** Secrets (listener certificates). */
  readonly secrets: readonly Secret[];
  /** TLSRoutes (v1). */
  readonly tlsRoutes: readonly TLSRoute[];
  /** TCPRoutes (v1). */
  readonly tcpRoutes: readonly TCPRoute[];
  /** UDPRoutes (v1). */
  readonly udpRoutes: readonly UDPRoute[];
  /** GRPCRoutes (v1); absent means none. */
  readonly grpcRoutes?: readonly GRPCRoute[];
  /** ListenerSets (v1): extra listeners for Gateways that allow them; absent means none. */
  readonly listenerSets?: readonly ListenerSet[];
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
  referenceGrants: [],
  backendTLSPolicies: [],
  configMaps: [],
  secrets: [],
  tlsRoutes: [],
  tcpRoutes: [],
  udpRoutes: [],
  grpcRoutes: [],
  listenerSets: [],
  unknown: [],
};

/** Kinds read only in some apiVersions (those Gateway API v1.7 serves); other versions count as unknown. */
const SERVED_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  ReferenceGrant: ["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"],
  BackendTLSPolicy: ["gateway.networking.k8s.io/v1"],
  TLSRoute: ["gateway.networking.k8s.io/v1"],
  TCPRoute: ["gateway.networking.k8s.io/v1"],
  UDPRoute: ["gateway.networking.k8s.io/v1"],
  GRPCRoute: ["gateway.networking.k8s.io/v1"],
  ListenerSet: ["gateway.networking.k8s.io/v1"],
};

function served(o: KubeObject): boolean {
  const versions = SERVED_VERSIONS[o.kind];
  return versions === undefined || versions.includes(o.apiVersion);
}

/** Sorts objects into a snapshot by kind. */
export function snapshotFromObjects(objects: readonly KubeObject[]): ResourceSnapshot {
  const byKind: Record<string, KubeObject[]> = {};
  for (const o of objects) if (served(o)) (byKind[o.kind] ??= []).push(o);
  const known = new Set([
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "Backend",
    "Service",
    "EndpointSlice",
    "Namespace",
    "ReferenceGrant",
    "BackendTLSPolicy",
    "ConfigMap",
    "Secret",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "GRPCRoute",
    "ListenerSet",
  ]);
  const of = <T>(kind: string): T[] => (byKind[kind] ?? []) as unknown as T[];
  return {
    gatewayClasses: of<GatewayClass>("GatewayClass"),
    gateways: of<Gateway>("Gateway"),
    httpRoutes: of<HTTPRoute>("HTTPRoute"),
    backends: of<Backend>("Backend"),
    services: of<Service>("Service"),
    endpointSlices: of<EndpointSlice>("EndpointSlice"),
    namespaces: of<Namespace>("Namespace"),
    referenceGrants: of<ReferenceGrant>("ReferenceGrant"),
    backendTLSPolicies: of<BackendTLSPolicy>("BackendTLSPolicy"),
    configMaps: of<ConfigMap>("ConfigMap"),
    secrets: of<Secret>("Secret"),
    tlsRoutes: of<TLSRoute>("TLSRoute"),
    tcpRoutes: of<TCPRoute>("TCPRoute"),
    udpRoutes: of<UDPRoute>("UDPRoute"),
    grpcRoutes: of<GRPCRoute>("GRPCRoute"),
    listenerSets: of<ListenerSet>("ListenerSet"),
    unknown: objects.filter((o) => !known.has(o.kind) || !served(o)),
  };
}
