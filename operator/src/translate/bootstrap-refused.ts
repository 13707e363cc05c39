/**
 * A refused EnvoyProxy `bootstrap` (translate/proxy-runtime.ts `bootstrapProblem`) does not stop a Gateway: its
 * proxies keep serving with their last good bootstrap (the edges keep it: the host runner its running process,
 * the Kubernetes renderer the objects it applied), and each Gateway they serve says why on its Accepted condition
 * (False InvalidParameters, naming the EnvoyProxy, the field and the reason, as an invalid EnvoyProxy does). Pure.
 */
import type { ProxyInfraIr } from "../ir/infra-ir";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { proxyGatewayMessages, withGatewayConditions } from "./gateway-messages";

/** What the Gateways of a proxy with a refused bootstrap are told, by Gateway `namespace/name`. */
export function refusedBootstrapMessages(
  proxies: readonly ProxyInfraIr[],
  envoyProxyKeyOf: (proxy: ProxyInfraIr) => string | undefined,
): Map<string, string> {
  return proxyGatewayMessages(proxies, (p) => {
    const refused = p.runtime?.bootstrapRefused;
    if (refused === undefined) return undefined;
    return `EnvoyProxy ${envoyProxyKeyOf(p) ?? ""} is invalid: ${refused}; its proxies keep their last good bootstrap`;
  });
}

/** `statuses` with the Accepted condition of each Gateway in `messages` made False InvalidParameters with its message. */
export function withRefusedBootstraps(
  statuses: readonly StatusUpdate[],
  messages: ReadonlyMap<string, string>,
): StatusUpdate[] {
  return withGatewayConditions(statuses, messages, (conditions, message) =>
    conditions.map((c) =>
      c.type === CondType.Accepted
        ? condition(CondType.Accepted, false, Reason.InvalidParameters, message, c.observedGeneration)
        : c,
    ),
  );
}
