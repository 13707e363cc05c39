/** GatewayXdsIr → the full set of Envoy resources for that Gateway's node, packed and keyed by type and name. */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { pack } from "../../../../proto/any";
import type { ClusterIr, GatewayXdsIr, HttpListenerIr, ProxyMetricsIr } from "../../ir/xds-ir";
import { sameReferences, StateByName } from "../../ir/list-window";
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
  const view = clusterView(ir, memo);
  const listeners = new Map<string, Any>();
  const routes = new Map<string, Any>();
  const routeConfigs = routeConfigurationsOf(ir, memo, view);
  const clusterIrs = view.byName;
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
  for (const l of ir.udp ?? []) listeners.set(l.name, pack(ListenerType, buildUdpListener(l, ir.accessLogs)));
  const { clusters, endpoints } = withUdpWeightedClusters(ir, view);
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

/**
 * What a node's build reads of its clusters: the packed clusters and the endpoints of the static ones (kept in the memo
 * per cluster IR), the cluster IRs by name, and the hash keys routes read. The maps may not be changed: the view is
 * kept for the next pass of the node, which gets the same one (the same map objects: the cache does not look at them
 * again) while its cluster IRs are the same objects in the same order with the same options.
 */
interface ClusterView {
  /** Never changed (typed as the resource maps the later stages take, which copy a map before they edit it). */
  readonly clusters: Map<string, Any>;
  readonly endpoints: Map<string, Any>;
  readonly byName: ReadonlyMap<string, ClusterIr>;
  readonly hashKeys: ReadonlyMap<string, ReturnType<HashKeysOf>>;
  /** The hash keys, as a string (a route reads the hash keys of its clusters). */
  readonly hashContext: string;
  /** The cluster IRs it was made of, and each one's options ({@link clusterOptionsKey}). */
  readonly of: readonly ClusterIr[];
  readonly options: readonly string[];
}

/** The last cluster view of each node, per build memo. */
const clusterViews = new WeakMap<BuildMemo, StateByName<{ view?: ClusterView }>>();

/** The cluster view of the IR: the node's last one when made of the same clusters with the same options. */
function clusterView(ir: GatewayXdsIr, memo: BuildMemo | null): ClusterView {
  const preserveCase = preserveCaseClusters(ir.http);
  const options = ir.clusters.map((c) => clusterOptionsKey(preserveCase.has(c.name), ir.metrics));
  let states = memo ? clusterViews.get(memo) : undefined;
  if (memo && !states) clusterViews.set(memo, (states = new StateByName(() => ({}))));
  const state = states?.get(ir.name);
  const last = state?.view;
  if (last && sameReferences(last.of, ir.clusters) && sameReferences(last.options, options)) return last;
  const clusters = new Map<string, Any>();
  const endpoints = new Map<string, Any>();
  ir.clusters.forEach((c, i) => {
    const build = (): { cluster: Any; endpoints: Any | undefined } => ({
      cluster: pack(
        ClusterType,
        withClusterStats(buildCluster(c, { preserveHeaderCase: preserveCase.has(c.name) }), ir.metrics),
      ),
      endpoints: c.discovery === "static" ? pack(EndpointType, buildLoadAssignment(c)) : undefined,
    });
    const built = memo ? memo.cluster(c, options[i], build) : build();
    clusters.set(c.name, built.cluster);
    if (built.endpoints) endpoints.set(c.name, built.endpoints);
  });
  const hashKeys = new Map(ir.clusters.map((c) => [c.name, c.policy?.loadBalancer?.hashKeys]));
  const view: ClusterView = {
    clusters,
    endpoints,
    byName: new Map(ir.clusters.map((c) => [c.name, c])),
    hashKeys,
    hashContext: JSON.stringify([...hashKeys].filter(([, k]) => k?.length)),
    of: ir.clusters,
    options,
  };
  if (state) state.view = view;
  return view;
}

/**
 * The view's clusters and endpoints with the weighted cluster of each UDP listener that splits traffic, in copies (the
 * view's maps are kept for the next pass); the view's own maps when there is none.
 */
function withUdpWeightedClusters(
  ir: GatewayXdsIr,
  view: ClusterView,
): { clusters: Map<string, Any>; endpoints: Map<string, Any> } {
  let { clusters, endpoints } = view;
  for (const l of ir.udp ?? []) {
    const weighted = buildUdpWeightedCluster(l, view.byName);
    if (!weighted) continue;
    if (clusters === view.clusters) clusters = new Map(clusters);
    clusters.set(weighted.cluster.name, pack(ClusterType, weighted.cluster));
    if (!weighted.loadAssignment) continue;
    if (endpoints === view.endpoints) endpoints = new Map(endpoints);
    endpoints.set(weighted.cluster.name, pack(EndpointType, weighted.loadAssignment));
  }
  return { clusters, endpoints };
}

/**
 * The packed RouteConfigurations of each HTTP listener of the IR, by name: assembled from the parts `memo` keeps
 * (route-encode.ts), or built and packed whole without a memo.
 */
function routeConfigurationsOf(
  ir: GatewayXdsIr,
  memo: BuildMemo | null,
  { hashKeys, hashContext }: ClusterView,
): (l: HttpListenerIr) => [string, Any][] {
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
    hashContext,
    metrics: ir.metrics,
    memo,
    node: ir.name,
    virtualHosts: memo.virtualHosts(ir.name),
  };
  return (l) => encodeRouteConfigurations(l, build);
}
