/**
 * The policy attachment engine, shared by every Envoy Gateway policy kind.
 *
 * Contract for a kind file (client-traffic.ts is the first; BackendTrafficPolicy, SecurityPolicy,
 * EnvoyExtensionPolicy follow the same steps):
 *
 * 1. Declare `PolicyKindRules`: the kind, its plural as Envoy Gateway's messages spell it, the target kinds it
 *    accepts, whether `spec.mergeType` is allowed.
 * 2. Call `attachPolicies(policies, rules, index, book)`. The engine sorts the policies (oldest first, then
 *    `namespace/name`), resolves `targetRef` / `targetRefs` / `targetSelectors` (targets.ts), reports what does
 *    not resolve (TargetNotFound, Invalid kind, unknown sectionName), settles conflicts (the older policy on the
 *    same target wins, the other is Accepted=False Conflicted), and marks the less specific winners
 *    Overridden, naming the more specific targets that override them. A kind that does not allow mergeType
 *    has a policy that sets it rejected here.
 * 3. Walk the enforcement points the kind configures — listeners (`forListener`) or route rules
 *    (`forRouteRule`) — and take the chain's head (the most specific winner) or, for mergeable kinds,
 *    `effectiveSpec(chain)` (route-level specs merged onto the Gateway-level one, with Merged conditions).
 * 4. Translate the winning spec to IR. Anything that cannot be applied — a field egts does not implement, a
 *    value Envoy would reject, a reference that does not resolve — is `book.reject(policy, ancestor,
 *    "Invalid", "<field path>: <why>")`, never ignored.
 * 5. Call `acceptRest(set, book, rules)`: every attachment not rejected becomes Accepted=True; a policy setting
 *    one of the kind's `deprecatedFields` gets a Warning condition (it still applies).
 *
 * Statuses are written once per translation from the book (ancestors.ts), through the status writer.
 */
import { keyOf, type KubeObject } from "../../resources/meta";
import type { GatewayState, ListenerState } from "../gateway";
import type { PolicyStatusBook } from "./ancestors";
import { mergeSpecs, type MergeType } from "./merge";
import { byAge, byPrecedence } from "./precedence";
import type { TargetIndex } from "./target-index";
import { resolveTargetsReusing } from "./target-memo";
import { PolicyReason } from "./targets";
import { SPECIFICITY, targetId, type Attachment, type PolicyKindRules, type ResolvedTarget } from "./types";

/** The attachments of one kind after precedence and conflicts, with lookups by enforcement point. */
export interface AttachmentSet<P extends KubeObject> {
  /** The winning attachment of every target, most specific first. */
  readonly winners: readonly Attachment<P>[];
  /** The winners that apply to one listener, most specific first (listener, ListenerSet, Gateway). */
  forListener(gw: GatewayState, l: ListenerState): Attachment<P>[];
  /**
   * The winners that apply to one rule of a route on one listener, most specific first (rule, route, then
   * the listener's chain).
   */
  forRouteRule(
    routeKind: string,
    routeKey: string,
    ruleName: string | undefined,
    gw: GatewayState,
    l: ListenerState,
  ): Attachment<P>[];
  /**
   * `Kind/namespace/name` of every route a winner targets (or one of whose rules it targets) when every winner
   * targets a route or rule; undefined when one targets a Gateway, listener or ListenerSet. A route not in the set
   * has an empty {@link forRouteRule} on every listener.
   */
  readonly routeTargets: ReadonlySet<string> | undefined;
  /** {@link forRouteRule} of the route `Kind/namespace/name` (the key built already). */
  forRule(routeId: string, rule: string | undefined, gw: GatewayState, l: ListenerState): Attachment<P>[];
}

/** Attaches the policies of one kind (steps 2 of the contract). */
export function attachPolicies<P extends KubeObject>(
  policies: readonly P[],
  rules: PolicyKindRules,
  index: TargetIndex,
  book: PolicyStatusBook,
): AttachmentSet<P> {
  const winners = new Map<string, Attachment<P>>();
  for (const policy of [...policies].sort(byAge)) {
    book.track(policy);
    const { attachments, problems } = resolveTargetsReusing(policy, rules, index);
    for (const p of problems) book.reject(policy, p.ancestor, p.reason, p.message);
    const mergeType = (policy.spec as { mergeType?: unknown } | undefined)?.mergeType;
    for (const a of attachments) {
      if (mergeType !== undefined && !rules.mergeable) {
        const message = `spec.mergeType: a ${rules.kind} cannot be merged (mergeType is for BackendTrafficPolicy and SecurityPolicy)`;
        for (const anc of a.target.ancestors) book.reject(policy, anc, PolicyReason.Invalid, message);
        continue;
      }
      const id = targetId(a.target);
      const first = winners.get(id);
      if (first) {
        for (const anc of a.target.ancestors)
          book.reject(
            policy,
            anc,
            PolicyReason.Conflicted,
            (rules.conflictMessage ?? conflictMessage)(rules, a.target),
          );
        continue;
      }
      winners.set(id, a);
    }
  }
  const sorted = [...winners.values()].sort(byPrecedence);
  markOverridden(sorted, rules, index, book);
  return new Attached(sorted, winners);
}

