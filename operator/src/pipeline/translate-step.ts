/** Snapshot → cache update: translate, validate the IR, build Envoy resources, set them per node. */
import { validateXdsIr } from "../ir/validate";
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { translate, type TranslateOptions, type TranslateResult } from "../translate/translate";
import type { XdsCache } from "../xds/cache/snapshot-cache";
import { withPolicyConditions } from "../xds/patch/status";
import { buildNodeResources, type LaidOutResources, type NodeResources } from "../xds/translate/resources";
import type { RouteLayout } from "../xds/translate/vhds";
import { layOut } from "../xds/translate/layout";
import type { OlderEnvoys } from "../xds/server/older-envoys";
import { env } from "../config/env";
import type { ExtensionHookStage, HookOutcome } from "./extension-hooks";
import type { HookPhase } from "../extension/hooks";
import { patchNode, type PatchStep } from "./patch-step";
import type { PatchChecker } from "./patch-validation";
import { inStage, STAGES, type PassTrace } from "../traces/pass-trace";

/** The optional stages between building a node's resources and publishing them. */
export interface PublishStages {
  /** The extension server's hooks (with `extensionManager`). */
  readonly hooks?: ExtensionHookStage;
  /** Envoy's check of EnvoyPatchPolicy results (with an Envoy binary). */
  readonly checker?: PatchChecker;
  /** The pass's spans (EnvoyGateway `telemetry.traces`): translation, each node's build and publish. @default none */
  readonly trace?: PassTrace;
  /**
   * How route configurations reach Envoy (ADR 0008, 0020, 0031, 0032). @default `EGTS_ROUTE_LAYOUT`, else scoped (in
   * both modes since ADR 0032: Envoy 1.40 starts a scoped subscription whenever a listener brings it, so a controller
   * restarted under running proxies may scope what they hold over RDS)
   */
  readonly routeLayout?: RouteLayout;
  /**
   * Nodes with a connected Envoy older than 1.38 (the xDS server's): laid out inline instead of scoped, and reported
   * published (ADR 0032). @default none
   */
  readonly olderEnvoys?: Pick<OlderEnvoys, "has" | "published">;
}

/** Outcome of one pass, for logs and tests. */
export interface PassResult {
  /** The translator's output. */
  readonly result: TranslateResult;
  /** Gateways whose IR failed validation or whose Envoy resources failed to build (kept on their previous config). */
  readonly invalid: readonly { readonly name: string; readonly problems: readonly string[] }[];
  /**
   * Gateways kept on their previous resources by the extension server stage: its hooks are still running for
   * this input, or failed without failOpen (`error`).
   */
  readonly held: readonly { readonly name: string; readonly error?: string }[];
  /** Milliseconds spent translating and building. */
  readonly ms: number;
  /** Nodes whose patched resources Envoy is still checking (published as before their patches). */
  readonly patchesPending: readonly string[];
}

/**
 * Runs one translation and publishes it. A Gateway whose IR does not validate, or whose Envoy resources
 * fail to build, keeps its previous resources and the others are published; Gateways that disappeared are
 * removed from the cache. `bindPort(node)` says how the proxies of a node bind their listener ports
 * (undefined: as they are). Per node, in Envoy Gateway's order: the extension server's resource hooks (`stages.hooks`,
 * extension-hooks.ts: Route, VirtualHost, Cluster, Endpoints, HTTPListener), then the node's EnvoyPatchPolicies
 * (patch-step.ts; `stages.checker`: Envoy checks the patched resources first; their Programmed conditions join the
 * statuses), then the extension server's PostTranslateModify. A node whose hooks have not answered yet, or failed
 * without failOpen, keeps its previous resources.
 */
