/**
 * EnvoyPatchPolicy: which node's Envoy resources each policy patches, and its Accepted condition, as Envoy
 * Gateway decides them. A policy targets a Gateway in its namespace, or a GatewayClass whose Gateways are merged
 * (mergeGateways); it is Disabled unless the EnvoyGateway configuration enables the kind
 * (extensionApis.enableEnvoyPatchPolicy). The patches themselves run on the built Envoy resources
 * (operator/src/xds/patch/); their outcome is the policy's Programmed condition (xds/patch/status.ts).
 */
import type { JsonPatchIr, PatchPolicyIr } from "../../ir/patch-ir";
import type { GatewayXdsIr } from "../../ir/xds-ir";
import type { EnvoyJSONPatchConfig, EnvoyPatchPolicySpec } from "../../resources/envoy-patch-policy";
import { GATEWAY_API_GROUP } from "../../resources/gateway-api";
import { namespaceOf, type KubeObject } from "../../resources/meta";
import type { ExtensionApiGates } from "../extension-gates";
import type { PolicyStatusBook } from "./ancestors";
import type { TargetIndex } from "./target-index";
import { PolicyReason } from "./targets";
import type { AncestorRef } from "./types";

/** Envoy Gateway's message on an EnvoyPatchPolicy when the configuration does not enable the kind. */
export const ENVOY_PATCH_POLICY_DISABLED = "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration";

/** What deciding the patch policies needs besides the policies. */
export interface PatchPolicyContext {
  /** EnvoyGateway extensionApis switches. */
  readonly gates: ExtensionApiGates;
  /** GatewayClasses whose Gateways share one node (mergeGateways). */
  readonly merged: ReadonlySet<string>;
}

/** Accepted patch policies per node name, each list in application order. */
export type NodePatches = ReadonlyMap<string, readonly PatchPolicyIr[]>;

/**
 * Decides every EnvoyPatchPolicy's node and Accepted condition, in Envoy Gateway's order: priority (ascending),
 * then creation timestamp, then `namespace/name`.
 */
export function attachPatchPolicies(
  policies: readonly KubeObject[],
  index: TargetIndex,
  book: PolicyStatusBook,
  ctx: PatchPolicyContext,
): NodePatches {
  const byNode = new Map<string, PatchPolicyIr[]>();
  for (const p of [...policies].sort(byPriority)) {
    const accepted = attachOne(p, index, book, ctx);
    if (!accepted) continue;
    const list = byNode.get(accepted.node) ?? [];
    list.push(accepted.ir);
    byNode.set(accepted.node, list);
  }
  return byNode;
}

/** The nodes with their accepted patch policies. */
export function applyPatchPolicies(xds: readonly GatewayXdsIr[], patches: NodePatches): GatewayXdsIr[] {
  return xds.map((ir) => {
    const list = patches.get(ir.name);
    return list && list.length > 0 ? { ...ir, patches: list } : ir;
  });
}