/**
 * Accepted=True on every winner's ancestors that no problem was reported on (step 5), and, as Envoy Gateway
 * does, a Warning condition on every winner's ancestors when its spec sets a deprecated field of the kind.
 */
export function acceptRest<P extends KubeObject>(
  set: AttachmentSet<P>,
  book: PolicyStatusBook,
  rules?: PolicyKindRules,
): void {
  for (const a of set.winners) {
    for (const anc of a.target.ancestors) book.accept(a.policy, anc);
    const message = deprecationMessage(a.policy.spec, rules?.deprecatedFields);
    if (message) for (const anc of a.target.ancestors) book.warn(a.policy, anc, PolicyReason.DeprecatedField, message);
  }
}

/**
 * Envoy Gateway's warning for the deprecated fields `spec` sets, sorted by field:
 * "spec.a is deprecated, use spec.b instead; ...". Undefined when it sets none.
 */
export function deprecationMessage(
  spec: unknown,
  deprecated: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const set = (key: string): boolean => {
    const [path, only] = key.split("=");
    const v = valueAt(spec, path);
    return only === undefined ? v !== undefined : String(v) === only;
  };
  const used = Object.keys(deprecated ?? {})
    .filter(set)
    .sort();
  if (used.length === 0) return undefined;
  const field = (key: string): string => key.split("=")[0];
  return used.map((p) => `spec.${field(p)} is deprecated, use spec.${(deprecated ?? {})[p]} instead`).join("; ");
}

/** The value at the dotted `path` below `root`, or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const k of path.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * The spec that applies at the head of `chain`: the head's own, or, when the head sets `mergeType`, the
 * head's spec merged onto the effective spec of the rest of the chain (its Merged condition is set here).
 */
export function effectiveSpec<P extends KubeObject>(chain: readonly Attachment<P>[], book: PolicyStatusBook): unknown {
  const [head, ...rest] = chain;
  if (!head) return undefined;
  const own = head.policy.spec as { mergeType?: MergeType } | undefined;
  const parent = rest[0];
  if (!own?.mergeType || !parent) return own;
  for (const anc of head.target.ancestors) {
    book.note(head.policy, anc, PolicyReason.Merged, `Merged with policy ${parent.policyKey}`);
  }
  const { mergeType, ...patch } = own;
  return mergeSpecs(mergeType, effectiveSpec(rest, book), withoutTargets(patch));
}

function withoutTargets(spec: Record<string, unknown>): Record<string, unknown> {
  const { targetRef: _r, targetRefs: _rs, targetSelectors: _s, ...rest } = spec;
  return rest;
}

function conflictMessage(rules: PolicyKindRules, t: ResolvedTarget): string {
  return t.sectionName !== undefined
    ? `Unable to target section of ${t.name}, another ${rules.kind} has already attached to it`
    : `Unable to target ${t.kind} ${t.name}, another ${rules.kind} has already attached to it`;
}

/** Whether `inner` lies within `outer` (a listener within its Gateway, a route within its listeners, …). */
function contains(outer: ResolvedTarget, inner: ResolvedTarget, index: TargetIndex): boolean {
  if (SPECIFICITY[inner.scope] <= SPECIFICITY[outer.scope]) return false;
  if (inner.kind === outer.kind && inner.key === outer.key) return outer.sectionName === undefined;
  if (outer.kind === "Gateway" && outer.sectionName === undefined) return inner.gateways.includes(outer.key);
  if (inner.scope !== "Route" && inner.scope !== "RouteRule") return false;
  // A route within a listener or ListenerSet: it attached there.
  const route = index.routes.get(`${inner.kind}/${inner.key}`);
  return (route?.listeners ?? []).some(({ gateway, listener }) => {
    const owner = `${listener.owner.namespace}/${listener.owner.name}`;
    if (outer.kind === "ListenerSet") {
      return (
        listener.owner.kind === "ListenerSet" &&
        owner === outer.key &&
        (outer.sectionName ?? listener.listener.name) === listener.listener.name
      );
    }
    return (
      gateway.key === outer.key && listener.owner.kind === "Gateway" && listener.listener.name === outer.sectionName
    );
  });
}

