/**
 * The patch step of a pass (between building a node's Envoy resources and the cache): applies the node's
 * EnvoyPatchPolicies (xds/patch/apply.ts, pure) and, when a checker is given, lets Envoy check the result first
 * (patch-validation.ts). What is published: the patched resources when they pass; when Envoy refuses them, the
 * resources patched by the other policies only (the policies responsible get Programmed=False Invalid with Envoy's
 * error; when none is singled out, every policy that changed something, and the unpatched resources); nothing new
 * while Envoy is still checking (Programmed=Unknown Pending until the pass that follows the check).
 */
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { PatchPolicyIr } from "../ir/patch-ir";
import { applyPatchPolicies, type PatchOutcome } from "../xds/patch/apply";
import { programmedCondition, type PolicyCondition } from "../xds/patch/status";
import { CondType } from "../translate/conditions";
import type { NodeResources } from "../xds/translate/resources";
import { patchPolicyKey, type PatchChecker } from "./patch-validation";

/** What the patch step decided for one node. */
export interface PatchStep {
  /** The node. */
  readonly node: string;
  /** What to publish; undefined while Envoy checks the patched resources. */
  readonly resources?: NodeResources;
  /** The Programmed condition of each of the node's patch policies. */
  readonly conditions: readonly PolicyCondition[];
}

/** Reason and message of Programmed=Unknown while Envoy checks the patched resources. */
export const PATCH_PENDING = { reason: "Pending", message: "Envoy is checking the patched resources." } as const;

/** Applies `ir.patches` to `built` and decides what the node publishes. */
export function patchNode(ir: GatewayXdsIr, built: NodeResources, checker: PatchChecker | undefined): PatchStep {
  const policies = ir.patches ?? [];
  if (policies.length === 0) return { node: ir.name, resources: built, conditions: [] };
  const patched = applyPatchPolicies(built, policies);
  const changed = patched.outcomes.some((o) => o.applied > 0);
  const verdict = changed && checker ? checker.verdict(ir.name, patched.resources, built, policies) : { ok: true };
  if (!verdict) {
    const conditions = patched.outcomes.map((o) => ({
      policy: o.policy,
      condition: {
        type: CondType.Programmed,
        status: "Unknown" as const,
        ...PATCH_PENDING,
        ...(o.policy.generation !== undefined ? { observedGeneration: o.policy.generation } : {}),
      },
    }));
    return { node: ir.name, conditions };
  }
  if (verdict.ok) return { node: ir.name, resources: patched.resources, conditions: conditionsOf(patched.outcomes) };
  const rejected = verdict.rejected ?? new Map<string, string>();
  if (rejected.size === 0) {
    return {
      node: ir.name,
      resources: built,
      conditions: conditionsOf(patched.outcomes, () => verdict.message ?? "rejected"),
    };
  }
  // Only the policies Envoy refuses are left out: the others' outcomes are those of applying them without those.
  const kept = applyPatchPolicies(
    built,
    policies.filter((p) => !rejected.has(patchPolicyKey(p))),
  );
  const outcomes = patched.outcomes.map((o) => kept.outcomes.find((k) => k.policy === o.policy) ?? o);
  return {
    node: ir.name,
    resources: kept.resources,
    conditions: conditionsOf(outcomes, (p) => rejected.get(patchPolicyKey(p))),
  };
}

/** The Programmed condition of each outcome, with Envoy's error on the policies `envoyError` gives one for. */
function conditionsOf(
  outcomes: readonly PatchOutcome[],
  envoyError: (p: PatchPolicyIr) => string | undefined = () => undefined,
): PolicyCondition[] {
  return outcomes.map((o) => ({ policy: o.policy, condition: programmedCondition(o, envoyError(o.policy)) }));
}
