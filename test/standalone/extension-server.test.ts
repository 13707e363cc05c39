/**
 * The extension server (EnvoyGateway `extensionManager`) against real Envoy and a real gRPC extension server
 * (test/support/extension-server.ts): the Route hook adds a response header seen on the wire for the routes whose
 * rules name extension objects (ExtensionRef filters, extension backendRefs) and only for those; the Cluster hook
 * turns an extension backend's empty cluster into a working one (traffic reaches the backend it names); the
 * Translation hook adds a cluster (on Envoy) and a secret (in the xDS cache); a failing server keeps the last
 * good configuration without failOpen, and sends the unmodified configuration with it.
 */
import assert from "node:assert/strict";
import { parseEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { ExtensionManagerConfig } from "../../operator/src/config/envoy-gateway-extension";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { TypeUrl } from "../../operator/src/xds/types";
import { startExtensionServer, type TestExtensionServer } from "../support/extension-server";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const GROUP = "example.extensions.io";

/** The configuration as a user writes it, parsed by the real reader. */
function managerConfig(port: number, failOpen: boolean): ExtensionManagerConfig {
  const config = parseEnvoyGatewayConfig(
    "eg.yaml",
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyGateway
extensionManager:
  resources: [{ group: ${GROUP}, version: v1alpha1, kind: HeaderTag }]
  backendResources: [{ group: ${GROUP}, version: v1alpha1, kind: EchoPort }]
  hooks:
    xdsTranslator:
      post: [Route, VirtualHost, HTTPListener, Cluster, Translation]
  service: { ip: { address: 127.0.0.1, port: ${port} } }
  failOpen: ${failOpen}
`,
  );
  assert.ok(config.extensionManagers?.[0]);
  return config.extensionManagers[0];
}

/** The Gateway, two extension objects and three routes: one with an ExtensionRef filter, one to an extension backend, one plain. */
function files(gwPort: number, echo: EchoBackend, extBackend: EchoBackend): Record<string, string> {
  return {
    "gateway.yaml": gatewayYaml(gwPort),
    "backend.yaml": backendYaml("echo", echo.port),
    "extension-objects.yaml": `apiVersion: ${GROUP}/v1alpha1
kind: HeaderTag
metadata: { name: tag-a, namespace: default }
spec: { note: kept as written }
---
apiVersion: ${GROUP}/v1alpha1
kind: EchoPort
metadata: { name: echo-ext, namespace: default }
spec: { port: ${extBackend.port} }
`,
    "routes.yaml": [
      httpRouteYaml(
        "ext",
        "ext.example",
        `    - filters: [{ type: ExtensionRef, extensionRef: { group: ${GROUP}, kind: HeaderTag, name: tag-a } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`,
      ),
      httpRouteYaml(
        "custom",
        "custom.example",
        `    - backendRefs: [{ group: ${GROUP}, kind: EchoPort, name: echo-ext }]`,
      ),
      httpRouteYaml(
        "plain",
        "plain.example",
        `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`,
      ),
    ].join("---\n"),
  };
}

interface Setup {
  readonly t: TestGateway;
  readonly ext: TestExtensionServer;
  readonly port: number;
  readonly backends: EchoBackend[];
}

async function setup(failOpen: boolean, failing: boolean): Promise<Setup> {
  const echo = await startEchoBackend({ name: "echo" });
  const extBackend = await startEchoBackend({ name: "extension-backend" });
  const added = await startEchoBackend({ name: "added" });
  const ext = await startExtensionServer({ addedClusterPort: added.port });
  ext.failing = failing;
  const port = await freePort();
  const t = await startTestGateway(files(port, echo, extBackend), {
    extensionManagers: [managerConfig(ext.port, failOpen)],
    extensionTimings: { timeoutMs: 2000, retryMs: 300 },
  });
  return { t, ext, port, backends: [echo, extBackend, added] };
}

async function teardown(s: Setup | undefined): Promise<void> {
  await s?.t.close();
  await s?.ext.close();
  for (const b of s?.backends ?? []) await b.close();
}

async function clusterDump(t: TestGateway): Promise<{ name: string; connect_timeout?: string }[]> {
  const admin = await t.gw.runner?.adminUrl("default/eg");
  const dump = (await (await fetch(`${admin}/config_dump?resource=dynamic_active_clusters`)).json()) as {
    configs: { cluster: { name: string; connect_timeout?: string } }[];
  };
  return dump.configs.map((c) => c.cluster);
}

describe("extension server hooks (real Envoy, real gRPC extension server)", function () {
  this.timeout(60_000);

  describe("failOpen: false", () => {
    let s: Setup | undefined;
    before(async () => (s = await setup(false, false)));
    after(() => teardown(s));

    it("the Route hook changes only the routes that name extension objects, on the wire", async () => {
      const { port, ext } = s!;
      await eventually(
        async () => (await httpGet(port, "ext.example")).headers["x-extension-route"] === "tag-a",
        20_000,
        "the Route hook's header on ext.example",
      );
      const plain = await httpGet(port, "plain.example");
      assert.equal(plain.status, 200);
      assert.equal(plain.headers["x-extension-route"], undefined, "a route without extension objects is not sent");
      const objs = ext.routeObjects().flat();
      const tag = objs.find((o) => o.kind === "HeaderTag");
      assert.deepEqual(tag?.spec, { note: "kept as written" }, "the hook gets the object as written");
      const hostnames = ext.calls
        .filter((c) => c.method === "PostRouteModify")
        .map((c) => (c.request as { postRouteContext: { hostnames: string[] } }).postRouteContext.hostnames);
      assert.deepEqual(
        hostnames.find((h) => h.includes("ext.example")),
        ["ext.example"],
        JSON.stringify(hostnames),
      );
      assert.ok(ext.calls.some((c) => c.method === "PostVirtualHostModify"));
      assert.ok(
        !s!.t.logs.some((l) => l.includes("not a kind egts reads")),
        "extension-owned objects are not warned about as unread",
      );
      assert.ok(ext.calls.some((c) => c.method === "PostHTTPListenerModify"));
    });

    it("the Cluster hook fills in an extension backend's cluster: traffic reaches the backend it names", async () => {
      const { port, t } = s!;
      const r = await httpGet(port, "custom.example");
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /"backend":"extension-backend"/);
      assert.equal(r.headers["x-extension-route"], "echo-ext", "the extension backend reaches the Route hook too");
      const cluster = (await clusterDump(t)).find((c) => c.name.startsWith("extension/default/echoport/echo-ext"));
      assert.equal(cluster?.connect_timeout, "7s");
    });

    it("the Translation hook adds a cluster (on Envoy) and a secret (in the xDS cache)", async () => {
      const { t } = s!;
      assert.ok((await clusterDump(t)).some((c) => c.name === "extension-added"));
      const secrets = t.gw.cache.getNode("default/eg")?.resources.get(TypeUrl.Secret);
      assert.ok(secrets?.has("extension-secret"));
    });

    it("a failing server keeps the last good configuration, says why, and is called again", async () => {
      const { port, t, ext } = s!;
      ext.failing = true;
      await t.write(
        "later.yaml",
        httpRouteYaml(
          "later",
          "later.example",
          `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: echo }]`,
        ),
      );
      await eventually(
        async () => t.logs.some((l) => l.includes("keeping the last good configuration (failOpen: false)")),
        10_000,
        "the failure log line",
      );
      assert.ok(t.logs.some((l) => /PostRouteModify.*INTERNAL|INTERNAL.*PostRouteModify|PostRouteModify \(/.test(l)));
      assert.ok((t.gw.extensionStats?.keptLastGood ?? 0) > 0);
      assert.equal((await httpGet(port, "later.example")).status, 404, "the new route is not published");
      assert.equal(
        (await httpGet(port, "ext.example")).headers["x-extension-route"],
        "tag-a",
        "the last good one serves",
      );
      ext.failing = false;
      await eventually(
        async () => (await httpGet(port, "later.example")).status === 200,
        15_000,
        "later.example after recovery",
      );
    });
  });

  describe("failOpen: true", () => {
    let s: Setup | undefined;
    before(async () => (s = await setup(true, true)));
    after(() => teardown(s));

    it("a failing server: the unmodified configuration goes out, the failures are logged, then the hooks apply", async () => {
      const { port, t, ext } = s!;
      await eventually(
        async () => (await httpGet(port, "ext.example")).status === 200,
        20_000,
        "ext.example unmodified",
      );
      assert.equal((await httpGet(port, "ext.example")).headers["x-extension-route"], undefined);
      // The extension backend's cluster was not filled in: no endpoint.
      assert.equal((await httpGet(port, "custom.example")).status, 503);
      assert.ok(t.logs.some((l) => l.includes("failOpen: sending that resource unmodified")));
      assert.ok((t.gw.extensionStats?.failures.PostRouteModify ?? 0) > 0);
      ext.failing = false;
      await eventually(
        async () => (await httpGet(port, "ext.example")).headers["x-extension-route"] === "tag-a",
        15_000,
        "the hook's header once the server answers",
      );
      assert.equal((await httpGet(port, "custom.example")).status, 200);
    });
  });
});
