/**
 * Runs the extension server's post-translation hooks on one node's Envoy resources, in Envoy Gateway's order:
 * Route (each route with extension objects) then VirtualHost (each virtual host) per route configuration,
 * Cluster (each extension backend's cluster), Endpoints (each endpoint assignment), HTTPListener (each
 * listener), and Translation last (the included lists, replaced by the answer). Only the hooks the
 * configuration lists are called. A failing call: with `failOpen` the resource stays as it was (the failure is
 * reported through `onFailure`) and the run goes on; without it the run rejects with a {@link HookError}.
 */
import type { Any } from "../../../proto/gen/google/protobuf/any";
import { Cluster_DiscoveryType, type Cluster } from "../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { ExtensionResource } from "../../../proto/gen/extension/context";
import { pack, unpack, type RegisteredType } from "../../../proto/any";
import type { ExtensionHook, ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType, TypeUrl } from "../xds/types";
import type { NodeResources } from "../xds/translate/resources";
import type { ExtensionCaller } from "./client";
import { routeRefs, type NodeExtensionContext } from "./context";
import type { ExtensionMethod } from "./service";

/** A hook call that failed. */
export class HookError extends Error {
  override name = "HookError";
  constructor(
    /** The method that failed. */
    readonly method: ExtensionMethod,
    /** The resource it was called for ("" for PostTranslateModify). */
    readonly resource: string,
    cause: unknown,
  ) {
    super(`${method}${resource ? ` (${resource})` : ""}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What a hook run needs. */
export interface HookRun {
  /** The configuration (hooks, translation includes, failOpen). */
  readonly config: Pick<ExtensionManagerConfig, "hooks" | "translation" | "failOpen">;
  /** Who calls the server. */
  readonly caller: ExtensionCaller;
  /** The node's extension context. */
  readonly context: NodeExtensionContext;
  /** Told of each failure ignored because of `failOpen`. */
  readonly onFailure?: (err: HookError) => void;
  /**
   * Which hooks: `resources` (Route, VirtualHost, Cluster, Endpoints, HTTPListener: Envoy Gateway calls them while
   * it builds the resources), `translation` (PostTranslateModify: after its EnvoyPatchPolicies), or both (default).
   */
  readonly phase?: HookPhase;
}

/** The two moments Envoy Gateway calls hooks at: while building resources, and once they are built and patched. */
export type HookPhase = "resources" | "translation";

/** Whether `phase` (both when undefined) calls any of the configured hooks. */
export function phaseHasHooks(hooks: readonly ExtensionHook[], phase: HookPhase | undefined): boolean {
  return hooks.some((h) => phase === undefined || (h === "Translation") === (phase === "translation"));
}

/** The node's resources after the hooks (a new map; the input is not changed). */
export async function runHooks(input: NodeResources, run: HookRun): Promise<NodeResources> {
  const out: NodeResources = new Map([...input].map(([t, m]) => [t, new Map(m)]));
  const on = (h: ExtensionHook): boolean => run.config.hooks.includes(h) && phaseHasHooks([h], run.phase);
  const call = guarded(run);
  if (on("Route") || on("VirtualHost")) await routeHooks(out, run, call);
  if (on("Cluster")) await clusterHooks(out, run, call);
  if (on("Endpoints")) await endpointHooks(out, run, call);
  if (on("HTTPListener")) await listenerHooks(out, run, call);
  if (on("Translation")) await translationHook(out, run, call);
  dropOrphanEndpoints(out);
  return out;
}

/** Calls one method; a failure rejects (without failOpen) or is reported and answered with undefined. */
type Call = <T>(method: ExtensionMethod, resource: string, f: () => Promise<T>) => Promise<T | undefined>;

function guarded(run: HookRun): Call {
  return async (method, resource, f) => {
    try {
      return await f();
    } catch (cause) {
      const err = new HookError(method, resource, cause);
      if (!run.config.failOpen) throw err;
      run.onFailure?.(err);
      return undefined;
    }
  };
}

const resources = (m: readonly string[]): ExtensionResource[] =>
  m.map((json) => ({ unstructuredBytes: Buffer.from(json) }));

async function routeHooks(out: NodeResources, run: HookRun, call: Call): Promise<void> {
  const routes = out.get(TypeUrl.Route) ?? new Map<string, Any>();
  for (const [name, any] of routes) {
    const rc = unpack(RouteType, any);
    for (const [vi, vh] of rc.virtualHosts.entries()) {
      if (run.config.hooks.includes("Route")) {
        for (const [ri, route] of vh.routes.entries()) {
          const refs = routeRefs(run.context, route.name);
          if (!refs) continue;
          const res = await call("PostRouteModify", route.name, () =>
            run.caller.call("PostRouteModify", {
              route,
              postRouteContext: { extensionResources: resources(refs), hostnames: vh.domains, extensionPolicies: [] },
            }),
          );
          if (res?.route) vh.routes[ri] = res.route;
        }
      }
      if (run.config.hooks.includes("VirtualHost")) {
        const res = await call("PostVirtualHostModify", vh.name, () =>
          run.caller.call("PostVirtualHostModify", { virtualHost: vh, postVirtualHostContext: {} }),
        );
        if (res?.virtualHost) rc.virtualHosts[vi] = res.virtualHost;
      }
    }
    routes.set(name, pack(RouteType, rc));
  }
}

async function clusterHooks(out: NodeResources, run: HookRun, call: Call): Promise<void> {
  const clusters = out.get(TypeUrl.Cluster) ?? new Map<string, Any>();
  for (const [name, refs] of run.context.clusters) {
    const any = clusters.get(name);
    if (!any) continue;
    const cluster = unpack(ClusterType, any);
    const res = await call("PostClusterModify", name, () =>
      run.caller.call("PostClusterModify", {
        cluster,
        postClusterContext: { backendExtensionResources: resources(refs) },
      }),
    );
    if (!res?.cluster) continue;
    clusters.delete(name);
    clusters.set(res.cluster.name, pack(ClusterType, res.cluster));
  }
}

async function endpointHooks(out: NodeResources, run: HookRun, call: Call): Promise<void> {
  const endpoints = out.get(TypeUrl.Endpoint) ?? new Map<string, Any>();
  for (const [name, any] of endpoints) {
    const loadAssignment = unpack(EndpointType, any);
    const res = await call("PostEndpointsModify", name, () =>
      run.caller.call("PostEndpointsModify", { loadAssignment, postEndpointsContext: {} }),
    );
    if (res?.loadAssignment) endpoints.set(name, pack(EndpointType, res.loadAssignment));
  }
}

async function listenerHooks(out: NodeResources, run: HookRun, call: Call): Promise<void> {
  const listeners = out.get(TypeUrl.Listener) ?? new Map<string, Any>();
  for (const [name, any] of listeners) {
    const listener = unpack(ListenerType, any);
    const res = await call("PostHTTPListenerModify", name, () =>
      run.caller.call("PostHTTPListenerModify", { listener, postListenerContext: { extensionResources: [] } }),
    );
    if (!res?.listener) continue;
    // Replaced by name, as Envoy Gateway does (a listener answered under another name is added).
    listeners.set(res.listener.name, pack(ListenerType, res.listener));
  }
}

/** The typed lists of the resources the Translation hook may see. */
const TRANSLATION_LISTS = [
  { key: "clusters", typeUrl: TypeUrl.Cluster, type: ClusterType },
  { key: "secrets", typeUrl: TypeUrl.Secret, type: SecretType },
  { key: "listeners", typeUrl: TypeUrl.Listener, type: ListenerType },
  { key: "routes", typeUrl: TypeUrl.Route, type: RouteType },
] as const;

async function translationHook(out: NodeResources, run: HookRun, call: Call): Promise<void> {
  const include = run.config.translation;
  const list = <T>(typeUrl: string, type: RegisteredType<T>, on: boolean): T[] =>
    on ? [...(out.get(typeUrl) ?? new Map<string, Any>()).values()].map((a) => unpack(type, a)) : [];
  const request = {
    postTranslateContext: { extensionResources: [] },
    clusters: list(TypeUrl.Cluster, ClusterType, include.clusters),
    secrets: list(TypeUrl.Secret, SecretType, include.secrets),
    listeners: list(TypeUrl.Listener, ListenerType, include.listeners),
    routes: list(TypeUrl.Route, RouteType, include.routes),
  };
  const res = await call("PostTranslateModify", "", () => run.caller.call("PostTranslateModify", request));
  if (!res) return;
  for (const { key, typeUrl, type } of TRANSLATION_LISTS) {
    if (!include[key]) continue;
    const items = res[key] as readonly { name: string }[];
    out.set(typeUrl, new Map(items.map((m) => [m.name, pack(type as RegisteredType<{ name: string }>, m)])));
  }
}

/**
 * Endpoint assignments whose cluster is gone, or no longer takes its endpoints over EDS (a hook made it STATIC
 * or STRICT_DNS with its endpoints inline), are dropped.
 */
function dropOrphanEndpoints(out: NodeResources): void {
  const clusters = out.get(TypeUrl.Cluster) ?? new Map<string, Any>();
  const endpoints = out.get(TypeUrl.Endpoint);
  if (!endpoints) return;
  for (const name of [...endpoints.keys()]) {
    const any = clusters.get(name);
    if (!any || !usesEds(unpack(ClusterType, any))) endpoints.delete(name);
  }
}

function usesEds(c: Cluster): boolean {
  return c.type === Cluster_DiscoveryType.EDS && c.clusterType === undefined;
}
