/**
 * A real extension server for the tests, written with @grpc/grpc-js on egts's copy of Envoy Gateway's extension
 * API (operator/src/extension/service.ts). What each hook does is switchable while it runs:
 * - PostRouteModify adds the response header `x-extension-route: <names of the route's extension objects>` (with
 *   `tag`, `x-extension-route-<tag>`), and `x-extension-policy[-<tag>]: <names of its extension policies>` when it
 *   has some;
 * - PostClusterModify makes the cluster STATIC with the endpoint 127.0.0.1:`spec.port` of its backend object
 *   and a connect timeout of 7 s;
 * - PostVirtualHostModify and PostHTTPListenerModify answer with nothing (no change), counting the calls;
 * - PostTranslateModify adds the cluster `extension-added` (127.0.0.1:`addedClusterPort`) and the generic secret
 *   `extension-secret`;
 * - with `failing` set, every call answers the gRPC status INTERNAL.
 * Every request is recorded.
 */
import * as grpc from "@grpc/grpc-js";
import { Cluster, Cluster_DiscoveryType } from "../../proto/gen/envoy/config/cluster/v3/cluster";
import { HeaderValueOption } from "../../proto/gen/envoy/config/core/v3/base";
import { ClusterLoadAssignment } from "../../proto/gen/envoy/config/endpoint/v3/endpoint";
import type { Route } from "../../proto/gen/envoy/config/route/v3/route_components";
import { Secret } from "../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import type { ExtensionResource } from "../../proto/gen/extension/context";
import {
  ExtensionServiceDefinition,
  type ExtensionMethod,
  type ExtensionMethods,
} from "../../operator/src/extension/service";

/** A running test extension server. */
export interface TestExtensionServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Requests received, by method, in order. */
  readonly calls: { readonly method: ExtensionMethod; readonly request: unknown }[];
  /** When true, every call fails with INTERNAL. */
  failing: boolean;
  /** The port of the cluster PostTranslateModify adds. */
  addedClusterPort: number;
  /** The extension objects (parsed JSON) each PostRouteModify call carried. */
  routeObjects(): Record<string, unknown>[][];
  /** The extension policies (parsed JSON) each call of `method` carried (Route, HTTPListener, Translation hooks). */
  policies(method: "PostRouteModify" | "PostHTTPListenerModify" | "PostTranslateModify"): Record<string, unknown>[][];
  /** Stops the server. */
  close(): Promise<void>;
}

type Handler<M extends ExtensionMethod> = (req: ExtensionMethods[M][0]) => ExtensionMethods[M][1];

const objects = (list: readonly ExtensionResource[]): Record<string, unknown>[] =>
  list.map((r) => JSON.parse(Buffer.from(r.unstructuredBytes).toString()) as Record<string, unknown>);

const nameOf = (o: Record<string, unknown>): string => String((o.metadata as { name?: string } | undefined)?.name);

