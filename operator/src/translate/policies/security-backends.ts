/**
 * The services a SecurityPolicy calls (a remote JWKS, an OIDC provider's token endpoint, an external authorization
 * service): their clusters, resolved as Envoy Gateway does.
 *
 * - With `backendRefs` (Service or Backend, a ReferenceGrant `from` SecurityPolicy across namespaces, TLS from a
 *   BackendTLSPolicy): one cluster of the policy's own, `securitypolicy/<ns>/<name>/<use>`, holding every
 *   backend's endpoints, with `backendSettings` (load balancing, health checks, circuit breakers, connection and
 *   DNS settings) applied to it; the request timeout and retry of `backendSettings` are returned for the filter.
 * - Without (a JWKS URI or token endpoint URL alone): a cluster derived from the URL, `<host with . → _>_<port>`,
 *   DNS-resolved (static for an IP), TLS with the system CAs and the host as SNI and SAN when the scheme is https.
 *   The URL's host and port are checked like a Backend endpoint's (the proxy's own host and ports are refused).
 *
 * Problems are pushed without the feature prefix; the caller fails the policy closed.
 */
import type { ClusterIr, RetryIr } from "../../ir/xds-ir";
import type { BackendCluster, BackendRef } from "../../resources/backend-cluster";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { parseIp } from "../backend-endpoints";
import { isProblem, type PolicyKind } from "../backends";
import { translateClusterSettings } from "./backend-traffic-cluster";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { translateRouteAction } from "./backend-traffic-route";
import { securityIrName, type SecurityContext, type SecurityOwner } from "./security-context";

/** A service a policy calls: its cluster, and how the filter calls it. */
export interface SecurityService {
  /** The cluster (added to every node whose routes use it). */
  readonly cluster: ClusterIr;
  /**
   * The authority of calls to it: `<service>.<namespace>:<port>` for a Service, `<host>:<port>` for a Backend's
   * first endpoint, the URL's host[:port] for a URL-derived cluster.
   */
  readonly authority: string;
  /** `backendSettings.timeout.http.requestTimeout`; absent: the filter's default. */
  readonly timeoutMs?: number;
  /** `backendSettings.retry`; absent: none. */
  readonly retry?: RetryIr;
}

/** How the service is spoken to: HTTP/1.1, or HTTP/2 (gRPC). */
export type ServiceProtocol = "http1" | "h2c";

/** One use of a service by a policy: what names its cluster and how it is spoken to. */
export interface ServiceCall {
  /** The cluster name's last segment, e.g. `jwt/0`, `extauth`, `oidc`, `extproc/0`. */
  readonly use: string;
  /** HTTP/2 for gRPC. @default "http1" */
  readonly protocol?: ServiceProtocol;
  /** The calling policy's kind (ReferenceGrants name it). @default "SecurityPolicy" */
  readonly kind?: PolicyKind;
  /** The cluster name's prefix. @default `securitypolicy/<owner ns>/<owner name>` */
  readonly irName?: string;
  /** The whole cluster name, replacing `<irName>/<use>` (EnvoyProxy telemetry: `tracing`, …). @default none */
  readonly clusterName?: string;
}

/** True when `cfg` names backends (`backendRefs` or the deprecated `backendRef`). */
export function hasBackendRefs(cfg: BackendCluster | undefined): boolean {
  return (cfg?.backendRefs?.length ?? 0) > 0 || cfg?.backendRef !== undefined;
}

/**
 * The cluster of the backends `cfg` names, for a field group of `owner` (`call`: see {@link ServiceCall}), or
 * undefined with the reasons in `problems`. Used by SecurityPolicy and EnvoyExtensionPolicy (`extProc`).
 */
export function securityBackendService(
  cfg: BackendCluster,
  call: ServiceCall,
  owner: SecurityOwner,
  ctx: Pick<SecurityContext, "backends">,
  problems: string[],
): SecurityService | undefined {
  const refs: readonly BackendRef[] = cfg.backendRefs?.length
    ? cfg.backendRefs
    : cfg.backendRef
      ? [cfg.backendRef]
      : [];
  if (refs.length === 0) {
    problems.push("backendRefs must name at least one backend");
    return undefined;
  }
  const before = problems.length;
  const { resolved, authority } = resolveRefs(refs, call, owner, ctx, problems);
  if (problems.length > before) return undefined;
  const first = resolved[0];
  if (resolved.some((c) => c.discovery !== first.discovery)) {
    problems.push("backendRefs mix IP and hostname endpoints; use backends of one kind");
    return undefined;
  }
  if (resolved.some((c) => JSON.stringify(c.tls) !== JSON.stringify(first.tls))) {
    problems.push("backendRefs use different TLS settings (BackendTLSPolicy); use backends with the same settings");
    return undefined;
  }
  const settings = settingsOf(cfg, problems);
  if (problems.length > before) return undefined;
  const cluster: ClusterIr = {
    name: call.clusterName ?? `${call.irName ?? securityIrName(owner)}/${call.use}`,
    discovery: first.discovery,
    endpoints: resolved.flatMap((c) => c.endpoints),
    protocol: call.protocol ?? "http1",
    ...(first.tls ? { tls: first.tls } : {}),
    ...(settings.policy ? { policy: settings.policy } : {}),
  };
  return { cluster, authority, ...settings.call };
}

