/**
 * BackendTrafficPolicy's cluster-level fields (Envoy Gateway's ClusterSettings that Envoy takes per cluster):
 * spec → ClusterPolicyIr. A route whose policy sets any of them is sent to a policy variant of each backend's
 * cluster (backend-traffic.ts, docs/adr/0005-policy-cluster-variants.md). One file per field group
 * (backend-traffic-cluster-*.ts).
 */
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { CIRCUIT_BREAKER_FIELDS, circuitBreakerOf } from "./backend-traffic-cluster-breaker";
import { LOAD_BALANCER_FIELDS, loadBalancerOf } from "./backend-traffic-cluster-lb";
import { defined, durationOf } from "./backend-traffic-values";

/** Spec paths this file implements (a path covers everything below it). */
export const CLUSTER_FIELDS: readonly string[] = [
  "timeout.tcp.connectTimeout",
  ...CIRCUIT_BREAKER_FIELDS,
  ...LOAD_BALANCER_FIELDS,
];

/** The cluster-level settings of `spec`; problems go to `invalid` as "<field path>: <why>". Undefined: none set. */
export function translateClusterSettings(
  spec: BackendTrafficPolicySpec,
  _ctx: BackendTrafficContext,
  invalid: string[],
): ClusterPolicyIr | undefined {
  const out = defined<ClusterPolicyIr>({
    connectTimeoutMs: durationOf("spec.timeout.tcp.connectTimeout", spec.timeout?.tcp?.connectTimeout, invalid),
    circuitBreaker: circuitBreakerOf(spec.circuitBreaker, invalid),
    loadBalancer: loadBalancerOf(spec.loadBalancer, invalid),
  });
  return Object.keys(out).length > 0 ? out : undefined;
}
