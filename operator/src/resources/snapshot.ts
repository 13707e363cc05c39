/** An immutable snapshot of every resource a provider knows, the translator's only input. */
import type { ConfigMap, Secret, Service, EndpointSlice, Namespace } from "./core";
import type { Backend } from "./envoy-gateway";
import type {
  BackendTrafficPolicy,
  ClientTrafficPolicy,
  EnvoyExtensionPolicy,
  EnvoyHTTPRouteFilter,
  EnvoyPatchPolicy,
  SecurityPolicy,
} from "./envoy-gateway-policies";
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
import { isRead } from "./read-kinds";

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
  /** Envoy Gateway's policy kinds and HTTPRouteFilter (translate/policies/); absent means none. */
  readonly policies?: EnvoyGatewayPolicies;
  /** Objects of the other kinds (EnvoyProxy, and what is not read: see read-kinds.ts), kept so they can be reported. */
  readonly unknown: readonly KubeObject[];
  /** Kinds the API server serves only in versions egts does not read (an older CRD); absent means none. */
  readonly unservedKinds?: readonly UnservedKind[];
}

/** A kind whose installed CRD does not serve the version egts reads. */
export interface UnservedKind {
  /** Kind, e.g. TLSRoute. */
  readonly kind: string;
  /** The apiVersion egts reads, e.g. gateway.networking.k8s.io/v1. */
  readonly apiVersion: string;
  /** The versions the CRD serves, e.g. ["v1alpha2"]. */
  readonly served: readonly string[];
}

/** Envoy Gateway's policy kinds (gateway.envoyproxy.io/v1alpha1), each absent meaning none. */
export interface EnvoyGatewayPolicies {
  /** ClientTrafficPolicies. */
  readonly clientTrafficPolicies?: readonly ClientTrafficPolicy[];
  /** BackendTrafficPolicies. */
  readonly backendTrafficPolicies?: readonly BackendTrafficPolicy[];
  /** SecurityPolicies. */
  readonly securityPolicies?: readonly SecurityPolicy[];
  /** EnvoyExtensionPolicies. */
  readonly envoyExtensionPolicies?: readonly EnvoyExtensionPolicy[];
  /** EnvoyPatchPolicies. */
  readonly envoyPatchPolicies?: readonly EnvoyPatchPolicy[];
  /** HTTPRouteFilters (gateway.envoyproxy.io). */
  readonly httpRouteFilters?: readonly EnvoyHTTPRouteFilter[];
}

/** Policy kind → its field in EnvoyGatewayPolicies. */
export const POLICY_FIELDS = {
  ClientTrafficPolicy: "clientTrafficPolicies",
  BackendTrafficPolicy: "backendTrafficPolicies",
  SecurityPolicy: "securityPolicies",
  EnvoyExtensionPolicy: "envoyExtensionPolicies",
  EnvoyPatchPolicy: "envoyPatchPolicies",
  HTTPRouteFilter: "httpRouteFilters",
} as const satisfies Record<string, keyof EnvoyGatewayPolicies>;

/** Every policy object of a snapshot, of every kind. */
export function allPolicies(s: ResourceSnapshot): KubeObject[] {
  const p = s.policies ?? {};
  return Object.values(POLICY_FIELDS).flatMap((f) => [...((p[f] ?? []) as readonly KubeObject[])]);
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

/** Sorts objects into a snapshot by kind: only those of an apiVersion egts reads (read-kinds.ts). */
export function snapshotFromObjects(objects: readonly KubeObject[]): ResourceSnapshot {
  const byKind: Record<string, KubeObject[]> = {};
  for (const o of objects) if (isRead(o)) (byKind[o.kind] ??= []).push(o);
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
    ...Object.keys(POLICY_FIELDS),
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
    policies: Object.fromEntries(Object.entries(POLICY_FIELDS).map(([kind, field]) => [field, of<KubeObject>(kind)])),
    unknown: objects.filter((o) => !known.has(o.kind) || !isRead(o)),
  };
}
