/** GatewayXdsIr → the full set of Envoy resources for that Gateway's node, packed and keyed by type and name. */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../proto/any";
import type { GatewayXdsIr } from "../../ir/xds-ir";
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType, TypeUrl } from "../types";
import { buildCluster, buildLoadAssignment, preserveCaseClusters } from "./cluster";
import { buildQuicListener } from "./http3";
import { buildHttpListener } from "./listener";
import { buildRouteConfigurations } from "./route";
import { buildSecret } from "./secret";
import { withClusterStats, withVirtualHostStats } from "./stats";
import { buildTcpListener } from "./tcp";
import { buildUdpListener, buildUdpWeightedCluster } from "./udp";

/** Resources by type URL, then by name. */
export type NodeResources = Map<string, Map<string, Any>>;

/** Builds every resource of one Gateway. */
export function buildNodeResources(ir: GatewayXdsIr): NodeResources {
  const clusters = new Map<string, Any>();
  const endpoints = new Map<string, Any>();
  const listeners = new Map<string, Any>();
  const routes = new Map<string, Any>();
  const preserveCase = preserveCaseClusters(ir.http);
  for (const c of ir.clusters) {
    const cluster = withClusterStats(buildCluster(c, { preserveHeaderCase: preserveCase.has(c.name) }), ir.metrics);
    clusters.set(c.name, pack(ClusterType, cluster));
    if (c.discovery === "static") endpoints.set(c.name, pack(EndpointType, buildLoadAssignment(c)));
  }
  const hashKeys = new Map(ir.clusters.map((c) => [c.name, c.policy?.loadBalancer?.hashKeys]));
  const clusterIrs = new Map(ir.clusters.map((c) => [c.name, c]));
  for (const l of ir.http) {
    listeners.set(l.name, pack(ListenerType, buildHttpListener(l, ir.accessLogs, clusterIrs)));
    const quic = buildQuicListener(l, ir.accessLogs);
    if (quic) listeners.set(quic.name, pack(ListenerType, quic));
    for (const rc of buildRouteConfigurations(l, (c) => hashKeys.get(c)))
      routes.set(rc.name, pack(RouteType, withVirtualHostStats(rc, ir.metrics)));
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
  const secrets = new Map((ir.secrets ?? []).map((s) => [s.name, pack(SecretType, buildSecret(s))]));
  return new Map([
    [TypeUrl.Cluster, clusters],
    [TypeUrl.Endpoint, endpoints],
    [TypeUrl.Listener, listeners],
    [TypeUrl.Route, routes],
    [TypeUrl.Secret, secrets],
  ]);
}
