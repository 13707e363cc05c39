/** Backend references: Service (+ EndpointSlices) and Envoy Gateway Backend → one shared cluster each. */
import type { ClusterIr, DynamicResolverIr, EndpointIr } from "../ir/xds-ir";
import { SERVICE_NAME_LABEL, type EndpointSlice, type Service, type ServicePort } from "../resources/core";
import { ENVOY_GATEWAY_GROUP, type Backend, type BackendEndpoint, type BackendSpec } from "../resources/envoy-gateway";
import { GATEWAY_API_GROUP, type BackendRef } from "../resources/gateway-api";
import { keyOf, type ObjectMeta } from "../resources/meta";
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
import { dynamicVerdict } from "./backend-dfp";
import { FAILOVER_PREFIX } from "./backend-fallback";
import { backendTls } from "./backend-tls";
import { BackendTlsPolicyIndex, type ServicePortTls } from "./backendtlspolicy";
import { condition, CondType, Reason, type RefProblem, type StatusUpdate } from "./conditions";
import { ListenerRefs } from "./listener-tls";
import { ReferenceGrantIndex } from "./reference-grants";
import { ExtensionObjects } from "./extension-objects";
import { noteRead } from "./compile-reads";

/** Route kinds that refer to backends (the `from` of a ReferenceGrant). */
export type RouteKind = "HTTPRoute" | "GRPCRoute" | "TLSRoute" | "TCPRoute" | "UDPRoute";

/** Envoy Gateway policy kinds whose fields call services through backendRefs (their own ReferenceGrant `from`). */
export type PolicyKind = "SecurityPolicy" | "EnvoyExtensionPolicy" | "EnvoyProxy";

/** The Envoy Gateway kinds that refer to backends (a ReferenceGrant names them with Envoy Gateway's group). */
const POLICY_KINDS: ReadonlySet<string> = new Set<PolicyKind>(["SecurityPolicy", "EnvoyExtensionPolicy", "EnvoyProxy"]);

/** Envoy Gateway's route reason for a Backend endpoint address it refuses. */
export const INVALID_ADDRESS = "InvalidAddress";

/** A Backend's verdict: the endpoints of its cluster, or why it is not accepted. */
type BackendVerdict =
  | {
      readonly endpoints: readonly EndpointIr[];
      readonly discovery: ClusterIr["discovery"];
      readonly dynamicResolver?: DynamicResolverIr;
    }
  | { readonly problem: string; readonly reason: string };

/** A Backend some route referenced, with its verdict. */
interface UsedBackend {
  readonly backend: Backend;
  readonly verdict?: BackendVerdict;
}

/** One resolution of a backendRef to a Backend, kept for the index's later resolutions of the same reference. */
interface ResolvedBackend {
  readonly result: ClusterIr | RefProblem;
  readonly effects: readonly BackendIndexEffect[];
  /** The Backend's recorded use after it (the resolution is the same while that is still the recorded one). */
  readonly used: UsedBackend | undefined;
}

/** What resolving a backendRef records in the index: a Backend used, or the BackendTLSPolicies of a cluster. */
export type BackendIndexEffect =
  | { readonly key: string; readonly used: UsedBackend }
  | { readonly cluster: string; readonly policies: readonly string[] };

/** Index of the snapshot's backends, built once per translation. */
export class BackendIndex {
  private readonly services: ReadonlyMap<string, Service>;
  private readonly backends: ReadonlyMap<string, Backend>;
  private readonly slices: ReadonlyMap<string, readonly EndpointSlice[]>;
  /** Cross-namespace references the ReferenceGrants allow. */
  readonly grants: ReferenceGrantIndex;
  /** BackendTLSPolicies by target. */
  private readonly tlsPolicies: BackendTlsPolicyIndex;
  /** Cluster name → keys of the BackendTLSPolicies targeting its Service port. */
  private readonly clusterPolicies = new Map<string, readonly string[]>();
  /** Secrets and ConfigMaps a Backend's TLS refers to. */
  private readonly refs: ListenerRefs;
  /** Backends some route referenced, with their verdict (their status is written, as Envoy Gateway does). */
  private readonly usedBackends = new Map<string, UsedBackend>();
  /** What resolving records while {@link recording} runs, in order. */
  private recorded?: BackendIndexEffect[];
  /**
   * Service and extension clusters resolved so far, by cluster name (a Service's names it, its port and protocol) or
   * by the extension object: every route of one backend gets the same object, so the HTTPRoute stage folds them by
   * identity rather than comparing each route's copy in depth (route-table.ts).
   */
  private readonly clusters = new Map<string, ClusterIr>();
  /**
   * Backend references resolved so far, by Backend, port and route kind: what resolving one gave and recorded, and
   * the Backend's recorded use it left (a later use of the Backend through another reference may judge it again).
   */
  private readonly resolvedBackends = new Map<string, ResolvedBackend>();

