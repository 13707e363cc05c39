/** The README quickstart, for real: our control plane, real Envoy, the demo echo backend. */
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, routeYaml } from "../support/manifests";
import { EXAMPLES_CONFIG, startTestGateway, type TestGateway } from "../support/standalone";

describe("standalone quickstart (real Envoy)", function () {
  let backend: EchoBackend;
  let t: TestGateway;
  let port: number;

  before(async function () {
    backend = await startEchoBackend({ name: "demo-backend" });
    port = await freePort();
    // The example as shipped, with the fixed ports swapped for free ones.
    const yaml = (await readFile("examples/quickstart/quickstart.yaml", "utf8"))
      .replace("port: 8888", `port: ${port}`)
      .replace("port: 3000", `port: ${backend.port}`);
    // With the EnvoyGateway configuration `npm start` passes (--config-path): Backend on, loopback allowed.
    t = await startTestGateway(
      { "quickstart.yaml": yaml },
      { backends: loadEnvoyGatewayConfig(EXAMPLES_CONFIG).backends },
    );
    await eventually(
      async () => (await httpGet(port, "www.example.com", "/get")).status === 200,
      15_000,
      "Envoy to serve the quickstart route",
    );
  });

  after(async function () {
    await t?.close();
    await backend?.close();
  });

  it("answers 200 with the backend's JSON for Host: www.example.com", async function () {
    const res = await httpGet(port, "www.example.com", "/get?x=1");
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as {
      backend: string;
      path: string;
      host: string;
      method: string;
      headers: Record<string, string>;
    };
    assert.equal(body.backend, "demo-backend");
    assert.equal(body.path, "/get?x=1");
    assert.equal(body.host, "www.example.com");
    assert.equal(body.method, "GET");
    // Envoy Gateway's defaults: Envoy adds no Server header, and it gives the request an x-request-id.
    assert.equal(res.headers.server, undefined);
    assert.match(String(body.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
  });

  it("answers 404 for an unknown host", async function () {
    const res = await httpGet(port, "unknown.example.org", "/get");
    assert.equal(res.status, 404);
  });

  it("serves a route added to the folder within 1 s", async function () {
    const other = await startEchoBackend({ name: "other" });
    try {
      const start = Date.now();
      await t.write(
        "added.yaml",
        `${backendYaml("other", other.port)}---\n${routeYaml("added", "added.example.com", "other")}`,
      );
      await eventually(
        async () => (await httpGet(port, "added.example.com", "/")).status === 200,
        5000,
        "the added route",
      );
      const ms = Date.now() - start;
      const body = JSON.parse((await httpGet(port, "added.example.com", "/")).body) as { backend: string };
      assert.equal(body.backend, "other");
      assert.ok(ms < 1000, `the new route took ${ms} ms to serve (limit 1000 ms)`);
    } finally {
      await other.close();
    }
  });

  it("reports the Gateway and route statuses as Accepted", function () {
    const gw = t.gw.statuses.get("Gateway", "default", "eg")?.status as {
      conditions: { type: string; status: string }[];
    };
    assert.deepEqual(
      gw.conditions.map((c) => [c.type, c.status]),
      [
        ["Accepted", "True"],
        ["Programmed", "True"],
      ],
    );
  });
});
