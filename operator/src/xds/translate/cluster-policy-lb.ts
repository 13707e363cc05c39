/**
 * LoadBalancerIr → the Cluster's load_balancing_policy (round robin, random, least request, Maglev), and the
 * route hash policies a consistent-hash variant needs: Envoy computes the hash from the route's hash_policy, so
 * every route sent to such a variant carries them (route.ts asks the cluster for its keys).
 */
import type { LoadBalancingPolicy } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { RouteAction_HashPolicy } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import { pack, type RegisteredType } from "../../../../proto/any";
import type { HashKeyIr, LoadBalancerIr } from "../../ir/backend-traffic-cluster-ir";
import { LeastRequestLbType, MaglevLbType, RandomLbType, RoundRobinLbType } from "../extension-types";
import { duration } from "./route-filters";

/** Envoy's extension name and config type of each algorithm. */
const POLICIES: Readonly<Record<LoadBalancerIr["type"], { name: string; type: RegisteredType<unknown> }>> = {
  RoundRobin: { name: "envoy.load_balancing_policies.round_robin", type: RoundRobinLbType as RegisteredType<unknown> },
  Random: { name: "envoy.load_balancing_policies.random", type: RandomLbType as RegisteredType<unknown> },
  LeastRequest: {
    name: "envoy.load_balancing_policies.least_request",
    type: LeastRequestLbType as RegisteredType<unknown>,
  },
  ConsistentHash: { name: "envoy.load_balancing_policies.maglev", type: MaglevLbType as RegisteredType<unknown> },
};

/** The cluster's load balancing policy. */
export function loadBalancingPolicy(lb: LoadBalancerIr): LoadBalancingPolicy {
  const { name, type } = POLICIES[lb.type];
  const config: Record<string, unknown> = {};
  if (lb.slowStartWindowMs !== undefined) config.slowStartConfig = { slowStartWindow: duration(lb.slowStartWindowMs) };
  if (lb.tableSize !== undefined) config.tableSize = lb.tableSize;
  return {
    policies: [{ typedExtensionConfig: { name, typedConfig: pack(type, type.codec.fromPartial(config as never)) } }],
  } as LoadBalancingPolicy;
}

/**
 * The route hash policies of consistent-hash keys (those of the variant a route is sent to,
 * `ClusterPolicyIr.loadBalancer.hashKeys`).
 */
export function routeHashPolicies(keys: readonly HashKeyIr[] | undefined): RouteAction_HashPolicy[] {
  return (keys ?? []).map(hashPolicy);
}

function hashPolicy(k: HashKeyIr): RouteAction_HashPolicy {
  switch (k.kind) {
    case "sourceIP":
      return { connectionProperties: { sourceIp: true }, terminal: false } as RouteAction_HashPolicy;
    case "header":
      return { header: { headerName: k.name }, terminal: false } as RouteAction_HashPolicy;
    case "queryParameter":
      return { queryParameter: { name: k.name }, terminal: false } as RouteAction_HashPolicy;
    default:
      return {
        cookie: {
          name: k.name,
          ...(k.ttlMs !== undefined ? { ttl: duration(k.ttlMs) } : {}),
          path: "",
          attributes: [...(k.attributes ?? [])],
        },
        terminal: false,
      } as RouteAction_HashPolicy;
  }
}