  /**
   * `settings`: what the EnvoyGateway configuration says about Backends (off by default); `extensions`: the
   * objects of the kinds an extension server owns (none by default).
   */
  constructor(
    snapshot: ResourceSnapshot,
    private readonly settings: BackendSettings = { enabled: false },
    readonly extensions: ExtensionObjects = new ExtensionObjects(snapshot),
  ) {
    this.grants = new ReferenceGrantIndex(snapshot.referenceGrants ?? []);
    this.tlsPolicies = new BackendTlsPolicyIndex(snapshot.backendTLSPolicies ?? [], snapshot.configMaps ?? []);
    this.refs = new ListenerRefs(snapshot, this.grants);
    this.services = byKey(snapshot.services);
    this.backends = byKey(snapshot.backends);
    this.slices = slicesByService(snapshot.endpointSlices);
  }

  /**
   * Runs `fn` and returns, with its result, what it recorded in this index (the Backends it used, the
   * BackendTLSPolicies of its clusters), so that a memoised result can {@link replay} it on another index of the
   * same backends.
   */
  recording<T>(fn: () => T): { readonly value: T; readonly effects: readonly BackendIndexEffect[] } {
    const outer = this.recorded;
    const effects: BackendIndexEffect[] = [];
    this.recorded = effects;
    try {
      return { value: fn(), effects };
    } finally {
      this.recorded = outer;
      if (outer) outer.push(...effects);
    }
  }

  /** Records again what a {@link recording} of the same work recorded. */
  replay(effects: readonly BackendIndexEffect[]): void {
    for (const e of effects) this.record(e);
  }

  private record(e: BackendIndexEffect): void {
    if ("cluster" in e) this.clusterPolicies.set(e.cluster, e.policies);
    else this.usedBackends.set(e.key, e.used);
    this.recorded?.push(e);
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
    const isExtension = this.extensions.isBackendKind(group, kind);
    if (!isService && !isExtension && !isBackendKind(group, kind)) {
      return {
        reason: Reason.InvalidKind,
        message: `backendRef kind ${group ? group + "/" : ""}${kind} is not supported; use a core Service or a ${ENVOY_GATEWAY_GROUP} Backend`,
      };
    }
    const denied = this.grants.check(
      {
        group: POLICY_KINDS.has(fromKind) ? ENVOY_GATEWAY_GROUP : GATEWAY_API_GROUP,
        kind: fromKind,
        namespace: routeNamespace,
      },
      { group, kind, namespace: ns, name: ref.name },
    );
    if (denied) return { reason: denied.reason, message: `backendRef to ${denied.message}` };
    if (isExtension) return this.resolveExtension(group, kind, ref.name, ns);
    return isService ? this.resolveService(ref, ns, fromKind) : this.resolveBackend(ref, ns, fromKind);
  }

