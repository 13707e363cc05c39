/**
 * Target resolution: a policy's `targetRef`, `targetRefs` and `targetSelectors` → the objects of ours it
 * attaches to, each with its scope (how specific it is) and the ancestors its status goes under. Targets are
 * in the policy's own namespace (Envoy Gateway's local references have no namespace). A reference to an
 * object that exists but is not ours (another controller's Gateway, a route attached to none of our
 * Gateways) is left to its controller; a reference that does not resolve at all is reported.
 */
import type { LocalPolicyTargetReferenceWithSectionName, TargetSelector } from "../../resources/envoy-gateway-policies";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import { selectorMatches } from "../../resources/labels";
import { keyOf, namespaceOf, type KubeObject } from "../../resources/meta";
import { ownListeners, type GatewayState, type ListenerSetState, type ListenerState } from "../gateway";
import { gatewayAncestor, listenerSetAncestor, ROUTE_KINDS, type RouteTarget } from "./target-index";
import { targetId, type AncestorRef, type Attachment, type PolicyKindRules, type ResolvedTarget } from "./types";

/** Gateway API policy reasons (Accepted=False) and Envoy Gateway's additions. */
export const PolicyReason = {
  Accepted: "Accepted",
  Invalid: "Invalid",
  Conflicted: "Conflicted",
  TargetNotFound: "TargetNotFound",
  Overridden: "Overridden",
  Merged: "Merged",
  Aggregated: "Aggregated",
  Disabled: "Disabled",
  DeprecatedField: "DeprecatedField",
  MultipleWarnings: "MultipleWarnings",
} as const;

/** A reference that could not be used, reported under `ancestor`. */
export interface TargetProblem {
  /** Where the status goes (the target itself when it does not exist). */
  readonly ancestor: AncestorRef;
  /** Invalid or TargetNotFound. */
  readonly reason: string;
  /** What is wrong, naming the field. */
  readonly message: string;
}

/** What a policy's references came to. */
export interface ResolvedTargets<P extends KubeObject> {
  /** One attachment per distinct target. */
  readonly attachments: readonly Attachment<P>[];
  /** References that could not be used. */
  readonly problems: readonly TargetProblem[];
}

/** The spec fields every policy kind uses to name targets. */
interface Targeting {
  readonly targetRef?: LocalPolicyTargetReferenceWithSectionName;
  readonly targetRefs?: readonly LocalPolicyTargetReferenceWithSectionName[];
  readonly targetSelectors?: readonly TargetSelector[];
}

type RefResult = ResolvedTarget | TargetProblem | undefined;

/** What resolving a policy's references reads (the target index, or a recorder in front of it: target-memo.ts). */
export interface TargetReads {
  /** The route `Kind/namespace/name`, with where it attached. */
  route(id: string): RouteTarget | undefined;
  /** Our accepted Gateway `namespace/name`. */
  gateway(key: string): GatewayState | undefined;
  /** The attached ListenerSet `namespace/name`, with its Gateway. */
  listenerSet(key: string): { readonly set: ListenerSetState; readonly gateway: GatewayState } | undefined;
  /** Whether an object `kind` `namespace/name` exists (ours or not). */
  has(kind: string, key: string): boolean;
  /** Candidates for a label selector (see TargetIndex.candidates). */
  candidates(
    kind: string,
    namespace: string,
    matchLabels: Readonly<Record<string, string>> | undefined,
  ): readonly KubeObject[];
}

/** Resolves every reference of one policy. */
export function resolveTargets<P extends KubeObject>(
  policy: P,
  rules: PolicyKindRules,
  index: TargetReads,
): ResolvedTargets<P> {
  const spec = (policy.spec ?? {}) as Targeting;
  const ns = namespaceOf(policy.metadata);
  const refs: { ref: LocalPolicyTargetReferenceWithSectionName; field: string; selected: boolean }[] = [];
  if (spec.targetRef) refs.push({ ref: spec.targetRef, field: "spec.targetRef", selected: false });
  (spec.targetRefs ?? []).forEach((ref, i) => refs.push({ ref, field: `spec.targetRefs[${i}]`, selected: false }));
  (spec.targetSelectors ?? []).forEach((sel, i) => {
    for (const o of selected(sel, ns, index)) {
      const ref = { group: sel.group ?? GATEWAY_API_GROUP, kind: sel.kind, name: o.metadata.name };
      refs.push({ ref, field: `spec.targetSelectors[${i}]`, selected: true });
    }
  });
  const attachments: Attachment<P>[] = [];
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  for (const { ref, field, selected: bySelector } of refs) {
    const r = resolveRef(ref, field, ns, rules, index);
    if (r === undefined) continue;
    if ("reason" in r) {
      if (!bySelector) problems.push(r);
      continue;
    }
    const id = targetId(r);
    if (seen.has(id)) continue;
    seen.add(id);
    attachments.push({ policy, policyKey: keyOf(policy.metadata), target: r, field });
  }
  return { attachments, problems };
}

