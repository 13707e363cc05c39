/**
 * Which EnvoyProxy customises a Gateway's proxies. Pure: the controller's render and `cdk8s synth`
 * (constructs/synth.ts) both resolve it here, so a preview shows what the controller applies.
 */
import type { EnvoyProxy } from "../resources/envoy-proxy";
import type { ResourceSnapshot } from "../resources/snapshot";

/**
 * The EnvoyProxy for a Gateway: its own `infrastructure.parametersRef` (same namespace), else its
 * GatewayClass's `parametersRef`. Objects of kind EnvoyProxy reach the snapshot as unknown kinds.
 */
export function envoyProxyFor(s: ResourceSnapshot, ns: string, name: string): EnvoyProxy["spec"] | undefined {
  const gateway = s.gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === name);
  if (!gateway) return undefined;
  const proxies = s.unknown.filter((o): o is EnvoyProxy => o.kind === "EnvoyProxy");
  const find = (refNs: string | undefined, refName: string): EnvoyProxy | undefined =>
    proxies.find((p) => p.metadata.name === refName && p.metadata.namespace === refNs);
  const infraRef = (gateway.spec as { infrastructure?: { parametersRef?: { kind: string; name: string } } })
    .infrastructure?.parametersRef;
  if (infraRef?.kind === "EnvoyProxy") return find(ns, infraRef.name)?.spec;
  const cls = s.gatewayClasses.find((c) => c.metadata.name === gateway.spec.gatewayClassName);
  const ref = cls?.spec.parametersRef;
  return ref?.kind === "EnvoyProxy" ? find(ref.namespace, ref.name)?.spec : undefined;
}
