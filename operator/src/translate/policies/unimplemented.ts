/**
 * The Envoy Gateway policy kinds egts reads but does not translate yet: each gets its status per ancestor
 * (Accepted=False, saying so) instead of silence. EnvoyExtensionPolicy is not applied. EnvoyPatchPolicy is
 * Disabled unless the EnvoyGateway configuration enables it (extensionApis.enableEnvoyPatchPolicy), as in Envoy
 * Gateway.
 */
import type { EnvoyGatewayPolicies } from "../../resources/snapshot";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ExtensionApiGates } from "../extension-gates";
import type { PolicyStatusBook } from "./ancestors";
import { attachPolicies } from "./engine";
import { ROUTE_KINDS, type TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { AncestorRef, PolicyKindRules } from "./types";

const ALL_TARGETS = ["Gateway", "ListenerSet", ...ROUTE_KINDS];

/** EnvoyExtensionPolicy's attachment rules. */
export const ENVOY_EXTENSION_RULES: PolicyKindRules = {
  kind: "EnvoyExtensionPolicy",
  plural: "envoyExtensionPolicies",
  targetKinds: ALL_TARGETS,
  mergeable: false,
};

/** Envoy Gateway's message on an EnvoyPatchPolicy when the configuration does not enable the kind. */
export const ENVOY_PATCH_POLICY_DISABLED = "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration";

/** Reports the kinds not translated yet. */
export function reportUntranslatedPolicies(
  policies: EnvoyGatewayPolicies,
  index: TargetIndex,
  book: PolicyStatusBook,
  gates: ExtensionApiGates,
): void {
  const set = attachPolicies(policies.envoyExtensionPolicies ?? [], ENVOY_EXTENSION_RULES, index, book);
  const message = `${ENVOY_EXTENSION_RULES.kind} is not implemented by egts yet: the policy is not applied`;
  for (const a of set.winners)
    for (const anc of a.target.ancestors) book.reject(a.policy, anc, PolicyReason.Invalid, message);
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
