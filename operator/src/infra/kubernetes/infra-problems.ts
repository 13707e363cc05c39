/**
 * What the infra edge adds to Gateway status: a Gateway whose proxies the renderer refused is Accepted False
 * InvalidParameters (like an EnvoyProxy the translator refused), and a Gateway whose objects the applier would
 * not apply (one exists and is not ours) or could not apply (the API server refused one: its message) is
 * Programmed False Invalid. Pure.
 */
import type { RenderProblem } from "../../../../constructs/render";
import type { Condition } from "../../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "../../translate/conditions";
import type { ApplyConflict } from "./applier";

interface GatewayStatusBody {
  readonly conditions?: readonly Condition[];
  readonly [key: string]: unknown;
}

/** `conditions` with each of `replace` put in place of the condition of its type (kept in order). */
function replaced(conditions: readonly Condition[], replace: readonly Condition[]): Condition[] {
  return conditions.map((c) => {
    const next = replace.find((r) => r.type === c.type);
    return next ? { ...next, observedGeneration: c.observedGeneration } : c;
  });
}

/**
 * Gateway statuses with the render problems and apply conflicts or failures of this pass. `ownerOf` gives the owner key
 * (as the applier's conflicts name it) of a Gateway `namespace/name`.
 */
export function withInfraProblems(
  statuses: readonly StatusUpdate[],
  problems: readonly RenderProblem[],
  conflicts: readonly ApplyConflict[],
  ownerOf: (gateway: string) => string | undefined,
): StatusUpdate[] {
  if (problems.length === 0 && conflicts.length === 0) return [...statuses];
  return statuses.map((u) => {
    if (u.kind !== "Gateway") return u;
    const key = `${u.namespace ?? ""}/${u.name}`;
    const status = u.status as GatewayStatusBody;
    const problem = problems.find((p) => p.gateways.includes(key));
    const owner = ownerOf(key);
    const conflict = owner === undefined ? undefined : conflicts.find((c) => c.owner === owner);
    let conditions = status.conditions ?? [];
    if (problem) {
      conditions = replaced(conditions, [
        condition(CondType.Accepted, false, Reason.InvalidParameters, problem.message),
        condition(CondType.Programmed, false, Reason.Invalid, "The Gateway is not accepted"),
      ]);
    } else if (conflict) {
      conditions = replaced(conditions, [condition(CondType.Programmed, false, Reason.Invalid, conflict.message)]);
    } else return u;
    return { ...u, status: { ...status, conditions, addresses: [] } };
  });
}
