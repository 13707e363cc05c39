/**
 * ClusterPolicyIr (BackendTrafficPolicy's cluster-level settings) → the Envoy Cluster fields they set, laid over
 * buildCluster's defaults. One function per settings group; each returns only the fields its group sets.
 */
import type { Cluster } from "../../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import { duration } from "./route-filters";

/** The Cluster fields a policy variant sets (none without a policy). */
export function clusterPolicyFields(p: ClusterPolicyIr | undefined): Partial<Cluster> {
  if (!p) return {};
  return {
    ...(p.connectTimeoutMs !== undefined ? { connectTimeout: duration(p.connectTimeoutMs) } : {}),
  };
}
