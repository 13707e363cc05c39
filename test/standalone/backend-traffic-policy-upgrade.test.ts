/**
 * BackendTrafficPolicy `httpUpgrade` on the wire (real Envoy, standalone), as Envoy Gateway's HTTP CONNECT task
 * describes it:
 * - `type: CONNECT` with `connect.terminate: true`: Envoy answers the client's CONNECT itself (200) and carries
 *   the bytes that follow to the backend as raw TCP (a TCP echo server echoes them back);
 * - `type: CONNECT` without terminate: the CONNECT request goes on to the backend (an HTTP server that accepts
 *   CONNECT and then echoes), whose 200 and echo reach the client;
 * - the list replaces the default: a route whose policy lists only `spdy/3.1` refuses a WebSocket upgrade that
 *   a route without a policy lets through to the backend (101).
 */
import * as assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { eventually, freePort } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

/** Sends `head`, then `payload` once the answer's head arrived; resolves with everything read within `ms`. */
function exchange(port: number, head: string, payload: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    let sent = false;
    const s = connect(port, "127.0.0.1", () => s.write(head));
    s.on("data", (d: Buffer) => {
      text += d.toString();
      if (!sent && text.includes("\r\n\r\n")) {
        sent = true;
        if (payload) s.write(payload);
      }
    });
    s.on("error", () => undefined);
    setTimeout(() => {
      s.destroy();
      resolve(text);
    }, ms);
  });
}

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

describe("standalone: BackendTrafficPolicy httpUpgrade (real Envoy)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let http = 0;
  const servers: (Server | HttpServer)[] = [];

  before(async () => {
    // Raw TCP echo (the terminated tunnel's far end).
    const tcpEcho = createServer((sock) => sock.pipe(sock));
    // An HTTP server that accepts CONNECT (then echoes) and WebSocket upgrades (101).
    const httpPeer = createHttpServer((_req, res) => res.end("plain\n"));
    httpPeer.on("connect", (_req, sock) => {
      sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      sock.pipe(sock);
    });
    httpPeer.on("upgrade", (_req, sock) => {
      sock.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      sock.end();
    });
    servers.push(tcpEcho, httpPeer);
    const [tcpPort, httpPort] = [await listen(tcpEcho), await listen(httpPeer)];
    http = await freePort();
    const rule = (backend: string): string =>
      `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backend} }]`;
    const policy = (name: string, list: string): string => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  httpUpgrade: ${list}
`;
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${http} }`),
      "routes.yaml": [
        backendYaml("tcp-echo", tcpPort),
        backendYaml("http-peer", httpPort),
        httpRouteYaml("terminate", "terminate.example.com", rule("tcp-echo")),
        httpRouteYaml("proxy", "proxy.example.com", rule("http-peer")),
        httpRouteYaml("spdy", "spdy.example.com", rule("http-peer")),
        httpRouteYaml("ws", "ws.example.com", rule("http-peer")),
        policy("terminate", "[{ type: CONNECT, connect: { terminate: true } }]"),
        policy("proxy", "[{ type: CONNECT }]"),
        policy("spdy", "[{ type: spdy/3.1 }]"),
      ].join("---\n"),
    });
    await eventually(
      async () => (await exchange(http, "GET / HTTP/1.1\r\nHost: ws.example.com\r\n\r\n", "", 300)).includes("plain"),
      15_000,
      "the routes",
    );
  });

  after(async () => {
    await t?.close();
    for (const s of servers) s.close();
  });

  const connectHead = (host: string): string => `CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`;
  const wsHead = (host: string): string =>
    `GET /chat HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

  it("CONNECT terminated by Envoy: 200 from Envoy, then the payload reaches the TCP backend and comes back", async () => {
    let text = "";
    await eventually(
      async () => (text = await exchange(http, connectHead("terminate.example.com"), "ping-raw")).includes("ping-raw"),
      15_000,
      "the terminated tunnel",
    ).catch(() => assert.fail(text));
    assert.match(text, /^HTTP\/1.1 200/);
  });

  it("CONNECT proxied: the backend answers the CONNECT and echoes through the tunnel", async () => {
    const text = await exchange(http, connectHead("proxy.example.com"), "ping-proxied");
    assert.match(text, /^HTTP\/1.1 200/, text);
    assert.ok(text.includes("ping-proxied"), text);
  });

  it("the list replaces the default: spdy/3.1 only refuses WebSocket, which a route without a policy upgrades", async () => {
    const allowed = await exchange(http, wsHead("ws.example.com"), "", 800);
    assert.match(allowed, /^HTTP\/1.1 101/, allowed);
    const refused = await exchange(http, wsHead("spdy.example.com"), "", 800);
    assert.doesNotMatch(refused, /^HTTP\/1.1 101/, refused);
    console.log(`      measured: WebSocket on the spdy-only route: ${refused.split("\r\n")[0]}`);
  });
});
