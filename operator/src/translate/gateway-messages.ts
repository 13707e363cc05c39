/**
 * Proxy-level findings told to the Gateways a proxy serves (a refused bootstrap, clusters that keep their default
 * stat name, …): collected per Gateway, then written onto each Gateway's conditions after translation. Pure.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Condition } from "../resources/meta";
import type { StatusUpdate } from "./conditions";

/** `messageOf(proxy)` for every proxy that has one, by each Gateway (`namespace/name`) that proxy serves. */
export function proxyGatewayMessages(
  proxies: readonly ProxyInfraIr[],
  messageOf: (proxy: ProxyInfraIr) => string | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of proxies) {
    const message = messageOf(p);
    if (message === undefined) continue;
    for (const gw of p.gateways ?? [`${p.namespace}/${p.gatewayName}`]) out.set(gw, message);
  }
  return out;
}

/** `statuses` with the conditions of each Gateway in `messages` replaced by `change(conditions, its message)`. */
export function withGatewayConditions(
  statuses: readonly StatusUpdate[],
  messages: ReadonlyMap<string, string>,
  change: (conditions: readonly Condition[], message: string) => Condition[],
): StatusUpdate[] {
  if (messages.size === 0) return [...statuses];
  return statuses.map((u) => {
    const message = u.kind === "Gateway" ? messages.get(`${u.namespace ?? ""}/${u.name}`) : undefined;
    if (message === undefined) return u;
    const status = u.status as { conditions?: readonly Condition[] };
    return { ...u, status: { ...status, conditions: change(status.conditions ?? [], message) } };
  });
}
