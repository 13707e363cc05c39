/**
 * HTTPRoute rule features against real Envoy: redirects, rewrites, mirrors, CORS, timeouts, retries,
 * per-backendRef header filters, WebSocket upgrades and an h2c upstream. One gateway serves every route;
 * each test checks what went over the wire (Location, what the backend saw, response headers).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import { createServer as createH2cServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { startEchoBackend, type EchoBackend, type EchoResponse } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

const BACKEND = "{ group: gateway.envoyproxy.io, kind: Backend, name: app }";

function route(name: string, host: string, rules: string): string {
  return `${httpRouteYaml(name, host, rules)}---\n`;
}

const ROUTES = [
  route(
    "redirect",
    "redirect.example",
    `    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { scheme: https, statusCode: 301, path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } }
    - matches: [{ path: { type: PathPrefix, value: /port } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { hostname: other.example, port: 8443, statusCode: 308 }
    - matches: [{ path: { type: PathPrefix, value: /full } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /landing } }
`,
  ),
  route(
    "rewrite",
    "rewrite.example",
    `    - matches: [{ path: { type: PathPrefix, value: /api } }]
      filters:
        - type: URLRewrite
          urlRewrite: { hostname: backend.internal, path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } }
      backendRefs: [${BACKEND}]
    - matches: [{ path: { type: PathPrefix, value: /strip } }]
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: / } }
      backendRefs: [${BACKEND}]
    - matches: [{ path: { type: PathPrefix, value: /all } }]
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: /fixed } }
      backendRefs: [${BACKEND}]
`,
  ),
  route(
    "mirror",
    "mirror.example",
    `    - filters:
        - type: RequestMirror
          requestMirror: { backendRef: { group: gateway.envoyproxy.io, kind: Backend, name: mirror-a } }
        - type: RequestMirror
          requestMirror: { backendRef: { group: gateway.envoyproxy.io, kind: Backend, name: mirror-b }, percent: 100 }
      backendRefs: [${BACKEND}]
`,
  ),
  route(
    "cors",
    "cors.example",
    `    - filters:
        - type: CORS
          cors:
            allowOrigins: ["https://*.example.com"]
            allowMethods: [GET, PUT]
            allowHeaders: [x-custom]
            exposeHeaders: [x-exposed]
            maxAge: 60
            allowCredentials: true
      backendRefs: [${BACKEND}]
`,
  ),
  route(
    "timeout",
    "timeout.example",
    `    - timeouts: { request: 300ms }
      backendRefs: [${BACKEND}]
`,
  ),
  route(
    "retry",
    "retry.example",
    `    - retry: { codes: [503], attempts: 3, backoff: 10ms }
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: flaky }]
`,
  ),
  route(
    "per-backend",
    "per-backend.example",
    `    - backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: app
          filters:
            - type: RequestHeaderModifier
              requestHeaderModifier: { set: [{ name: x-backend, value: app }] }
            - type: ResponseHeaderModifier
              responseHeaderModifier: { add: [{ name: x-from, value: app }] }
`,
  ),
  route(
    "ws",
    "ws.example",
    `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ws }]
`,
  ),
  route(
    "h2c",
    "h2c.example",
    `    - backendRefs: [{ name: h2c, port: 80 }]
`,
  ),
].join("");

function h2cServiceYaml(port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: h2c, namespace: default }
spec:
  ports: [{ name: h2, port: 80, appProtocol: kubernetes.io/h2c }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: h2c-1, namespace: default, labels: { kubernetes.io/service-name: h2c } }
addressType: IPv4
ports: [{ name: h2, port: ${port} }]
endpoints: [{ addresses: [127.0.0.1] }]
`;
}

/** A backend that answers 503 to the first `failures` requests, then 200; counts attempts. */
function startFlaky(failures: number): Promise<{ server: Server; port: number; attempts: () => number }> {
  let attempts = 0;
  const server = createServer((req, res) => {
    req.resume();
    attempts++;
    res.statusCode = attempts <= failures ? 503 : 200;
    res.end(`attempt ${attempts}`);
  });
  return listen(server).then((port) => ({ server, port, attempts: () => attempts }));
}

