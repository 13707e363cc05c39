/**
 * Where an EnvoyProxy telemetry sink sends (a tracer's collector, an ALS or OTLP log sink): its cluster, named as
 * Envoy Gateway names it, from `backendRefs` (Services and Backends, resolved like a policy's services, with
 * `backendSettings`; a Backend in another namespace needs a ReferenceGrant from the EnvoyProxy) or from the
 * deprecated `host` and `port`. The gRPC authority follows Envoy Gateway: the TLS SNI, else the first endpoint's
 * hostname, else `<service>.<namespace>.svc` (`<backend>.<namespace>` for a Backend); none for a bare IP address.
 */
import type { ClusterIr } from "../../ir/xds-ir";
import type { BackendCluster } from "../../resources/backend-cluster";
import { parseIp } from "../backend-endpoints";
import type { BackendIndex } from "../backends";
import { hasBackendRefs, securityBackendService } from "../policies/security-backends";

/** The EnvoyProxy a sink belongs to (references resolve in its namespace). */
export interface TelemetryOwner {
  /** Its namespace. */
  readonly namespace: string;
  /** Its name. */
  readonly name: string;
}

/** A sink's target as the EnvoyProxy writes it: backends, or the deprecated host and port. */
export interface SinkTarget extends BackendCluster {
  /** The collector's host. @deprecated use backendRefs */
  readonly host?: string;
  /** The collector's port. @default 4317 */
  readonly port?: number;
}

/** What resolving a sink needs: its EnvoyProxy, the backends, and where problems go. */
export interface SinkContext {
  /** The EnvoyProxy. */
  readonly owner: TelemetryOwner;
  /** Services and Backends. */
  readonly backends: BackendIndex;
  /** Problems found (each prefixed by the caller with its field). */
  readonly problems: string[];
}

/** A resolved sink: its cluster and the authority of gRPC calls to it. */
export interface SinkDestination {
  /** The cluster. */
  readonly cluster: ClusterIr;
  /** The gRPC authority ("" for none). */
  readonly authority: string;
}

/** Envoy Gateway's default port of a sink named by `host`. */
const DEFAULT_SINK_PORT = 4317;

/**
 * The cluster `name` of `target` (HTTP/2 when `grpc`), or undefined with the reasons pushed on `ctx.problems`.
 */
export function sinkDestination(
  target: SinkTarget,
  name: string,
  grpc: boolean,
  ctx: SinkContext,
): SinkDestination | undefined {
  const { owner, backends, problems } = ctx;
  const protocol = grpc ? "h2c" : "http1";
  if (!hasBackendRefs(target)) {
    if (!target.host) {
      problems.push("host or backendRefs must be set");
      return undefined;
    }
    const port = target.port ?? DEFAULT_SINK_PORT;
    const host = target.host;
    const discovery = parseIp(host) ? "static" : "dns";
    return { cluster: { name, discovery, endpoints: [{ host, port }], protocol }, authority: host };
  }
  const call = { use: name, protocol, kind: "EnvoyProxy", clusterName: name } as const;
  const service = securityBackendService(target, call, owner, { backends }, problems);
  if (!service) return undefined;
  return { cluster: service.cluster, authority: authorityOf(target, owner, service.cluster) };
}

/** Envoy Gateway's authority of a telemetry destination (see the file comment). */
function authorityOf(target: SinkTarget, owner: TelemetryOwner, c: ClusterIr): string {
  if (c.tls?.sni) return c.tls.sni;
  const ep = c.endpoints[0];
  if (ep && !ep.pipe && !parseIp(ep.host)) return ep.host;
  const ref = target.backendRefs?.[0] ?? target.backendRef;
  if (!ref) return "";
  const ns = ref.namespace ?? owner.namespace;
  return (ref.kind ?? "Service") === "Service" ? `${ref.name}.${ns}.svc` : `${ref.name}.${ns}`;
}
