/**
 * The controller's admin server (EnvoyGateway `admin`) over real HTTP: Envoy Gateway's `/api/config_dump`
 * (per kind, `all` in the `resource.Resources` shape, Secrets redacted, an unknown filter refused with the
 * supported list), `/api/server_info` with the configuration, and the profiling endpoints only with
 * `enablePprof`: a V8 CPU profile that names this process's functions and a heap snapshot.
 */
import assert from "node:assert/strict";
import { AdminServer } from "../../operator/src/admin/admin-server";
import { DEFAULT_CONTROLLER_NAME } from "../../operator/src/resources/envoy-gateway";
import type { Gateway, GatewayClass } from "../../operator/src/resources/gateway-api";
import type { Secret } from "../../operator/src/resources/core";
import { EMPTY_SNAPSHOT, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { freePort } from "../support/http";
import { GATEWAY_CLASS_OBJECT, gatewayObject } from "../support/objects";

const SECRET = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: "tls",
    namespace: "default",
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"tls.key":"c2VjcmV0"}}' },
  },
  type: "kubernetes.io/tls",
  data: { "tls.crt": "Y2VydA==", "tls.key": "c2VjcmV0" },
} as unknown as Secret;

const OTHER_CLASS = {
  ...GATEWAY_CLASS_OBJECT,
  metadata: { name: "other" },
  spec: { controllerName: "example.com/other" },
} as unknown as GatewayClass;

const SNAPSHOT: ResourceSnapshot = {
  ...EMPTY_SNAPSHOT,
  gatewayClasses: [GATEWAY_CLASS_OBJECT as unknown as GatewayClass, OTHER_CLASS],
  gateways: [gatewayObject([{ name: "http", port: 80, protocol: "HTTP" }]) as Gateway],
  secrets: [SECRET],
};

async function getJson(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await r.text();
  return { status: r.status, body: r.headers.get("content-type")?.includes("json") ? JSON.parse(text) : { text } };
}

describe("controller admin server (EnvoyGateway admin)", function () {
  this.timeout(30_000);
  const servers: AdminServer[] = [];
  const start = async (enablePprof: boolean): Promise<number> => {
    const server = new AdminServer({
      port: await freePort(),
      enablePprof,
      snapshot: () => SNAPSHOT,
      controllerName: DEFAULT_CONTROLLER_NAME,
      envoyGatewayConfig: { kind: "EnvoyGateway", admin: { enablePprof } },
      version: "test-version",
    });
    servers.push(server);
    return server.start();
  };
  after(async () => Promise.all(servers.map((s) => s.stop())));

  it("/api/config_dump?resource=gateway lists the Gateways; secret redacts values and drops annotations", async () => {
    const port = await start(false);
    const gw = await getJson(port, "/api/config_dump?resource=gateway");
    assert.equal(gw.status, 200);
    assert.equal(gw.body.totalCount, 1);
    assert.equal((gw.body.resources as Gateway[])[0]?.metadata.name, "eg");
    assert.match(String(gw.body.timestamp), /^\d{4}-\d\d-\d\dT/);
    const sec = await getJson(port, "/api/config_dump?resource=secret");
    const [s] = sec.body.resources as { metadata: Record<string, unknown>; data: Record<string, string> }[];
    assert.deepEqual(s?.data, { "tls.crt": "W3JlZGFjdGVkXQ==", "tls.key": "W3JlZGFjdGVkXQ==" });
    assert.equal(Buffer.from(s?.data["tls.key"] ?? "", "base64").toString(), "[redacted]");
    assert.equal(s?.metadata.annotations, undefined);
    assert.doesNotMatch(JSON.stringify(sec.body), /c2VjcmV0/);
  });

  it("resource=all: one resource.Resources per GatewayClass of this controller, Secrets redacted", async () => {
    const port = await start(false);
    const all = await getJson(port, "/api/config_dump?resource=all");
    const resources = all.body.resources as Record<string, unknown>[];
    assert.equal(resources.length, 1, "the other controller's class is not listed");
    assert.equal((resources[0]?.gatewayClass as GatewayClass).metadata.name, "eg");
    assert.deepEqual(Object.keys(resources[0] ?? {}).sort(), ["gatewayClass", "gateways", "secrets"]);
    assert.doesNotMatch(JSON.stringify(all.body), /c2VjcmV0/);
  });

  it("refuses an unknown resource filter with 400 and the supported values; summary without a filter", async () => {
    const port = await start(false);
    const bad = await getJson(port, "/api/config_dump?resource=pods");
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.text), /^Invalid resource filter\. Supported values: all, backend, .*udproute$/m);
    const summary = await getJson(port, "/api/config_dump");
    assert.deepEqual(summary.body.gateways, [{ name: "eg", namespace: "default" }]);
    assert.deepEqual(summary.body.serviceImports, []);
  });

  it("/api/server_info: Running, the version, the components and the EnvoyGateway configuration", async () => {
    const port = await start(false);
    const info = await getJson(port, "/api/server_info");
    assert.equal(info.body.state, "Running");
    assert.equal(info.body.version, "test-version");
    assert.deepEqual(info.body.envoyGatewayConfig, { kind: "EnvoyGateway", admin: { enablePprof: false } });
    assert.equal((info.body.components as unknown[]).length, 4);
  });

  it("no /debug/pprof/ without enablePprof", async () => {
    const port = await start(false);
    assert.equal((await fetch(`http://127.0.0.1:${port}/debug/pprof/heap`)).status, 404);
  });

  it("enablePprof: a V8 CPU profile of the given seconds and a heap snapshot", async () => {
    const port = await start(true);
    const t0 = Date.now();
    const profile = await getJson(port, "/debug/pprof/profile?seconds=0.5");
    assert.ok(Date.now() - t0 >= 450, "profiled for the seconds asked");
    const nodes = profile.body.nodes as { callFrame: { functionName: string } }[];
    assert.ok(
      nodes.length > 0 && typeof profile.body.startTime === "number" && typeof profile.body.endTime === "number",
    );
    assert.ok(nodes.some((n) => n.callFrame.functionName === "(root)"));
    assert.equal((await fetch(`http://127.0.0.1:${port}/debug/pprof/profile?seconds=0`)).status, 400);
    const heap = await fetch(`http://127.0.0.1:${port}/debug/pprof/heap`);
    const snapshot = JSON.parse(await heap.text()) as { snapshot: { node_count: number } };
    assert.ok(snapshot.snapshot.node_count > 1000, `heap snapshot nodes: ${snapshot.snapshot.node_count}`);
    const index = await (await fetch(`http://127.0.0.1:${port}/debug/pprof/`)).text();
    assert.match(index, /profile\?seconds=N/);
  });
});
