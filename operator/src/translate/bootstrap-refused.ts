/**
 * A refused EnvoyProxy `bootstrap` (translate/proxy-runtime.ts `bootstrapProblem`) does not stop a Gateway: its
 * proxies keep serving with their last good bootstrap (the edges keep it: the host runner its running process,
 * the Kubernetes renderer the objects it applied), and each Gateway they serve says why on its Accepted condition
 * (False InvalidParameters, naming the EnvoyProxy, the field and the reason, as an invalid EnvoyProxy does). Pure.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Condition } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";

/** What the Gateways of a proxy with a refused bootstrap are told, by Gateway `namespace/name`. */
export function refusedBootstrapMessages(
  proxies: readonly ProxyInfraIr[],
  envoyProxyKeyOf: (proxy: ProxyInfraIr) => string | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of proxies) {
    const refused = p.runtime?.bootstrapRefused;
    if (refused === undefined) continue;
    const message = `EnvoyProxy ${envoyProxyKeyOf(p) ?? ""} is invalid: ${refused}; its proxies keep their last good bootstrap`;
    for (const gw of p.gateways ?? [`${p.namespace}/${p.gatewayName}`]) out.set(gw, message);
  }
  return out;
}

/** `statuses` with the Accepted condition of each Gateway in `messages` made False InvalidParameters with its message. */
export function withRefusedBootstraps(
  statuses: readonly StatusUpdate[],
  messages: ReadonlyMap<string, string>,
): StatusUpdate[] {
  if (messages.size === 0) return [...statuses];
  return statuses.map((u) => {
    const message = u.kind === "Gateway" ? messages.get(`${u.namespace ?? ""}/${u.name}`) : undefined;
    if (message === undefined) return u;
    const status = u.status as { conditions?: readonly Condition[] };
    const conditions = (status.conditions ?? []).map((c) =>
      c.type === CondType.Accepted
        ? condition(CondType.Accepted, false, Reason.InvalidParameters, message, c.observedGeneration)
        : c,
    );
    return { ...u, status: { ...status, conditions } };
  });
}
