/**
 * BackendTrafficPolicy's cluster-level fields (Envoy Gateway's ClusterSettings that Envoy takes per cluster):
 * spec → ClusterPolicyIr. A route whose policy sets any of them is sent to a policy variant of each backend's
 * cluster (backend-traffic.ts, docs/adr/0005-policy-cluster-variants.md). One file per field group
 * (backend-traffic-cluster-*.ts).
 */
import type { ClusterPolicyIr } from "../../ir/backend-traffic-ir";
import type { ClusterIr } from "../../ir/xds-ir";
import type { BackendTrafficPolicySpec } from "../../resources/backend-traffic-policy";
import type { BackendTrafficContext } from "./backend-traffic-context";
import { ADMISSION_CONTROL_FIELDS, admissionControlOf } from "./backend-traffic-cluster-admission";
import { CIRCUIT_BREAKER_FIELDS, circuitBreakerOf } from "./backend-traffic-cluster-breaker";
import { CONNECTION_FIELDS, connectionOf, dnsOf } from "./backend-traffic-cluster-conn";
import { HEALTH_CHECK_FIELDS, healthCheckOf } from "./backend-traffic-cluster-health";
import { LOAD_BALANCER_FIELDS, loadBalancerOf } from "./backend-traffic-cluster-lb";
import { defined, durationOf } from "./backend-traffic-values";
import { http2Of } from "./client-traffic-protocol";

/** Spec paths this file implements (a path covers everything below it). */
export const CLUSTER_FIELDS: readonly string[] = [
  "timeout.tcp.connectTimeout",
  ...CIRCUIT_BREAKER_FIELDS,
  ...LOAD_BALANCER_FIELDS,
  ...HEALTH_CHECK_FIELDS,
  ...CONNECTION_FIELDS,
  "http2",
  "useClientProtocol",
  "routingType",
  ...ADMISSION_CONTROL_FIELDS,
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
    healthCheck: healthCheckOf(spec.healthCheck, invalid),
    connection: connectionOf(spec, invalid),
    http2: spec.http2 ? http2Of(spec.http2, invalid) : undefined,
    dns: dnsOf(spec.dns, invalid),
    useClientProtocol: spec.useClientProtocol === true ? true : undefined,
    routingType: routingTypeOf(spec.routingType, invalid),
    admissionControl: admissionControlOf(spec, invalid),
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `routingType` as written (it overrides the EnvoyProxy's, translate/routing-type.ts); absent: unset. */
function routingTypeOf(value: unknown, invalid: string[]): "Service" | "Endpoint" | undefined {
  if (value === undefined) return undefined;
  if (value === "Service" || value === "Endpoint") return value;
  invalid.push(`spec.routingType: ${JSON.stringify(value)} must be Service or Endpoint`);
  return undefined;
}

/**
 * Why `routingType: Service` does not apply to a backend (it keeps routing to its endpoints, as in Envoy Gateway),
 * for a Warning; undefined when it applies or is not set.
 */
export function routingTypeWarning(policy: ClusterPolicyIr, base: ClusterIr): string | undefined {
  if (policy.routingType !== "Service" || base.serviceAddress) return undefined;
  const what = base.name.startsWith("service/") ? "a headless Service (no cluster IP)" : "not a Kubernetes Service";
  return `spec.routingType: Service does not apply to ${base.name}, ${what}: it keeps routing to its endpoints`;
}

/**
 * Why `policy` cannot go on a variant of a backend cluster speaking `protocol`, if so: Envoy refuses a gRPC
 * health check on a cluster without HTTP/2 ("cluster must support HTTP/2 for gRPC healthchecking"), which would
 * freeze every cluster update of the proxy. The caller making variants reports it like an invalid value (the
 * route answers 500); buildCluster leaves such a check out rather than send it.
 */
export function variantProblem(policy: ClusterPolicyIr, protocol: ClusterIr["protocol"]): string | undefined {
  if (policy.healthCheck?.active?.grpc && protocol !== "h2c") {
    return "spec.healthCheck.active: a GRPC health check needs an HTTP/2 backend (a GRPCRoute, or appProtocol h2c)";
  }
  return undefined;
}
