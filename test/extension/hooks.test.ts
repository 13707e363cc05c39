/**
 * The hook runner (operator/src/extension/hooks.ts) through the real gRPC client against the tests' real
 * extension server, on the resources built from the extension-server golden case: Envoy Gateway's order and
 * which resources each hook sees, the Translation hook's lists replacing the included ones, endpoint assignments
 * dropped when a hook turns their cluster STATIC, and failOpen (the failing resource unmodified, the run goes on)
 * against failOpen false (the run fails naming the method and resource); the client over mTLS with the material of
 * the configured Secrets (and refused without a client certificate, or with a missing Secret) and over a unix socket.
 */
import assert from "node:assert/strict";
import { loadEnvoyGatewayConfig, parseEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { ExtensionManagerConfig } from "../../operator/src/config/envoy-gateway-extension";
import { ExtensionClient } from "../../operator/src/extension/client";
import { extensionContextOf } from "../../operator/src/extension/context";
import { HookError, runHooks, type HookServer } from "../../operator/src/extension/hooks";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { buildNodeResources, type NodeResources } from "../../operator/src/xds/translate/resources";
import { TypeUrl } from "../../operator/src/xds/types";
import { readCase } from "../support/golden";
import { startExtensionServer, type TestExtensionServer } from "../support/extension-server";
import { makeCa } from "../support/pki";
import { tlsMaterial } from "../../operator/src/extension/tls-secrets";
import type { Secret } from "../../operator/src/resources/core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CASE = "testdata/translate/extension-server";

function setup(): {
  config: ExtensionManagerConfig;
  resources: NodeResources;
  ir: ReturnType<typeof translate>["xdsIr"][0];
} {
  const config = loadEnvoyGatewayConfig(`${CASE}.envoy-gateway.yaml`);
  const m = config.extensionManagers?.[0];
  assert.ok(m);
  const result = translate(snapshotFromObjects(readCase(`${CASE}.in.yaml`)), {
    backends: config.backends,
    extensionKinds: { filters: m.resources, backends: m.backendResources },
  });
  const ir = result.xdsIr[0];
  return { config: m, resources: buildNodeResources(ir), ir };
}

describe("extension hook runner (real gRPC client and server)", () => {
  let ext: TestExtensionServer;
  let client: ExtensionClient | undefined;
  beforeEach(async () => (ext = await startExtensionServer({ addedClusterPort: 4000 })));
  afterEach(async () => {
    client?.close();
    await ext.close();
  });

  const run = (failOpen: boolean, onFailure?: (e: HookError) => void): Promise<NodeResources> => {
    const { config, resources, ir } = setup();
    const all: ExtensionManagerConfig = {
      ...config,
      failOpen,
      hooks: ["Translation", "HTTPListener", "Endpoints", "Cluster", "VirtualHost", "Route"],
      service: { ...config.service, address: { type: "tcp", host: "127.0.0.1", port: ext.port } },
    };
    client = new ExtensionClient({ config: all, timeoutMs: 2000 });
    return runHooks(resources, {
      servers: [{ config: all, caller: client }],
      context: extensionContextOf(ir),
      ...(onFailure ? { onFailure } : {}),
    });
  };

  it("calls the hooks in Envoy Gateway's order, each with the resources it sees", async () => {
    const out = await run(false);
    // Per virtual host its routes then itself (the first virtual host has no route with extension objects),
    // then clusters, endpoints, listeners, and the Translation hook last; consecutive calls collapsed.
    const order = ext.calls.map((c) => c.method).filter((m, i, a) => a[i - 1] !== m);
    assert.deepEqual(order, [
      "PostVirtualHostModify",
      "PostRouteModify",
      "PostVirtualHostModify",
      "PostClusterModify",
      "PostEndpointsModify",
      "PostHTTPListenerModify",
      "PostTranslateModify",
    ]);
    // Only the routes whose rules name extension objects: the ExtensionRef one and the extension backend's.
    const routeNames = ext.calls
      .filter((c) => c.method === "PostRouteModify")
      .map((c) => (c.request as { route: { name: string } }).route.name);
    assert.deepEqual(
      routeNames.map((n) => n.replace(/\/[^/]*$/, "")),
      ["httproute/default/ext/rule/0/match/0", "httproute/default/ext/rule/1/match/0"],
    );
    assert.deepEqual(
      ext.routeObjects().map((objs) => objs.map((o) => o.kind)),
      [["HeaderTag"], ["EchoPort"]],
    );
    // The Cluster hook sees only the extension backend's cluster, with its object.
    const clusterCalls = ext.calls.filter((c) => c.method === "PostClusterModify");
    assert.deepEqual(
      clusterCalls.map((c) => (c.request as { cluster: { name: string } }).cluster.name),
      ["extension/default/echoport/echo-ext"],
    );
    // The answers are applied: the cluster is STATIC now (its EDS assignment dropped), the Translation hook's
    // cluster and secret are there, every listener went to the listener hook.
    assert.ok(out.get(TypeUrl.Cluster)?.has("extension-added"));
    assert.ok(out.get(TypeUrl.Secret)?.has("extension-secret"));
    assert.equal(out.get(TypeUrl.Endpoint)?.has("extension/default/echoport/echo-ext"), false);
    assert.equal(out.get(TypeUrl.Endpoint)?.has("backend/default/echo/0/http"), true);
    assert.equal(
      ext.calls.filter((c) => c.method === "PostHTTPListenerModify").length,
      out.get(TypeUrl.Listener)?.size,
    );
    // Listeners and routes are not sent to the Translation hook by default (Envoy Gateway's includeAll: false).
    const translation = ext.calls.find((c) => c.method === "PostTranslateModify")?.request as {
      listeners: unknown[];
      routes: unknown[];
      clusters: unknown[];
    };
    assert.equal(translation.listeners.length, 0);
    assert.equal(translation.routes.length, 0);
    assert.equal(translation.clusters.length, 2);
  });

  it("failOpen: false fails the run naming the method and resource; failOpen: true goes on unmodified", async () => {
    ext.failing = true;
    await assert.rejects(run(false), (err: unknown) => {
      assert.ok(err instanceof HookError);
      assert.equal(err.method, "PostVirtualHostModify");
      assert.match(err.message, /^PostVirtualHostModify \(default\/eg\/http\/missing_example\): 13 INTERNAL/);
      return true;
    });
    const failures: string[] = [];
    const before = setup().resources;
    const out = await run(true, (e) => failures.push(e.method));
    assert.deepEqual([...new Set(failures)].sort(), [
      "PostClusterModify",
      "PostEndpointsModify",
      "PostHTTPListenerModify",
      "PostRouteModify",
      "PostTranslateModify",
      "PostVirtualHostModify",
    ]);
    for (const [typeUrl, byName] of before) {
      assert.deepEqual([...(out.get(typeUrl) ?? new Map()).keys()].sort(), [...byName.keys()].sort(), typeUrl);
    }
  });

  it("several servers: a failing failOpen one is skipped naming it, the next one gets the input and answers", async () => {
    const { config, resources, ir } = setup();
    const second = await startExtensionServer({ tag: "second" });
    const clients: ExtensionClient[] = [];
    const server = (name: string, port: number, failOpen: boolean): HookServer => {
      const c: ExtensionManagerConfig = {
        ...config,
        name,
        failOpen,
        hooks: ["Route"],
        service: { ...config.service, address: { type: "tcp", host: "127.0.0.1", port } },
      };
      const caller = new ExtensionClient({ config: c, timeoutMs: 2000 });
      clients.push(caller);
      return { config: c, caller };
    };
    try {
      ext.failing = true;
      const failures: HookError[] = [];
      const out = await runHooks(resources, {
        servers: [server("first", ext.port, true), server("second", second.port, false)],
        context: extensionContextOf(ir),
        onFailure: (e) => failures.push(e),
      });
      assert.ok(failures.length > 0);
      assert.ok(failures.every((e) => e.server === "first" && /^extension "first": PostRouteModify/.test(e.message)));
      const routes = JSON.stringify([...(out.get(TypeUrl.Route)?.values() ?? [])].map((a) => a.value.toString()));
      assert.match(routes, /x-extension-route-second/, "the second server's answer is applied");
      assert.doesNotMatch(routes, /x-extension-route(?!-second)/, "the failing server changed nothing");
      // Without failOpen on the failing server the run fails, naming it.
      await assert.rejects(
        runHooks(resources, {
          servers: [server("first", ext.port, false), server("second", second.port, false)],
          context: extensionContextOf(ir),
        }),
        /^HookError: extension "first": PostRouteModify/,
      );
    } finally {
      for (const c of clients) c.close();
      await second.close();
    }
  });

  it("reaches the server over mTLS with the Secrets' material, and over a unix socket", async () => {
    const { config } = setup();
    const ca = makeCa("extension-ca");
    const serverPair = ca.issue("localhost");
    const clientPair = ca.issue("egts");
    const secret = (name: string, data: Record<string, string>): Secret => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "envoy-gateway-system" },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    });
    const secrets = [
      secret("ext-ca", { "tls.crt": ca.cert }),
      secret("ext-client", { "tls.crt": clientPair.cert, "tls.key": clientPair.key }),
    ];
    const tlsServer = await startExtensionServer({
      address: "localhost:0",
      tls: { ...serverPair, clientCa: ca.cert },
    });
    const socketDir = mkdtempSync(join(tmpdir(), "egts-ext-"));
    const socket = join(socketDir, "ext.sock");
    const unixServer = await startExtensionServer({ address: `unix:${socket}` });
    const call = (c: ExtensionClient): Promise<unknown> =>
      c.call("PostVirtualHostModify", { virtualHost: undefined, postVirtualHostContext: {} });
    const tls = { certificateRef: { name: "ext-ca" }, clientCertificateRef: { name: "ext-client" } };
    const over = (address: ExtensionManagerConfig["service"]["address"], withTls?: typeof tls): ExtensionClient =>
      new ExtensionClient({
        config: { ...config, service: { ...config.service, address } },
        timeoutMs: 3000,
        ...(withTls ? { tls: () => tlsMaterial(withTls, secrets, "envoy-gateway-system") } : {}),
      });
    const clients = [
      over({ type: "tcp", host: "localhost", port: tlsServer.port }, tls),
      over({ type: "tcp", host: "localhost", port: tlsServer.port }, {
        certificateRef: tls.certificateRef,
      } as typeof tls),
      over({ type: "unix", path: socket }),
      over({ type: "tcp", host: "localhost", port: tlsServer.port }, { ...tls, certificateRef: { name: "missing" } }),
    ];
    try {
      await call(clients[0]);
      assert.equal(tlsServer.calls.length, 1, "mTLS call served");
      await assert.rejects(call(clients[1]), "a client without a certificate is refused by the server");
      await call(clients[2]);
      assert.equal(unixServer.calls.length, 1, "unix socket call served");
      await assert.rejects(call(clients[3]), /extension server TLS: Secret envoy-gateway-system\/missing not found/);
    } finally {
      for (const c of clients) c.close();
      await tlsServer.close();
      await unixServer.close();
      rmSync(socketDir, { recursive: true, force: true });
    }
  });

  it("reaches the server at every address form the configuration reader takes (IPv6 ip, fqdn, host + port)", async () => {
    const { config } = setup();
    const v6 = await startExtensionServer({ address: "[::1]:0" });
    const read = (service: string): ExtensionManagerConfig => {
      const c = parseEnvoyGatewayConfig(
        "eg.yaml",
        `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\nextensionManager:\n  hooks: { xdsTranslator: { post: [Route] } }\n  service: ${service}\n`,
      );
      const m = c.extensionManagers?.[0];
      assert.ok(m);
      return { ...config, service: m.service };
    };
    const clients = [
      read(`{ ip: { address: "::1", port: ${v6.port} } }`),
      read(`{ fqdn: { hostname: localhost, port: ${ext.port} } }`),
      read(`{ host: 127.0.0.1, port: ${ext.port} }`),
      read(`{ host: nowhere.invalid, hostname: localhost, port: ${ext.port} }`),
    ].map((c) => new ExtensionClient({ config: c, timeoutMs: 3000 }));
    try {
      for (const c of clients)
        await c.call("PostVirtualHostModify", { virtualHost: undefined, postVirtualHostContext: {} });
      assert.equal(v6.calls.length, 1, "the IPv6 address, bracketed in the gRPC target, was reached");
      assert.equal(ext.calls.length, 3, "fqdn, host + port, and hostname replacing host reached the server");
    } finally {
      for (const c of clients) c.close();
      await v6.close();
    }
  });
});
