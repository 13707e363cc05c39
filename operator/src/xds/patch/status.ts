/**
 * EnvoyPatchPolicy's Programmed condition, from what its patches did (apply.ts) and, where Envoy validated the
 * patched resources, from Envoy's verdict; added to the policy's status under its ancestor, after translation
 * wrote Accepted. Wording and precedence follow Envoy Gateway: a missing resource (ResourceNotFound) wins over
 * failed patches (Invalid); otherwise Programmed=True.
 */
import type { Condition } from "../../resources/meta";
import { condition, CondType, type StatusUpdate } from "../../translate/conditions";
import type { PatchPolicyIr } from "../../ir/patch-ir";
import type { PatchOutcome } from "./apply";

/** Reasons of the Programmed condition. */
export const PatchReason = {
  Programmed: "Programmed",
  Invalid: "Invalid",
  ResourceNotFound: "ResourceNotFound",
} as const;

/** Envoy Gateway's message of Programmed=True. */
export const PATCHES_APPLIED = "Patches have been successfully applied.";

/** Longest condition message the API server accepts. */
const MAX_MESSAGE = 32768;

/** The Programmed condition of one policy on one node. `envoyError`: Envoy refused the patched resources. */
export function programmedCondition(o: PatchOutcome, envoyError?: string): Condition {
  const gen = o.policy.generation;
  if (o.notFound.length > 0) {
    const message = `Unable to find xds resources: ${o.notFound.join(",")}`;
    return condition(CondType.Programmed, false, PatchReason.ResourceNotFound, message, gen);
  }
  const errors = [
    ...o.errors,
    ...(envoyError && o.applied > 0 ? [`Envoy rejected the patched resources: ${envoyError}`] : []),
  ];
  if (errors.length > 0)
    return condition(CondType.Programmed, false, PatchReason.Invalid, conditionMessage(errors), gen);
  return condition(CondType.Programmed, true, PatchReason.Programmed, PATCHES_APPLIED, gen);
}

/** Envoy Gateway's Error2ConditionMsg over the joined errors: first letter upper-case, a final period, within limits. */
function conditionMessage(errors: readonly string[]): string {
  let m = errors.join("\n");
  m = m.charAt(0).toUpperCase() + m.slice(1);
  if (!m.endsWith(".")) m += ".";
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE - 3)}...` : m;
}

/** A policy's condition to set. */
export interface PolicyCondition {
  /** The policy (its namespace, name and ancestor). */
  readonly policy: PatchPolicyIr;
  /** The condition. */
  readonly condition: Condition;
}

/** `statuses` with each condition set (replacing one of the same type) under its policy's ancestor. */
export function withPolicyConditions(
  statuses: readonly StatusUpdate[],
  conditions: readonly PolicyCondition[],
): readonly StatusUpdate[] {
  // Nothing to add: the very list (a stage after may compare it with the last by reference, list-window.ts).
  if (conditions.length === 0) return statuses;
  return statuses.map((s) => {
    const mine = conditions.filter(
      (c) => s.kind === "EnvoyPatchPolicy" && s.namespace === c.policy.namespace && s.name === c.policy.name,
    );
    if (mine.length === 0) return s;
    const status = s.status as { ancestors?: { ancestorRef: PatchPolicyIr["ancestor"]; conditions: Condition[] }[] };
    const ancestors = (status.ancestors ?? []).map((a) => {
      const here = mine.filter((c) => sameRef(a.ancestorRef, c.policy.ancestor));
      if (here.length === 0) return a;
      const types = new Set(here.map((c) => c.condition.type));
      return { ...a, conditions: [...a.conditions.filter((x) => !types.has(x.type)), ...here.map((c) => c.condition)] };
    });
    return { ...s, status: { ...status, ancestors } };
  });
}

function sameRef(a: PatchPolicyIr["ancestor"], b: PatchPolicyIr["ancestor"]): boolean {
  return a.kind === b.kind && a.name === b.name && (a.kind === "GatewayClass" || a.namespace === b.namespace);
}