  /**
   * A backendRef to an extension-owned kind: a cluster without endpoints (one per object, shared by the routes
   * using it) that the extension server's Cluster hook fills in, as Envoy Gateway's custom backends.
   */
  private resolveExtension(group: string, kind: string, name: string, ns: string): ClusterIr | RefProblem {
    const json = this.extensions.find(group, kind, ns, name);
    if (json === undefined)
      return { reason: Reason.BackendNotFound, message: `custom backend ${kind} ${ns}/${name} not found` };
    // Kept by group too: the cluster name leaves the group out.
    const key = `extension\n${group}\n${kind}\n${ns}\n${name}`;
    let cluster = this.clusters.get(key);
    if (!cluster) {
      const id = `extension/${ns}/${kind.toLowerCase()}/${name}`;
      cluster = { name: id, discovery: "static", endpoints: [], protocol: "http1", extension: { resources: [json] } };
      this.clusters.set(key, cluster);
    }
    return cluster;
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
    if (!clusterName.startsWith(FAILOVER_PREFIX)) return this.clusterPolicies.get(clusterName) ?? NO_POLICIES;
    const members = clusterName.slice(FAILOVER_PREFIX.length).split("|");
    return [...new Set(members.flatMap((m) => this.clusterPolicies.get(m) ?? []))];
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
    noteRead(`Service:${ns}/${ref.name}`);
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
    noteRead(`EndpointSlice:${ns}/${ref.name}`);
    const name = clusterName("service", ns, ref, clusterProtocol(fromKind, port.appProtocol));
    const policy = this.tlsPolicies.forServicePort(ns, ref.name, port.name);
    if (policy.policies.length > 0) this.record({ cluster: name, policies: policy.policies });
    let cluster = this.clusters.get(name);
    if (!cluster) {
      const endpoints = sliceEndpoints(this.slices.get(`${ns}/${ref.name}`) ?? [], port);
      endpoints.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
      cluster = {
        name,
        discovery: "static",
        // An unusable BackendTLSPolicy makes the backend fail (503) rather than connect without it.
        endpoints: policy.fail ? [] : dedupe(endpoints),
        protocol: port.appProtocol === "kubernetes.io/h2c" ? "h2c" : "http1",
        ...(policy.tls ? { tls: policy.tls } : {}),
        ...serviceAddressOf(svc, port),
      };
      this.clusters.set(name, cluster);
    }
    return cluster;
  }

