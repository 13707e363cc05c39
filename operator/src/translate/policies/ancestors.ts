/**
 * Policy status per ancestor (Gateway API PolicyStatus), collected while the engine and the kind files run
 * and turned into status updates at the end. Conditions follow Envoy Gateway: Accepted (True "Policy has
 * been accepted.", or False with Invalid / Conflicted / TargetNotFound / Disabled), Overridden, Merged; at
 * most 16 ancestors (the CRD's limit), the most important kept (not accepted first, then overridden) and the
 * 16th carrying an Aggregated condition naming the ones left out.
 */
import { keyOf, namespaceOf, type Condition, type KubeObject } from "../../resources/meta";
import { condition, CondType, type StatusUpdate } from "../conditions";
import { ancestorKey } from "./target-index";
import { PolicyReason } from "./targets";
import type { AncestorRef } from "./types";

/** Most ancestors a policy status may list (Gateway API's MaxItems). */
export const MAX_ANCESTORS = 16;

/** Message of an accepted policy, as Envoy Gateway writes it. */
export const ACCEPTED_MESSAGE = "Policy has been accepted.";

interface AncestorEntry {
  readonly ref: AncestorRef;
  readonly conditions: Map<string, Condition>;
  /** Accepted=False: the first reason and every distinct message, joined when the status is rendered. */
  rejected?: { readonly reason: string; readonly messages: Set<string> };
  /** Warning=True: each distinct message with its reason (several reasons make MultipleWarnings). */
  warnings?: Map<string, string>;
}

/** Longest condition message the API server accepts (metav1.Condition's maxLength). */
const MAX_MESSAGE = 32768;

interface PolicyEntry {
  readonly policy: KubeObject;
  readonly ancestors: Map<string, AncestorEntry>;
}

/** The statuses of every policy of every kind in one translation. */
export class PolicyStatusBook {
  private readonly entries = new Map<string, PolicyEntry>();
  /** The entry of each policy object seen, without building its key again. */
  private readonly byObject = new WeakMap<KubeObject, PolicyEntry>();

  /** Registers a policy: it gets a status (maybe with no ancestor, which clears ours) even if nothing else is said. */
  track(policy: KubeObject): PolicyEntry {
    const known = this.byObject.get(policy);
    if (known) return known;
    const id = `${policy.kind}/${keyOf(policy.metadata)}`;
    const entry = this.entries.get(id) ?? { policy, ancestors: new Map() };
    this.entries.set(id, entry);
    this.byObject.set(policy, entry);
    return entry;
  }

  /** Accepted=True under `ref`, unless an Accepted condition is already there. */
  accept(policy: KubeObject, ref: AncestorRef): void {
    const a = this.ancestor(policy, ref);
    if (a.conditions.has(CondType.Accepted)) return;
    a.conditions.set(
      CondType.Accepted,
      this.cond(policy, CondType.Accepted, true, PolicyReason.Accepted, ACCEPTED_MESSAGE),
    );
  }

  /** Accepted=False under `ref`; further problems under the same ancestor are appended to the message. */
  reject(policy: KubeObject, ref: AncestorRef, reason: string, message: string): void {
    const a = this.ancestor(policy, ref);
    if (a.rejected) {
      a.rejected.messages.add(message);
      return;
    }
    a.rejected = { reason, messages: new Set([message]) };
    // A placeholder keeping Accepted's place; the message is joined once, when rendered (see ordered()).
    a.conditions.set(CondType.Accepted, this.cond(policy, CondType.Accepted, false, reason, ""));
  }

  /** Sets another condition (Overridden, Merged, Warning) to True under `ref`; its reason is its type unless given. */
  note(policy: KubeObject, ref: AncestorRef, type: string, message: string, reason: string = type): void {
    this.ancestor(policy, ref).conditions.set(type, this.cond(policy, type, true, reason, message));
  }

  /**
   * Warning=True under `ref` (Envoy Gateway's non-fatal condition, e.g. a deprecated field): one condition per
   * ancestor, its messages joined with "; ", its reason `reason`, or MultipleWarnings when reasons differ.
   */
  warn(policy: KubeObject, ref: AncestorRef, reason: string, message: string): void {
    const a = this.ancestor(policy, ref);
    a.warnings ??= new Map();
    a.warnings.set(message, reason);
    const reasons = new Set(a.warnings.values());
    const joined = [...a.warnings.keys()].join("; ");
    const why = reasons.size === 1 ? reason : PolicyReason.MultipleWarnings;
    a.conditions.set(CondType.Warning, this.cond(policy, CondType.Warning, true, why, joined));
  }

  /** Whether the policy is Accepted=False under `ref`. */
  rejected(policy: KubeObject, ref: AncestorRef): boolean {
    const id = `${policy.kind}/${keyOf(policy.metadata)}`;
    return this.entries.get(id)?.ancestors.get(ancestorKey(ref))?.rejected !== undefined;
  }

  /** One status update per tracked policy, sorted by kind and `namespace/name`. */
  statuses(controllerName: string): StatusUpdate[] {
    return [...this.entries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => ({
        apiVersion: e.policy.apiVersion,
        kind: e.policy.kind,
        namespace: namespaceOf(e.policy.metadata),
        name: e.policy.metadata.name,
        status: { ancestors: truncate(e, controllerName) },
      }));
  }

  private ancestor(policy: KubeObject, ref: AncestorRef): AncestorEntry {
    const entry = this.track(policy);
    const key = ancestorKey(ref);
    let a = entry.ancestors.get(key);
    if (!a) {
      a = { ref, conditions: new Map() };
      entry.ancestors.set(key, a);
    }
    return a;
  }

  private cond(policy: KubeObject, type: string, ok: boolean, reason: string, message: string): Condition {
    return condition(type, ok, reason, message, policy.metadata.generation);
  }
}

/** Sort rank: not accepted first, then overridden, then the rest (Envoy Gateway's order). */
function rank(a: AncestorEntry): number {
  if (a.conditions.get(CondType.Accepted)?.status === "False") return 0;
  if (a.conditions.get(CondType.Overridden)?.status === "True") return 1;
  return 2;
}

function truncate(e: PolicyEntry, controllerName: string): unknown[] {
  const all = [...e.ancestors.entries()]
    .sort(([ka, a], [kb, b]) => rank(a) - rank(b) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, a]) => a);
  const kept = all.slice(0, MAX_ANCESTORS);
  const left = all.slice(MAX_ANCESTORS);
  return kept.map((a, i) => {
    const conditions = ordered(a);
    if (i === MAX_ANCESTORS - 1 && left.length > 0) {
      const names = left.map((l) => l.ref.name).join(", ");
      const message = `Ancestors have been aggregated because the number of policy ancestors exceeds ${MAX_ANCESTORS}. The aggregated ancestors: ${names}`;
      conditions.push(
        condition(CondType.Aggregated, true, PolicyReason.Aggregated, message, e.policy.metadata.generation),
      );
    }
    return { ancestorRef: { ...a.ref }, controllerName, conditions };
  });
}

/** Accepted first (its problems joined, within the API server's limit), then the others in the order they were set. */
function ordered(a: AncestorEntry): Condition[] {
  const conds = a.conditions;
  const set = conds.get(CondType.Accepted);
  const joined = a.rejected ? [...a.rejected.messages].join("; ") : undefined;
  const message = joined && joined.length > MAX_MESSAGE ? `${joined.slice(0, MAX_MESSAGE - 3)}...` : joined;
  const accepted = set && message !== undefined ? { ...set, message } : set;
  return [...(accepted ? [accepted] : []), ...[...conds.values()].filter((c) => c.type !== CondType.Accepted)];
}
