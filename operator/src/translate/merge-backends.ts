/**
 * EnvoyProxy `mergeBackends` (Envoy Gateway: routes that reference the same backend share one Envoy cluster,
 * named `<kind>/<namespace>/<name>/<port>/<protocol>`, instead of a cluster per route rule). egts always does so
 * (docs/adr/0006-envoy-gateway-xds-names.md: one cluster per backend, with those names), so the field changes no
 * xDS: it is accepted, its `selector` is checked as a label selector, and Envoy Gateway's exclusivity with
 * `mergeGateways` is enforced with its message (the CRD's rule on one EnvoyProxy, its translator's on a Gateway's
 * own EnvoyProxy under a class that merges Gateways). Pure.
 */
import { labelSelectorProblems } from "../resources/labels";
import type { EnvoyProxy } from "../resources/envoy-proxy";
import type { ResourceSnapshot } from "../resources/snapshot";
import { Reason } from "./conditions";
import { gatewayOwnEnvoyProxy } from "./envoy-proxy";
import type { GatewayState } from "./gateway";

/** Envoy Gateway's message (its CRD's CEL rule and its translator's Gateway condition). */
export const MERGE_GATEWAYS_AND_BACKENDS = "mergeGateways and mergeBackends cannot both be enabled";

/** Why an EnvoyProxy's `mergeBackends` cannot be used (empty when it can, or is unset). */
export function mergeBackendsProblems(spec: EnvoyProxy["spec"] | undefined): string[] {
  const mb = spec?.mergeBackends;
  if (mb === undefined) return [];
  const out = spec?.mergeGateways === true ? [MERGE_GATEWAYS_AND_BACKENDS] : [];
  if (mb === null || typeof mb !== "object") return [...out, "spec.mergeBackends must be an object"];
  if (mb.selector !== undefined) out.push(...labelSelectorProblems(mb.selector, "spec.mergeBackends.selector"));
  return out;
}

/**
 * Marks not accepted (InvalidParameters, Envoy Gateway's message) each Gateway of a class that merges Gateways
 * whose own EnvoyProxy enables `mergeBackends`.
 */
export function markMergeBackendsConflicts(
  gateways: Iterable<GatewayState>,
  snapshot: ResourceSnapshot,
  merged: ReadonlySet<string>,
): void {
  for (const gw of gateways) {
    if (gw.notAccepted || !merged.has(gw.gateway.spec.gatewayClassName)) continue;
    // The Gateway's own EnvoyProxy, which a merging class does not use (envoyProxyOf gives the class's).
    const ep = gatewayOwnEnvoyProxy(snapshot, gw.gateway);
    if (ep?.spec?.mergeBackends !== undefined)
      gw.notAccepted = { reason: Reason.InvalidParameters, message: MERGE_GATEWAYS_AND_BACKENDS };
  }
}