  /**
   * Backend statuses, as Envoy Gateway writes them: Accepted (reason Accepted or Invalid) on every Backend a
   * route referenced, saying why it cannot be used (disabled, a refused or invalid endpoint).
   */
  backendStatuses(): readonly StatusUpdate[] {
    // The same Backends with the same verdicts as the last index's (in any order): its very list.
    const last = lastBackendStatuses;
    if (last && sameUse(last.used, this.usedBackends)) return last.statuses;
    const statuses = [...this.usedBackends]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { backend, verdict }]) => backendStatus(backend, verdict));
    lastBackendStatuses = { used: new Map(this.usedBackends), statuses };
    return statuses;
  }

  /**
   * A backendRef to a Backend: resolved once per reference, each later resolution giving the same cluster object
   * (the HTTPRoute stage then folds the routes' clusters and effects by identity, route-table.ts) and recording the
   * same effects, while the Backend's recorded use is still the one that resolution left.
   */
  private resolveBackend(ref: BackendRef, ns: string, fromKind: RouteKind | PolicyKind): ClusterIr | RefProblem {
    const key = `${ns}/${ref.name}`;
    noteRead(`Backend:${key}`);
    const memoKey = `${key}\n${ref.port ?? ""}\n${fromKind}`;
    const hit = this.resolvedBackends.get(memoKey);
    if (hit && this.usedBackends.get(key) === hit.used) {
      this.replay(hit.effects);
      return hit.result;
    }
    const { value: result, effects } = this.recording(() => this.resolveBackendOnce(ref, ns, fromKind, key));
    this.resolvedBackends.set(memoKey, { result, effects, used: this.usedBackends.get(key) });
    return result;
  }

  private resolveBackendOnce(
    ref: BackendRef,
    ns: string,
    fromKind: RouteKind | PolicyKind,
    key: string,
  ): ClusterIr | RefProblem {
    const backend = this.backends.get(key);
    if (!this.settings.enabled) {
      if (backend) this.record({ key, used: { backend } });
      return {
        reason: Reason.UnsupportedValue,
        message: `Backend ${key} cannot be used: Backend is disabled in Envoy Gateway configuration (set extensionApis.enableBackend: true in the EnvoyGateway configuration given with --config-path)`,
      };
    }
    if (!backend) return { reason: Reason.BackendNotFound, message: `Backend ${key} not found` };
    const policy = this.tlsPolicies.forBackend(ns, ref.name, ref.port);
    const judged = this.usedBackends.get(key)?.verdict ?? this.judge(backend);
    const tls = "problem" in judged ? undefined : backendTls(backend, this.refs, policy);
    const verdict: BackendVerdict =
      tls && "problem" in tls ? { problem: tls.problem, reason: Reason.UnsupportedValue } : judged;
    this.record({ key, used: { backend, verdict } });
    if ("problem" in verdict) return { reason: verdict.reason, message: `Backend ${key}: ${verdict.problem}` };
    const name = this.backendClusterName(ref, ns, fromKind, policy);
    const upstream = tls && "tls" in tls ? tls.tls : undefined;
    return {
      name,
      discovery: verdict.discovery,
      // An unusable BackendTLSPolicy makes the backend fail (503) rather than connect without it.
      endpoints: policy.fail ? [] : verdict.endpoints,
      protocol: backendProtocol(backend),
      ...(upstream ? { tls: upstream } : {}),
      ...(verdict.dynamicResolver ? { dynamicResolver: verdict.dynamicResolver } : {}),
    };
  }

  /**
   * `backend/<ns>/<name>/<port>/<protocol>` (the port is the backendRef's, a BackendTLSPolicy's sectionName for a
   * Backend). Records the BackendTLSPolicies that apply to it (for their status).
   */
  private backendClusterName(
    ref: BackendRef,
    ns: string,
    fromKind: RouteKind | PolicyKind,
    policy: ServicePortTls,
  ): string {
    const backend = this.backends.get(`${ns}/${ref.name}`);
    const h2c = backend !== undefined && backendProtocol(backend) === "h2c";
    const name = clusterName("backend", ns, ref, clusterProtocol(fromKind, h2c ? "kubernetes.io/h2c" : undefined));
    if (policy.policies.length > 0) this.record({ cluster: name, policies: policy.policies });
    return name;
  }

  /** Checks a Backend's endpoints against the settings: its cluster endpoints, or every reason it is refused. */
  private judge(backend: Backend): BackendVerdict {
    const unsupported = unsupportedBackendFields(backend);
    if (unsupported.length > 0) return { problem: unsupported.join("; "), reason: Reason.UnsupportedValue };
    if (backend.spec.type === DYNAMIC_RESOLVER) return dynamicVerdict(backend, this.settings);
    const endpoints: EndpointIr[] = [];
    const refused: string[] = [];
    let reason: string = INVALID_ADDRESS;
    const list: readonly unknown[] = Array.isArray(backend.spec.endpoints) ? backend.spec.endpoints : [];
    const priority = backend.spec.fallback === true ? { priority: 1 } : {};
    for (const [i, item] of list.entries()) {
      const ep = (typeof item === "object" && item !== null ? item : {}) as BackendEndpoint;
      const where = `endpoint ${i}${describeEndpoint(ep)}`;
      const problem = this.endpointProblem(ep);
      if (problem === UNSUPPORTED_ENDPOINT) reason = Reason.UnsupportedValue;
      if (problem !== undefined) refused.push(`${where} ${problem}`);
      else endpoints.push({ ...endpointOf(ep), ...priority });
    }
    const dns = endpoints.filter((e) => !e.pipe && !parseIp(e.host)).length;
    // Envoy resolves a DNS cluster's every endpoint (an IP resolves to itself), but no unix socket.
    if (dns > 0 && endpoints.some((e) => e.pipe)) refused.push("fqdn addresses cannot be mixed with unix sockets");
    if (refused.length > 0) return { problem: refused.join("; "), reason };
    if (endpoints.length === 0) return { problem: "it has no endpoints", reason: Reason.BackendNotFound };
    return { endpoints, discovery: dns > 0 ? "dns" : "static" };
  }

  /** Why one endpoint cannot be used, or undefined. */
  private endpointProblem(ep: BackendEndpoint): string | undefined {
    const hostname = ep.hostname === undefined ? undefined : endpointHostnameProblem(ep.hostname);
    if (hostname) return hostname;
    if (ep.unix) return unixProblem(ep.unix.path, this.settings);
    const port = ep.ip?.port ?? ep.fqdn?.port;
    if (!ep.ip && !ep.fqdn) return UNSUPPORTED_ENDPOINT;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      return `is invalid: port ${String(port)} is not a port number (1-65535)`;
    }
    return proxyPortProblem(port, this.settings) ?? addressProblem(ep, this.settings);
  }
}

