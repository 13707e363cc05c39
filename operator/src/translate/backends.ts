/** Backend references: Service (+ EndpointSlices) and Envoy Gateway Backend → one shared cluster each. */
import type { ClusterIr, EndpointIr } from "../ir/xds-ir";
import { SERVICE_NAME_LABEL, type EndpointSlice, type Service, type ServicePort } from "../resources/core";
import { ENVOY_GATEWAY_GROUP, type Backend } from "../resources/envoy-gateway";
import { GATEWAY_API_GROUP, type BackendRef } from "../resources/gateway-api";
import { keyOf } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { BackendTlsPolicyIndex } from "./backendtlspolicy";
import { Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { ReferenceGrantIndex } from "./reference-grants";

/** Route kinds that refer to backends (the `from` of a ReferenceGrant). */
export type RouteKind = "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "TCPRoute" | "UDPRoute";

/** Index of the snapshot's backends, built once per translation. */
export class BackendIndex {
  private readonly services = new Map<string, Service>();
  private readonly backends = new Map<string, Backend>();
  private readonly slices = new Map<string, EndpointSlice[]>();
  /** Cross-namespace references the ReferenceGrants allow. */
  readonly grants: ReferenceGrantIndex;
  /** BackendTLSPolicies by target. */
  private readonly tlsPolicies: BackendTlsPolicyIndex;
  /** Cluster name → keys of the BackendTLSPolicies targeting its Service port. */
  private readonly clusterPolicies = new Map<string, readonly string[]>();

  constructor(snapshot: ResourceSnapshot) {
    this.grants = new ReferenceGrantIndex(snapshot.referenceGrants ?? []);
    this.tlsPolicies = new BackendTlsPolicyIndex(snapshot.backendTLSPolicies ?? [], snapshot.configMaps ?? []);
    for (const s of snapshot.services) this.services.set(keyOf(s.metadata), s);
    for (const b of snapshot.backends) this.backends.set(keyOf(b.metadata), b);
    for (const es of snapshot.endpointSlices) {
      const svc = es.metadata.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const k = `${es.metadata.namespace ?? "default"}/${svc}`;
      const list = this.slices.get(k) ?? [];
      list.push(es);
      this.slices.set(k, list);
    }
  }

  /**
   * Resolves one backendRef of a `fromKind` route in `routeNamespace` to a cluster, or says why it cannot.
   * A backend in another namespace needs a ReferenceGrant there. The cluster name depends only on the
   * backend, so every route using it shares it.
   */
  resolve(ref: BackendRef, routeNamespace: string, fromKind: RouteKind = "HTTPRoute"): ClusterIr | RefProblem {
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    const ns = ref.namespace ?? routeNamespace;
    const isService = group === "" && kind === "Service";
    if (!isService && !(group === ENVOY_GATEWAY_GROUP && kind === "Backend")) {
      return {
        reason: Reason.InvalidKind,
        message: `backendRef kind ${group ? group + "/" : ""}${kind} is not supported; use a core Service or a ${ENVOY_GATEWAY_GROUP} Backend`,
      };
    }
    const denied = this.grants.check(
      { group: GATEWAY_API_GROUP, kind: fromKind, namespace: routeNamespace },
      { group, kind, namespace: ns, name: ref.name },
    );
    if (denied) return { reason: denied.reason, message: `backendRef to ${denied.message}` };
    return isService ? this.resolveService(ref, ns) : this.resolveBackend(ref, ns);
  }

  /** Keys of the BackendTLSPolicies that target the Service port behind a cluster (empty for others). */
  policiesOf(clusterName: string): readonly string[] {
    return this.clusterPolicies.get(clusterName) ?? [];
  }

  /**
   * BackendTLSPolicy statuses, once every route has attached: a policy's ancestors are the Gateways
   * that use a cluster it applies to (`clustersByGateway`: Gateway key → its clusters by name).
   */
  policyStatuses(
    clustersByGateway: ReadonlyMap<string, ReadonlyMap<string, ClusterIr>>,
    controllerName: string,
  ): StatusUpdate[] {
    const ancestors = new Map<string, Set<string>>();
    for (const [gw, clusters] of clustersByGateway) {
      for (const name of clusters.keys()) {
        for (const p of this.policiesOf(name)) ancestors.set(p, (ancestors.get(p) ?? new Set()).add(gw));
      }
    }
    return this.tlsPolicies.statuses(ancestors, controllerName);
  }

  private resolveService(ref: BackendRef, ns: string): ClusterIr | RefProblem {
    const svc = this.services.get(`${ns}/${ref.name}`);
    if (!svc) return { reason: Reason.BackendNotFound, message: `Service ${ns}/${ref.name} not found` };
    if (ref.port === undefined) {
      return { reason: Reason.UnsupportedValue, message: `backendRef to Service ${ns}/${ref.name} must set port` };
    }
    const port = (svc.spec.ports ?? []).find((p) => p.port === ref.port);
    if (!port) {
      return {
        reason: Reason.BackendNotFound,
        message: `Service ${ns}/${ref.name} has no port ${ref.port} (ports: ${(svc.spec.ports ?? []).map((p) => p.port).join(", ") || "none"})`,
      };
    }
    const endpoints = sliceEndpoints(this.slices.get(`${ns}/${ref.name}`) ?? [], port);
    endpoints.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
    const name = `service/${ns}/${ref.name}/${ref.port}`;
    const policy = this.tlsPolicies.forServicePort(ns, ref.name, port.name);
    if (policy.policies.length > 0) this.clusterPolicies.set(name, policy.policies);
    return {
      name,
      discovery: "static",
      // An unusable BackendTLSPolicy makes the backend fail (503) rather than connect without it.
      endpoints: policy.fail ? [] : dedupe(endpoints),
      protocol: port.appProtocol === "kubernetes.io/h2c" ? "h2c" : "http1",
      ...(policy.tls ? { tls: policy.tls } : {}),
    };
  }

  private resolveBackend(ref: BackendRef, ns: string): ClusterIr | RefProblem {
    const backend = this.backends.get(`${ns}/${ref.name}`);
    if (!backend) return { reason: Reason.BackendNotFound, message: `Backend ${ns}/${ref.name} not found` };
    const endpoints: EndpointIr[] = [];
    let dns = false;
    for (const ep of backend.spec.endpoints ?? []) {
      if (ep.ip) endpoints.push({ host: ep.ip.address, port: ep.ip.port });
      else if (ep.fqdn) {
        dns = true;
        endpoints.push({ host: ep.fqdn.hostname, port: ep.fqdn.port });
      } else {
        return {
          reason: Reason.UnsupportedValue,
          message: `Backend ${ns}/${ref.name}: only ip and fqdn endpoints are supported in this version`,
        };
      }
    }
    if (endpoints.length === 0) {
      return { reason: Reason.BackendNotFound, message: `Backend ${ns}/${ref.name} has no endpoints` };
    }
    const h2c = (backend.spec.appProtocols ?? []).includes("gateway.envoyproxy.io/h2c");
    return {
      name: `backend/${ns}/${ref.name}`,
      discovery: dns ? "dns" : "static",
      endpoints,
      protocol: h2c ? "h2c" : "http1",
    };
  }
}

/** The ready IP endpoints of a Service port, from its EndpointSlices (ports matched by name). */
function sliceEndpoints(slices: readonly EndpointSlice[], port: ServicePort): EndpointIr[] {
  const endpoints: EndpointIr[] = [];
  const fallbackPort = typeof port.targetPort === "number" ? port.targetPort : port.port;
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue; // EDS takes IPs only
    const ports = slice.ports ?? [];
    const sp = ports.find((p) => (p.name ?? "") === (port.name ?? "")) ?? (ports.length === 1 ? ports[0] : undefined);
    const targetPort = sp?.port ?? fallbackPort;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const host of ep.addresses) endpoints.push({ host, port: targetPort });
    }
  }
  return endpoints;
}

function dedupe(eps: EndpointIr[]): EndpointIr[] {
  return eps.filter((e, i) => i === 0 || e.host !== eps[i - 1].host || e.port !== eps[i - 1].port);
}

/** True when a resolution result is a problem rather than a cluster. */
export function isProblem(r: ClusterIr | RefProblem): r is RefProblem {
  return (r as RefProblem).reason !== undefined;
}
