/** Backend references: Service (+ EndpointSlices) and Envoy Gateway Backend → one shared cluster each. */
import type { ClusterIr, EndpointIr } from "../ir/xds-ir";
import { SERVICE_NAME_LABEL, type EndpointSlice, type Service, type ServicePort } from "../resources/core";
import { ENVOY_GATEWAY_GROUP, type Backend, type BackendEndpoint, type BackendSpec } from "../resources/envoy-gateway";
import { GATEWAY_API_GROUP, type BackendRef } from "../resources/gateway-api";
import { keyOf } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import {
  checkHostname,
  classifyIp,
  inCidrs,
  parseIp,
  PROXY_PORTS,
  type BackendSettings,
  type EndpointRefusal,
} from "./backend-endpoints";
import { BackendTlsPolicyIndex } from "./backendtlspolicy";
import { condition, CondType, Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { ReferenceGrantIndex } from "./reference-grants";

/** Route kinds that refer to backends (the `from` of a ReferenceGrant). */
export type RouteKind = "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "TCPRoute" | "UDPRoute";

/** Envoy Gateway policy kinds whose fields call services through backendRefs (their own ReferenceGrant `from`). */
export type PolicyKind = "SecurityPolicy" | "EnvoyExtensionPolicy";

/** Envoy Gateway's route reason for a Backend endpoint address it refuses. */
export const INVALID_ADDRESS = "InvalidAddress";

/** A Backend's verdict: the endpoints of its cluster, or why it is not accepted. */
type BackendVerdict =
  | { readonly endpoints: readonly EndpointIr[]; readonly dns: boolean }
  | { readonly problem: string; readonly reason: string };

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
  /** Backends some route referenced, with their verdict (their status is written, as Envoy Gateway does). */
  private readonly usedBackends = new Map<string, { readonly backend: Backend; readonly verdict?: BackendVerdict }>();

  /** `settings`: what the EnvoyGateway configuration says about Backends (off by default). */
  constructor(
    snapshot: ResourceSnapshot,
    private readonly settings: BackendSettings = { enabled: false },
  ) {
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
   * Resolves one backendRef of a `fromKind` route (or Envoy Gateway policy) in `routeNamespace` to a cluster, or
   * says why it cannot. A backend in another namespace needs a ReferenceGrant there. The cluster name depends
   * only on the backend, so every route using it shares it.
   */
  resolve(
    ref: BackendRef,
    routeNamespace: string,
    fromKind: RouteKind | PolicyKind = "HTTPRoute",
  ): ClusterIr | RefProblem {
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
      {
        group:
          fromKind === "SecurityPolicy" || fromKind === "EnvoyExtensionPolicy"
            ? ENVOY_GATEWAY_GROUP
            : GATEWAY_API_GROUP,
        kind: fromKind,
        namespace: routeNamespace,
      },
      { group, kind, namespace: ns, name: ref.name },
    );
    if (denied) return { reason: denied.reason, message: `backendRef to ${denied.message}` };
    return isService ? this.resolveService(ref, ns, fromKind) : this.resolveBackend(ref, ns, fromKind);
  }

  /**
   * Why Envoy may not be pointed at `host:port` named by a URL in a policy (a JWKS URI, an OIDC token endpoint),
   * by the rules of Backend endpoints (the proxy's own host and ports are refused unless allowed); undefined
   * when it may.
   */
  urlEndpointProblem(host: string, port: number): string | undefined {
    const ep: BackendEndpoint = parseIp(host) ? { ip: { address: host, port } } : { fqdn: { hostname: host, port } };
    return proxyPortProblem(port, this.settings) ?? addressProblem(ep, this.settings);
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

  private resolveService(ref: BackendRef, ns: string, fromKind: RouteKind | PolicyKind): ClusterIr | RefProblem {
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
    const name = clusterName("service", ns, ref, clusterProtocol(fromKind, port.appProtocol));
    const policy = this.tlsPolicies.forServicePort(ns, ref.name, port.name);
    if (policy.policies.length > 0) this.clusterPolicies.set(name, policy.policies);
    return {
      name,
      discovery: "static",
      // An unusable BackendTLSPolicy makes the backend fail (503) rather than connect without it.
      endpoints: policy.fail ? [] : dedupe(endpoints),
      protocol: port.appProtocol === "kubernetes.io/h2c" ? "h2c" : "http1",
      ...(policy.tls ? { tls: policy.tls } : {}),
      ...serviceAddressOf(svc, port),
    };
  }

  /**
   * Backend statuses, as Envoy Gateway writes them: Accepted (reason Accepted or Invalid) on every Backend a
   * route referenced, saying why it cannot be used (disabled, a refused or invalid endpoint).
   */
  backendStatuses(): StatusUpdate[] {
    return [...this.usedBackends.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { backend, verdict }]) => {
        const problem = verdict !== undefined && "problem" in verdict ? verdict.problem : undefined;
        const ok = verdict !== undefined && problem === undefined;
        const message = ok
          ? "The Backend was accepted"
          : problem !== undefined
            ? `The Backend was not accepted: ${problem}`
            : DISABLED_BACKEND_STATUS;
        const reason = ok ? Reason.Accepted : Reason.Invalid;
        const accepted = condition(CondType.Accepted, ok, reason, message, backend.metadata.generation);
        return {
          apiVersion: backend.apiVersion,
          kind: "Backend",
          namespace: backend.metadata.namespace ?? "default",
          name: backend.metadata.name,
          status: { conditions: [accepted] },
        };
      });
  }

  private resolveBackend(ref: BackendRef, ns: string, fromKind: RouteKind | PolicyKind): ClusterIr | RefProblem {
    const key = `${ns}/${ref.name}`;
    const backend = this.backends.get(key);
    if (!this.settings.enabled) {
      if (backend) this.usedBackends.set(key, { backend });
      return {
        reason: Reason.UnsupportedValue,
        message: `Backend ${key} cannot be used: Backend is disabled in Envoy Gateway configuration (set extensionApis.enableBackend: true in the EnvoyGateway configuration given with --config-path)`,
      };
    }
    if (!backend) return { reason: Reason.BackendNotFound, message: `Backend ${key} not found` };
    const verdict = this.usedBackends.get(key)?.verdict ?? this.judge(backend);
    this.usedBackends.set(key, { backend, verdict });
    if ("problem" in verdict) return { reason: verdict.reason, message: `Backend ${key}: ${verdict.problem}` };
    const h2c = (backend.spec.appProtocols ?? []).includes("gateway.envoyproxy.io/h2c");
    return {
      name: clusterName("backend", ns, ref, clusterProtocol(fromKind, h2c ? "kubernetes.io/h2c" : undefined)),
      discovery: verdict.dns ? "dns" : "static",
      endpoints: verdict.endpoints,
      protocol: h2c ? "h2c" : "http1",
    };
  }

  /** Checks a Backend's endpoints against the settings: its cluster endpoints, or every reason it is refused. */
  private judge(backend: Backend): BackendVerdict {
    const unsupported = unsupportedBackendFields(backend);
    if (unsupported.length > 0) return { problem: unsupported.join("; "), reason: Reason.UnsupportedValue };
    const endpoints: EndpointIr[] = [];
    const refused: string[] = [];
    let reason: string = INVALID_ADDRESS;
    let dns = false;
    const list: readonly unknown[] = Array.isArray(backend.spec.endpoints) ? backend.spec.endpoints : [];
    for (const [i, item] of list.entries()) {
      const ep = (typeof item === "object" && item !== null ? item : {}) as BackendEndpoint;
      const where = `endpoint ${i}${describeEndpoint(ep)}`;
      const problem = this.endpointProblem(ep);
      if (problem === UNSUPPORTED_ENDPOINT) reason = Reason.UnsupportedValue;
      if (problem !== undefined) refused.push(`${where} ${problem}`);
      else if (ep.ip) endpoints.push(withZone({ host: ep.ip.address, port: ep.ip.port }, ep.zone));
      else if (ep.fqdn) {
        dns = true;
        endpoints.push(withZone({ host: ep.fqdn.hostname, port: ep.fqdn.port }, ep.zone));
      }
    }
    if (refused.length > 0) return { problem: refused.join("; "), reason };
    if (endpoints.length === 0) return { problem: "it has no endpoints", reason: Reason.BackendNotFound };
    return { endpoints, dns };
  }

  /** Why one endpoint cannot be used, or undefined. */
  private endpointProblem(ep: BackendEndpoint): string | undefined {
    const port = ep.ip?.port ?? ep.fqdn?.port;
    if (ep.unix || (!ep.ip && !ep.fqdn)) return UNSUPPORTED_ENDPOINT;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      return `is invalid: port ${String(port)} is not a port number (1-65535)`;
    }
    return proxyPortProblem(port, this.settings) ?? addressProblem(ep, this.settings);
  }
}