/** Whether a backendRef names an Envoy Gateway Backend. */
function isBackendKind(group: string, kind: string): boolean {
  return group === ENVOY_GATEWAY_GROUP && kind === "Backend";
}

/** Envoy Gateway's Backend type whose upstream is the request's Host (a dynamic forward proxy). */
const DYNAMIC_RESOLVER = "DynamicResolver";

/** The upstream HTTP protocol of a Backend: WebSocket backends are forced to HTTP/1.1, as in Envoy Gateway. */
function backendProtocol(backend: Backend): ClusterIr["protocol"] {
  const protocols = Array.isArray(backend.spec.appProtocols) ? backend.spec.appProtocols : [];
  const ws = protocols.some((p) => p === "gateway.envoyproxy.io/ws" || p === "gateway.envoyproxy.io/wss");
  return protocols.includes("gateway.envoyproxy.io/h2c") && !ws ? "h2c" : "http1";
}

/** One accepted Backend endpoint as a cluster endpoint (its zone and hostname kept). */
function endpointOf(ep: BackendEndpoint): EndpointIr {
  const base: EndpointIr = ep.unix
    ? { host: ep.unix.path, port: 0, pipe: true }
    : ep.ip
      ? { host: ep.ip.address, port: ep.ip.port }
      : { host: ep.fqdn?.hostname ?? "", port: ep.fqdn?.port ?? 0 };
  const hostname = typeof ep.hostname === "string" ? { hostname: ep.hostname } : {};
  return withZone({ ...base, ...hostname }, ep.zone);
}

const ENDPOINT_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Envoy Gateway's check of an endpoint `hostname` (a DNS-1123 subdomain, 1 to 253 characters). */
function endpointHostnameProblem(hostname: unknown): string | undefined {
  if (typeof hostname === "string" && hostname.length <= 253 && ENDPOINT_HOSTNAME.test(hostname)) return undefined;
  return `is invalid: hostname ${String(hostname)} is not a valid hostname (lowercase DNS labels separated by dots)`;
}

/** Unix sockets reach the proxy host's own sockets: refused unless UnixSocket is allowed; paths ≤ 108 bytes. */
function unixProblem(path: unknown, settings: BackendSettings): string | undefined {
  if (typeof path !== "string" || path === "") return "is invalid: unix.path must be a socket path";
  if (Buffer.byteLength(path) > 108) return "is invalid: unix domain socket path must not exceed 108 characters";
  if ((settings.allow ?? []).includes("UnixSocket")) return undefined;
  return UNSUPPORTED_ENDPOINT;
}

/**
 * The Backend fields egts does not act on, each with what would go wrong if it were ignored: a Backend using
 * one is not accepted (its routes answer 500) rather than served differently from what it asks.
 */