/** The clusters `refs` resolve to (problems into `problems`), and the authority of the first. */
function resolveRefs(
  refs: readonly BackendRef[],
  call: ServiceCall,
  owner: SecurityOwner,
  ctx: Pick<SecurityContext, "backends">,
  problems: string[],
): { resolved: ClusterIr[]; authority: string } {
  const resolved: ClusterIr[] = [];
  let authority = "";
  for (const ref of refs) {
    const r = ctx.backends.resolve(ref, owner.namespace, call.kind ?? "SecurityPolicy");
    if (isProblem(r)) {
      problems.push(r.message);
      continue;
    }
    if (authority === "") authority = authorityOf(ref, owner, r);
    resolved.push(r);
  }
  return { resolved, authority };
}

/**
 * The cluster derived from `url` (a JWKS URI or token endpoint without backendRefs), or undefined with the
 * reason in `problems`. `cfg` may still carry `backendSettings`.
 */
export function securityUrlService(
  url: string,
  cfg: BackendCluster | undefined,
  ctx: SecurityContext,
  problems: string[],
): SecurityService | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    problems.push(`invalid URL ${url}`);
    return undefined;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    problems.push(`URL ${url} must use the http or https scheme`);
    return undefined;
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  const refused = ctx.backends.urlEndpointProblem(host, port);
  if (refused) {
    problems.push(`URL ${url}: ${host}:${port} ${refused}`);
    return undefined;
  }
  const before = problems.length;
  const settings = settingsOf(cfg ?? {}, problems);
  if (problems.length > before) return undefined;
  const cluster: ClusterIr = {
    name: `${host.replace(/[.:]/g, "_")}_${port}`,
    discovery: parseIp(host) ? "static" : "dns",
    endpoints: [{ host, port }],
    protocol: "http1",
    ...(u.protocol === "https:"
      ? { tls: { sni: host, subjectAltNames: [{ type: "Hostname" as const, value: host }] } }
      : {}),
    ...(settings.policy ? { policy: settings.policy } : {}),
  };
  return { cluster, authority: u.host, ...settings.call };
}

/** `backendSettings` → the cluster's policy settings and the call's timeout and retry. */
function settingsOf(
  cfg: BackendCluster,
  problems: string[],
): { policy?: ClusterIr["policy"]; call: { timeoutMs?: number; retry?: RetryIr } } {
  const s = cfg.backendSettings;
  if (!s) return { call: {} };
  // ClusterSettings is the part of a BackendTrafficPolicy spec these translators read; problems name
  // `spec.<field>`, which here means `backendSettings.<field>`.
  const spec = s as BackendTrafficPolicySpec;
  const own: string[] = [];
  const policy = translateClusterSettings(spec, {} as BackendTrafficContext, own);
  const action = translateRouteAction(spec, own);
  for (const p of own) problems.push(p.replace(/^spec\./, "backendSettings."));
  const call: { timeoutMs?: number; retry?: RetryIr } = {};
  if (action.timeouts?.requestMs !== undefined) call.timeoutMs = action.timeouts.requestMs;
  if (action.retry) call.retry = action.retry;
  return { ...(policy ? { policy } : {}), call };
}

/** Envoy Gateway's authority of a backend: Service `<name>.<ns>:<port>`, Backend `<fqdn|ip>:<port>`. */
function authorityOf(ref: BackendRef, owner: SecurityOwner, c: ClusterIr): string {
  const ns = ref.namespace ?? owner.namespace;
  if ((ref.kind ?? "Service") === "Service") return `${ref.name}.${ns}:${ref.port ?? 80}`;
  const ep = c.endpoints[0];
  return ep ? `${ep.host}:${ep.port}` : `${ref.name}.${ns}`;
}