/**
 * The Backend fields egts does not act on yet, each with what would go wrong if it were ignored: a Backend using
 * one is not accepted (its routes answer 500) rather than served differently from what it asks, e.g. in plaintext
 * when it asks for TLS.
 */
function unsupportedBackendFields(backend: Backend): string[] {
  const spec = backend.spec as BackendSpec & Record<string, unknown>;
  const out: string[] = [];
  const notYet = (field: string, why: string): void => {
    out.push(`spec.${field} is not implemented by egts yet (${why})`);
  };
  if (spec.tls !== undefined) notYet("tls", "the traffic would go out without the TLS it asks for");
  if (spec.type !== undefined && spec.type !== "Endpoints")
    notYet(`type ${String(spec.type)}`, "only Endpoints backends are");
  if (spec.fallback === true) notYet("fallback", "the backend would take traffic as a primary one");
  const protocols = Array.isArray(spec.appProtocols) ? spec.appProtocols : [];
  if (protocols.includes("gateway.envoyproxy.io/wss"))
    notYet("appProtocols gateway.envoyproxy.io/wss", "WebSocket over TLS needs the backend TLS settings");
  const endpoints: readonly unknown[] = Array.isArray(spec.endpoints) ? spec.endpoints : [];
  if (endpoints.some((e) => typeof e === "object" && e !== null && "hostname" in e))
    notYet("endpoints[].hostname", "it only matters for TLS SNI and host rewrites egts does not do yet");
  return out;
}

