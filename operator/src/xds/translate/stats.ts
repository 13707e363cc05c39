/**
 * The extra stats an EnvoyProxy asks for (`telemetry.metrics`), added to built resources as Envoy Gateway adds
 * them: per-endpoint and request/response size stats on every backend cluster (`track_cluster_stats`), and a
 * virtual cluster per virtual host, named after its host with dots as underscores (dots separate Envoy's stat
 * name parts), so each host's requests are counted under `vhost.<virtual host>.vcluster.<host>.*`.
 */
import type { Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import { HeaderMatcher, type VirtualHost } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import type { RouteConfiguration } from "../../../../proto/gen/envoy/config/route/v3/route";
import type { ProxyMetricsIr } from "../../ir/xds-ir";

/** The cluster with the stats `metrics` asks for. */
export function withClusterStats(c: Cluster, metrics: ProxyMetricsIr | undefined): Cluster {
  if (!metrics?.perEndpointStats && !metrics?.requestResponseSizes) return c;
  return {
    ...c,
    trackClusterStats: {
      timeoutBudgets: false,
      requestResponseSizes: metrics.requestResponseSizes === true,
      perEndpointStats: metrics.perEndpointStats === true,
    },
  };
}

/** The name of a virtual host's virtual cluster: its (first) host, dots as underscores. */
export function virtualHostStatName(domain: string): string {
  return domain.replace(/\./g, "_");
}

/** A header matcher every request of a virtual host passes (Envoy requires one per virtual cluster). */
const EVERY_REQUEST = HeaderMatcher.fromPartial({ name: ":authority", presentMatch: true });

/** The route configuration with a virtual cluster (matching every request) per virtual host, when asked. */
export function withVirtualHostStats(rc: RouteConfiguration, metrics: ProxyMetricsIr | undefined): RouteConfiguration {
  if (!metrics?.virtualHostStats) return rc;
  return { ...rc, virtualHosts: rc.virtualHosts.map((vh) => withVirtualCluster(vh, metrics)) };
}

/** The virtual host with its virtual cluster (matching every request), when `metrics` asks for one. */
export function withVirtualCluster(vh: VirtualHost, metrics: ProxyMetricsIr | undefined): VirtualHost {
  if (!metrics?.virtualHostStats) return vh;
  return {
    ...vh,
    virtualClusters: [{ name: virtualHostStatName(vh.domains[0] ?? vh.name), headers: [EVERY_REQUEST] }],
  };
}
