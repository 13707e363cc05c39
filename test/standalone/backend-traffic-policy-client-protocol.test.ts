/**
 * BackendTrafficPolicy `useClientProtocol` on the wire (real Envoy), against an h2c-only backend that reports the
 * HTTP version each request arrived in (Node's cleartext HTTP/2 server cannot also answer HTTP/1.1). With the
 * policy an HTTP/2 (h2c) client's request reaches it in HTTP/2, and an HTTP/1.1 client's goes in HTTP/1.1 (and
 * fails there); without the policy Envoy speaks HTTP/1.1 to it whatever the client speaks (and fails).
 */
import * as assert from "node:assert/strict";
import { connect, createServer as createH2cServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** One request over h2c (prior knowledge): the body. */
function h2Get(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({ ":path": "/", ":authority": host });
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      session.close();
      resolve(body);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("standalone: BackendTrafficPolicy useClientProtocol (real Envoy, HTTP/1.1 + HTTP/2 backend)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: Http2Server | undefined;
  let http = 0;

  before(async () => {
    // An h2c-only backend (HTTP/2 prior knowledge): it cannot answer HTTP/1.1.
    backend = createH2cServer((req, res) => res.end(`http/${req.httpVersion}`));
    await new Promise<void>((r) => backend?.listen(0, "127.0.0.1", r));
    const port = (backend.address() as AddressInfo).port;
    http = await freePort();
    const rule = "    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: versions }]";
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${http} }`),
      "routes.yaml": [
        backendYaml("versions", port),
        httpRouteYaml("plain", "plain.example.com", rule),
        httpRouteYaml("client", "client.example.com", rule),
        `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: client, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: client }]
  useClientProtocol: true
`,
      ].join("---\n"),
    });
    await eventually(
      async () => (await h2Get(http, "client.example.com").catch(() => "")) === "http/2.0",
      15_000,
      "the routes",
    );
  });

  after(async () => {
    await t?.close();
    backend?.close();
  });

  it("with useClientProtocol an HTTP/2 client's request reaches the backend in HTTP/2", async () => {
    assert.equal(await h2Get(http, "client.example.com"), "http/2.0");
  });

  it("with it an HTTP/1.1 client's request goes in HTTP/1.1, which this backend cannot answer", async () => {
    const r = await httpGet(http, "client.example.com");
    assert.ok(r.status >= 500, `status ${r.status}: ${r.body}`);
  });

  it("without it Envoy speaks HTTP/1.1 to the backend even for an HTTP/2 client", async () => {
    assert.doesNotMatch(await h2Get(http, "plain.example.com"), /http\/2\.0/);
    assert.ok((await httpGet(http, "plain.example.com")).status >= 500);
  });
});