function unsupportedBackendFields(backend: Backend): string[] {
  const spec = backend.spec as BackendSpec & Record<string, unknown>;
  const out: string[] = [];
  if (spec.type !== undefined && spec.type !== "Endpoints" && spec.type !== DYNAMIC_RESOLVER) {
    out.push(`spec.type ${String(spec.type)} is not supported (supported: Endpoints, ${DYNAMIC_RESOLVER})`);
  }
  const known = ["gateway.envoyproxy.io/h2c", "gateway.envoyproxy.io/ws", "gateway.envoyproxy.io/wss"];
  const protocols = Array.isArray(spec.appProtocols) ? spec.appProtocols : [];
  for (const p of protocols.filter((x) => !known.includes(x))) {
    out.push(`spec.appProtocols ${String(p)} is not supported (supported: ${known.join(", ")})`);
  }
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

/**
 * The indexes of the snapshot's lists, kept by list: a kind that did not change is the same list from pass to pass (the
 * provider and the intake keep it), so an index per translation costs nothing for it. An index is never changed.
 */
const indexOfList = new WeakMap<readonly object[], ReadonlyMap<string, unknown>>();

/** The objects of `list` by `namespace/name` (the last one of a key wins). */
function byKey<T extends { readonly metadata: ObjectMeta }>(list: readonly T[]): ReadonlyMap<string, T> {
  let index = indexOfList.get(list) as ReadonlyMap<string, T> | undefined;
  if (!index) indexOfList.set(list, (index = new Map(list.map((o) => [keyOf(o.metadata), o]))));
  return index;
}

/** EndpointSlices by the `namespace/name` of the Service they belong to (their service-name label), in list order. */
function slicesByService(list: readonly EndpointSlice[]): ReadonlyMap<string, readonly EndpointSlice[]> {
  let index = indexOfList.get(list) as ReadonlyMap<string, readonly EndpointSlice[]> | undefined;
  if (index) return index;
  const slices = new Map<string, EndpointSlice[]>();
  for (const es of list) {
    const svc = es.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const k = `${es.metadata.namespace ?? "default"}/${svc}`;
    const same = slices.get(k);
    if (same) same.push(es);
    else slices.set(k, [es]);
  }
  indexOfList.set(list, (index = slices));
  return index;
}

/** No BackendTLSPolicy keys (a cluster no policy targets). */
const NO_POLICIES: readonly string[] = [];

/**
 * Each Backend object's last status and its message: a status is a pure function of the two, and handing the same
 * object to the next pass lets the status edges skip it (status-log.ts compares by reference first).
 */
const backendStatusMemo = new WeakMap<object, { readonly message: string; readonly update: StatusUpdate }>();

/**
 * The Backends the last index's routes used and their statuses: an index whose routes used the same ones (the same
 * objects: a route's resolution replays what it recorded, route-table.ts) gives the same list without sorting them
 * again. A list of statuses is never changed.
 */
let lastBackendStatuses:
  { readonly used: ReadonlyMap<string, UsedBackend>; readonly statuses: readonly StatusUpdate[] } | undefined;

/** Whether two indexes' used Backends are the same keys with the same uses. */
function sameUse(a: ReadonlyMap<string, UsedBackend>, b: ReadonlyMap<string, UsedBackend>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, used] of b) if (a.get(key) !== used) return false;
  return true;
}

/**
 * A Backend's status, as Envoy Gateway writes it: Accepted (reason Accepted or Invalid), saying why it cannot be used
 * (disabled, a refused or invalid endpoint); the same object while the message is the same.
 */
function backendStatus(backend: Backend, verdict: BackendVerdict | undefined): StatusUpdate {
  const problem = verdict !== undefined && "problem" in verdict ? verdict.problem : undefined;
  const ok = verdict !== undefined && problem === undefined;
  const message = ok
    ? "The Backend was accepted"
    : problem !== undefined
      ? `The Backend was not accepted: ${problem}`
      : DISABLED_BACKEND_STATUS;
  const last = backendStatusMemo.get(backend);
  if (last?.message === message) return last.update;
  const reason = ok ? Reason.Accepted : Reason.Invalid;
  const accepted = condition(CondType.Accepted, ok, reason, message, backend.metadata.generation);
  const update: StatusUpdate = {
    apiVersion: backend.apiVersion,
    kind: "Backend",
    namespace: backend.metadata.namespace ?? "default",
    name: backend.metadata.name,
    status: { conditions: [accepted] },
  };
  backendStatusMemo.set(backend, { message, update });
  return update;
}

/** Envoy Gateway's Backend status message when the API is off, with how to turn it on. */
const DISABLED_BACKEND_STATUS =
  "The Backend was not accepted since Backend is not enabled in Envoy Gateway Config (set extensionApis.enableBackend: true in the EnvoyGateway configuration)";

const UNSUPPORTED_ENDPOINT =
  "is refused: unix sockets reach the proxy host's own sockets (allow them with UnixSocket in extensionApis.backend.allow of the EnvoyGateway configuration)";

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
