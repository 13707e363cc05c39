/** examples/canary as shipped (fixed ports swapped for free ones): header-based canary routing through real Envoy. */
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { EXAMPLES_CONFIG, startTestGateway, type TestGateway } from "../support/standalone";

describe("examples/canary (real Envoy)", function () {
  this.timeout(60_000);
  let stable: EchoBackend;
  let canary: EchoBackend;
  let t: TestGateway;
  let port: number;

  /** Which backend answered each of `n` requests sent with `headers`. */
  async function servedBy(n: number, headers: Record<string, string> = {}): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await httpGet(port, "app.example.com", `/r/${i}`, { headers });
      assert.equal(r.status, 200, r.body);
      out.push((JSON.parse(r.body) as EchoResponse).backend);
    }
    return out;
  }

  before(async function () {
    stable = await startEchoBackend({ name: "stable" });
    canary = await startEchoBackend({ name: "canary" });
    port = await freePort();
    const ports: Record<string, number> = { "8888": port, "3000": stable.port, "3001": canary.port };
    const yaml = (await readFile("examples/canary/canary.yaml", "utf8")).replace(
      /port: (8888|3000|3001)\b/g,
      (_m, p: string) => `port: ${ports[p]}`,
    );
    assert.equal((yaml.match(/port: \d+/g) ?? []).length, 3, "the example names three ports");
    t = await startTestGateway({ "canary.yaml": yaml }, { backends: loadEnvoyGatewayConfig(EXAMPLES_CONFIG).backends });
    await eventually(
      async () => (await httpGet(port, "app.example.com", "/")).status === 200,
      15_000,
      "Envoy to serve the canary example",
    );
  });

  after(async function () {
    await t?.close();
    await stable?.close();
    await canary?.close();
  });

  it("sends every request with X-Canary: true to the canary backend", async function () {
    assert.deepEqual(new Set(await servedBy(20, { "X-Canary": "true" })), new Set(["canary"]));
    assert.deepEqual(new Set(await servedBy(5, { "x-canary": "true" })), new Set(["canary"]), "any header case");
  });

  it("sends everything else to the stable backend", async function () {
    const canaryBefore = canary.requests;
    assert.deepEqual(new Set(await servedBy(20)), new Set(["stable"]));
    assert.deepEqual(new Set(await servedBy(5, { "X-Canary": "false" })), new Set(["stable"]));
    assert.deepEqual(new Set(await servedBy(5, { "X-Canary": "TRUE" })), new Set(["stable"]), "values match exactly");
    assert.equal(canary.requests, canaryBefore, "the canary saw none of them");
  });

  it("reports the route Accepted with its references resolved", function () {
    const status = t.gw.statuses.get("HTTPRoute", "default", "app")?.status as {
      parents: { conditions: { type: string; status: string }[] }[];
    };
    assert.deepEqual(
      status.parents[0].conditions.map((c) => [c.type, c.status]),
      [
        ["Accepted", "True"],
        ["ResolvedRefs", "True"],
      ],
    );
  });
});
