/**
 * EnvoyProxy settings that are read but have no effect where they are set, reported as Warning=True conditions
 * instead of being silently ignored (docs/adr/0015-envoyproxy-merge-type.md):
 *
 * - A GatewayClass's EnvoyProxy `mergeType` StrategicMerge or JSONMerge. In Envoy Gateway v1.9.1 it says how the
 *   class's EnvoyProxy (with a Gateway's merged onto it) merges onto the EnvoyGateway-wide default EnvoyProxy; egts
 *   has no such default, so there is nothing to merge onto. (How a Gateway's EnvoyProxy merges onto the class's is
 *   the Gateway's EnvoyProxy's own `mergeType`.) The class stays accepted, as there.
 * - A Gateway's own EnvoyProxy (`infrastructure.parametersRef`) when its class merges Gateways (`mergeGateways`):
 *   every Gateway of the class runs on the class's proxies, configured by the class's EnvoyProxy alone; Envoy
 *   Gateway does not read the Gateway's then (its `attachEnvoyProxy`), and neither does egts (`envoyProxyOf`).
 *   The Gateway stays accepted, as there; one whose reference is broken (missing, another kind, invalid) is still
 *   InvalidParameters (gateway.ts), as the Gateway API asks of a parametersRef it cannot use.
 */
import { namespaceOf } from "../resources/meta";
import type { EnvoyProxy } from "../resources/envoy-proxy";
import type { ResourceSnapshot } from "../resources/snapshot";
import { mergesGateways } from "./envoy-proxy";
import { mergesOntoClass } from "./envoy-proxy-merge";

/** The Warning reason of a GatewayClass whose EnvoyProxy sets a `mergeType` that has nothing to merge onto. */
export const MERGE_TYPE_UNUSED_REASON = "MergeTypeUnused";

/** The Warning reason of a Gateway whose own EnvoyProxy is not used (its class merges Gateways). */
export const PARAMETERS_REF_UNUSED_REASON = "ParametersRefUnused";

/** The Warning message of a class whose EnvoyProxy `key` (`namespace/name`) has `spec`, if its mergeType does nothing. */
export function classMergeTypeWarning(key: string, spec: EnvoyProxy["spec"] | undefined): string | undefined {
  if (!mergesOntoClass(spec)) return undefined;
  return (
    `EnvoyProxy ${key} named in parametersRef sets spec.mergeType ${String(spec?.mergeType)}, which has no effect: ` +
    `on a GatewayClass's EnvoyProxy it merges onto the EnvoyGateway-wide default EnvoyProxy, which egts does not have; ` +
    `how a Gateway's own EnvoyProxy merges onto this one is that EnvoyProxy's spec.mergeType`
  );
}

/** The Warning message of each Gateway (`namespace/name`) whose own EnvoyProxy is not used, since its class merges Gateways. */
export function unusedGatewayEnvoyProxies(snapshot: ResourceSnapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of snapshot.gateways) {
    const ref = g.spec.infrastructure?.parametersRef;
    const className = g.spec.gatewayClassName;
    if (ref?.kind !== "EnvoyProxy" || !mergesGateways(snapshot, className)) continue;
    const ns = namespaceOf(g.metadata);
    const cls = snapshot.gatewayClasses.find((c) => c.metadata.name === className)?.spec.parametersRef;
    out.set(
      `${ns}/${g.metadata.name}`,
      `EnvoyProxy ${ns}/${ref.name} named in infrastructure.parametersRef is not used: GatewayClass ${className} ` +
        `merges its Gateways (mergeGateways in its EnvoyProxy ${cls?.namespace ?? ""}/${cls?.name ?? ""}), so every ` +
        `Gateway of the class runs on the class's proxies with the class's EnvoyProxy alone (as in Envoy Gateway); ` +
        `remove parametersRef or move its settings to the class's EnvoyProxy`,
    );
  }
  return out;
}
