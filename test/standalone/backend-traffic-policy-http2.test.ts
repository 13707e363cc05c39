/**
 * BackendTrafficPolicy `http2` on the wire (real Envoy, standalone), towards an HTTP/2 (h2c) Backend that records
 * the SETTINGS Envoy sends on each connection:
 * - without a policy, Envoy's own defaults (a 16 MiB stream window, measured with Envoy 1.36), and three
 *   concurrent requests share one connection;
 * - initialStreamWindowSize 128Ki and maxConcurrentStreams 1: Envoy announces the 128 KiB window, and opens one
 *   connection per concurrent request.
 */
import * as assert from "node:assert/strict";
import { createServer, type Http2Server, type Settings } from "node:http2";
import { Agent } from "node:http";
import { applyPolicy, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { gatewayYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "h2.example.com";

/** An h2c server answering after 500 ms; records each session's remote SETTINGS. */
function startH2cBackend(): Promise<{ server: Http2Server; port: number; sessions: Settings[] }> {
  const sessions: Settings[] = [];
  const server = createServer();
  server.on("session", (s) => s.once("remoteSettings", (settings) => sessions.push(settings)));
  server.on("stream", (stream) => {
    setTimeout(() => {
      stream.respond({ ":status": 200 });
      stream.end("ok");
    }, 500);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as { port: number }).port, sessions }),
    ),
  );
}

describe("standalone: BackendTrafficPolicy http2 (real Envoy)", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let backend: Awaited<ReturnType<typeof startH2cBackend>>;
  let port: number;

  /** Three requests at once; the SETTINGS of the backend connections opened meanwhile. */
  async function threeAtOnce(): Promise<Settings[]> {
    const from = backend.sessions.length;
    const rs = await Promise.all(
      [1, 2, 3].map(() => httpGet(port, HOST, "/", { agent: new Agent({ keepAlive: false }) })),
    );
    assert.deepEqual(
      rs.map((r) => r.status),
      [200, 200, 200],
    );
    return backend.sessions.slice(from);
  }

  before(async () => {
    backend = await startH2cBackend();
    port = await freePort();
    const backendYaml = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: h2, namespace: default }
spec:
  appProtocols: [gateway.envoyproxy.io/h2c]
  endpoints:
    - ip: { address: 127.0.0.1, port: ${backend.port} }
`;
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml}---\n${routeYaml("h2", HOST, "h2")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    backend?.server.close();
  });

  it("without a policy: Envoy's 16 MiB stream window, three concurrent requests on one connection", async () => {
    const opened = await threeAtOnce();
    assert.ok(opened.length <= 1, `${opened.length} new connections`);
    assert.equal(backend.sessions[backend.sessions.length - 1].initialWindowSize, 16 * 1024 * 1024);
  });

  it("initialStreamWindowSize 128Ki, maxConcurrentStreams 1: the window is announced, one connection per request", async () => {
    const spec = "  http2: { initialStreamWindowSize: 128Ki, maxConcurrentStreams: 1 }";
    await applyPolicy(t, "btp.yaml", btpYaml("h2", "h2", spec));
    const opened = await threeAtOnce();
    assert.equal(opened.length, 3, `${opened.length} new connections for three concurrent requests`);
    for (const s of opened) assert.equal(s.initialWindowSize, 128 * 1024);
  });
});
