/**
 * A Gateway with a listener and no routes yet: its node has no clusters, and Envoy waits for the first
 * CDS answer (up to its 15 s initial fetch timeout) before it asks for listeners. Real Envoy.
 */
import * as assert from "node:assert/strict";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

describe("standalone: a Gateway with no routes (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("binds its listener within seconds (404 for every request), not after Envoy's 15 s CDS timeout", async () => {
    const port = await freePort();
    const started = Date.now();
    t = await startTestGateway({ "gateway.yaml": gatewayYaml(port) });
    await eventually(
      async () => (await httpGet(port, "www.example.com", "/")).status === 404,
      8000,
      "the listener answering 404 (no route matches)",
    );
    const ms = Date.now() - started;
    assert.ok(ms < 8000, `listener served after ${ms} ms`);
  });
});
