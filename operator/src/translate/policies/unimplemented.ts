/**
 * The Envoy Gateway policy kinds egts reads but does not translate yet: each gets its status per ancestor
 * (Accepted=False, saying so) instead of silence. EnvoyPatchPolicy is Disabled unless the EnvoyGateway
 * configuration enables it (extensionApis.enableEnvoyPatchPolicy), as in Envoy Gateway.
 */
import type { EnvoyGatewayPolicies } from "../../resources/snapshot";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ExtensionApiGates } from "../extension-gates";
import type { PolicyStatusBook } from "./ancestors";
import type { TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { AncestorRef } from "./types";

/** Envoy Gateway's message on an EnvoyPatchPolicy when the configuration does not enable the kind. */
export const ENVOY_PATCH_POLICY_DISABLED = "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration";

/** Reports the kinds not translated yet. */
export function reportUntranslatedPolicies(
  policies: EnvoyGatewayPolicies,
  index: TargetIndex,
  book: PolicyStatusBook,
  gates: ExtensionApiGates,
): void {
  for (const p of policies.envoyPatchPolicies ?? []) patchPolicyStatus(p, index, book, gates);
}

function patchPolicyStatus(p: KubeObject, index: TargetIndex, book: PolicyStatusBook, gates: ExtensionApiGates): void {
  book.track(p);
  const ref = (p.spec as { targetRef?: { group?: string; kind?: string; name?: string } } | undefined)?.targetRef;
  if (!ref?.name) return;
  const kind = ref.kind ?? "Gateway";
  const ns = namespaceOf(p.metadata);
  const ancestor: AncestorRef =
    kind === "GatewayClass"
      ? { group: GATEWAY_API_GROUP, kind, namespace: ns, name: ref.name }
      : { group: ref.group ?? GATEWAY_API_GROUP, kind, namespace: ns, name: ref.name };
  if (kind === "Gateway" && !index.gateways.has(`${ns}/${ref.name}`)) {
    const exists = (index.byKind.get("Gateway") ?? []).some(
      (g) => namespaceOf(g.metadata) === ns && g.metadata.name === ref.name,
    );
    if (!exists)
      book.reject(p, ancestor, PolicyReason.TargetNotFound, `spec.targetRef: Gateway ${ns}/${ref.name} not found`);
    return;
  }
  if (gates.enableEnvoyPatchPolicy !== true) {
    book.reject(p, ancestor, PolicyReason.Disabled, ENVOY_PATCH_POLICY_DISABLED);
    return;
  }
  book.reject(
    p,
    ancestor,
    PolicyReason.Invalid,
    "EnvoyPatchPolicy is not implemented by egts yet: the patches are not applied",
  );
}
