/**
 * EnvoyProxy `routingType` (Envoy Gateway): `Service` sends the proxies' traffic for a Kubernetes Service to its
 * cluster IP and Service port (kube-proxy picks the pod) instead of its endpoints; `Endpoint` (the default) to
 * the endpoints. A BackendTrafficPolicy's `routingType` overrides it for its routes (its variants carry their own,
 * translate/policies/backend-traffic.ts), as Envoy Gateway's does. Backends without a cluster IP (Backend
 * resources, headless Services) keep their endpoints. Pure.
 */
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { EnvoyProxy } from "../resources/envoy-proxy";

const ROUTING_TYPES: readonly string[] = ["Service", "Endpoint"];

/** Why the EnvoyProxy's `routingType` cannot be used (empty when it can, or is unset). */
export function routingTypeProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const value = spec?.routingType;
  if (value === undefined || ROUTING_TYPES.includes(value)) return [];
  return [`spec.routingType (${JSON.stringify(value)}) must be one of ${ROUTING_TYPES.join(", ")}`];
}

/**
 * The node with each Service cluster sent to the Service's cluster IP when its proxies' EnvoyProxy sets
 * `routingType: Service`, but for the clusters of a BackendTrafficPolicy that sets its own (`Endpoint` keeps the
 * endpoints, `Service` already has the cluster IP).
 */
export function withRoutingType(ir: GatewayXdsIr, spec: EnvoyProxy["spec"] | undefined): GatewayXdsIr {
  if (spec?.routingType !== "Service") return ir;
  const clusters = ir.clusters.map((c) =>
    c.serviceAddress && c.policy?.routingType === undefined ? { ...c, endpoints: [c.serviceAddress] } : c,
  );
  return { ...ir, clusters };
}
