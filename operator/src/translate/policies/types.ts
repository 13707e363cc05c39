/** Shapes shared by the policy attachment engine and the per-kind files (see engine.ts for the contract). */
import type { KubeObject } from "../../resources/meta";

/**
 * What a target reference resolves to, from least to most specific. Precedence compares these ranks: a
 * route rule beats its route, which beats a listener, which beats a ListenerSet, which beats a Gateway.
 */
export type TargetScope = "Gateway" | "ListenerSet" | "Listener" | "Route" | "RouteRule";

/** Rank of each scope: higher is more specific. */
export const SPECIFICITY: Readonly<Record<TargetScope, number>> = {
  Gateway: 0,
  ListenerSet: 1,
  Listener: 2,
  Route: 3,
  RouteRule: 4,
};

/** An ancestor a policy's status is reported under (a Gateway API ParentReference). */
export interface AncestorRef {
  /** API group. */
  readonly group: string;
  /** Kind: Gateway or ListenerSet. */
  readonly kind: string;
  /** Namespace. */
  readonly namespace: string;
  /** Name. */
  readonly name: string;
  /** A listener, when the policy targets one. */
  readonly sectionName?: string;
}

/** A target reference that resolved to an object of ours. */
export interface ResolvedTarget {
  /** How specific it is. */
  readonly scope: TargetScope;
  /** Kind of the targeted object (Gateway, ListenerSet, HTTPRoute, …). */
  readonly kind: string;
  /** `namespace/name` of the targeted object. */
  readonly key: string;
  /** Name of the targeted object. */
  readonly name: string;
  /** The listener or rule name, for Listener and RouteRule scopes. */
  readonly sectionName?: string;
  /** Where the status of this attachment is written (the Gateway, ListenerSet, or the route's Gateways). */
  readonly ancestors: readonly AncestorRef[];
  /** `namespace/name` of the Gateways whose proxies the target affects. */
  readonly gateways: readonly string[];
}

/** Identity of a target: two attachments with the same identity conflict. */
export function targetId(t: Pick<ResolvedTarget, "kind" | "key" | "sectionName">): string {
  return `${t.kind}/${t.key}${t.sectionName !== undefined ? `#${t.sectionName}` : ""}`;
}

/** One policy attached to one target. */
export interface Attachment<P extends KubeObject = KubeObject> {
  /** The policy. */
  readonly policy: P;
  /** `namespace/name` of the policy. */
  readonly policyKey: string;
  /** The target. */
  readonly target: ResolvedTarget;
  /** Field path of the reference that named it, e.g. `spec.targetRefs[1]` or `spec.targetSelectors[0]`. */
  readonly field: string;
}

/** The status-relevant facts of a policy kind the engine needs; each kind file declares one. */
export interface PolicyKindRules {
  /** The kind, e.g. ClientTrafficPolicy. */
  readonly kind: string;
  /** Lower camel plural used in Envoy Gateway's messages, e.g. clientTrafficPolicies. */
  readonly plural: string;
  /** Target kinds (of group gateway.networking.k8s.io) this kind accepts, e.g. Gateway and ListenerSet. */
  readonly targetKinds: readonly string[];
  /** Whether `spec.mergeType` is allowed (route-level policies merged onto the Gateway-level one). */
  readonly mergeable: boolean;
  /**
   * The Overridden message, given the overriding listeners (section names) and routes (`namespace/name`).
   * @default "This policy is being overridden by other <plural> for these listeners: [..] and these routes: [..]"
   */
  readonly overriddenMessage?: (
    rules: PolicyKindRules,
    listeners: readonly string[],
    routes: readonly string[],
  ) => string;
  /**
   * The Conflicted message for a second policy on the same target.
   * @default "Unable to target <Kind> <name>, another <kind> has already attached to it" (a section: "section of <name>")
   */
  readonly conflictMessage?: (rules: PolicyKindRules, target: ResolvedTarget) => string;
  /**
   * Deprecated spec fields (`a.b` paths below spec) and the field to use instead. A policy that sets one still
   * works; as Envoy Gateway does, each of its ancestors carries a Warning condition (reason DeprecatedField)
   * saying so. A path ending in `=true` counts only when the field is true (Envoy Gateway's non-pointer
   * booleans, whose `false` it cannot tell from unset). @default none
   */
  readonly deprecatedFields?: Readonly<Record<string, string>>;
}
