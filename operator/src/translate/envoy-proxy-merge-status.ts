/**
 * The status side of EnvoyProxy `mergeType` (envoy-proxy-merge.ts): a Gateway whose own EnvoyProxy is valid alone
 * (gateway.ts checks it as the tenant's) can still merge, onto its class's, into a spec that is not: settings that
 * contradict each other (a class's DaemonSet and the Gateway's HPA), or a combination that crosses the privilege
 * boundary (docs/adr/0003-envoyproxy-privilege-boundary.md) where neither part does. Such a Gateway is not accepted
 * (InvalidParameters, Envoy Gateway's reason), the message naming both EnvoyProxies and each field; so is one whose
 * merge fails (envoy-proxy-merge.ts; Envoy Gateway only logs that and runs the Gateway on its defaults).
 */
import { namespaceOf } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason } from "./conditions";
import { envoyProxyOf, envoyProxyProblem, type EffectiveEnvoyProxy } from "./envoy-proxy";
import type { GatewayState } from "./gateway";

/** Marks not accepted each Gateway whose merged EnvoyProxy is not valid, naming why. */
export function markMergedEnvoyProxyProblems(gateways: Iterable<GatewayState>, snapshot: ResourceSnapshot): void {
  for (const gw of gateways) {
    if (gw.notAccepted) continue;
    const effective = envoyProxyOf(snapshot, namespaceOf(gw.gateway.metadata), gw.gateway.metadata.name);
    if (!effective?.base && !effective?.mergeError) continue;
    const problem = effective.mergeError ?? envoyProxyProblem(effective.spec, "Gateway", effective.base);
    if (problem)
      gw.notAccepted = { reason: Reason.InvalidParameters, message: message(gw, snapshot, effective, problem) };
  }
}

/** The Gateway's message: both EnvoyProxies, the merge type, and the problem. */
function message(
  gw: GatewayState,
  snapshot: ResourceSnapshot,
  effective: EffectiveEnvoyProxy,
  problem: string,
): string {
  const g = gw.gateway;
  const own = `${namespaceOf(g.metadata)}/${g.spec.infrastructure?.parametersRef?.name ?? ""}`;
  const ref = snapshot.gatewayClasses.find((c) => c.metadata.name === g.spec.gatewayClassName)?.spec.parametersRef;
  const cls = `${ref?.namespace ?? ""}/${ref?.name ?? ""}`;
  const what = effective.mergeError ? "cannot be merged" : "is invalid";
  return (
    `EnvoyProxy ${own} named in infrastructure.parametersRef, merged (spec.mergeType ` +
    `${String(effective.spec.mergeType)}) onto GatewayClass ${g.spec.gatewayClassName}'s EnvoyProxy ${cls}, ${what}: ${problem}`
  );
}
