/**
 * Backend `fallback: true`: in a route rule whose backendRefs include fallback Backends next to primary ones, Envoy
 * Gateway puts them all in one cluster, the fallbacks' endpoints at priority 1, so Envoy sends them traffic only
 * while the primaries are unhealthy (by active health checks or outlier detection). egts does the same with one
 * failover cluster per set of backends, named after them (`failover/<cluster>|<cluster>…`), shared by every rule
 * with the same backendRefs; a rule's backendRef weights become endpoint weights when they differ.
 */
import type { ClusterIr, WeightedDestinationIr } from "../ir/xds-ir";

/** The name prefix of failover clusters; the member clusters' names follow, joined by `|`. */
export const FAILOVER_PREFIX = "failover/";

/** One resolved backendRef of a rule: its cluster and its destination. */
export interface ResolvedRef {
  /** The backend's own cluster. */
  readonly cluster: ClusterIr;
  /** Its weighted destination (cluster name, weight, per-backend changes). */
  readonly dest: WeightedDestinationIr;
}

/** A rule's failover cluster and the one destination that replaces its resolved ones, or why it cannot have one. */
export type FailoverGroup =
  { readonly cluster: ClusterIr; readonly dest: WeightedDestinationIr } | { readonly problem: string };

/** True when every endpoint of the cluster is in a fallback priority. */
function isFallback(c: ClusterIr): boolean {
  return c.endpoints.length > 0 && c.endpoints.every((e) => (e.priority ?? 0) > 0);
}

/** The failover cluster of a rule's resolved backendRefs; undefined when they are not a primary + fallback mix. */
export function failoverGroup(resolved: readonly ResolvedRef[]): FailoverGroup | undefined {
  const fallbacks = resolved.filter((r) => isFallback(r.cluster)).length;
  if (fallbacks === 0 || fallbacks === resolved.length) return undefined;
  const first = resolved[0].cluster;
  const differs = resolved.find(
    (r) =>
      r.cluster.discovery !== first.discovery ||
      r.cluster.protocol !== first.protocol ||
      JSON.stringify(r.cluster.tls) !== JSON.stringify(first.tls),
  );
  if (differs) {
    return {
      problem: `the backends of a rule with a fallback Backend share one cluster, so they must agree on protocol, TLS and endpoint type (IP or hostname): ${differs.cluster.name} differs from ${first.name}`,
    };
  }
  if (resolved.some((r) => Object.keys(r.dest).some((k) => k !== "cluster" && k !== "weight"))) {
    return {
      problem:
        "backendRef filters are not supported in a rule with a fallback Backend (its backends share one cluster)",
    };
  }
  const weighted = new Set(resolved.map((r) => r.dest.weight)).size > 1;
  const endpoints = resolved.flatMap((r) =>
    r.cluster.endpoints.map((e) => (weighted ? { ...e, weight: r.dest.weight } : e)),
  );
  const name = `${FAILOVER_PREFIX}${resolved.map((r) => r.cluster.name).join("|")}`;
  const { serviceAddress: _address, ...shared } = first;
  return { cluster: { ...shared, name, endpoints }, dest: { cluster: name, weight: 1 } };
}
