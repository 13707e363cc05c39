/** GatewayXdsIr → the full set of Envoy resources for that Gateway's node, packed and keyed by type and name. */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../proto/any";
import type { GatewayXdsIr, HttpListenerIr, ProxyMetricsIr } from "../../ir/xds-ir";
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType, TypeUrl } from "../types";
import { buildCluster, buildLoadAssignment, preserveCaseClusters } from "./cluster";
import { filterView } from "./filters/registry";
import { buildQuicListener, quicListenerName } from "./http3";
import { buildHttpListener } from "./listener";
import { buildRouteConfigurations, type HashKeysOf } from "./route";
import { encodeRouteConfigurations, type RouteBuild } from "./route-encode";
import { sharedBuildMemo, type BuildMemo } from "./build-memo";
import { buildSecret } from "./secret";
import { withClusterStats, withVirtualHostStats } from "./stats";
import { buildTcpListener } from "./tcp";
import { buildUdpListener, buildUdpWeightedCluster } from "./udp";

/** Resources by type URL, then by name. */
export type NodeResources = Map<string, Map<string, Any>>;

/** A node's resources in the route layout Envoy gets (layout.ts), as the cache takes them: read-only maps. */
export type LaidOutResources = ReadonlyMap<string, ReadonlyMap<string, Any>>;

/**
 * Builds every resource of one Gateway. `memo` keeps built outputs across calls (ADR 0012: routes, virtual hosts,
 * clusters and secrets whose IR is unchanged are not built or encoded again; the result is the same); `null` builds
 * everything afresh. @default the process's shared memo
 */
export function buildNodeResources(ir: GatewayXdsIr, memo: BuildMemo | null = sharedBuildMemo): NodeResources {
  const { clusters, endpoints } = clusterResources(ir, memo);
  const listeners = new Map<string, Any>();
  const routes = new Map<string, Any>();
  const routeConfigs = routeConfigurationsOf(ir, memo);
  const clusterIrs = new Map(ir.clusters.map((c) => [c.name, c]));
  for (const l of ir.http) {
    const build = (): Any => pack(ListenerType, buildHttpListener(l, ir.accessLogs, clusterIrs));
    const buildQuic = (): Any | undefined => {
      const quic = buildQuicListener(l, ir.accessLogs);
      return quic && pack(ListenerType, quic);
    };
    const key = `${ir.name}\n${l.name}`;
    const inputs = memo ? httpListenerInputs(l, ir.accessLogs) : undefined;
    listeners.set(l.name, memo ? memo.sameBytes(key, memo.sameInputs(key, inputs, build)) : build());
    const quic = memo ? memo.sameInputs(`${key}\nquic`, inputs, buildQuic) : buildQuic();
    if (quic) listeners.set(quicListenerName(l), quic);
    for (const [name, any] of routeConfigs(l)) routes.set(name, any);
  }
  for (const l of ir.tcp ?? []) {
    listeners.set(l.name, pack(ListenerType, buildTcpListener(l, ir.accessLogs, clusterIrs)));
  }
  for (const l of ir.udp ?? []) {
    listeners.set(l.name, pack(ListenerType, buildUdpListener(l, ir.accessLogs)));
    const weighted = buildUdpWeightedCluster(l, clusterIrs);
    if (weighted) {
      clusters.set(weighted.cluster.name, pack(ClusterType, weighted.cluster));
      if (weighted.loadAssignment) endpoints.set(weighted.cluster.name, pack(EndpointType, weighted.loadAssignment));
    }
  }
  const secrets = new Map(
    (ir.secrets ?? []).map((s) => {
      const build = (): Any => pack(SecretType, buildSecret(s));
      return [s.name, memo ? memo.secret(s, build) : build()];
    }),
  );
  return new Map([
    [TypeUrl.Cluster, clusters],
    [TypeUrl.Endpoint, endpoints],
    [TypeUrl.Listener, listeners],
    [TypeUrl.Route, routes],
    [TypeUrl.Secret, secrets],
  ]);
}

/** The options a cluster's packed resources depend on besides its IR. */
function clusterOptionsKey(preserveHeaderCase: boolean, metrics: ProxyMetricsIr | undefined): string {
  return `${preserveHeaderCase}|${metrics?.perEndpointStats === true}|${metrics?.requestResponseSizes === true}`;
}

/**
 * Everything an HTTP listener's build (and its QUIC listener's) reads, as references: the listener IR's fields but its
 * virtual hosts, of those only the routes the filters can read (filterView: the routes of a virtual host read nothing
 * else in a listener), and the access logs. Undefined when the build reads the clusters too (TLSRoute chains on the
 * port): then it is built every pass.
 */
function httpListenerInputs(l: HttpListenerIr, accessLogs: GatewayXdsIr["accessLogs"]): unknown[] | undefined {
  if ((l.tlsRoutes?.length ?? 0) > 0) return undefined;
  const inputs: unknown[] = [accessLogs];
  for (const [k, v] of Object.entries(l)) if (k !== "virtualHosts") inputs.push(k, v);
  for (const vh of filterView(l).virtualHosts) inputs.push(...vh.routes);
  return inputs;
}

/** The packed clusters of the IR, and the endpoints of its static ones (kept in `memo` per cluster IR). */
function clusterResources(
  ir: GatewayXdsIr,
  memo: BuildMemo | null,
): { clusters: Map<string, Any>; endpoints: Map<string, Any> } {
  const clusters = new Map<string, Any>();
  const endpoints = new Map<string, Any>();
  const preserveCase = preserveCaseClusters(ir.http);
  for (const c of ir.clusters) {
    const preserveHeaderCase = preserveCase.has(c.name);
    const build = (): { cluster: Any; endpoints: Any | undefined } => ({
      cluster: pack(ClusterType, withClusterStats(buildCluster(c, { preserveHeaderCase }), ir.metrics)),
      endpoints: c.discovery === "static" ? pack(EndpointType, buildLoadAssignment(c)) : undefined,
    });
    const built = memo ? memo.cluster(c, clusterOptionsKey(preserveHeaderCase, ir.metrics), build) : build();
    clusters.set(c.name, built.cluster);
    if (built.endpoints) endpoints.set(c.name, built.endpoints);
  }
  return { clusters, endpoints };
}

/**
 * The packed RouteConfigurations of each HTTP listener of the IR, by name: assembled from the parts `memo` keeps
 * (route-encode.ts), or built and packed whole without a memo.
 */
function routeConfigurationsOf(ir: GatewayXdsIr, memo: BuildMemo | null): (l: HttpListenerIr) => [string, Any][] {
  const hashKeys = new Map(ir.clusters.map((c) => [c.name, c.policy?.loadBalancer?.hashKeys]));
  const hashKeysOf = (c: string): ReturnType<HashKeysOf> => hashKeys.get(c);
  if (!memo) {
    return (l) =>
      buildRouteConfigurations(l, hashKeysOf).map((rc) => [
        rc.name,
        pack(RouteType, withVirtualHostStats(rc, ir.metrics)),
      ]);
  }
  const build: RouteBuild = {
    hashKeysOf,
    hashContext: JSON.stringify([...hashKeys].filter(([, k]) => k?.length)),
    metrics: ir.metrics,
    memo,
    node: ir.name,
    virtualHosts: memo.virtualHosts(ir.name),
  };
  return (l) => encodeRouteConfigurations(l, build);
}
