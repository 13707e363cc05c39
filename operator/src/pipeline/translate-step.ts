/** Snapshot → cache update: translate, validate the IR, build Envoy resources, set them per node. */
import { validateXdsIr } from "../ir/validate";
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { translate, type TranslateOptions, type TranslateResult } from "../translate/translate";
import type { XdsCache } from "../xds/cache/snapshot-cache";
import { withPolicyConditions } from "../xds/patch/status";
import { buildNodeResources, type NodeResources } from "../xds/translate/resources";
import { patchNode, type PatchStep } from "./patch-step";
import type { PatchChecker } from "./patch-validation";

/** Outcome of one pass, for logs and tests. */
export interface PassResult {
  /** The translator's output. */
  readonly result: TranslateResult;
  /** Gateways whose IR failed validation or whose Envoy resources failed to build (kept on their previous config). */
  readonly invalid: readonly { readonly name: string; readonly problems: readonly string[] }[];
  /** Milliseconds spent translating and building. */
  readonly ms: number;
  /** Nodes whose patched resources Envoy is still checking (published as before their patches). */
  readonly patchesPending: readonly string[];
}

/**
 * Runs one translation and publishes it. A Gateway whose IR does not validate, or whose Envoy resources
 * fail to build, keeps its previous resources and the others are published; Gateways that disappeared are
 * removed from the cache. `bindPort(node)` says how the proxies of a node bind their listener ports
 * (undefined: as they are). A node's EnvoyPatchPolicies are applied to its built resources before they are
 * published (patch-step.ts; `checker`: Envoy checks the patched resources first), and their Programmed
 * conditions join the statuses.
 */
export function translateAndPublish(
  snapshot: ResourceSnapshot,
  cache: XdsCache,
  opts: TranslateOptions,
  bindPort?: (node: string) => ((port: number) => number) | undefined,
  checker?: PatchChecker,
): PassResult {
  const t0 = performance.now();
  const translated = translate(snapshot, opts);
  const invalid: { name: string; problems: string[] }[] = [];
  const live = new Set<string>();
  const patches: PatchStep[] = [];
  for (const ir of translated.xdsIr) {
    live.add(ir.name);
    const built = buildNode(ir, bindPort);
    if (Array.isArray(built)) {
      invalid.push({ name: ir.name, problems: built });
      continue;
    }
    const step = patchNode(ir, built, checker);
    patches.push(step);
    // Envoy still checking the patches: the node keeps what it has (or, new, gets its unpatched resources).
    if (step.resources) cache.setNode(ir.name, step.resources);
    else if (!cache.getNode(ir.name)) cache.setNode(ir.name, built);
  }
  for (const node of cache.nodeIds()) if (!live.has(node)) cache.deleteNode(node);
  const statuses = withPolicyConditions(
    translated.statuses,
    patches.flatMap((p) => p.conditions),
  );
  return {
    result: { ...translated, statuses },
    invalid,
    ms: performance.now() - t0,
    patchesPending: patches.filter((p) => !p.resources).map((p) => p.node),
  };
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