/** Overridden on every winner some more specific winner lies within, naming those (Envoy Gateway's wording). */
function markOverridden<P extends KubeObject>(
  winners: readonly Attachment<P>[],
  rules: PolicyKindRules,
  index: TargetIndex,
  book: PolicyStatusBook,
): void {
  // Candidates per outer target, so that a route's policy is compared with its own rules' only (not O(n²)).
  const byObject = new Map<string, Attachment<P>[]>();
  for (const w of winners) {
    const k = `${w.target.kind}/${w.target.key}`;
    byObject.set(k, [...(byObject.get(k) ?? []), w]);
  }
  const routeLevel = winners.filter((w) => isRoute(w.target));
  const candidates = (t: ResolvedTarget): readonly Attachment<P>[] => {
    if (t.scope === "Route") return byObject.get(`${t.kind}/${t.key}`) ?? [];
    if (t.scope === "RouteRule") return [];
    if (t.kind === "Gateway" && t.sectionName === undefined) return winners;
    return [...(byObject.get(`${t.kind}/${t.key}`) ?? []), ...routeLevel];
  };
  for (const outer of winners) {
    const inner = candidates(outer.target).filter(
      (w) => w.policyKey !== outer.policyKey && contains(outer.target, w.target, index),
    );
    if (inner.length === 0) continue;
    const listeners = [...new Set(inner.filter((w) => !isRoute(w.target)).map((w) => sectionLabel(w.target)))].sort();
    const routes = [...new Set(inner.filter((w) => isRoute(w.target)).map((w) => w.target.key))].sort();
    const message = (rules.overriddenMessage ?? defaultOverridden)(rules, listeners, routes);
    for (const anc of outer.target.ancestors) book.note(outer.policy, anc, PolicyReason.Overridden, message);
  }
}

function isRoute(t: ResolvedTarget): boolean {
  return t.scope === "Route" || t.scope === "RouteRule";
}

/** A Gateway's listener by its name (as Envoy Gateway lists sections); a ListenerSet or its listener in full. */
function sectionLabel(t: ResolvedTarget): string {
  if (t.kind === "Gateway" && t.sectionName !== undefined) return t.sectionName;
  return `${t.kind}/${t.key}${t.sectionName !== undefined ? `/${t.sectionName}` : ""}`;
}

/** Go's `%v` of a string slice. */
export function goList(items: readonly string[]): string {
  return `[${items.join(" ")}]`;
}

function defaultOverridden(rules: PolicyKindRules, listeners: readonly string[], routes: readonly string[]): string {
  const parts = [
    ...(listeners.length > 0 ? [`these listeners: ${goList(listeners)}`] : []),
    ...(routes.length > 0 ? [`these routes: ${goList(routes)}`] : []),
  ];
  return `This policy is being overridden by other ${rules.plural} for ${parts.join(" and ")}`;
}

class Attached<P extends KubeObject> implements AttachmentSet<P> {
  readonly routeTargets: ReadonlySet<string> | undefined;
  /** The chain of each Gateway listener (looked up once per listener). */
  private readonly listenerChains = new Map<GatewayState, Map<ListenerState, Attachment<P>[]>>();

  constructor(
    readonly winners: readonly Attachment<P>[],
    private readonly byTarget: ReadonlyMap<string, Attachment<P>>,
  ) {
    const routeLevel = winners.every((w) => w.target.scope === "Route" || w.target.scope === "RouteRule");
    this.routeTargets = routeLevel ? new Set(winners.map((w) => `${w.target.kind}/${w.target.key}`)) : undefined;
  }

  forListener(gw: GatewayState, l: ListenerState): Attachment<P>[] {
    return [...this.listenerChain(gw, l)];
  }

  forRouteRule(
    kind: string,
    key: string,
    rule: string | undefined,
    gw: GatewayState,
    l: ListenerState,
  ): Attachment<P>[] {
    return this.forRule(`${kind}/${key}`, rule, gw, l);
  }

  forRule(routeId: string, rule: string | undefined, gw: GatewayState, l: ListenerState): Attachment<P>[] {
    const out: Attachment<P>[] = [];
    const ofRule = rule !== undefined ? this.byTarget.get(`${routeId}#${rule}`) : undefined;
    if (ofRule) out.push(ofRule);
    const ofRoute = this.byTarget.get(routeId);
    if (ofRoute) out.push(ofRoute);
    // With route-level winners only, no listener has a chain.
    if (this.routeTargets === undefined) out.push(...this.listenerChain(gw, l));
    return out;
  }

  /** The winners of a listener, most specific first (listener, ListenerSet, Gateway); shared: not to be changed. */
  private listenerChain(gw: GatewayState, l: ListenerState): readonly Attachment<P>[] {
    let chains = this.listenerChains.get(gw);
    if (!chains) this.listenerChains.set(gw, (chains = new Map()));
    let chain = chains.get(l);
    if (!chain) {
      const name = l.listener.name;
      const ids =
        l.owner.kind === "ListenerSet"
          ? [
              `ListenerSet/${l.owner.namespace}/${l.owner.name}#${name}`,
              `ListenerSet/${l.owner.namespace}/${l.owner.name}`,
            ]
          : [`Gateway/${gw.key}#${name}`];
      chain = this.pick([...ids, `Gateway/${gw.key}`]);
      chains.set(l, chain);
    }
    return chain;
  }

  private pick(ids: readonly string[]): Attachment<P>[] {
    return ids.map((id) => this.byTarget.get(id)).filter((a): a is Attachment<P> => a !== undefined);
  }
}

/** `namespace/name` of an object. */
export const policyKey = (o: KubeObject): string => keyOf(o.metadata);