/** A minimal WebSocket server: completes the handshake, then echoes raw bytes. */
function startWs(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end("not a websocket request"));
  server.on("upgrade", (req, socket) => {
    const key = String(req.headers["sec-websocket-key"] ?? "");
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  return listen(server).then((port) => ({ server, port }));
}

function listen(server: Server | Http2Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function close(server: Server | Http2Server): Promise<void> {
  return new Promise((resolve) => {
    if ("closeAllConnections" in server) server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Sends a WebSocket handshake through Envoy; resolves with the status and what came back after "ping". */
function wsRoundTrip(port: number, host: string): Promise<{ status: number; echoed: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path: "/chat",
      headers: {
        host,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.write("ping");
      socket.once("data", (d: Buffer) => {
        resolve({ status: res.statusCode ?? 0, echoed: d.toString() });
        socket.destroy();
      });
    });
    req.on("response", (res) => resolve({ status: res.statusCode ?? 0, echoed: "" }));
    req.on("error", reject);
    req.end();
  });
}

describe("HTTPRoute filters and rule features through real Envoy", function () {
  this.timeout(60_000);
  let t: TestGateway;
  let port: number;
  let app: EchoBackend;
  let mirrorA: EchoBackend;
  let mirrorB: EchoBackend;
  let flaky: Awaited<ReturnType<typeof startFlaky>>;
  let ws: Awaited<ReturnType<typeof startWs>>;
  let h2c: Http2Server;
  const h2cSeen: string[] = [];

  before(async () => {
    app = await startEchoBackend({ name: "app" });
    mirrorA = await startEchoBackend({ name: "mirror-a" });
    mirrorB = await startEchoBackend({ name: "mirror-b" });
    flaky = await startFlaky(2);
    ws = await startWs();
    h2c = createH2cServer((req, res) => {
      h2cSeen.push(req.httpVersion);
      res.end(JSON.stringify({ httpVersion: req.httpVersion }));
    });
    const h2cPort = await listen(h2c);
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "backends.yaml": [
        backendYaml("app", app.port),
        backendYaml("mirror-a", mirrorA.port),
        backendYaml("mirror-b", mirrorB.port),
        backendYaml("flaky", flaky.port),
        backendYaml("ws", ws.port),
        h2cServiceYaml(h2cPort),
      ].join("---\n"),
      "routes.yaml": ROUTES,
    });
    await eventually(
      async () => (await httpGet(port, "per-backend.example")).status === 200,
      15_000,
      "the routes to be served",
    );
  });

  after(async () => {
    await t?.close();
    for (const b of [app, mirrorA, mirrorB]) await b?.close();
    for (const s of [flaky?.server, ws?.server, h2c]) if (s) await close(s);
  });

  it("redirects: scheme https drops the port, path prefix is replaced by whole segments, 301", async () => {
    const r = await httpGet(port, "redirect.example", "/old/x?q=1");
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "https://redirect.example/new/x?q=1");
    const bare = await httpGet(port, "redirect.example", "/old");
    assert.equal(bare.headers.location, "https://redirect.example/new");
    // The Host header keeps its port (backends must see it), yet a scheme change without a port sends the
    // client to the new scheme's well-known port, which the Location leaves out.
    const hostPort = await httpGet(port, `redirect.example:${port}`, "/old/x");
    assert.equal(hostPort.headers.location, "https://redirect.example/new/x");
    const hostDefault = await httpGet(port, "redirect.example:80", "/old/x");
    assert.equal(hostDefault.headers.location, "https://redirect.example/new/x");
  });

  it("redirects: explicit hostname and port, 308", async () => {
    const r = await httpGet(port, "redirect.example", "/port/a");
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, "http://other.example:8443/port/a");
  });

  it("redirects: without scheme or port the Location keeps the listener port; default status 302", async () => {
    const r = await httpGet(port, "redirect.example", "/full/deep/path");
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `http://redirect.example:${port}/landing`);
  });

  it("rewrites host and path prefix (whole segments) before forwarding", async () => {
    const r = await httpGet(port, "rewrite.example", "/api/users?id=7");
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body) as EchoResponse;
    assert.equal(seen.path, "/v2/users?id=7");
    assert.equal(seen.host, "backend.internal");
    const bare = JSON.parse((await httpGet(port, "rewrite.example", "/api")).body) as EchoResponse;
    assert.equal(bare.path, "/v2");
  });

  it("rewrites a prefix to / and a full path", async () => {
    const strip = JSON.parse((await httpGet(port, "rewrite.example", "/strip/x/y")).body) as EchoResponse;
    assert.equal(strip.path, "/x/y");
    const stripBare = JSON.parse((await httpGet(port, "rewrite.example", "/strip")).body) as EchoResponse;
    assert.equal(stripBare.path, "/");
    const full = JSON.parse((await httpGet(port, "rewrite.example", "/all/anything?k=v")).body) as EchoResponse;
    assert.equal(full.path, "/fixed?k=v");
    assert.equal(full.host, "rewrite.example");
  });

  it("mirrors each request to every mirror backend; the client gets the primary's answer", async () => {
    const beforeA = mirrorA.requests;
    const beforeB = mirrorB.requests;
    for (let i = 0; i < 5; i++) {
      const r = await httpGet(port, "mirror.example", `/m/${i}`);
      assert.equal((JSON.parse(r.body) as EchoResponse).backend, "app");
    }
    await eventually(
      async () => mirrorA.requests - beforeA === 5 && mirrorB.requests - beforeB === 5,
      5000,
      "5 mirrored requests at each mirror",
    );
  });

  it("CORS: a preflight from an allowed wildcard origin is answered by Envoy with the policy", async () => {
    const r = await httpGet(port, "cors.example", "/x", {
      method: "OPTIONS",
      headers: {
        origin: "https://a.b.example.com",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "x-custom",
      },
    });
    assert.ok(r.status === 200 || r.status === 204, `status ${r.status}`);
    assert.equal(r.headers["access-control-allow-origin"], "https://a.b.example.com");
    assert.match(String(r.headers["access-control-allow-methods"]), /PUT/);
    assert.match(String(r.headers["access-control-allow-headers"]), /x-custom/);
    assert.equal(r.headers["access-control-max-age"], "60");
    assert.equal(r.headers["access-control-allow-credentials"], "true");
  });

  it("CORS: an actual request gets expose headers; a foreign origin gets no CORS headers", async () => {
    const ok = await httpGet(port, "cors.example", "/x", { headers: { origin: "https://www.example.com" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["access-control-allow-origin"], "https://www.example.com");
    assert.equal(ok.headers["access-control-expose-headers"], "x-exposed");
    const foreign = await httpGet(port, "cors.example", "/x", { headers: { origin: "https://evil.test" } });
    assert.equal(foreign.headers["access-control-allow-origin"], undefined);
    const pre = await httpGet(port, "cors.example", "/x", {
      method: "OPTIONS",
      headers: { origin: "https://example.org", "access-control-request-method": "PUT" },
    });
    assert.equal(pre.headers["access-control-allow-origin"], undefined);
  });

  it("timeouts.request: a slow backend answer becomes 504; a fast one passes", async () => {
    const slow = await httpGet(port, "timeout.example", "/delay/1500");
    assert.equal(slow.status, 504);
    const fast = await httpGet(port, "timeout.example", "/delay/10");
    assert.equal(fast.status, 200);
  });

  it("retry: 503 twice then 200 is retried (3 attempts seen by the backend)", async () => {
    const r = await httpGet(port, "retry.example", "/");
    assert.equal(r.status, 200);
    assert.equal(r.body, "attempt 3");
    assert.equal(flaky.attempts(), 3);
  });

  it("per-backendRef header filters apply to that backend's requests and responses", async () => {
    const r = await httpGet(port, "per-backend.example", "/");
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as EchoResponse).headers["x-backend"], "app");
    assert.equal(r.headers["x-from"], "app");
  });

  it("WebSocket upgrade goes through Envoy and bytes flow both ways", async () => {
    const r = await wsRoundTrip(port, "ws.example");
    assert.equal(r.status, 101);
    assert.equal(r.echoed, "ping");
  });

  it("a Service port with appProtocol kubernetes.io/h2c is reached over HTTP/2 cleartext", async () => {
    const r = await httpGet(port, "h2c.example", "/");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { httpVersion: "2.0" });
    assert.ok(h2cSeen.length > 0 && h2cSeen.every((v) => v === "2.0"));
  });
});
