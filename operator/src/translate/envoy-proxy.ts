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
  return classEnvoyProxy(s, gateway.spec.gatewayClassName);
}

/** The EnvoyProxy a GatewayClass's `parametersRef` names, if it exists. */
export function classEnvoyProxy(s: ResourceSnapshot, className: string): EnvoyProxy["spec"] | undefined {
  const ref = s.gatewayClasses.find((c) => c.metadata.name === className)?.spec.parametersRef;
  if (ref?.kind !== "EnvoyProxy") return undefined;
  const proxy = s.unknown.find(
    (o): o is EnvoyProxy =>
      o.kind === "EnvoyProxy" && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace,
  );
  return proxy?.spec;
}

/**
 * Whether every Gateway of the class runs on one shared set of proxies: its GatewayClass's EnvoyProxy sets
 * `mergeGateways: true` (a Gateway's own EnvoyProxy cannot opt in or out, as in Envoy Gateway).
 */
export function mergesGateways(s: ResourceSnapshot, className: string): boolean {
  return classEnvoyProxy(s, className)?.mergeGateways === true;
}
