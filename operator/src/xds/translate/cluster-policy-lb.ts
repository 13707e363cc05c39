/**
 * LoadBalancerIr → the Cluster's load_balancing_policy (round robin, random, least request, Maglev, client-side
 * weighted round robin), with locality-weighted balancing for weighted zones and the override_host policy around
 * it for endpointOverride, as Envoy Gateway builds them (its fallback keeps the algorithm's settings); and the route hash policies a consistent-hash variant
 * needs: Envoy computes the hash from the route's hash_policy, so every route sent to such a variant carries them
 * (route.ts asks the cluster for its keys).
 */
import type { LoadBalancingPolicy } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { RouteAction_HashPolicy } from "../../../../proto/gen/envoy/config/route/v3/route_components";
import { pack, type RegisteredType } from "../../../../proto/any";
import type { HashKeyIr, LoadBalancerIr } from "../../ir/backend-traffic-cluster-ir";
import {
  ClientSideWeightedRoundRobinLbType,
  LeastRequestLbType,
  MaglevLbType,
  RandomLbType,
  RoundRobinLbType,
} from "../extension-types";
import { OverrideHostLbType } from "./cluster-policy-lb-codecs";
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
  BackendUtilization: {
    name: "envoy.load_balancing_policies.client_side_weighted_round_robin",
    type: ClientSideWeightedRoundRobinLbType as RegisteredType<unknown>,
  },
};

/** The cluster's load balancing policy: the algorithm, inside override_host when endpoints can be named. */
export function loadBalancingPolicy(lb: LoadBalancerIr): LoadBalancingPolicy {
  const algorithm = algorithmPolicy(lb);
  if (!lb.overrideHeaders) return algorithm;
  const config = { overrideHostSources: lb.overrideHeaders.map((header) => ({ header })), fallbackPolicy: algorithm };
  return policyOf("envoy.load_balancing_policies.override_host", OverrideHostLbType as RegisteredType<unknown>, config);
}

/** The algorithm's policy, with its settings (and locality-weighted balancing when zones are weighted). */
function algorithmPolicy(lb: LoadBalancerIr): LoadBalancingPolicy {
  const { name, type } = POLICIES[lb.type];
  const config: Record<string, unknown> = {};
  if (lb.slowStartWindowMs !== undefined) config.slowStartConfig = { slowStartWindow: duration(lb.slowStartWindowMs) };
  if (lb.tableSize !== undefined) config.tableSize = lb.tableSize;
  if (lb.backendUtilization) Object.assign(config, utilizationConfig(lb.backendUtilization));
  if (lb.zoneAware && lb.type === "ConsistentHash") config.localityWeightedLbConfig = {};
  else if (lb.zoneAware) config.localityLbConfig = { localityWeightedLbConfig: {} };
  return policyOf(name, type, config);
}

/** ClientSideWeightedRoundRobin's fields of BackendUtilization's settings. */
function utilizationConfig(bu: NonNullable<LoadBalancerIr["backendUtilization"]>): Record<string, unknown> {
  return {
    ...(bu.blackoutPeriodMs !== undefined ? { blackoutPeriod: duration(bu.blackoutPeriodMs) } : {}),
    ...(bu.weightExpirationPeriodMs !== undefined
      ? { weightExpirationPeriod: duration(bu.weightExpirationPeriodMs) }
      : {}),
    ...(bu.weightUpdatePeriodMs !== undefined ? { weightUpdatePeriod: duration(bu.weightUpdatePeriodMs) } : {}),
    ...(bu.errorUtilizationPenalty !== undefined ? { errorUtilizationPenalty: bu.errorUtilizationPenalty } : {}),
    ...(bu.metricNames ? { metricNamesForComputingUtilization: [...bu.metricNames] } : {}),
  };
}

/** A one-policy LoadBalancingPolicy. */
function policyOf(name: string, type: RegisteredType<unknown>, config: Record<string, unknown>): LoadBalancingPolicy {
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