/** The proxy's own ports are refused on any address unless ProxyPorts is allowed. */
function proxyPortProblem(port: number, settings: BackendSettings): string | undefined {
  const what = PROXY_PORTS.get(port);
  if (!what || (settings.allow ?? []).includes("ProxyPorts")) return undefined;
  return `is refused: port ${port} is ${what}, one of the proxy's and control plane's own ports (allow it with ProxyPorts in extensionApis.backend.allow of the EnvoyGateway configuration)`;
}

/** Addresses on the proxy's own host (loopback, link-local, unspecified) are refused unless allowed. */
function addressProblem(ep: BackendEndpoint, settings: BackendSettings): string | undefined {
  let refusal: EndpointRefusal | undefined;
  if (ep.ip) {
    const ip = typeof ep.ip.address === "string" ? parseIp(ep.ip.address) : undefined;
    if (!ip) return `is invalid: IP address ${ep.ip.address} is not an IPv4 or IPv6 address`;
    refusal = inCidrs(ip, settings.allowedCIDRs ?? []) ? undefined : classifyIp(ip);
  } else if (ep.fqdn) {
    if (typeof ep.fqdn.hostname !== "string") return `is invalid: hostname ${String(ep.fqdn.hostname)} is not a string`;
    const checked = checkHostname(ep.fqdn.hostname);
    if (checked && "invalid" in checked) return `is invalid: ${checked.invalid}`;
    refusal = checked;
  }
  if (!refusal || (settings.allow ?? []).includes(refusal.class)) return undefined;
  const cidrHint = ep.ip ? ", or the address in extensionApis.backend.allowedCIDRs" : "";
  return `is refused: ${refusal.rule} (allow it with ${refusal.class} in extensionApis.backend.allow of the EnvoyGateway configuration${cidrHint})`;
}

