/**
 * The controller's provider resources as Envoy Gateway's admin API shows them (`/api/config_dump`, read by
 * `egctl config envoy-gateway` and `egts config envoy-gateway`): `?resource=all` gives the resources in Envoy
 * Gateway's `resource.Resources` shape (keys `gatewayClass`, `gateways`, `httpRoutes`, …), one entry per
 * GatewayClass this controller manages; `?resource=<type>` the objects of one kind; no parameter, a summary of
 * names per kind. Secrets keep their metadata (without annotations and managedFields) and have each data
 * value replaced by `[redacted]`, as Envoy Gateway's. Pure: the caller adds `timestamp`.
 */
import type { ResourceSnapshot } from "../resources/snapshot";

/** Any Kubernetes object, as far as the dump looks at it. */
interface Obj {
  readonly kind?: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** The `resource` values Envoy Gateway v1.9 accepts, each with the snapshot's objects of that kind. */
const KINDS: Readonly<Record<string, (s: ResourceSnapshot) => readonly Obj[]>> = {
  gatewayclass: (s) => s.gatewayClasses,
  gateway: (s) => s.gateways,
  httproute: (s) => s.httpRoutes,
  grpcroute: (s) => s.grpcRoutes ?? [],
  tlsroute: (s) => s.tlsRoutes,
  tcproute: (s) => s.tcpRoutes,
  udproute: (s) => s.udpRoutes,
  clienttrafficpolicy: (s) => s.policies?.clientTrafficPolicies ?? [],
  backendtrafficpolicy: (s) => s.policies?.backendTrafficPolicies ?? [],
  backendtlspolicy: (s) => s.backendTLSPolicies,
  securitypolicy: (s) => s.policies?.securityPolicies ?? [],
  envoypatchpolicy: (s) => s.policies?.envoyPatchPolicies ?? [],
  envoyextensionpolicy: (s) => s.policies?.envoyExtensionPolicies ?? [],
  service: (s) => s.services,
  secret: (s) => s.secrets.map(redactSecret),
  configmap: (s) => s.configMaps,
  namespace: (s) => s.namespaces,
  endpointslice: (s) => s.endpointSlices,
  referencegrant: (s) => s.referenceGrants,
  httproutefilter: (s) => s.policies?.httpRouteFilters ?? [],
  envoyproxy: (s) => s.unknown.filter((o) => o.kind === "EnvoyProxy"),
  backend: (s) => s.backends,
  serviceimport: () => [],
};

/** The `resource` filter values, sorted, `all` included. */
export const CONFIG_DUMP_RESOURCES: readonly string[] = ["all", ...Object.keys(KINDS)].sort();

/** Envoy Gateway's redacted value, as the base64 of the bytes `[redacted]` (a Secret's `data` is base64). */
const REDACTED = Buffer.from("[redacted]").toString("base64");

/** A Secret with its values redacted and without annotations and managedFields. */
export function redactSecret(secret: Obj): Obj {
  const s = secret as Obj & {
    apiVersion?: string;
    type?: string;
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  const { annotations: _a, managedFields: _m, ...metadata } = s.metadata as unknown as Record<string, unknown>;
  const redact = (m: Record<string, string> | undefined, v: string): Record<string, string> | undefined =>
    m && Object.keys(m).length > 0 ? Object.fromEntries(Object.keys(m).map((k) => [k, v])) : undefined;
  const data = redact(s.data, REDACTED);
  const stringData = redact(s.stringData, "[redacted]");
  return {
    ...(s.apiVersion ? { apiVersion: s.apiVersion } : {}),
    ...(s.kind ? { kind: s.kind } : {}),
    metadata: metadata as unknown as Obj["metadata"],
    ...(s.type ? { type: s.type } : {}),
    ...(data ? { data } : {}),
    ...(stringData ? { stringData } : {}),
  };
}

/** The snapshot in Envoy Gateway's `resource.Resources` shape, one per managed GatewayClass. */
function allResources(s: ResourceSnapshot, controllerName: string): Record<string, unknown>[] {
  const classes = s.gatewayClasses.filter(
    (c) => (c as { spec?: { controllerName?: string } }).spec?.controllerName === controllerName,
  );
  const lists: Record<string, readonly Obj[]> = {
    gateways: s.gateways,
    listenerSets: s.listenerSets ?? [],
    httpRoutes: s.httpRoutes,
    grpcRoutes: s.grpcRoutes ?? [],
    tlsRoutes: s.tlsRoutes,
    tcpRoutes: s.tcpRoutes,
    udpRoutes: s.udpRoutes,
    referenceGrants: s.referenceGrants,
    namespaces: s.namespaces,
    services: s.services,
    endpointSlices: s.endpointSlices,
    secrets: s.secrets.map(redactSecret),
    configMaps: s.configMaps,
    envoyPatchPolicies: s.policies?.envoyPatchPolicies ?? [],
    clientTrafficPolicies: s.policies?.clientTrafficPolicies ?? [],
    backendTrafficPolicies: s.policies?.backendTrafficPolicies ?? [],
    securityPolicies: s.policies?.securityPolicies ?? [],
    backendTLSPolicies: s.backendTLSPolicies,
    envoyExtensionPolicies: s.policies?.envoyExtensionPolicies ?? [],
    backends: s.backends,
    httpFilters: s.policies?.httpRouteFilters ?? [],
  };
  // omitempty, as Envoy Gateway's JSON
  const nonEmpty = Object.fromEntries(Object.entries(lists).filter(([, v]) => v.length > 0));
  return classes.map((gatewayClass) => ({ gatewayClass, ...nonEmpty }));
}

/** The body of `/api/config_dump?resource=<resource>` (without `timestamp`); undefined for an unknown filter. */
export function configDump(
  s: ResourceSnapshot,
  resource: string,
  controllerName: string,
): { resources: unknown[]; totalCount: number } | undefined {
  const resources = resource === "all" ? allResources(s, controllerName) : KINDS[resource]?.(s);
  return resources ? { resources: [...resources], totalCount: resources.length } : undefined;
}

/** The body of `/api/config_dump` without a filter: names and namespaces per kind (Envoy Gateway's summary keys). */
export function configDumpSummary(s: ResourceSnapshot): Record<string, { name: string; namespace: string }[]> {
  const summary = (objects: readonly Obj[]): { name: string; namespace: string }[] =>
    objects.map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace ?? "" }));
  const keys: Record<string, string> = {
    gateways: "gateway",
    httpRoutes: "httproute",
    grpcRoutes: "grpcroute",
    tlsRoutes: "tlsroute",
    tcpRoutes: "tcproute",
    udpRoutes: "udproute",
    gatewayClass: "gatewayclass",
    clientTrafficPolicies: "clienttrafficpolicy",
    backendTrafficPolicies: "backendtrafficpolicy",
    backendTLSPolicies: "backendtlspolicy",
    securityPolicies: "securitypolicy",
    envoyPatchPolicies: "envoypatchpolicy",
    envoyExtensionPolicies: "envoyextensionpolicy",
    services: "service",
    secrets: "secret",
    configMaps: "configmap",
    namespaces: "namespace",
    endpointSlices: "endpointslice",
    referenceGrants: "referencegrant",
    httpRouteFilters: "httproutefilter",
    envoyProxies: "envoyproxy",
    backends: "backend",
    serviceImports: "serviceimport",
  };
  return Object.fromEntries(Object.entries(keys).map(([key, kind]) => [key, summary(KINDS[kind]?.(s) ?? [])]));
}
