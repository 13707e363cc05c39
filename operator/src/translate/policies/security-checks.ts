/**
 * Envoy Gateway v1.9.1's CEL rules (`x-kubernetes-validations`) on the SecurityPolicy spec's targets and
 * `mergeType`, checked by the translator (our CRDs carry no CEL rules and standalone mode has no API server).
 * Each broken rule is `<field path>: <Envoy Gateway's message>`; the policy is then Accepted=False and fails
 * closed. Rules below the field groups are checked where each group is translated (security-cors-csrf.ts,
 * security-basic-apikey.ts); docs/policy-cel-validations.md lists them all.
 */
import type { SecurityPolicySpec } from "../../resources/security-policy";
import { targetRuleProblems } from "./client-traffic-cel";

/** The kinds a SecurityPolicy may target (Envoy Gateway's rule and wording). */
const TARGET_KINDS = {
  kinds: ["Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TCPRoute"],
  text: "Gateway/ListenerSet/HTTPRoute/GRPCRoute/TCPRoute",
};

/** The route kinds `mergeType` may be used with. */
const ROUTE_TARGETS = ["HTTPRoute", "GRPCRoute", "TCPRoute"];

/** The broken CEL rules of a SecurityPolicy's own spec (targets and mergeType). */
export function securityRuleProblems(spec: SecurityPolicySpec): string[] {
  const out = targetRuleProblems(spec, TARGET_KINDS);
  if (spec.mergeType === "Replace") out.push("spec.mergeType: Replace is not a valid MergeType for SecurityPolicy");
  const kinds = [...(spec.targetRef ? [spec.targetRef.kind] : []), ...(spec.targetRefs ?? []).map((r) => r.kind)];
  if (spec.mergeType !== undefined && kinds.some((k) => !ROUTE_TARGETS.includes(k)))
    out.push("spec: mergeType can only be used with xRoute targets");
  return out;
}
