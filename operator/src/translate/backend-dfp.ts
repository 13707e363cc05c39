/**
 * Backend `type: DynamicResolver`: a dynamic forward proxy. The cluster has no endpoints; Envoy resolves the
 * request's Host with DNS and connects there (a literal IP in the Host is used as it is). Envoy Gateway's checks:
 * no endpoints, no `autoSNIFromEndpointHostname`. Routes to it deny loopback Hosts (xds filter dfp-loopback-deny).
 */
import type { DynamicResolverIr, EndpointIr } from "../ir/xds-ir";
import type { Backend } from "../resources/envoy-gateway";
import type { BackendSettings } from "./backend-endpoints";
import { Reason } from "./conditions";

/** A DynamicResolver Backend's verdict: its endpoint-less cluster, or why it is not accepted. */
export function dynamicVerdict(
  backend: Backend,
  settings: BackendSettings,
):
  | {
      readonly endpoints: readonly EndpointIr[];
      readonly discovery: "dynamic";
      readonly dynamicResolver: DynamicResolverIr;
    }
  | { readonly problem: string; readonly reason: string } {
  if (backend.spec.endpoints !== undefined) {
    return { problem: "DynamicResolver type cannot have endpoints specified", reason: Reason.UnsupportedValue };
  }
  if (backend.spec.fallback === true) {
    return { problem: "DynamicResolver type cannot be a fallback backend", reason: Reason.UnsupportedValue };
  }
  if (backend.spec.tls?.autoSNIFromEndpointHostname === true) {
    return { problem: "DynamicResolver type cannot use autoSNIFromEndpointHostname", reason: Reason.UnsupportedValue };
  }
  const resolvers = settings.dnsResolvers ?? [];
  return {
    endpoints: [],
    discovery: "dynamic",
    dynamicResolver: resolvers.length > 0 ? { resolvers } : {},
  };
}
