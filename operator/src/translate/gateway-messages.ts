/**
 * Proxy-level findings told to the Gateways a proxy serves (a refused bootstrap, clusters that keep their default
 * stat name, …): collected per Gateway, then written onto each Gateway's conditions after translation. Pure.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Condition } from "../resources/meta";
import { condition, CondType, type StatusUpdate } from "./conditions";

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

/** The reason of a Warning condition that holds findings of several reasons (as policies' MultipleWarnings). */
export const MULTIPLE_WARNINGS_REASON = "MultipleWarnings";

/**
 * `statuses` with a Warning=True condition (reason `reason`) on each Gateway in `messages`; a Gateway that already
 * has a Warning keeps one, its messages joined with "; " (reason MultipleWarnings when the reasons differ).
 */
export function withGatewayWarnings(
  statuses: readonly StatusUpdate[],
  messages: ReadonlyMap<string, string>,
  reason: string,
): StatusUpdate[] {
  return withGatewayConditions(statuses, messages, (conditions, message) => {
    const generation = conditions.find((c) => c.type === CondType.Accepted)?.observedGeneration;
    const prior = conditions.find((c) => c.type === CondType.Warning && c.status === "True");
    if (!prior) return [...conditions, condition(CondType.Warning, true, reason, message, generation)];
    const joined = condition(
      CondType.Warning,
      true,
      prior.reason === reason ? reason : MULTIPLE_WARNINGS_REASON,
      `${prior.message}; ${message}`,
      generation,
    );
    return conditions.map((c) => (c === prior ? joined : c));
  });
}
