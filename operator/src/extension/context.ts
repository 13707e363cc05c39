/**
 * What the extension server's hooks are told about one node, taken from its IR (pure): the extension-owned
 * objects of each route (ExtensionRef filters and backendRefs) and of each extension backend's cluster, and the
 * extension-owned policies (`policyResources`) attached to its routes, HTTP listeners and to the node.
 */
import type { GatewayXdsIr } from "../ir/xds-ir";

/** What the Route hook gets for one route. */
export interface RouteExtensionContext {
  /** The JSON of the extension objects its rule names. */
  readonly refs: readonly string[];
  /** The JSON of the extension policies that target the route or its rule. */
  readonly policies: readonly string[];
}

/** The extension context of one node. */
export interface NodeExtensionContext {
  /** IR route name → its extension objects and policies (routes with neither are absent). */
  readonly routes: ReadonlyMap<string, RouteExtensionContext>;
  /** Cluster name → the JSON of the extension backends it stands for. */
  readonly clusters: ReadonlyMap<string, readonly string[]>;
  /** Listener name → the JSON of the extension policies that target it (HTTPListener hook). */
  readonly listeners: ReadonlyMap<string, readonly string[]>;
  /** The JSON of the extension policies that target the node's Gateways (Translation hook). */
  readonly policies: readonly string[];
}

/** The node's extension context. */
export function extensionContextOf(ir: GatewayXdsIr): NodeExtensionContext {
  const routes = new Map<string, RouteExtensionContext>();
  const listeners = new Map<string, readonly string[]>();
  for (const l of ir.http) {
    if (l.extensionPolicies && l.extensionPolicies.length > 0) listeners.set(l.name, l.extensionPolicies);
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) {
        const refs = r.extensionRefs ?? [];
        const policies = r.extensionPolicies ?? [];
        if (refs.length > 0 || policies.length > 0) routes.set(r.name, { refs, policies });
      }
    }
  }
  const clusters = new Map<string, readonly string[]>();
  for (const c of ir.clusters) if (c.extension) clusters.set(c.name, c.extension.resources);
  return { routes, clusters, listeners, policies: ir.extensionPolicies ?? [] };
}

/**
 * The extension context of the Envoy route named `name`: the IR route's of that name, or of the name without its
 * last `/` segment (Envoy Gateway's naming scheme adds the virtual host's host to the route name).
 */
export function routeContext(ctx: NodeExtensionContext, name: string): RouteExtensionContext | undefined {
  const exact = ctx.routes.get(name);
  if (exact) return exact;
  const cut = name.lastIndexOf("/");
  return cut > 0 ? ctx.routes.get(name.slice(0, cut)) : undefined;
}