function selected(sel: TargetSelector, ns: string, index: TargetReads): KubeObject[] {
  if ((sel.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP) return [];
  return index
    .candidates(sel.kind, ns, sel.matchLabels)
    .filter((o) => namespaceOf(o.metadata) === ns && selectorMatches(sel, o.metadata.labels ?? {}));
}

function resolveRef(
  ref: LocalPolicyTargetReferenceWithSectionName,
  field: string,
  ns: string,
  rules: PolicyKindRules,
  index: TargetReads,
): RefResult {
  // Where a problem with the reference itself is reported (built only then).
  const self = (): AncestorRef => ({
    group: ref.group,
    kind: ref.kind,
    namespace: ns,
    name: ref.name,
    ...(ref.sectionName !== undefined ? { sectionName: ref.sectionName } : {}),
  });
  if (ref.group !== GATEWAY_API_GROUP || !rules.targetKinds.includes(ref.kind)) {
    const allowed = rules.targetKinds.join(", ");
    const message = `${field}: a ${rules.kind} cannot target ${ref.group || "core"} ${ref.kind} (it targets ${allowed} of group ${GATEWAY_API_GROUP})`;
    return { ancestor: self(), reason: "Invalid", message };
  }
  const key = `${ns}/${ref.name}`;
  if (ref.kind === "Gateway" || ref.kind === "ListenerSet") {
    return sectionedTarget({ kind: ref.kind, key, section: ref.sectionName }, field, self, index);
  }
  if ((ROUTE_KINDS as readonly string[]).includes(ref.kind)) {
    return routeTarget({ kind: ref.kind, key, section: ref.sectionName }, field, self, index);
  }
  return { ancestor: self(), reason: "Invalid", message: `${field}: kind ${ref.kind} cannot be a policy target` };
}

function notFound(field: string, kind: string, key: string, self: () => AncestorRef, index: TargetReads): RefResult {
  // An object that exists but is not ours (another controller's, or attached to none of our Gateways).
  if (index.has(kind, key)) return undefined;
  return { ancestor: self(), reason: "TargetNotFound", message: `${field}: ${kind} ${key} not found` };
}

function noSection(field: string, section: string, kind: string, key: string, ancestor: AncestorRef): TargetProblem {
  return {
    ancestor,
    reason: "Invalid",
    message: `${field}: No section name ${section} found for ${kind} ${key}`,
  };
}

/** A Gateway or ListenerSet of ours, as a (possibly sectioned) reference sees it. */
interface ListenerOwner {
  /** Its own name. */
  readonly name: string;
  /** The listeners a sectionName may name (a Gateway's own, not its ListenerSets'). */
  readonly listeners: readonly ListenerState[];
  /** `namespace/name` of the Gateway it belongs to (itself for a Gateway). */
  readonly gateway: string;
  /** Where the policy's status goes. */
  readonly ancestor: AncestorRef;
}

/** The Gateway or ListenerSet `key` names, if it is ours. */
function listenerOwner(
  kind: "Gateway" | "ListenerSet",
  key: string,
  section: string | undefined,
  index: TargetReads,
): ListenerOwner | undefined {
  if (kind === "Gateway") {
    const gw = index.gateway(key);
    if (!gw) return undefined;
    return {
      name: gw.gateway.metadata.name,
      listeners: ownListeners(gw),
      gateway: key,
      ancestor: gatewayAncestor(key, section),
    };
  }
  const found = index.listenerSet(key);
  if (!found) return undefined;
  return {
    name: found.set.listenerSet.metadata.name,
    listeners: found.set.listeners,
    gateway: found.gateway.key,
    ancestor: listenerSetAncestor(key, section),
  };
}

/** A reference to a Gateway or ListenerSet, whole or one listener of it (`sectionName`). */
function sectionedTarget(
  { kind, key, section }: { kind: "Gateway" | "ListenerSet"; key: string; section: string | undefined },
  field: string,
  self: () => AncestorRef,
  index: TargetReads,
): RefResult {
  const owner = listenerOwner(kind, key, section, index);
  if (!owner) return notFound(field, kind, key, self, index);
  if (section !== undefined && !owner.listeners.some((l) => l.listener.name === section)) {
    return noSection(field, section, kind, key, owner.ancestor);
  }
  return {
    scope: section === undefined ? kind : "Listener",
    kind,
    key,
    name: owner.name,
    ...(section !== undefined ? { sectionName: section } : {}),
    ancestors: [owner.ancestor],
    gateways: [owner.gateway],
  };
}

function routeTarget(
  { kind, key, section }: { kind: string; key: string; section: string | undefined },
  field: string,
  self: () => AncestorRef,
  index: TargetReads,
): RefResult {
  const route = index.route(`${kind}/${key}`);
  if (!route) return notFound(field, kind, key, self, index);
  const { gateways, ancestors } = route;
  if (gateways.length === 0) return undefined; // attached to none of our Gateways: not ours to report
  if (section !== undefined && !(route.route.spec?.rules ?? []).some((r) => r.name === section)) {
    return { ...noSection(field, section, kind, key, ancestors[0]), ancestor: ancestors[0] };
  }
  return {
    scope: section === undefined ? "Route" : "RouteRule",
    kind,
    key,
    name: route.route.metadata.name,
    ...(section !== undefined ? { sectionName: section } : {}),
    ancestors,
    gateways,
  };
}