/** Starts the server on a free port of 127.0.0.1. */
export async function startExtensionServer(
  opts: {
    addedClusterPort?: number;
    /** Where to listen (a gRPC bind address). @default 127.0.0.1:0 */
    address?: string;
    /** Serve TLS with this certificate; with `clientCa`, require client certificates it signs. */
    tls?: { cert: string; key: string; clientCa?: string };
    /** Suffix of the headers the Route hook adds (`x-extension-route-<tag>`), to tell chained servers apart. */
    tag?: string;
  } = {},
): Promise<TestExtensionServer> {
  const server = new grpc.Server();
  const state: TestExtensionServer = {
    port: 0,
    calls: [],
    failing: false,
    addedClusterPort: opts.addedClusterPort ?? 9,
    routeObjects: () =>
      state.calls
        .filter((c) => c.method === "PostRouteModify")
        .map((c) =>
          objects((c.request as ExtensionMethods["PostRouteModify"][0]).postRouteContext?.extensionResources ?? []),
        ),
    policies: (method) => state.calls.filter((c) => c.method === method).map((c) => objects(policiesOf(c.request))),
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  const suffix = opts.tag ? `-${opts.tag}` : "";
  const handlers: { [M in ExtensionMethod]: Handler<M> } = {
    PostRouteModify: (req) => ({
      route: withHeaders(req.route, [
        [`x-extension-route${suffix}`, objects(req.postRouteContext?.extensionResources ?? [])],
        [`x-extension-policy${suffix}`, objects(req.postRouteContext?.extensionPolicies ?? [])],
      ]),
    }),
    PostVirtualHostModify: () => ({}),
    PostHTTPListenerModify: () => ({}),
    PostClusterModify: (req) => ({
      ...(req.cluster
        ? { cluster: staticCluster(req.cluster, objects(req.postClusterContext?.backendExtensionResources ?? [])) }
        : {}),
    }),
    PostEndpointsModify: () => ({}),
    PostTranslateModify: (req) => ({
      clusters: [...req.clusters, addedCluster(state.addedClusterPort)],
      secrets: [
        ...req.secrets,
        Secret.fromPartial({
          name: "extension-secret",
          genericSecret: { secret: { inlineString: "from-the-extension" } },
        }),
      ],
      listeners: req.listeners,
      routes: req.routes,
    }),
  };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(ExtensionServiceDefinition) as ExtensionMethod[]) {
    impl[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      state.calls.push({ method, request: call.request });
      if (state.failing) {
        callback({ code: grpc.status.INTERNAL, details: "the test extension server is failing on purpose" });
        return;
      }
      callback(null, (handlers[method] as (r: unknown) => unknown)(call.request));
    };
  }
  server.addService(ExtensionServiceDefinition as unknown as grpc.ServiceDefinition, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address ?? "127.0.0.1:0", serverCredentials(opts.tls), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  (state as { port: number }).port = port;
  return state;
}

function serverCredentials(tls: { cert: string; key: string; clientCa?: string } | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCa ? Buffer.from(tls.clientCa) : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    !!ca,
  );
}

/** The route with a response header per `[name, objects]` (the objects' names); none for an empty policy list. */
function withHeaders(
  route: Route | undefined,
  headers: readonly [string, Record<string, unknown>[]][],
): Route | undefined {
  if (!route) return undefined;
  const added = headers
    .filter(([key, objs]) => objs.length > 0 || !key.startsWith("x-extension-policy"))
    .map(([key, objs]) => HeaderValueOption.fromPartial({ header: { key, value: objs.map(nameOf).join(",") } }));
  return { ...route, responseHeadersToAdd: [...route.responseHeadersToAdd, ...added] };
}

/** The policies a request carries: the Route hook's `extensionPolicies`, the others' `extensionResources`. */
function policiesOf(request: unknown): readonly ExtensionResource[] {
  const r = request as {
    postRouteContext?: { extensionPolicies?: ExtensionResource[] };
    postListenerContext?: { extensionResources?: ExtensionResource[] };
    postTranslateContext?: { extensionResources?: ExtensionResource[] };
  };
  return (
    r.postRouteContext?.extensionPolicies ??
    r.postListenerContext?.extensionResources ??
    r.postTranslateContext?.extensionResources ??
    []
  );
}

function staticCluster(c: Cluster, objs: Record<string, unknown>[]): Cluster {
  const port = Number((objs[0]?.spec as { port?: number } | undefined)?.port ?? 9);
  return {
    ...c,
    type: Cluster_DiscoveryType.STATIC,
    edsClusterConfig: undefined,
    connectTimeout: { seconds: 7, nanos: 0 },
    loadAssignment: loadAssignment(c.name, port),
  };
}

function addedCluster(port: number): Cluster {
  return Cluster.fromPartial({
    name: "extension-added",
    type: Cluster_DiscoveryType.STATIC,
    connectTimeout: { seconds: 3, nanos: 0 },
    loadAssignment: loadAssignment("extension-added", port),
  });
}

function loadAssignment(clusterName: string, port: number): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName,
    endpoints: [
      { lbEndpoints: [{ endpoint: { address: { socketAddress: { address: "127.0.0.1", portValue: port } } } }] },
    ],
  });
}