/** Envoy Gateway's Backend status message when the API is off, with how to turn it on. */
const DISABLED_BACKEND_STATUS =
  "The Backend was not accepted since Backend is not enabled in Envoy Gateway Config (set extensionApis.enableBackend: true in the EnvoyGateway configuration)";

const UNSUPPORTED_ENDPOINT =
  "is not supported: only ip and fqdn endpoints are (unix sockets would reach the proxy host's own sockets)";

/** ` (host:port)` of an endpoint, for messages. */
function describeEndpoint(ep: BackendEndpoint): string {
  if (ep.ip) {
    const address = String(ep.ip.address);
    return ` (${address.includes(":") ? `[${address}]` : address}:${String(ep.ip.port)})`;
  }
  if (ep.fqdn) return ` (${String(ep.fqdn.hostname)}:${String(ep.fqdn.port)})`;
  if (ep.unix) return ` (unix:${String(ep.unix.path)})`;
  return "";
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
      for (const host of ep.addresses) endpoints.push(withZone({ host, port: targetPort }, ep.zone));
    }
  }
  return endpoints;
}

/** The Service's cluster IP and port (routingType Service), when it has a cluster IP (not headless). */
function serviceAddressOf(svc: Service, port: ServicePort): { serviceAddress?: EndpointIr } {
  const ip = svc.spec.clusterIP;
  return typeof ip === "string" && ip !== "" && ip !== "None" && parseIp(ip)
    ? { serviceAddress: { host: ip, port: port.port } }
    : {};
}

/** The endpoint with its zone, when it has one. */
function withZone(e: EndpointIr, zone: string | undefined): EndpointIr {
  return typeof zone === "string" && zone !== "" ? { ...e, zone } : e;
}

function dedupe(eps: EndpointIr[]): EndpointIr[] {
  return eps.filter((e, i) => i === 0 || e.host !== eps[i - 1].host || e.port !== eps[i - 1].port);
}

/** True when a resolution result is a problem rather than a cluster. */
export function isProblem(r: ClusterIr | RefProblem): r is RefProblem {
  return (r as RefProblem).reason !== undefined;
}

/**
 * Envoy Gateway's name of the cluster of a backend shared by every route that uses it (its `mergeBackends`
 * scheme, ADR 0006): `<kind>/<namespace>/<name>/<port>/<protocol>`, port 0 when the ref names none.
 */
export function clusterName(kind: "service" | "backend", ns: string, ref: BackendRef, protocol: string): string {
  return `${kind}/${ns}/${ref.name}/${ref.port ?? 0}/${protocol}`;
}

/**
 * The application protocol part of a cluster name, as Envoy Gateway derives it: from the route kind (gRPC, TCP,
 * UDP; TLSRoute is TCP), and for HTTPRoute from the backend's appProtocol (`kubernetes.io/h2c` → http2). Envoy
 * Gateway also reads appProtocol `grpc` as gRPC (HTTP/2 upstream); egts does not yet, so such a backend stays an
 * HTTP/1.1 `http` cluster. A policy's services are named by the policy (security-backends.ts).
 */
export function clusterProtocol(fromKind: RouteKind | PolicyKind, appProtocol: string | undefined): string {
  switch (fromKind) {
    case "GRPCRoute":
      return "grpc";
    case "TCPRoute":
    case "TLSRoute":
      return "tcp";
    case "UDPRoute":
      return "udp";
    default:
      return appProtocol === "kubernetes.io/h2c" || appProtocol === "gateway.envoyproxy.io/h2c" ? "http2" : "http";
  }
}