/** Envoy Gateway's provider order: priority, creation timestamp, then name. */
function byPriority(a: KubeObject, b: KubeObject): number {
  const pa = (a.spec as EnvoyPatchPolicySpec | undefined)?.priority ?? 0;
  const pb = (b.spec as EnvoyPatchPolicySpec | undefined)?.priority ?? 0;
  if (pa !== pb) return pa - pb;
  const ta = Date.parse(a.metadata.creationTimestamp ?? "") || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? "") || 0;
  if (ta !== tb) return ta - tb;
  const ka = `${namespaceOf(a.metadata)}/${a.metadata.name}`;
  const kb = `${namespaceOf(b.metadata)}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** One policy's node and IR when accepted; otherwise its status says why (or, not ours, nothing). */
function attachOne(
  p: KubeObject,
  index: TargetIndex,
  book: PolicyStatusBook,
  ctx: PatchPolicyContext,
): { node: string; ir: PatchPolicyIr } | undefined {
  book.track(p);
  const spec = p.spec as EnvoyPatchPolicySpec | undefined;
  const ref = spec?.targetRef;
  if (!ref?.name) return undefined;
  const ns = namespaceOf(p.metadata);
  const group = ref.group ?? GATEWAY_API_GROUP;
  const kind = ref.kind ?? "Gateway";
  const target = resolveTarget(ns, ref.name, kind, index, ctx);
  if (target === "not-ours") return undefined;
  if ("missing" in target) {
    book.reject(p, target.ancestor, PolicyReason.TargetNotFound, target.missing);
    return undefined;
  }
  const { ancestor, node, targetKind } = target;
  if ("invalid" in target) {
    book.reject(p, ancestor, PolicyReason.Invalid, target.invalid);
    return undefined;
  }
  if (ctx.gates.enableEnvoyPatchPolicy !== true) {
    book.reject(p, ancestor, PolicyReason.Disabled, ENVOY_PATCH_POLICY_DISABLED);
    return undefined;
  }
  if (group !== GATEWAY_API_GROUP || kind !== targetKind) {
    const message =
      `TargetRef.Group:${group} TargetRef.Kind:${kind}, only TargetRef.Group:${GATEWAY_API_GROUP} and ` +
      `TargetRef.Kind:${targetKind} is supported.`;
    book.reject(p, ancestor, PolicyReason.Invalid, message);
    return undefined;
  }
  book.accept(p, ancestor);
  const ir: PatchPolicyIr = {
    namespace: ns,
    name: p.metadata.name,
    ...(p.metadata.generation !== undefined ? { generation: p.metadata.generation } : {}),
    ancestor,
    patches: (spec?.jsonPatches ?? []).map(patchIr),
  };
  return { node, ir };
}

type Target =
  | "not-ours"
  | { readonly ancestor: AncestorRef; readonly missing: string }
  | { readonly ancestor: AncestorRef; readonly node: string; readonly targetKind: string; readonly invalid: string }
  | { readonly ancestor: AncestorRef; readonly node: string; readonly targetKind: string };

/**
 * The node a target names. A Gateway of a merged class is not a target of its own (Envoy Gateway then expects
 * the GatewayClass); a GatewayClass is one only when its Gateways are merged.
 */
function resolveTarget(ns: string, name: string, kind: string, index: TargetIndex, ctx: PatchPolicyContext): Target {
  if (kind === "GatewayClass") {
    const ancestor: AncestorRef = { group: GATEWAY_API_GROUP, kind, namespace: ns, name };
    if (ctx.merged.has(name) && [...index.gateways.values()].some((g) => g.gateway.spec.gatewayClassName === name)) {
      return { ancestor, node: name, targetKind: "GatewayClass" };
    }
    const message = `TargetRef.Group:${GATEWAY_API_GROUP} TargetRef.Kind:${kind} TargetRef.Namespace:${ns} TargetRef.Name:${name} not found or not accepted (MergeGateways=${ctx.merged.has(name)}).`;
    return { ancestor, node: name, targetKind: "GatewayClass", invalid: message };
  }
  const ancestor: AncestorRef = { group: GATEWAY_API_GROUP, kind: "Gateway", namespace: ns, name };
  const gw = index.gateways.get(`${ns}/${name}`);
  if (!gw) {
    const exists = (index.byKind.get("Gateway") ?? []).some(
      (g) => namespaceOf(g.metadata) === ns && g.metadata.name === name,
    );
    return exists ? "not-ours" : { ancestor, missing: `spec.targetRef: Gateway ${ns}/${name} not found` };
  }
  const cls = gw.gateway.spec.gatewayClassName;
  return ctx.merged.has(cls)
    ? { ancestor, node: cls, targetKind: "GatewayClass" }
    : { ancestor, node: `${ns}/${name}`, targetKind: "Gateway" };
}

function patchIr(p: EnvoyJSONPatchConfig): JsonPatchIr {
  const o = p.operation;
  return {
    type: p.type,
    name: p.name,
    op: o.op,
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.jsonPath !== undefined ? { jsonPath: o.jsonPath } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    hasValue: o.value !== undefined,
    ...(o.value !== undefined ? { value: o.value } : {}),
  };
}
