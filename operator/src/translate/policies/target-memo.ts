/**
 * A policy's resolved targets reused across translations (ADR 0025): what `resolveTargets` gives a policy depends
 * only on the policy object and on what it read from the target index: the routes it named (their object and the
 * Gateways they attached to), the Gateways and ListenerSets it named (their names and listener names), whether an
 * object it named exists, and the candidates of its label selectors. Each read is recorded with a check that
 * compares it with a later translation's index; when the policy object is the same and every check holds, the last
 * translation's result (the same Attachment objects) is returned, else the policy is resolved again.
 *
 * The Gateways of a route are compared by identity: the target index hands out the same array while the list of
 * Gateways is equal (target-index.ts). Everything else the engine does with the attachments (conflicts,
 * Overridden, statuses) is made again in each translation, so the translation stays a pure function of the snapshot.
 */
import type { KubeObject } from "../../resources/meta";
import { ownListeners, type GatewayState, type ListenerSetState } from "../gateway";
import { sameItems } from "./copy";
import type { RouteTarget, TargetIndex } from "./target-index";
import { resolveTargets, type ResolvedTargets, type TargetReads } from "./targets";
import type { PolicyKindRules } from "./types";

/** Whether `index` answers one recorded read as the index it was recorded on did. */
type Check = (index: TargetIndex) => boolean;

interface Entry {
  readonly rules: PolicyKindRules;
  readonly checks: readonly Check[];
  readonly result: ResolvedTargets<KubeObject>;
}

const MEMO = new WeakMap<KubeObject, Entry>();
let reused = 0;

/** How many policies' targets were reused so far, over every translation (tests compare before and after). */
export function reusedTargetResolutions(): number {
  return reused;
}

/** `resolveTargets` of `policy` on `index`, the last translation's result when nothing it read changed. */
export function resolveTargetsReusing<P extends KubeObject>(
  policy: P,
  rules: PolicyKindRules,
  index: TargetIndex,
): ResolvedTargets<P> {
  const known = MEMO.get(policy);
  if (known && known.rules === rules && known.checks.every((check) => check(index))) {
    reused++;
    return known.result as ResolvedTargets<P>;
  }
  const recorder = new Recorder(index);
  const result = resolveTargets(policy, rules, recorder);
  MEMO.set(policy, { rules, checks: recorder.checks, result });
  return result;
}

/** The names a Gateway target reads: its own and its listeners'. */
function gatewayPrint(gw: GatewayState | undefined): string | undefined {
  return gw && [gw.gateway.metadata.name, ...ownListeners(gw).map((l) => l.listener.name)].join("\n");
}

/** The names a ListenerSet target reads: its own, its Gateway's and its listeners'. */
function listenerSetPrint(
  found: { readonly set: ListenerSetState; readonly gateway: GatewayState } | undefined,
): string | undefined {
  if (!found) return undefined;
  const { set, gateway } = found;
  return [set.listenerSet.metadata.name, gateway.key, ...set.listeners.map((l) => l.listener.name)].join("\n");
}

/** The target index, recording a check for every read. */
class Recorder implements TargetReads {
  readonly checks: Check[] = [];

  constructor(private readonly index: TargetIndex) {}

  route(id: string): RouteTarget | undefined {
    const r = this.index.route(id);
    const route = r?.route;
    const gateways = r?.gateways;
    this.checks.push((index) => {
      const now = index.route(id);
      return now?.route === route && now?.gateways === gateways;
    });
    return r;
  }

  gateway(key: string): GatewayState | undefined {
    const gw = this.index.gateway(key);
    const print = gatewayPrint(gw);
    this.checks.push((index) => gatewayPrint(index.gateway(key)) === print);
    return gw;
  }

  listenerSet(key: string): { readonly set: ListenerSetState; readonly gateway: GatewayState } | undefined {
    const found = this.index.listenerSet(key);
    const print = listenerSetPrint(found);
    this.checks.push((index) => listenerSetPrint(index.listenerSet(key)) === print);
    return found;
  }

  has(kind: string, key: string): boolean {
    const exists = this.index.has(kind, key);
    this.checks.push((index) => index.has(kind, key) === exists);
    return exists;
  }

  candidates(
    kind: string,
    namespace: string,
    matchLabels: Readonly<Record<string, string>> | undefined,
  ): readonly KubeObject[] {
    const found = this.index.candidates(kind, namespace, matchLabels);
    this.checks.push((index) => sameItems(index.candidates(kind, namespace, matchLabels), found));
    return found;
  }
}
