/**
 * Runs the extension server's post-translation hooks on one node's Envoy resources, in Envoy Gateway's order:
 * Route (each route with extension objects) then VirtualHost (each virtual host) per route configuration,
 * Cluster (each extension backend's cluster), Endpoints (each endpoint assignment), HTTPListener (each
 * listener), and Translation last (the included lists, replaced by the answer). Only the hooks the
 * configuration lists are called. With several servers (`extensionManagers`) each call goes through them in
 * order, as Envoy Gateway chains them. A failing call: with the server's `failOpen` its answer is skipped (the
 * failure is reported through `onFailure`) and the run goes on; without it the run rejects with a {@link HookError}.
 * Extension policies (`policyResources`) go to the Route hook (`extensionPolicies`), the HTTPListener hook and the
 * Translation hook (their `extensionResources`), as in Envoy Gateway.
 */
import type { Any } from "../../../proto/gen/google/protobuf/any";
import { Cluster_DiscoveryType, type Cluster } from "../../../proto/gen/envoy/config/cluster/v3/cluster";
import type { ExtensionResource } from "../../../proto/gen/extension/context";
import { pack, unpack, type RegisteredType } from "../../../proto/any";
import type { Listener } from "../../../proto/gen/envoy/config/listener/v3/listener";
import type { RouteConfiguration } from "../../../proto/gen/envoy/config/route/v3/route";
import type { Secret } from "../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import type { ExtensionHook, ExtensionKind, ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import { groupOf } from "../translate/extension-objects";
import { ClusterType, EndpointType, ListenerType, RouteType, SecretType, TypeUrl } from "../xds/types";
import type { NodeResources } from "../xds/translate/resources";
import type { ExtensionCaller } from "./client";
import { routeContext, type NodeExtensionContext } from "./context";
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
    /** The server's `name` (extensionManagers), "" when it has none. */
    readonly server = "",
  ) {
    super(
      `${server ? `extension ${JSON.stringify(server)}: ` : ""}${method}${resource ? ` (${resource})` : ""}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** One extension server of a run: what it is configured with, and who calls it. */
export interface HookServer {
  /** Its configuration (name, hooks, translation includes, failOpen, owned kinds). */
  readonly config: Pick<
    ExtensionManagerConfig,
    "name" | "hooks" | "translation" | "failOpen" | "resources" | "backendResources" | "policyResources"
  >;
  /** Who calls it. */
  readonly caller: ExtensionCaller;
}

/** What a hook run needs. */
export interface HookRun {
  /**
   * The servers, in configuration order: each hook call goes through every server that has the hook, each one's
   * answer being the next one's input (Envoy Gateway's `extensionManagers` chaining).
   */
  readonly servers: readonly HookServer[];
  /** The node's extension context. */
  readonly context: NodeExtensionContext;
  /** Told of each failure ignored because of the failing server's `failOpen`. */
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

/** The hooks any of `servers` has. */
export function serverHooks(servers: readonly Pick<HookServer, "config">[]): ExtensionHook[] {
  return [...new Set(servers.flatMap((s) => s.config.hooks))];
}

/** The node's resources after the hooks (a new map; the input is not changed). */
export async function runHooks(input: NodeResources, run: HookRun): Promise<NodeResources> {
  const out: NodeResources = new Map([...input].map(([t, m]) => [t, new Map(m)]));
  const hooks = serverHooks(run.servers);
  const on = (h: ExtensionHook): boolean => hooks.includes(h) && phaseHasHooks([h], run.phase);
  if (on("Route") || on("VirtualHost")) await routeHooks(out, run, on);
  if (on("Cluster")) await clusterHooks(out, run);
  if (on("Endpoints")) await endpointHooks(out, run);
  if (on("HTTPListener")) await listenerHooks(out, run);
  if (on("Translation")) await translationHook(out, run);
  dropOrphanEndpoints(out);
  return out;
}

/**
 * One hook call through the servers that have `hook`, in order, each getting the previous one's answer
 * (`undefined`: no change). A failing server: with its `failOpen` it is skipped (reported through `onFailure`);
 * without, the run rejects with a {@link HookError}.
 */
async function chain<T>(
  run: HookRun,
  { hook, method, resource }: { hook: ExtensionHook; method: ExtensionMethod; resource: string },
  input: T,
  send: (server: HookServer, current: T) => Promise<T | undefined>,
): Promise<T> {
  let current = input;
  for (const server of run.servers) {
    if (!server.config.hooks.includes(hook)) continue;
    try {
      const answer = await send(server, current);
      if (answer !== undefined) current = answer;
    } catch (cause) {
      const err = new HookError(method, resource, cause, server.config.name);
      if (!server.config.failOpen) throw err;
      run.onFailure?.(err);
    }
  }
  return current;
}

const resources = (m: readonly string[]): ExtensionResource[] =>
  m.map((json) => ({ unstructuredBytes: Buffer.from(json) }));

/**
 * The objects of `json` a server gets: with several servers, only those of the kinds it declares (`kinds`; all
 * when it declares none), as Envoy Gateway filters by group and kind; with one server, all of them.
 */
function forServer(run: HookRun, json: readonly string[], kinds: readonly ExtensionKind[]): readonly string[] {
  if (run.servers.length < 2 || kinds.length === 0) return json;
  return json.filter((text) => {
    const o = JSON.parse(text) as { apiVersion?: string; kind?: string };
    return kinds.some((k) => k.group === groupOf(o.apiVersion ?? "") && k.kind === o.kind);
  });
}

const ownedKinds = (s: HookServer): ExtensionKind[] => [...s.config.resources, ...s.config.backendResources];

async function routeHooks(out: NodeResources, run: HookRun, on: (h: ExtensionHook) => boolean): Promise<void> {
  const routes = out.get(TypeUrl.Route) ?? new Map<string, Any>();
  for (const [name, any] of routes) {
    const rc = unpack(RouteType, any);
    for (const [vi, vh] of rc.virtualHosts.entries()) {
      if (on("Route")) {
        for (const [ri, route] of vh.routes.entries()) {
          const ctx = routeContext(run.context, route.name);
          if (!ctx) continue;
          vh.routes[ri] = await chain(
            run,
            { hook: "Route", method: "PostRouteModify", resource: route.name },
            route,
            async (s, current) => {
              const res = await s.caller.call("PostRouteModify", {
                route: current,
                postRouteContext: {
                  extensionResources: resources(forServer(run, ctx.refs, ownedKinds(s))),
                  hostnames: vh.domains,
                  extensionPolicies: resources(forServer(run, ctx.policies, s.config.policyResources)),
                },
              });
              return res.route;
            },
          );
        }
      }
      if (on("VirtualHost")) {
        const call = { hook: "VirtualHost", method: "PostVirtualHostModify", resource: vh.name } as const;
        rc.virtualHosts[vi] = await chain(run, call, vh, async (s, current) => {
          const res = await s.caller.call("PostVirtualHostModify", {
            virtualHost: current,
            postVirtualHostContext: {},
          });
          return res.virtualHost;
        });
      }
    }
    routes.set(name, pack(RouteType, rc));
  }
}

async function clusterHooks(out: NodeResources, run: HookRun): Promise<void> {
  const clusters = out.get(TypeUrl.Cluster) ?? new Map<string, Any>();
  for (const [name, refs] of run.context.clusters) {
    const any = clusters.get(name);
    if (!any) continue;
    const cluster = unpack(ClusterType, any);
    const res = await chain(
      run,
      { hook: "Cluster", method: "PostClusterModify", resource: name },
      cluster,
      async (s, current) => {
        const answer = await s.caller.call("PostClusterModify", {
          cluster: current,
          postClusterContext: { backendExtensionResources: resources(forServer(run, refs, ownedKinds(s))) },
        });
        return answer.cluster;
      },
    );
    if (res === cluster) continue;
    clusters.delete(name);
    clusters.set(res.name, pack(ClusterType, res));
  }
}

async function endpointHooks(out: NodeResources, run: HookRun): Promise<void> {
  const endpoints = out.get(TypeUrl.Endpoint) ?? new Map<string, Any>();
  for (const [name, any] of endpoints) {
    const before = unpack(EndpointType, any);
    const res = await chain(
      run,
      { hook: "Endpoints", method: "PostEndpointsModify", resource: name },
      before,
      async (s, current) => {
        const answer = await s.caller.call("PostEndpointsModify", {
          loadAssignment: current,
          postEndpointsContext: {},
        });
        return answer.loadAssignment;
      },
    );
    if (res !== before) endpoints.set(name, pack(EndpointType, res));
  }
}

async function listenerHooks(out: NodeResources, run: HookRun): Promise<void> {
  const listeners = out.get(TypeUrl.Listener) ?? new Map<string, Any>();
  for (const [name, any] of [...listeners]) {
    const before = unpack(ListenerType, any);
    const policies = run.context.listeners.get(name) ?? [];
    const res = await chain(
      run,
      { hook: "HTTPListener", method: "PostHTTPListenerModify", resource: name },
      before,
      async (s, current) => {
        const answer = await s.caller.call("PostHTTPListenerModify", {
          listener: current,
          postListenerContext: { extensionResources: resources(forServer(run, policies, s.config.policyResources)) },
        });
        return answer.listener;
      },
    );
    // Replaced by name, as Envoy Gateway does (a listener answered under another name is added).
    if (res !== before) listeners.set(res.name, pack(ListenerType, res));
  }
}

/** The typed lists of the resources the Translation hook may see. */
const TRANSLATION_LISTS = [
  { key: "clusters", typeUrl: TypeUrl.Cluster, type: ClusterType },
  { key: "secrets", typeUrl: TypeUrl.Secret, type: SecretType },
  { key: "listeners", typeUrl: TypeUrl.Listener, type: ListenerType },
  { key: "routes", typeUrl: TypeUrl.Route, type: RouteType },
] as const;

/** The four lists of the Translation hook. */
interface TranslationLists {
  clusters: Cluster[];
  secrets: Secret[];
  listeners: Listener[];
  routes: RouteConfiguration[];
}

/**
 * PostTranslateModify through each server that has it: each gets the lists it includes (the previous server's
 * answer for them) and the node's policies of its kinds; only its included lists are taken from its answer.
 */
async function translationHook(out: NodeResources, run: HookRun): Promise<void> {
  const all = <T>(typeUrl: string, type: RegisteredType<T>): T[] =>
    [...(out.get(typeUrl) ?? new Map<string, Any>()).values()].map((a) => unpack(type, a));
  const before: TranslationLists = {
    clusters: all(TypeUrl.Cluster, ClusterType),
    secrets: all(TypeUrl.Secret, SecretType),
    listeners: all(TypeUrl.Listener, ListenerType),
    routes: all(TypeUrl.Route, RouteType),
  };
  const after = await chain(
    run,
    { hook: "Translation", method: "PostTranslateModify", resource: "" },
    before,
    async (s, current) => {
      const include = s.config.translation;
      const pick = <K extends keyof TranslationLists>(key: K): TranslationLists[K] =>
        (include[key] ? current[key] : []) as TranslationLists[K];
      const res = await s.caller.call("PostTranslateModify", {
        postTranslateContext: {
          extensionResources: resources(forServer(run, run.context.policies, s.config.policyResources)),
        },
        clusters: pick("clusters"),
        secrets: pick("secrets"),
        listeners: pick("listeners"),
        routes: pick("routes"),
      });
      return {
        clusters: include.clusters ? res.clusters : current.clusters,
        secrets: include.secrets ? res.secrets : current.secrets,
        listeners: include.listeners ? res.listeners : current.listeners,
        routes: include.routes ? res.routes : current.routes,
      };
    },
  );
  if (after === before) return;
  for (const { key, typeUrl, type } of TRANSLATION_LISTS) {
    const items = after[key] as readonly { name: string }[];
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