export function translateAndPublish(
  snapshot: ResourceSnapshot,
  cache: XdsCache,
  opts: TranslateOptions,
  bindPort?: (node: string) => ((port: number) => number) | undefined,
  stages: PublishStages = {},
): PassResult {
  const { hooks, checker, trace } = stages;
  const layout = stages.routeLayout ?? env().routeLayout ?? "scoped";
  const t0 = performance.now();
  const translated = inStage(trace, STAGES.translate, () => translate(snapshot, opts));
  const invalid: { name: string; problems: string[] }[] = [];
  const held: { name: string; error?: string }[] = [];
  const live = new Set<string>();
  const patches: PatchStep[] = [];
  for (const ir of translated.xdsIr) {
    live.add(ir.name);
    const built = inStage(trace, STAGES.build, () => buildNode(ir, bindPort), { gateway: ir.name });
    if (Array.isArray(built)) {
      invalid.push({ name: ir.name, problems: built });
      continue;
    }
    const hooked = hookPhase(hooks, "resources", ir, built);
    if (hooked.kind !== "ready") {
      held.push(heldNode(ir.name, hooked));
      continue;
    }
    const step = patchNode(ir, hooked.resources, checker);
    patches.push(step);
    // Envoy still checking the patches: the node keeps what it has (or, new, goes on unpatched).
    const patched = step.resources ?? (cache.getNode(ir.name) ? undefined : hooked.resources);
    if (!patched) continue;
    const translatedHooks = hookPhase(hooks, "translation", ir, patched);
    if (translatedHooks.kind === "ready") publishNode(ir.name, translatedHooks.resources, cache, layout, stages);
    else held.push(heldNode(ir.name, translatedHooks));
  }
  for (const node of cache.nodeIds()) {
    if (live.has(node)) continue;
    inStage(trace, STAGES.publish, () => cache.deleteNode(node), { gateway: node });
    hooks?.forget(node);
  }
  const statuses = withPolicyConditions(
    translated.statuses,
    patches.flatMap((p) => p.conditions),
  );
  return {
    result: { ...translated, statuses },
    invalid,
    held,
    ms: performance.now() - t0,
    patchesPending: patches.filter((p) => !p.resources).map((p) => p.node),
  };
}

/**
 * Publishes a node's resources in `layout`: inline instead of scoped while an Envoy older than 1.38 is connected to
 * it (`stages.olderEnvoys`, which is told the node was published).
 */
function publishNode(
  node: string,
  resources: NodeResources,
  cache: XdsCache,
  layout: RouteLayout,
  { trace, olderEnvoys }: PublishStages,
): void {
  const nodeLayout = layout === "scoped" && olderEnvoys?.has(node) ? "inline" : layout;
  inStage(trace, STAGES.publish, () => cache.setNode(node, laidOut(resources, nodeLayout, cache, node)), {
    gateway: node,
  });
  olderEnvoys?.published(node);
}

/** One phase of the extension hooks (none configured: the resources as they are). */
function hookPhase(
  hooks: ExtensionHookStage | undefined,
  phase: HookPhase,
  ir: GatewayXdsIr,
  resources: NodeResources,
): HookOutcome {
  return hooks ? hooks.resolve(ir.name, ir, resources, phase) : { kind: "ready", resources };
}

/** A node held by the extension hook stage (pending, or failed without failOpen). */
function heldNode(name: string, outcome: Exclude<HookOutcome, { kind: "ready" }>): { name: string; error?: string } {
  return { name, ...(outcome.kind === "failed" ? { error: outcome.error } : {}) };
}

/** One node's resources, or the problems that keep it on its previous resources. */
function buildNode(
  ir: GatewayXdsIr,
  bindPort: ((node: string) => ((port: number) => number) | undefined) | undefined,
): NodeResources | string[] {
  try {
    const problems = validateXdsIr(ir);
    if (problems.length > 0) return problems;
    const bind = bindPort?.(ir.name);
    return buildNodeResources(bind ? withBindPorts(ir, bind) : ir);
  } catch (err) {
    return [`building the Envoy resources failed: ${err instanceof Error ? err.message : String(err)}`];
  }
}

/**
 * The IR with every listener bound to `bindPort(port)` instead of its Gateway port: in Kubernetes the
 * proxies bind unprivileged container ports (80 → 10080) behind a Service that exposes the Gateway's.
 */
export function withBindPorts(ir: GatewayXdsIr, bindPort: (port: number) => number): GatewayXdsIr {
  const rebind = <L extends { readonly port: number }>(l: L): L => ({ ...l, port: bindPort(l.port) });
  return {
    ...ir,
    http: ir.http.map(rebind),
    ...(ir.tcp ? { tcp: ir.tcp.map(rebind) } : {}),
    ...(ir.udp ? { udp: ir.udp.map(rebind) } : {}),
  };
}

/**
 * The resources in the route layout Envoy gets (the stages before see whole RouteConfigurations); unchanged virtual
 * hosts and scopes keep what they became last pass (layout.ts), so that the cache does not hash them again.
 */
function laidOut(resources: NodeResources, layout: RouteLayout, cache: XdsCache, node: string): LaidOutResources {
  return layOut(resources, layout, cache.getNode(node)?.resources);
}
