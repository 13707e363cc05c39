/** GatewayClass: accept the classes whose controllerName is ours. */
import type { GatewayClass } from "../resources/gateway-api";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { GATEWAY_API_VERSION, supportedFeatures } from "./features";

/** Returns the names of the classes we manage and their statuses. */
export function processGatewayClasses(
  classes: readonly GatewayClass[],
  controllerName: string,
): { accepted: Set<string>; statuses: StatusUpdate[] } {
  const accepted = new Set<string>();
  const statuses: StatusUpdate[] = [];
  for (const gc of [...classes].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  )) {
    if (gc.spec?.controllerName !== controllerName) continue;
    accepted.add(gc.metadata.name);
    const gen = gc.metadata.generation;
    statuses.push({
      apiVersion: gc.apiVersion,
      kind: "GatewayClass",
      name: gc.metadata.name,
      status: {
        conditions: [
          condition(CondType.Accepted, true, Reason.Accepted, "Valid GatewayClass", gen),
          // Standalone has no CRDs to inspect: the resources are read as Gateway API GATEWAY_API_VERSION.
          condition(
            CondType.SupportedVersion,
            true,
            Reason.SupportedVersion,
            `Gateway API ${GATEWAY_API_VERSION} is supported`,
            gen,
          ),
        ],
        supportedFeatures: supportedFeatures(),
      },
    });
  }
  return { accepted, statuses };
}
