/**
 * What the extension server's hooks are told about one node, taken from its IR (pure): the extension-owned
 * objects of each route (ExtensionRef filters and backendRefs) and of each extension backend's cluster.
 */
import type { GatewayXdsIr } from "../ir/xds-ir";

/** The extension context of one node. */
export interface NodeExtensionContext {
  /** IR route name → the JSON of the extension objects its rule names. */
  readonly routes: ReadonlyMap<string, readonly string[]>;
  /** Cluster name → the JSON of the extension backends it stands for. */
  readonly clusters: ReadonlyMap<string, readonly string[]>;
}

/** The node's extension context. */
export function extensionContextOf(ir: GatewayXdsIr): NodeExtensionContext {
  const routes = new Map<string, readonly string[]>();
  for (const l of ir.http) {
    for (const vh of l.virtualHosts) {
      for (const r of vh.routes) if (r.extensionRefs && r.extensionRefs.length > 0) routes.set(r.name, r.extensionRefs);
    }
  }
  const clusters = new Map<string, readonly string[]>();
  for (const c of ir.clusters) if (c.extension) clusters.set(c.name, c.extension.resources);
  return { routes, clusters };
}

/**
 * The extension objects of the Envoy route named `name`: the IR route's of that name, or of the name without its
 * last `/` segment (Envoy Gateway's naming scheme adds the virtual host's host to the route name).
 */
export function routeRefs(ctx: NodeExtensionContext, name: string): readonly string[] | undefined {
  const exact = ctx.routes.get(name);
  if (exact) return exact;
  const cut = name.lastIndexOf("/");
  return cut > 0 ? ctx.routes.get(name.slice(0, cut)) : undefined;
}
