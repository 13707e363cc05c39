/**
 * BackendTrafficPolicy's cluster-level fields (Envoy Gateway's ClusterSettings that Envoy takes per cluster):
 * spec → ClusterPolicyIr. A route whose policy sets any of them is sent to a policy variant of each backend's
 * cluster (backend-traffic.ts, docs/adr/0005-policy-cluster-variants.md).
 */
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import { parseDuration } from "../duration";
import type { BackendTrafficContext } from "./backend-traffic-context";

/** Spec paths this file implements (a path covers everything below it). */
export const CLUSTER_FIELDS: readonly string[] = ["timeout.tcp.connectTimeout"];

/** The cluster-level settings of `spec`; problems go to `invalid` as "<field path>: <why>". Undefined: none set. */
export function translateClusterSettings(
  spec: BackendTrafficPolicySpec,
  _ctx: BackendTrafficContext,
  invalid: string[],
): ClusterPolicyIr | undefined {
  const out: { -readonly [K in keyof ClusterPolicyIr]: ClusterPolicyIr[K] } = {};
  const connect = spec.timeout?.tcp?.connectTimeout;
  if (connect !== undefined) {
    const ms = parseDuration(connect);
    if (ms === undefined || ms <= 0)
      invalid.push(`spec.timeout.tcp.connectTimeout: ${connect} must be a duration of 1ms or more`);
    else out.connectTimeoutMs = ms;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
