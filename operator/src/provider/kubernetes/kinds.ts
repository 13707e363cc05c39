/** The kinds the Kubernetes provider watches, and their REST paths. */

/** A watched kind. */
export interface WatchedKind {
  /** API group; "" for the core group. */
  readonly group: string;
  /** Version served. */
  readonly version: string;
  /** Kind. */
  readonly kind: string;
  /** Resource name in paths. */
  readonly plural: string;
  /** Namespaced (else cluster-scoped). */
  readonly namespaced: boolean;
  /**
   * The CRD may be absent (e.g. a Gateway API channel not installed): a 404 counts as an empty, synced
   * collection, and the provider lists again now and then to notice the CRD when it appears.
   */
  readonly optional?: boolean;
}

const GW = "gateway.networking.k8s.io";
const EG = "gateway.envoyproxy.io";

/** Everything the translator reads, in the versions Gateway API v1.7 and Envoy Gateway serve. */
export const WATCHED_KINDS: readonly WatchedKind[] = [
  { group: GW, version: "v1", kind: "GatewayClass", plural: "gatewayclasses", namespaced: false },
  { group: GW, version: "v1", kind: "Gateway", plural: "gateways", namespaced: true },
  { group: GW, version: "v1", kind: "HTTPRoute", plural: "httproutes", namespaced: true },
  { group: GW, version: "v1", kind: "GRPCRoute", plural: "grpcroutes", namespaced: true, optional: true },
  { group: GW, version: "v1", kind: "TLSRoute", plural: "tlsroutes", namespaced: true, optional: true },
  { group: GW, version: "v1", kind: "TCPRoute", plural: "tcproutes", namespaced: true, optional: true },
  { group: GW, version: "v1", kind: "UDPRoute", plural: "udproutes", namespaced: true, optional: true },
  { group: GW, version: "v1", kind: "ListenerSet", plural: "listenersets", namespaced: true, optional: true },
  { group: GW, version: "v1beta1", kind: "ReferenceGrant", plural: "referencegrants", namespaced: true },
  {
    group: GW,
    version: "v1",
    kind: "BackendTLSPolicy",
    plural: "backendtlspolicies",
    namespaced: true,
    optional: true,
  },
  { group: EG, version: "v1alpha1", kind: "Backend", plural: "backends", namespaced: true, optional: true },
  { group: EG, version: "v1alpha1", kind: "EnvoyProxy", plural: "envoyproxies", namespaced: true, optional: true },
  ...[
    ["ClientTrafficPolicy", "clienttrafficpolicies"],
    ["BackendTrafficPolicy", "backendtrafficpolicies"],
    ["SecurityPolicy", "securitypolicies"],
    ["EnvoyExtensionPolicy", "envoyextensionpolicies"],
    ["EnvoyPatchPolicy", "envoypatchpolicies"],
    ["HTTPRouteFilter", "httproutefilters"],
  ].map(([kind, plural]) => ({ group: EG, version: "v1alpha1", kind, plural, namespaced: true, optional: true })),
  { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true },
  { group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true },
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
];

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(k: Pick<WatchedKind, "group" | "version">): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** The collection path, cluster-wide or in one namespace. */
export function collectionPath(k: WatchedKind, namespace?: string): string {
  const prefix = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  return k.namespaced && namespace ? `${prefix}/namespaces/${namespace}/${k.plural}` : `${prefix}/${k.plural}`;
}

/** The path of one object. */
export function objectPath(k: WatchedKind, name: string, namespace?: string): string {
  return `${collectionPath(k, k.namespaced ? namespace : undefined)}/${name}`;
}
