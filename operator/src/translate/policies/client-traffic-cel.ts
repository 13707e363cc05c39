/**
 * Envoy Gateway v1.9.1's CEL rules (`x-kubernetes-validations`) on the ClientTrafficPolicy spec's targets. Our
 * CRDs carry no CEL rules (crds/generate.ts), and standalone mode has no API server, so the translator checks
 * them: each broken rule is `<field path>: <Envoy Gateway's message>`, reported Accepted=False (Invalid).
 *
 * The rules on fields below the targets are checked where the field is translated: clientIPDetection and
 * xForwardedFor and headers (client-traffic-http.ts), connectionLimit.closeDelay (client-traffic-conn.ts),
 * tls versions and ciphers (client-traffic-tls.ts). docs/policy-cel-validations.md lists them all.
 */
import type { ClientTrafficPolicySpec } from "../../resources/client-traffic-policy";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";

/** The kinds a policy kind may target and how Envoy Gateway's messages list them. */
export interface TargetKindRule {
  /** The kinds. */
  readonly kinds: readonly string[];
  /** Their list in the messages, e.g. `Gateway or ListenerSet`. */
  readonly text: string;
}

/** The kinds a ClientTrafficPolicy may target (Envoy Gateway's rule). */
const TARGET_KINDS: TargetKindRule = { kinds: ["Gateway", "ListenerSet"], text: "Gateway or ListenerSet" };

/**
 * The broken target rules of `spec`, each `<field path>: <Envoy Gateway's message>` (the same rules hold for the
 * other policy kinds, with their own target kinds).
 */
export function targetRuleProblems(
  spec: Pick<ClientTrafficPolicySpec, "targetRef" | "targetRefs" | "targetSelectors">,
  allowed: TargetKindRule = TARGET_KINDS,
): string[] {
  const out: string[] = [];
  const { targetRef, targetRefs, targetSelectors } = spec;
  const oneWay = (targetRef !== undefined) !== (targetRefs !== undefined);
  if (!oneWay && (targetSelectors ?? []).length === 0) out.push("spec: either targetRef or targetRefs must be used");
  if (targetRef && targetRef.group !== GATEWAY_API_GROUP) {
    out.push(`spec.targetRef.group: this policy can only have a targetRef.group of ${GATEWAY_API_GROUP}`);
  }
  if (targetRef && !allowed.kinds.includes(targetRef.kind)) {
    out.push(`spec.targetRef.kind: this policy can only have a targetRef.kind of ${allowed.text}`);
  }
  if (targetRefs?.some((r) => r.group !== GATEWAY_API_GROUP)) {
    out.push(`spec.targetRefs: this policy can only have a targetRefs[*].group of ${GATEWAY_API_GROUP}`);
  }
  if (targetRefs?.some((r) => !allowed.kinds.includes(r.kind))) {
    out.push(`spec.targetRefs: this policy can only have a targetRefs[*].kind of ${allowed.text}`);
  }
  (targetSelectors ?? []).forEach((s, i) => {
    if (s.group !== undefined && s.group !== GATEWAY_API_GROUP) {
      out.push(`spec.targetSelectors[${i}]: group must be ${GATEWAY_API_GROUP}`);
    }
    if (s.namespaces?.from === "Selector" && s.namespaces.selector === undefined) {
      out.push(`spec.targetSelectors[${i}].namespaces: selector must be specified when from is Selector`);
    }
  });
  return out;
}
