/** Snapshot → cache update: translate, validate the IR, build Envoy resources, set them per node. */
import { validateXdsIr } from "../ir/validate";
import type { GatewayXdsIr } from "../ir/xds-ir";
import type { ResourceSnapshot } from "../resources/snapshot";
import { translate, type TranslateOptions, type TranslateResult } from "../translate/translate";
import type { XdsCache } from "../xds/cache/snapshot-cache";
import { buildNodeResources, type NodeResources } from "../xds/translate/resources";
import type { ExtensionHookStage } from "./extension-hooks";

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
}

/**
 * Runs one translation and publishes it. A Gateway whose IR does not validate, or whose Envoy resources
 * fail to build, keeps its previous resources and the others are published; Gateways that disappeared are
 * removed from the cache. `bindPort(node)` says how the proxies of a node bind their listener ports
 * (undefined: as they are). With an extension server (`hooks`), each node's resources go through its hooks
 * first (extension-hooks.ts): a node whose hooks have not answered yet, or failed without failOpen, keeps
 * its previous resources.
 */
export function translateAndPublish(
  snapshot: ResourceSnapshot,
  cache: XdsCache,
  opts: TranslateOptions,
  bindPort?: (node: string) => ((port: number) => number) | undefined,
  hooks?: ExtensionHookStage,
): PassResult {
  const t0 = performance.now();
  const result = translate(snapshot, opts);
  const invalid: { name: string; problems: string[] }[] = [];
  const held: { name: string; error?: string }[] = [];
  const live = new Set<string>();
  for (const ir of result.xdsIr) {
    live.add(ir.name);
    const built = buildNode(ir, bindPort);
    if (Array.isArray(built)) {
      invalid.push({ name: ir.name, problems: built });
      continue;
    }
    const hooked = hooks ? hooks.resolve(ir.name, ir, built) : ({ kind: "ready", resources: built } as const);
    if (hooked.kind === "ready") cache.setNode(ir.name, hooked.resources);
    else held.push({ name: ir.name, ...(hooked.kind === "failed" ? { error: hooked.error } : {}) });
  }
  for (const node of cache.nodeIds()) {
    if (live.has(node)) continue;
    cache.deleteNode(node);
    hooks?.forget(node);
  }
  return { result, invalid, held, ms: performance.now() - t0 };
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
