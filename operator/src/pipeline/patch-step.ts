/**
 * The patch step of a pass (between building a node's Envoy resources and the cache): applies the node's
 * EnvoyPatchPolicies (xds/patch/apply.ts, pure) and, when a checker is given, lets Envoy check the result first
 * (patch-validation.ts). What is published: the patched resources when they pass; the unpatched ones when Envoy
 * refuses them (the policies that changed something get Programmed=False Invalid with Envoy's error); nothing new
 * while Envoy is still checking (Programmed=Unknown Pending until the pass that follows the check).
 */
import type { GatewayXdsIr } from "../ir/xds-ir";
import { applyPatchPolicies } from "../xds/patch/apply";
import { programmedCondition, type PolicyCondition } from "../xds/patch/status";
import { CondType } from "../translate/conditions";
import type { NodeResources } from "../xds/translate/resources";
import type { PatchChecker } from "./patch-validation";

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
  const verdict = changed && checker ? checker.verdict(ir.name, patched.resources, built) : { ok: true };
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
  const envoyError = verdict.ok ? undefined : (verdict.message ?? "rejected");
  return {
    node: ir.name,
    resources: verdict.ok ? patched.resources : built,
    conditions: patched.outcomes.map((o) => ({ policy: o.policy, condition: programmedCondition(o, envoyError) })),
  };
}
