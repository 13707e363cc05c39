/**
 * Zone-aware load balancing of a policy variant (`loadBalancer.zoneAware.weightedZones`): its
 * ClusterLoadAssignment holds one locality per zone of its endpoints (an endpoint without a zone is in zone ""),
 * weighted as the policy says (1 for a zone it does not list, as in Envoy Gateway), and its load balancing
 * policy turns on Envoy's locality-weighted balancing (cluster-policy-lb.ts).
 */
import type { ZoneAwareIr } from "../../ir/backend-traffic-cluster-ir";
import type { EndpointIr } from "../../ir/xds-ir";

/** One locality of a ClusterLoadAssignment: a zone, its weight and its endpoints. */
export interface ZoneLocality<E> {
  readonly locality: { readonly zone: string };
  readonly loadBalancingWeight: number;
  readonly lbEndpoints: E[];
}

/** The endpoints grouped by zone (sorted by zone), each locality weighted by `za`. */
export function zoneLocalities<E>(
  endpoints: readonly EndpointIr[],
  za: ZoneAwareIr,
  lbEndpoint: (e: EndpointIr) => E,
): ZoneLocality<E>[] {
  const byZone = new Map<string, E[]>();
  for (const e of endpoints) {
    const zone = e.zone ?? "";
    byZone.set(zone, [...(byZone.get(zone) ?? []), lbEndpoint(e)]);
  }
  const weights = new Map(za.weightedZones.map((w) => [w.zone, w.weight]));
  return [...byZone.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((zone) => ({
      locality: { zone },
      loadBalancingWeight: weights.get(zone) ?? 1,
      lbEndpoints: byZone.get(zone) ?? [],
    }));
}
