/** ListenerSets: which Gateway each one names as parent, and the reverse lookup routes use. */
import { GATEWAY_API_GROUP, type ListenerSet } from "../resources/gateway-api";
import { namespaceOf } from "../resources/meta";
import type { GatewayState } from "./gateway";

/** ListenerSets grouped by the `namespace/name` of the Gateway their parentRef names. */
export function listenerSetsByParent(sets: readonly ListenerSet[]): Map<string, ListenerSet[]> {
  const out = new Map<string, ListenerSet[]>();
  for (const ls of sets) {
    const ref = ls.spec.parentRef;
    if (!ref || (ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? "Gateway") !== "Gateway")
      continue;
    const key = `${ref.namespace ?? namespaceOf(ls.metadata)}/${ref.name}`;
    out.set(key, [...(out.get(key) ?? []), ls]);
  }
  return out;
}

/** Each ListenerSet naming one of our Gateways (`namespace/name`) → that Gateway, for routes' parentRefs. */
export function listenerSetParents(gateways: ReadonlyMap<string, GatewayState>): Map<string, GatewayState> {
  const out = new Map<string, GatewayState>();
  for (const gw of gateways.values()) for (const ls of gw.listenerSets) out.set(ls.key, gw);
  return out;
}
